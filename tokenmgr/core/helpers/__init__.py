"""Credential helpers: git, kubectl and docker ask tokenmgr for a token directly.

What the three share lives here: which entry serves a request (`serve`: the host
and path asked for, matched against the hosts entries were told to serve, checked
against the binding stored with the entry's secrets, handed out through the use-case
layer so it is refreshed first and put on the access record), and the user name
each provider expects beside a token. Each protocol is a module of its own (`git`,
`kubectl`, `docker`), imported by the command that speaks it.

Rules: https only (plain http for loopback hosts alone); a request no entry serves
gets nothing, so the client asks its next helper; an index edited to add a host
serves nothing (the hosts are bound, like an OAuth entry's endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tokenmgr.core import hosts

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.vault import Vault


@dataclass
class Served:
    """What a helper hands its client."""

    entry: Entry
    token: str = field(repr=False)
    host: hosts.Host | None = None  # which of the entry's hosts matched
    username: str = ""


# The user name each provider's git and registry endpoints expect with a token, by the
# preset or service an entry names; entries may set their own (`--username`).
_CONVENTIONS = (
    (("github",), "x-access-token"),
    (("gitlab",), "oauth2"),
    (("bitbucket",), "x-token-auth"),
)
DEFAULT_USERNAME = "tokenmgr"


def username_for(entry: Entry, host: hosts.Host | None = None) -> str:
    """The entry's own user name, else its provider's convention (from its preset, its
    service label, or the host), else "tokenmgr"."""
    if entry.username:
        return entry.username
    labels = [
        entry.oauth.preset if entry.oauth is not None and entry.oauth.preset else "",
        entry.service,
        host.name if host is not None else "",
    ]
    for words, username in _CONVENTIONS:
        for label in labels:
            if any(word in label.lower() for word in words):
                return username
    return DEFAULT_USERNAME


def own_command(
    argv0: str | None = None, executable: str | None = None, frozen: bool | None = None
) -> list[str]:
    """How another program starts this tokenmgr, as an absolute command: the `tokenmgr`
    program this one was started as (its path as found, not through symlinks, so an
    upgrade keeps it valid), else the frozen bundle's executable, else this Python with
    `-P -m tokenmgr`: git and kubectl start helpers in the repository's or the caller's
    folder, which `-m` alone would put first on the import path, so a `tokenmgr/` folder
    in a cloned repository would run in our place."""
    import os
    import shutil
    import sys

    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    found = argv0 if os.sep in argv0 else shutil.which(argv0)
    if found and os.path.isfile(found) and os.access(found, os.X_OK):
        found = os.path.abspath(found)
        base = os.path.basename(found)
        if base.startswith("docker-credential-"):
            found = os.path.join(os.path.dirname(found), "tokenmgr")
            base = "tokenmgr"
        if base.startswith("tokenmgr") and os.access(found, os.X_OK):
            return [found]
    if frozen:
        return [os.path.abspath(executable)]
    return [os.path.abspath(executable), "-P", "-m", "tokenmgr"]


def scheme_allowed(scheme: str, host_name: str) -> bool:
    """https anywhere; plain http only to a loopback host."""
    scheme = scheme.lower()
    return scheme == "https" or (scheme == "http" and hosts.is_loopback(host_name))


def find(vault: Vault, hostport: str, path: tuple[str, ...]) -> tuple[Entry, hosts.Host] | None:
    """The entry that serves `hostport` for `path`, from one read of the index (only the
    entry that serves it is built). Raises hosts.Ambiguous on a tie."""
    from tokenmgr.core.entries import Entry

    items = {str(i["name"]): i for i in vault.index.load_raw() if i.get("hosts")}
    match = hosts.best_match(
        hostport, path, [(name, [str(h) for h in i["hosts"]]) for name, i in items.items()]
    )
    if match is None:
        return None
    name, host = match
    try:
        entry = Entry.from_dict(items[name])
    except Exception as e:  # a malformed field is a corrupted index, as everywhere
        raise vault.index.corrupt(f"entry {name!r} is malformed ({e})") from None
    return entry, host


def check_bound(vault: Vault, entry: Entry) -> None:
    """Raise unless the entry's hosts are the ones bound to its secrets (an index edit
    that adds a host hands nothing out)."""
    vault.require_binding(entry, "nothing was handed out")


def serve(
    vault: Vault,
    how: str,
    scheme: str,
    hostport: str,
    path: tuple[str, ...] = (),
    *,
    asked: str | None = None,
) -> Served | None:
    """The token for a request to `scheme://hostport/path`, handed out (refreshed first
    when due) and recorded as `how` for `asked` (what the client asked for, default the
    host and path); None when no entry serves it or the scheme is not allowed."""
    try:
        parsed = hosts.parse(hostport)
    except Exception:
        return None
    if parsed.path or not scheme_allowed(scheme, parsed.name):
        return None
    found = find(vault, parsed.hostport, path)
    if found is None:
        return None
    entry, host = found
    check_bound(vault, entry)
    from tokenmgr.core.usecases.handout import put_on_record

    entry, token = token_for(vault, entry)
    shown = asked or "/".join((parsed.hostport, *path))
    put_on_record(vault, entry.name, how, host=shown)
    return Served(entry, token, host, username_for(entry, host))


def token_for(vault: Vault, entry: Entry) -> tuple[Entry, str]:
    """The token a helper hands out: refreshed when due, and renewed at once for an
    OAuth entry a host has refused (git's `erase`)."""
    from tokenmgr.core.usecases.handout import with_refresh

    with_refresh(vault)
    if entry.refused_by is not None and entry.kind == "oauth2":
        return _refresh_refused(vault, entry)
    return vault.token_for(entry)


def _refresh_refused(vault: Vault, entry: Entry) -> tuple[Entry, str]:
    """A host refused this OAuth entry's access token: a new one, once, however many
    clients ask at the same moment (whoever waited for the lock finds the mark gone)."""
    from tokenmgr.core.oauth.refresh import locked_refresh

    with vault.entry_lock(entry.name):
        current = vault.entry(entry.name)
        if current.refused_by is None:
            return vault.token_for(current)
        return locked_refresh(vault, entry.name, force=True)
