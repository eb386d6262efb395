"""Notice when another process (the CLI) changed the index.

A stat of the index file once a second: `index_changed` fires once per change,
when the file's identity (inode, size, mtime) moved, so a `tokenmgr add` shows
in the open window within a second, by the time the person has switched back to it.

No inotify (QFileSystemWatcher): the index is replaced by `os.replace`, so a
file watch goes stale after the first change and needs a directory watch and
re-adding; watches run out on busy machines and do not work on network home
directories, so a poll was needed as a backup anyway; and closing an inotify
instance makes the process wait out a kernel grace period at exit. One stat a second is nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

Stamp = tuple[int, int, int] | None
POLL_MS = 1000


def stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class IndexWatcher(QObject):
    index_changed = Signal()

    def __init__(self, path: Path, parent: QObject | None = None, poll_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self._path = path
        self._stamp = stamp(path)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._poll.start()

    def mark_seen(self) -> None:
        """The caller just read the index: this state is not a change."""
        self._stamp = stamp(self._path)

    @Slot()
    def _on_poll_timeout(self) -> None:
        now = stamp(self._path)
        if now != self._stamp:
            self._stamp = now
            self.index_changed.emit()
