"""docker's credential-helper protocol (docker-credential-helpers), and the docker config.

docker runs `docker-credential-tokenmgr ACTION` (the same as `tokenmgr credential
docker ACTION`), the request on stdin, the answer on stdout:

- `get`: the server URL in, `{"ServerURL", "Username", "Secret"}` out; for a registry
  no entry serves, "credentials not found in native keychain" on stdout and exit 1
  (the protocol's way of saying "ask elsewhere").
- `list`: `{server: username}` for every registry served.
- `store` (`docker login`) and `erase` (`docker logout`): tokenmgr is the source, not
  a cache: nothing is stored or deleted.

Every failure is one line on stdout and exit 1: docker shows what the helper printed.

`install` points `credHelpers` of the docker config (`$DOCKER_CONFIG/config.json`,
else `~/.docker/config.json`) at tokenmgr for every registry served, keeping every
other key as it was; `uninstall` removes only those.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tokenmgr.core import hosts
from tokenmgr.core.errors import TokenMgrError

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault

NOT_FOUND = "credentials not found in native keychain"
MISSING_URL = "no credentials server URL"
HELPER_NAME = "tokenmgr"  # docker runs docker-credential-<this>


class NotFoundInKeychain(TokenMgrError):
    """No entry serves the registry: docker asks elsewhere."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


def split_server(server_url: str) -> tuple[str, str, tuple[str, ...]]:
    """(scheme, host[:port], path) of what docker names a registry by: a URL
    (`https://index.docker.io/v1/`) or a bare `host[:port]`."""
    text = server_url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urllib.parse.urlsplit(text)
    return parts.scheme, parts.netloc.rpartition("@")[2], hosts.split_path(parts.path)


def get(vault: Vault, server_url: str) -> str:
    """The `get` answer (JSON and a newline) or NotFoundInKeychain."""
    from tokenmgr.core.helpers import serve

    server_url = server_url.strip()
    if not server_url:
        raise TokenMgrError(MISSING_URL)
    try:
        scheme, hostport, _path = split_server(server_url)
    except ValueError:
        raise NotFoundInKeychain() from None
    # A registry is named by its host: docker's own path (Docker Hub's /v1/) chooses
    # nothing, so only a prefix-less host serves it.
    served = serve(vault, "docker", scheme, hostport, (), asked=hostport)
    if served is None:
        raise NotFoundInKeychain()
    doc = {"ServerURL": server_url, "Username": served.username, "Secret": served.token}
    return json.dumps(doc) + "\n"


def list_served(vault: Vault) -> dict[str, str]:
    """`list`: each registry served (a host without a path prefix) and its user name.
    Read from the index; entries whose hosts are not bound to their secrets are left
    out, as `get` would refuse them."""
    from tokenmgr.core.helpers import check_bound, username_for

    out: dict[str, str] = {}
    for entry in vault.list_entries():
        served = [h for h in map(hosts.parse, entry.hosts) if not h.path]
        if not served:
            continue
        try:
            check_bound(vault, entry)
        except TokenMgrError:
            continue
        for host in served:
            out.setdefault(host.hostport, username_for(entry, host))
    return out


# --------------------------------------------------------------- docker config


def config_path(env: Mapping[str, str]) -> Path:
    """Where docker reads its config: $DOCKER_CONFIG/config.json, else ~/.docker/."""
    base = env.get("DOCKER_CONFIG")
    if base:
        return Path(base).expanduser() / "config.json"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".docker" / "config.json"


def _load(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise TokenMgrError(f"cannot read {path}: {e.strerror}; it was left as it is") from None
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise TokenMgrError(
            f"{path} is not valid JSON ({e}): it was left as it is; fix it and run this again"
        ) from None
    if not isinstance(doc, dict):
        raise TokenMgrError(f"{path} does not hold a JSON object: it was left as it is")
    helpers = doc.get("credHelpers")
    if helpers is not None and not isinstance(helpers, dict):
        raise TokenMgrError(f"credHelpers in {path} is not an object: it was left as it is")
    return doc


def _save(path: Path, doc: dict[str, Any]) -> None:
    """Write the config the way docker does (tab-indented), atomically, keeping its mode."""
    from tokenmgr.core.paths import replace_file

    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
    data = (json.dumps(doc, indent="\t") + "\n").encode()
    replace_file(path, data, mode=mode)


def install(path: Path, registries: Sequence[str]) -> list[tuple[str, str | None]]:
    """Point credHelpers at tokenmgr for these registries; (registry, the helper it had
    before or None) for each one changed."""
    doc = _load(path)
    helpers = dict(doc.get("credHelpers") or {})
    changed = []
    for registry in registries:
        before = helpers.get(registry)
        if before != HELPER_NAME:
            helpers[registry] = HELPER_NAME
            changed.append((registry, before if isinstance(before, str) else None))
    if changed:
        doc["credHelpers"] = helpers
        try:
            _save(path, doc)
        except OSError as e:
            raise TokenMgrError(
                f"cannot write {path}: {e.strerror}; it was left as it was"
            ) from None
    return changed


def uninstall(path: Path) -> list[str]:
    """Remove the credHelpers that name tokenmgr; the registries they were for."""
    doc = _load(path)
    helpers = doc.get("credHelpers")
    if not isinstance(helpers, dict):
        return []
    removed = [k for k, v in helpers.items() if v == HELPER_NAME]
    if removed:
        kept = {k: v for k, v in helpers.items() if v != HELPER_NAME}
        if kept:
            doc["credHelpers"] = kept
        else:
            del doc["credHelpers"]
        try:
            _save(path, doc)
        except OSError as e:
            raise TokenMgrError(
                f"cannot write {path}: {e.strerror}; it was left as it was"
            ) from None
    return removed
