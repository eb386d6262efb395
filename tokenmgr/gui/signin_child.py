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

import logging
import os
import sys
import threading
from typing import IO, Any

from tokenmgr.gui import signin_protocol as pipe

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
    from tokenmgr.gui import earlyinit

    try:
        collector = earlyinit.init(os.environ)
    except earlyinit.NoDisplay as e:
        writer.send(pipe.FAILED, why=str(e))
        return 1
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    # QtWebEngine, loaded with the window, shares OpenGL contexts with the application:
    # Qt asks for that before the application is made.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

    from tokenmgr.gui.piped_window import PipedWindow

    app = QApplication([sys.argv[0] if sys.argv else "tokenmgr"])
    collector.start(app)
    app.setApplicationName("tokenmgr")
    app.setApplicationDisplayName("Token Manager")
    app.setDesktopFileName("io.github.tokenmgr")
    from tokenmgr.gui.icons import app_icon

    app.setWindowIcon(app_icon())
    window = PipedWindow(writer.send)
    window.listen(reader)
    try:
        return int(app.exec())
    finally:
        window.release()
        collector.stop()
