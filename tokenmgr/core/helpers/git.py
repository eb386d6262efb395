"""git's credential-helper protocol (gitcredentials(7)), and setting git up to use it.

git runs `tokenmgr credential git ACTION` with `key=value` lines on stdin:

- `get`: answer `username`, `password` and, when the expiry is known,
  `password_expiry_utc` for a host an entry serves; for any other request print
  nothing and exit 0, so git asks its next helper (or the person).
- `erase` (the server refused what it was given): never delete anything; if the
  refused password is the entry's current token, mark the entry "refused by HOST"
  (an OAuth entry is refreshed at the next `get`).
- `store` (the server accepted it): tokenmgr is the source, not a cache, so nothing
  is stored; an accepted token clears a "refused" mark.

`install` adds one host-scoped `credential.https://HOST.helper` line per served host
to the user's global git config (and `useHttpPath` on the scopes of path prefixes,
so git sends the path that chooses between them); `uninstall` removes only the lines
it would add. Other helpers are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tokenmgr.core import hosts
from tokenmgr.core.errors import TokenMgrError

if TYPE_CHECKING:
    import subprocess

    from tokenmgr.core.helpers import Served
    from tokenmgr.core.vault import Vault


def parse(text: str) -> dict[str, str]:
    """The request's attributes (the last value of a repeated key; `url=` split into
    protocol, host and path, as git itself does)."""
    request: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if not line:
            break
        key, sep, value = line.partition("=")
        if sep and key:
            request[key] = value
    url = request.get("url")
    if url and "://" in url:
        import urllib.parse

        parts = urllib.parse.urlsplit(url)
        request.setdefault("protocol", parts.scheme)
        request.setdefault("host", parts.netloc.rpartition("@")[2])
        if parts.path.strip("/"):
            request.setdefault("path", parts.path.lstrip("/"))
    return request


def _asked(request: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]]:
    return (
        request.get("protocol", ""),
        request.get("host", ""),
        hosts.split_path(request.get("path")),
    )


def _printable(value: str) -> bool:
    return "\n" not in value and "\0" not in value


def get(vault: Vault, request: Mapping[str, str]) -> str:
    """What `get` prints: the credential, or "" when no entry serves the request."""
    from tokenmgr.core.helpers import serve

    protocol, host, path = _asked(request)
    if not host:
        return ""
    served = serve(vault, "git", protocol, host, path)
    if served is None:
        return ""
    return answer(served, request)


def answer(served: Served, request: Mapping[str, str]) -> str:
    lines = []
    # git keeps a user name it already has (from the URL); the token goes with it.
    if not request.get("username") and _printable(served.username):
        lines.append(f"username={served.username}")
    lines.append(f"password={served.token}")
    expires = served.entry.expires_at
    if expires is not None:
        lines.append(f"password_expiry_utc={int(expires.timestamp())}")
    return "\n".join(lines) + "\n"


def _same_token(vault: Vault, name: str, password: str) -> bool:
    import hmac  # here, not at the top: `get` (every fetch) never compares

    try:
        current = vault.store.get(name, "access")
    except TokenMgrError:
        return False
    if current is None:
        return False
    return hmac.compare_digest(current.encode("utf-8"), password.encode("utf-8"))


def erase(vault: Vault, request: Mapping[str, str]) -> str | None:
    """Mark the serving entry refused by the host when the refused password is its
    current token; nothing is deleted. Returns a sentence for stderr, or None."""
    from tokenmgr.core.helpers import find, scheme_allowed

    protocol, host, path = _asked(request)
    password = request.get("password")
    if not host or not password:
        return None
    try:
        parsed = hosts.parse(host)
    except TokenMgrError:
        return None
    if parsed.path or not scheme_allowed(protocol, parsed.name):
        return None
    found = find(vault, parsed.hostport, path)
    if found is None:
        return None
    entry, _ = found
    # Under the entry's lock: a refresh between the comparison and the mark would have
    # its fresh token marked refused.
    with vault.entry_lock(entry.name):
        if not _same_token(vault, entry.name, password):
            return None  # another helper's, or an older token of ours: not its doing
        marked = vault.set_refused(entry.name, parsed.hostport)
    if marked is None:
        return None
    if entry.kind == "oauth2":
        then = "it is refreshed at the next use"
    else:
        then = f"store a new token with `tokenmgr add {entry.name} --force`"
    return (
        f"{parsed.hostport} refused the token of {entry.name!r}: nothing was deleted; {then}"
    )


def store(vault: Vault, request: Mapping[str, str]) -> None:
    """The server accepted the credential: clear a "refused" mark if it was this token.
    Nothing is stored (the keyring is read only when the entry is marked)."""
    from tokenmgr.core.helpers import find

    _, host, path = _asked(request)
    password = request.get("password")
    if not host or not password:
        return
    try:
        found = find(vault, hosts.parse(host).hostport, path)
    except TokenMgrError:
        return
    if found is None or found[0].refused_by is None:
        return
    if _same_token(vault, found[0].name, password):
        vault.set_refused(found[0].name, None)


# ------------------------------------------------------------ git config


@dataclass(frozen=True)
class ConfigLine:
    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


def helper_value(command: Sequence[str]) -> str:
    """The `credential.*.helper` value: the absolute command, which git runs through the
    shell with the action appended."""
    import shlex

    return shlex.join([*command, "credential", "git"])


def is_ours(value: str) -> bool:
    """A helper value that runs `tokenmgr credential git` (written by `install`, or by
    hand in the same shape)."""
    import shlex

    text = value.lstrip("!").strip()
    try:
        words = shlex.split(text)
    except ValueError:
        return False
    if words[-2:] != ["credential", "git"] or len(words) < 3:
        return False
    import os.path

    program = os.path.basename(words[0])
    return program.startswith("tokenmgr") or ["-m", "tokenmgr"] in (words[1:3], words[2:4])


def wanted_lines(served: Sequence[hosts.Host], command: Sequence[str]) -> list[ConfigLine]:
    """The lines `install` writes for these hosts: a helper per host (https, and http too
    for a loopback host), `useHttpPath` per path prefix."""
    value = helper_value(command)
    lines: list[ConfigLine] = []
    for host in served:
        schemes = ("https", "http") if hosts.is_loopback(host.name) else ("https",)
        for scheme in schemes:
            line = ConfigLine(f"credential.{scheme}://{host.hostport}.helper", value)
            if line not in lines:
                lines.append(line)
            if host.path:
                scope = f"credential.{scheme}://{host.hostport}/{host.prefix}.useHttpPath"
                lines.append(ConfigLine(scope, "true"))
    return lines


class GitConfig:
    """The user's global git config, through `git config --global` (so GIT_CONFIG_GLOBAL,
    XDG_CONFIG_HOME and HOME are honoured as git honours them)."""

    def __init__(self, git: str = "git", env: Mapping[str, str] | None = None) -> None:
        self.git = git
        self.env = dict(env) if env is not None else None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        import subprocess  # only here: `get` runs on every fetch and never needs it

        try:
            r = subprocess.run(
                [self.git, "config", "--global", *args],
                capture_output=True,
                text=True,
                env=self.env,
                timeout=30,
            )
        except FileNotFoundError:
            raise TokenMgrError(
                "git was not found: install git, or put it on PATH, and run this again"
            ) from None
        if check and r.returncode not in (0, 1):  # 1: no such key
            raise TokenMgrError(
                f"git config failed: {r.stderr.strip() or r.returncode}; nothing more was changed"
            )
        return r

    def get_all(self, key: str) -> list[str]:
        return [v for v in self._run("--get-all", key).stdout.split("\n") if v]

    def credential_lines(self) -> list[ConfigLine]:
        """Every `credential.*` line, keys as git prints them (section and name lower case,
        the URL as written)."""
        r = self._run("--get-regexp", r"^credential\.")
        out = []
        for line in r.stdout.split("\n"):
            if line:
                key, _, value = line.partition(" ")
                out.append(ConfigLine(key, value))
        return out

    def add(self, line: ConfigLine) -> None:
        self._run("--add", line.key, line.value)

    def unset(self, line: ConfigLine) -> None:
        self._run("--fixed-value", "--unset-all", line.key, line.value)


def _norm(key: str) -> str:
    """A config key as git compares it: section and name without case, the URL as is."""
    section, _, rest = key.partition(".")
    middle, _, name = rest.rpartition(".")
    return f"{section.lower()}.{middle}.{name.lower()}"


def install(config: GitConfig, lines: Sequence[ConfigLine]) -> list[tuple[ConfigLine, bool]]:
    """Add the lines that are not there yet; (line, added) for each."""
    present = {(_norm(c.key), c.value) for c in config.credential_lines()}
    done = []
    for line in lines:
        exists = (_norm(line.key), line.value) in present
        if line.key.endswith(".useHttpPath") and not exists:
            # Set already (to anything) by the person: theirs to keep, not ours to add.
            exists = any(_norm(line.key) == k for k, _ in present)
        if not exists:
            config.add(line)
            present.add((_norm(line.key), line.value))
        done.append((line, not exists))
    return done


def uninstall(config: GitConfig) -> list[ConfigLine]:
    """Remove tokenmgr's helper lines, and `useHttpPath` on the path scopes of the hosts
    they served when no other helper is left there; what was removed."""
    lines = config.credential_lines()
    ours = [c for c in lines if c.key.lower().endswith(".helper") and is_ours(c.value)]
    for line in ours:
        config.unset(line)
    left = {c.key.lower()[: -len(".helper")] for c in lines if c not in ours and
            c.key.lower().endswith(".helper")}
    scopes = {c.key[: -len(".helper")] for c in ours}
    removed = list(ours)
    for line in lines:
        if not line.key.lower().endswith(".usehttppath") or line.value != "true":
            continue
        scope = line.key[: -len(".usehttppath")]
        host_scope = next((s for s in scopes if scope.startswith(s + "/")), None)
        if host_scope is not None and host_scope.lower() not in left:
            config.unset(line)
            removed.append(line)
    return removed
