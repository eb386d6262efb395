"""The sign-in window's own process: `tokenmgr sign-in-window`, started by the app.

The app starts it from its own executable (the frozen bundle's binary, or this
Python with `-m tokenmgr`) as soon as an embedded sign-in starts, and talks to it
over its stdin and stdout (gui/signin_protocol.py): the authorization URL and the
listener's address arrive there, never on the command line or in the environment.
The process starts its browser at once, waits for `open`, shows the window
(gui/login_dialog.py) above the app's window it was given, and reports what
happens. It ends when the window closes, when the app says `close`, or when its
stdin closes (the app went away, however it ended).

Its stdout carries only the pipe: file descriptor 1 is pointed at stderr once the
pipe is taken, so nothing else (a library's print, Chromium's helpers) can write
into it, and stdin becomes /dev/null for the same reason. Everything it logs goes
through the redaction filter, Qt's messages included (gui/qtlog.py); the app reads
its stderr and logs it at DEBUG.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import QApplication

from tokenmgr.gui import signin_protocol as pipe
from tokenmgr.gui.signin_process import sandbox_problem

if TYPE_CHECKING:
    from tokenmgr.gui.login_dialog import LoginDialog

log = logging.getLogger("tokenmgr.signin.child")

NOT_FROM_THE_APP = (
    "sign-in-window is started by the desktop app (it reads its instructions from a "
    "pipe); start the app with `tokenmgr gui`"
)


def _take_pipe() -> tuple[IO[bytes], IO[bytes]]:
    """The pipe to the app, on new file descriptors; 0 and 1 no longer lead to it."""
    reader = os.fdopen(os.dup(0), "rb", buffering=0)
    writer = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return reader, writer


class _Writer:
    """Writes messages to the app (from any thread)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, kind: str, **fields: Any) -> None:
        line = pipe.encode(kind, **fields)
        with self._lock:
            try:
                self._stream.write(line)
            except OSError:
                log.debug("sign-in window: the app is gone (%s not sent)", kind)


def main(debug: bool = False) -> int:
    """The window process; its exit status."""
    if sys.stdin is None or sys.stdin.isatty():
        sys.stderr.write(f"tokenmgr: {NOT_FROM_THE_APP}\n")
        return 2
    reader, stream = _take_pipe()
    writer = _Writer(stream)
    problem = sandbox_problem(os.environ)
    if problem is not None:
        writer.send(pipe.FAILED, why=problem)
        return 1

    from tokenmgr.gui import qtlog

    qtlog.install()
    # QtWebEngine before the application (it shares OpenGL contexts from the start).
    from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: F401

    app = QApplication([sys.argv[0] if sys.argv else "tokenmgr"])
    app.setApplicationName("tokenmgr")
    app.setApplicationDisplayName("Token Manager")
    app.setDesktopFileName("io.github.tokenmgr")
    from tokenmgr.gui.icons import app_icon

    app.setWindowIcon(app_icon())
    window = SignInWindow(writer)
    window.listen(reader)
    status = app.exec()
    window.release()
    return int(status)


class SignInWindow(QObject):
    """The window and the pipe: messages in, what happens out."""

    message_received = Signal(object)
    input_closed = Signal()

    def __init__(self, writer: _Writer) -> None:
        super().__init__()
        from tokenmgr.gui.login_dialog import LoginDialog  # QtWebEngine: now

        self.writer = writer
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
        self.writer.send(pipe.READY)

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
        self.writer.send(pipe.SHOWN, window=int(self.dialog.winId()))

    @Slot(int)
    def _on_dialog_delivered(self, status: int) -> None:
        self.writer.send(pipe.DELIVERED, status=status)

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
            self.writer.send(kind, **fields)
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.finish()
        QApplication.quit()

    def release(self) -> None:
        self._foreign = None

