"""Each TOKENMGR_HOME's own namespace in the keyring, and the move out of the
layout every home used to share.

A home's items are keyring items whose service is `tokenmgr:` followed by the
home's absolute path (symlinks resolved), username `NAME/FIELD`:

    keyring get "tokenmgr:$HOME/.local/share/tokenmgr" github/access
    secret-tool lookup service "tokenmgr:$HOME/.local/share/tokenmgr" username github/access

so two homes never read, overwrite or delete each other's items, and a home
moved to another path starts an empty namespace there (its items stay under
the old path's service).

Earlier versions kept every home's items under the one service `tokenmgr`,
where an entry of the same name in two homes was one item. Those items belong
to the default home (the one used when TOKENMGR_HOME is unset): on its first
use it moves, under a lock, the items its own index lists, chunks included,
each one copied before the old one is deleted, so an interruption loses
nothing and the next use finishes the move. Items its index does not list are
left where they are (they may be another home's); an item whose name is
already taken in the home's namespace by a different value is not overwritten:
both are left, and `tokenmgr doctor` names them. Other homes never move or
change the old layout's items (`doctor` only reads them, to say what is left).

`keyring.json` in the home records that the home uses its namespace (and what
the move did); it holds no secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol

from tokenmgr.core.stores.base import item_key


class RawKeyring(Protocol):
    """What moving items needs of a keyring store: items by (service, username)."""

    def raw_get(self, service: str, username: str) -> str | None: ...

    def raw_set(self, service: str, username: str, value: str) -> None: ...

    def raw_delete(self, service: str, username: str) -> None: ...


PREFIX = "tokenmgr:"
LEGACY_SERVICE = "tokenmgr"
MARKER_NAME = "keyring.json"
LOCK_NAME = "keyring.lock"


def service_for(home: Path) -> str:
    """The keyring service of a home's items."""
    return PREFIX + os.path.normcase(os.path.realpath(home))


def is_default_home(home: Path) -> bool:
    from tokenmgr.core import paths

    return service_for(home) == service_for(paths.home({}))


def read_marker(home: Path) -> dict[str, Any] | None:
    """What `keyring.json` says (None when the home has not used its namespace yet)."""
    try:
        doc = json.loads((home / MARKER_NAME).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _write_marker(home: Path, doc: dict[str, Any]) -> None:
    from tokenmgr.core.index import atomic_write

    atomic_write(home / MARKER_NAME, json.dumps(doc, indent=1).encode("utf-8") + b"\n")


def listed_items(home: Path) -> list[tuple[str, str]]:
    """(name, field) of every value the home's index lists."""
    from tokenmgr.core.index import Index
    from tokenmgr.core.rules import SECRET_FIELDS

    out: list[tuple[str, str]] = []
    for entry in Index(home).load_raw():
        fields = entry.get("secrets") or SECRET_FIELDS  # an index too old to list them
        out.extend((str(entry["name"]), str(f)) for f in fields)
    return out


def only_in_old_layout(store: RawKeyring, home: Path) -> list[str]:
    """The usernames of values the home lists that are in the old layout only."""
    service = service_for(home)
    found = []
    for name, field in listed_items(home):
        username = item_key(name, field)
        if store.raw_get(service, username) is None and store.raw_get(LEGACY_SERVICE, username):
            found.append(username)
    return found


class Layout:
    """One home's use of its namespace, checked once per process by its store."""

    def __init__(self, home: Path, service: str) -> None:
        self.home = home
        self.service = service
        self.marked = False

    def ready(self, store: RawKeyring) -> None:
        """Before the store's first call: in the default home, move the old items."""
        if read_marker(self.home) is not None:
            self.marked = True
            return
        if not is_default_home(self.home):
            return  # the marker is written with the first value
        wanted = listed_items(self.home)
        if not wanted:
            return  # nothing of the old layout can be ours: marked with the first value
        # The keyring answers before any file is made (no lock file for a dead keyring).
        store.raw_get(LEGACY_SERVICE, item_key(*wanted[0]))
        from tokenmgr.core.index import file_lock

        with file_lock(self.home / LOCK_NAME, 120.0, "the keyring migration"):
            if read_marker(self.home) is not None:  # another process did it meanwhile
                self.marked = True
                return
            moved, left = migrate(store, self.service, listed_items(self.home))
            _write_marker(
                self.home,
                {
                    "service": self.service,
                    "moved_from": LEGACY_SERVICE,
                    "moved": moved,
                    "left": left,
                },
            )
        self.marked = True

    def written(self) -> None:
        """After a value was stored: the home now has items in its namespace."""
        if not self.marked:
            if read_marker(self.home) is None:
                _write_marker(self.home, {"service": self.service})
            self.marked = True


def migrate(
    store: RawKeyring, service: str, values: list[tuple[str, str]]
) -> tuple[int, list[str]]:
    """Move the old layout's items of these (name, field) values into `service`.

    (how many moved, the usernames left because `service` holds another value there).
    """
    from tokenmgr.core.stores.chunked import MANIFEST_MAGIC, chunk_field, parse_manifest

    moved = 0
    left: list[str] = []
    for name, field in values:
        username = item_key(name, field)
        old = store.raw_get(LEGACY_SERVICE, username)
        if old is None:
            continue
        current = store.raw_get(service, username)
        if current is not None and current != old:
            left.append(username)  # ours already, and different: refused, not overwritten
            continue
        if old.startswith(MANIFEST_MAGIC):
            # Chunks before their manifest, so what readers see is whole at every step.
            gen, count, _ = parse_manifest(old)
            chunks = [item_key(name, chunk_field(field, gen, i)) for i in range(count)]
            for chunk in chunks:
                _move(store, service, chunk)
            _move(store, service, username)
        else:
            _move(store, service, username)
        moved += 1
    return moved, left


def _move(store: RawKeyring, service: str, username: str) -> None:
    """Copy, then delete the original: an interruption leaves both, never neither."""
    old = store.raw_get(LEGACY_SERVICE, username)
    if old is None:
        return
    if store.raw_get(service, username) != old:
        store.raw_set(service, username, old)
    store.raw_delete(LEGACY_SERVICE, username)
