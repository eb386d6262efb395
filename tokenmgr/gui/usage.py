"""What the access record says, for the app: each entry's recent hand-outs.

The record (`$TOKENMGR_HOME/access.log`, core/record.py) grows with every hand-out,
from this app or any other process (git, kubectl, docker, the CLI). It is read in a
worker, never on the GUI thread: at start, and whenever its file changes (a stat
once a second, as the index is watched). `loaded` carries, per entry name, its last
few records, newest last: the details pane shows them as "last used" and a short
history, the tray as each entry's tooltip. No record holds a secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from tokenmgr.gui.index_watch import IndexWatcher

HISTORY = 5  # records kept per entry for the details pane

Usage = dict[str, list[dict[str, Any]]]


def read_usage(home: Path, keep: int = HISTORY) -> Usage:
    """Per entry, its last `keep` records (worker)."""
    from tokenmgr.core import record

    out: Usage = {}
    for item in record.read(home):
        name = item.get("entry")
        if isinstance(name, str):
            recent = out.setdefault(name, [])
            recent.append(item)
            if len(recent) > keep:
                del recent[0]
    return out


class UsageWatcher(QObject):
    loaded = Signal(dict)  # Usage

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from tokenmgr.core.record import record_path
        from tokenmgr.gui.tasks import Tasks

        self._home = home
        # Its own workers: a read of the record is no task to show as busy.
        self._tasks = Tasks(self)
        self._busy = False
        self._again = False
        self.usage: Usage = {}
        self.watcher = IndexWatcher(record_path(home), self)
        self.watcher.index_changed.connect(self.reload)
        QTimer.singleShot(0, self, self.reload)  # after the first paint

    @Slot()
    def reload(self) -> None:
        if self._busy:
            self._again = True  # one read at a time; the newest change is read after it
            return
        self._busy = True
        home = self._home
        self._tasks.run("Reading the access record", lambda: read_usage(home), self._on_loaded,
                        self._on_failed)

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Block until the read in flight is done (tests and quit only)."""
        return self._tasks.wait(timeout_ms)

    def _on_loaded(self, usage: Usage) -> None:
        self._busy = False
        self.usage = usage
        self.loaded.emit(usage)
        if self._again:
            self._again = False
            self.reload()

    def _on_failed(self, _exc: BaseException) -> None:
        """An unreadable record: keep what was shown, read again at its next change."""
        self._busy = False
        if self._again:
            self._again = False
            self.reload()
