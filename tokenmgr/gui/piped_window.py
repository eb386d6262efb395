"""The sign-in window in its own process (gui/signin_child.py), joined to the app's
pipe (gui/signin_protocol.py): `open` shows it over the app's window it names (its
transient parent, so a window manager stacks it above the modal "Sign in to a
provider" dialog), and what happens in it goes back as messages. The process quits
when the window closes, when the app says `close`, or when the pipe closes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import IO, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication

from tokenmgr.gui import signin_protocol as pipe
from tokenmgr.gui.login_dialog import LoginDialog

log = logging.getLogger("tokenmgr.signin.window")


class PipedWindow(QObject):
    """The window in its own process (gui/signin_child.py), spoken to over the pipe:
    messages in (`listen`), what happens out (`send`)."""

    message_received = Signal(object)
    input_closed = Signal()

    def __init__(self, send: Callable[..., None]) -> None:
        super().__init__()
        self.send = send
        self._foreign: QWindow | None = None
        self.dialog: LoginDialog | None = LoginDialog()
        self.dialog.delivered.connect(self._on_dialog_delivered)
        self.dialog.switched_to_system_browser.connect(
            self._on_dialog_switched_to_system_browser
        )
        self.dialog.refused.connect(self._on_dialog_refused)
        self.dialog.failed.connect(self._on_dialog_failed)
        self.dialog.closed.connect(self._on_dialog_closed)
        self.message_received.connect(self._on_message_received)
        self.input_closed.connect(self._on_input_closed)
        self._ended = False
        self.send(pipe.READY)

    def listen(self, reader: IO[bytes]) -> None:
        def read() -> None:
            with contextlib.suppress(OSError, ValueError):
                for line in reader:
                    message = pipe.decode(line)
                    if message is not None:
                        self.message_received.emit(message)
            self.input_closed.emit()

        threading.Thread(target=read, name="tokenmgr-signin-pipe", daemon=True).start()

    @Slot(object)
    def _on_message_received(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == pipe.OPEN and self.dialog is not None:
            self._open(message)
        elif kind == pipe.CLOSE:
            self._end(None)
        else:
            log.debug("sign-in window: message %r ignored", kind)

    def _open(self, message: dict[str, Any]) -> None:
        assert self.dialog is not None
        url, redirect_uri = pipe.text(message, "url", 8192), pipe.text(message, "redirect_uri")
        if not url.startswith(("https://", "http://")) or not redirect_uri:
            self._end(pipe.FAILED, why="the sign-in window was given no page to open")
            return
        parent = pipe.number(message, "transient_for")
        if parent and QGuiApplication.platformName() == "xcb":
            # Above the app's window (the modal "Sign in to a provider" dialog): the
            # window manager stacks a transient window over its parent, and gives it
            # the focus the person's click on "Sign in" earned.
            self.dialog.winId()
            handle = self.dialog.windowHandle()
            foreign = QWindow.fromWinId(parent)
            if handle is not None and foreign is not None:
                handle.setTransientParent(foreign)
                self._foreign = foreign
        self.dialog.start(url, redirect_uri, pipe.text(message, "provider", 100))
        self.send(pipe.SHOWN, window=int(self.dialog.winId()))

    @Slot(int)
    def _on_dialog_delivered(self, status: int) -> None:
        self.send(pipe.DELIVERED, status=status)

    @Slot(str)
    def _on_dialog_switched_to_system_browser(self, why: str) -> None:
        self._end(pipe.SYSTEM_BROWSER, why=why)

    @Slot(int, str, str)
    def _on_dialog_refused(self, status: int, error: str, description: str) -> None:
        self._end(pipe.REFUSED, status=status, error=error, description=description)

    @Slot(str)
    def _on_dialog_failed(self, why: str) -> None:
        self._end(pipe.FAILED, why=why)

    @Slot()
    def _on_dialog_closed(self) -> None:
        self._end(pipe.CLOSED)

    @Slot()
    def _on_input_closed(self) -> None:
        self._end(None)  # the app went away (or closed its end): nobody to tell

    def _end(self, kind: str | None, **fields: Any) -> None:
        """Tell the app how it ended (once), close the window and quit."""
        if self._ended:
            return
        self._ended = True
        if kind is not None:
            self.send(kind, **fields)
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.finish()
        QApplication.quit()

    def release(self) -> None:
        self._foreign = None
