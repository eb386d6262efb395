"""The metadata index: `$TOKENMGR_HOME/entries.json`.

Written by temp file + fsync + `os.replace` (+ fsync of the directory), mode
0600 in a 0700 directory, under a cross-process lock, with a schema version.
A file we cannot read or parse is never overwritten: the error names it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tokenmgr.core.errors import IndexCorrupted, IndexWriteFailed, TokenMgrError
from tokenmgr.core.paths import check_private_dir, ensure_private_dir, replace_file

if TYPE_CHECKING:
    # The data model is built only by `load`: `list` reads the raw entries (load_raw).
    from tokenmgr.core.entries import Entry

log = logging.getLogger(__name__)

SCHEMA = 1
INDEX_NAME = "entries.json"
LOCK_NAME = "entries.lock"
INDEX_LOCK_TIMEOUT = 120.0


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` (in a private directory, made if missing) with `data`, mode 0600."""
    ensure_private_dir(path.parent)
    replace_file(path, data)


class LockTimeout(TokenMgrError):
    """Another process held a lock for longer than we are willing to wait."""

    exit_status = 1


@contextlib.contextmanager
def file_lock(path: Path, timeout: float | None = None, what: str = "") -> Iterator[None]:
    """An exclusive cross-process lock on `path` (created if missing).

    With `timeout`, give up after that many seconds with LockTimeout instead of
    waiting forever behind a stuck process.
    """
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    f: IO[bytes] = os.fdopen(fd, "r+b")
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while not _try_lock(f.fileno(), blocking=deadline is None):
            if deadline is not None and time.monotonic() >= deadline:
                raise LockTimeout(
                    f"another tokenmgr process has held {what or path} for over "
                    f"{timeout:.0f} s; try again, or look for a stuck tokenmgr process"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        yield
    finally:
        f.close()  # closing the descriptor releases the lock


def _try_lock(fileno: int, *, blocking: bool) -> bool:
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fileno, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fileno, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class Index:
    """Load and save the entries of one TOKENMGR_HOME."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / INDEX_NAME
        self.lock_path = home / LOCK_NAME

    def lock(self) -> contextlib.AbstractContextManager[None]:
        # Held only across a few keyring calls and one file write: waiting minutes
        # means a process is stuck (e.g. behind a keyring unlock prompt).
        return file_lock(self.lock_path, INDEX_LOCK_TIMEOUT, f"the index {self.path}")

    def _read(self) -> bytes | None:
        """The index file's bytes (None when missing), from a home only we can write:
        an index others could replace is not trusted for reads either."""
        check_private_dir(self.home)
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise IndexCorrupted(
                f"cannot read the index {self.path}: {e.strerror}. "
                "Check its permissions; it was left as it is."
            ) from None

    def load(self) -> dict[str, Entry]:
        """All entries by name. A missing file is an empty index."""
        raw = self._read()
        return {} if raw is None else self._parse(raw)

    def load_raw(self) -> list[dict[str, Any]]:
        """Entries as plain dicts (no dataclass construction): the fast path for `list`."""
        raw = self._read()
        return [] if raw is None else self._check(raw)

    def _check(self, raw: bytes) -> list[dict[str, Any]]:
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise self.corrupt(f"it is not valid JSON ({e})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            raise self.corrupt("it does not hold a tokenmgr index")
        schema = doc.get("schema")
        if not isinstance(schema, int):
            raise self.corrupt("it has no schema version")
        if schema > SCHEMA:
            raise IndexCorrupted(
                f"the index {self.path} was written by a newer tokenmgr (schema {schema}, "
                f"this one reads {SCHEMA}). Upgrade tokenmgr; the file was left as it is."
            )
        entries = doc["entries"]
        for item in entries:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise self.corrupt("an entry has no name")
        return entries  # type: ignore[no-any-return]

    def _parse(self, raw: bytes) -> dict[str, Entry]:
        from tokenmgr.core.entries import Entry

        out: dict[str, Entry] = {}
        for item in self._check(raw):
            try:
                entry = Entry.from_dict(item)
            except Exception as e:  # any malformed field is corruption, not a crash
                raise self.corrupt(f"entry {item.get('name')!r} is malformed ({e})") from None
            out[entry.name] = entry
        return out

    def corrupt(self, why: str) -> IndexCorrupted:
        return IndexCorrupted(
            f"the index {self.path} is corrupted: {why}. It was left as it is; "
            "restore it from a backup or move it aside to start a new one."
        )

    def save(self, entries: dict[str, Entry]) -> None:
        """Write all entries atomically. Call with the lock held."""
        doc = {
            "schema": SCHEMA,
            "entries": [entries[k].to_dict() for k in sorted(entries)],
        }
        data = json.dumps(doc, indent=1, ensure_ascii=False).encode("utf-8") + b"\n"
        try:
            atomic_write(self.path, data)
        except OSError as e:
            raise IndexWriteFailed(
                f"cannot write the index {self.path}: {e.strerror or e}. The index was left "
                "as it was; free some space or fix the permissions, then try again."
            ) from None
        log.debug("index %s written: %d entries, %d bytes", self.path, len(entries), len(data))
