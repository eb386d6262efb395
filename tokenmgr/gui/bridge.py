"""A sign-in window the app shows itself (gui/device_dialog.py): a handler the core
calls on the sign-in worker's thread, which opens the window on the GUI thread and
returns at once, and closes it when the sign-in ends. (The embedded browser's window
runs in a process of its own: gui/signin_process.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QWidget


class DialogBridge(QObject):
    """Base of the sign-in window handlers. `cancel` is the sign-in's cancel event.

    Subclasses emit their own queued signal from `__call__` (the worker's thread) and,
    in its slot, call `show_dialog(make)` on the GUI thread."""

    dialog_opened = Signal(object)

    def __init__(
        self,
        cancel: threading.Event,
        *,
        provider: str = "",
        parent_widget: QWidget | None = None,
        open_url: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent_widget)
        self.cancel = cancel
        self.provider = provider
        self.parent_widget = parent_widget
        self.open_url = open_url
        self.dialog: Any = None

    def show_dialog(self, make: Callable[[], QDialog]) -> None:
        if self.cancel.is_set():
            return  # cancelled before the window could open
        dialog = make()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.dialog = dialog
        self.dialog_opened.emit(dialog)

    def finish(self) -> None:
        """The sign-in ended (done or failed): close the window, if the person has not."""
        import shiboken6

        dialog, self.dialog = self.dialog, None
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.finish()
