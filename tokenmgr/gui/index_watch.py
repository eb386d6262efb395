"""Notice when another process (the CLI) changed the index.

The index is replaced by `os.replace`, so a watch on the file alone goes stale
after the first change: the directory is watched too, the file is re-added
after each change, and a cheap stat poll (once a second) backs both up where
inotify is unavailable or exhausted. `index_changed` fires once per change,
debounced, only when the file's identity (inode, size, mtime) moved.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

Stamp = tuple[int, int, int] | None


def stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class IndexWatcher(QObject):
    index_changed = Signal()

    def __init__(self, path: Path, parent: QObject | None = None, poll_ms: int = 1000) -> None:
        super().__init__(parent)
        self._path = path
        self._stamp = stamp(path)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_watcher_changed)
        self._watcher.directoryChanged.connect(self._on_watcher_changed)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(50)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self._poll = QTimer(self)
        self._poll.setInterval(poll_ms)
        self._poll.timeout.connect(self._on_debounce_timeout)
        self._poll.start()
        self._rewatch()

    def mark_seen(self) -> None:
        """The caller just read the index: this state is not a change."""
        self._stamp = stamp(self._path)

    def _rewatch(self) -> None:
        for p in (self._path, self._path.parent):
            if p.exists() and str(p) not in (self._watcher.files() + self._watcher.directories()):
                self._watcher.addPath(str(p))

    @Slot(str)
    def _on_watcher_changed(self, _path: str) -> None:
        self._debounce.start()

    @Slot()
    def _on_debounce_timeout(self) -> None:
        self._rewatch()
        now = stamp(self._path)
        if now != self._stamp:
            self._stamp = now
            self.index_changed.emit()
