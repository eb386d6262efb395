"""Where the window says what happened: the status bar; the banner above the list for
a problem with the secret store; and a notice (the tray's) while the window is hidden,
since the status bar is then not on screen.

A worker's warning (an access record not written, say) is said at once, and rides along
with the report of what it went with ("Copied … ⚠ …") so that the one does not hide the
other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from tokenmgr.gui.status_bar import Banner, StatusBar

# How long a worker's warning waits for the report of what it went with.
WARNING_WITH_REPORT_MS = 2000


class Reporter(QObject):
    notice_requested = Signal(str)  # something to say while the window is hidden (tray)

    def __init__(self, window: QWidget, status_bar: StatusBar, banner: Banner) -> None:
        super().__init__(window)
        self._window = window
        self._status_bar = status_bar
        self._banner = banner
        self._warning = ""  # said by a worker, shown with the next report

    @Slot(str)
    def report(self, text: str) -> None:
        """What just happened, with the warning said just before it, if any."""
        if self._warning:
            text, self._warning = f"{text}. {self._warning}", ""
        self._status_bar.show_status(text)

    @Slot(str, bool)
    def report_error(self, text: str, store_failed: bool) -> None:
        """What went wrong (a sentence); when the secret store failed, the banner too."""
        self._status_bar.show_status(f"⚠ {text}")
        if not self._window.isVisible():
            self.notice_requested.emit(text)
        if store_failed:
            self._banner.show_problem(text)

    @Slot(str)
    def warn(self, text: str) -> None:
        """What went wrong but stopped nothing, said in a worker before the result it goes
        with is reported: that report carries it."""
        from tokenmgr.gui.errors import sentence

        self._warning = f"⚠ {sentence(text)}"
        self._status_bar.show_status(self._warning)
        if not self._window.isVisible():
            self.notice_requested.emit(sentence(text))
        QTimer.singleShot(WARNING_WITH_REPORT_MS, self._on_warning_timeout)

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """A problem to see in the status bar only (the clipboard could not be cleared)."""
        self._status_bar.show_status(f"⚠ {text}")

    @Slot()
    def _on_warning_timeout(self) -> None:
        self._warning = ""
