"""The app's side of the embedded sign-in window, which runs in a process of its own.

Chromium cannot be unloaded from a process once loaded: shown in the app, one
sign-in would leave the app (in the tray all day) holding the browser's memory and
helper processes until it quits, and a crash of the browser would take the app and
its clipboard countdowns with it. So the window (gui/login_dialog.py) lives in a
short-lived process, `tokenmgr sign-in-window` (gui/signin_child.py), started from
the app's own executable: the frozen bundle's binary, or this Python with `-m
tokenmgr` (`-P`: a `tokenmgr` folder in the current directory is never imported).

`WindowProcess` is that process as the app sees it: started with the user's
environment (core/childenv.py), in a session of its own so that its browser's
helpers end with it, and spoken to over its stdin and stdout
(gui/signin_protocol.py); its stderr is logged at DEBUG. Its signals say what
happened; a process that ends without saying why (killed, crashed) is `failed`
with "the sign-in window closed unexpectedly". It is closed when the sign-in ends,
and closed (then killed, if need be) before the app quits.

`EmbeddedBrowser` is the handler the core calls to show the authorization page
(`flows.set_embedded_browser`): it starts the window's process at once, while the
core still asks the provider for its endpoints (or takes one started ahead, while
the "Sign in to a provider" dialog was open), and sends it the page when the core
has it.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QProcess,
    QProcessEnvironment,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import QWidget

from tokenmgr.gui import signin_protocol as pipe

log = logging.getLogger("tokenmgr.signin")
child_log = logging.getLogger("tokenmgr.signin.child")

SUBCOMMAND = "sign-in-window"
UNEXPECTED = "the sign-in window closed unexpectedly; nothing was stored"
# Chromium's own words on stderr when it ends a process that runs as root with its
# sandbox on (the sandbox stays on: it is the user's call, never the app's).
AS_ROOT_REFUSED = "Running as root without"
AS_ROOT = (
    "the sign-in window cannot open while Token Manager runs as root: its browser needs "
    "Chromium's sandbox, which does not run as root. Run Token Manager as your own user, "
    "or choose to sign in in your web browser; nothing was stored"
)
KILL_AFTER_MS = 5000  # a window process told to close gets this long before it is killed
QUIT_WAIT_MS = 3000  # how long quitting waits for it to close by itself
STDERR_KEPT = 20  # lines of its stderr kept, logged when it dies unexpectedly


def window_command(debug: bool) -> tuple[str, list[str]]:
    """The program and arguments that start the window's process: the app's own
    executable (nothing of the sign-in on its command line)."""
    options = ["--debug"] if debug else []
    if getattr(sys, "frozen", False):
        return sys.executable, [*options, SUBCOMMAND]
    return sys.executable, ["-P", "-m", "tokenmgr", *options, SUBCOMMAND]


class WindowProcess(QObject):
    """One sign-in window's process (see the module docstring)."""

    ready = Signal()
    shown = Signal(int)  # the window's native id
    delivered = Signal(int)  # the listener's HTTP status for the captured redirect
    closed = Signal()  # the person closed the window
    switched_to_system_browser = Signal(str)  # why ("" when the person chose it)
    refused = Signal(int, str, str)  # the provider's error page: status, error, description
    failed = Signal(str)  # a sentence (it could not go on, or it died)
    finished = Signal()  # the process is gone, whatever the reason

    def __init__(self, env: Mapping[str, str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        from tokenmgr.core import childenv

        self.env = childenv.for_children(env)
        self.process = QProcess(self)
        self._buffer = b""
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_KEPT)
        self._said_final = False
        self._closing = False
        self._pid = 0
        self.process.readyReadStandardOutput.connect(self._on_process_ready_read_standard_output)
        self.process.readyReadStandardError.connect(self._on_process_ready_read_standard_error)
        self.process.finished.connect(self._on_process_finished)
        self.process.errorOccurred.connect(self._on_process_error_occurred)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_now)

    def start(self) -> None:
        program, args = window_command(logging.getLogger().isEnabledFor(logging.DEBUG))
        environment = QProcessEnvironment()
        for name, value in self.env.items():
            environment.insert(name, value)
        self.process.setProcessEnvironment(environment)
        if os.name == "posix":
            flags = QProcess.UnixProcessFlag
            self.process.setUnixProcessParameters(
                flags.CreateNewSession | flags.CloseFileDescriptors | flags.ResetSignalHandlers
            )
        log.debug("sign-in window: starting %s", SUBCOMMAND)
        self.process.start(program, args)
        self._pid = int(self.process.processId())

    def pid(self) -> int:
        """The process id (0 before it started); kept after it ended."""
        return self._pid or int(self.process.processId())

    def running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def usable(self) -> bool:
        """Started, still running, and neither closing nor done: it can show a page."""
        return self.running() and not self._closing and not self._said_final

    def open(self, url: str, redirect_uri: str, provider: str, transient_for: int) -> None:
        """Show `url` (over the pipe: never on a command line)."""
        self._send(
            pipe.OPEN,
            url=url,
            redirect_uri=redirect_uri,
            provider=provider,
            transient_for=transient_for,
        )

    def close(self) -> None:
        """The sign-in ended: close the window; kill its process if it does not go."""
        if self._closing or not self.running():
            return
        self._send(pipe.CLOSE)
        self._closing = True
        self.process.closeWriteChannel()
        app = QCoreApplication.instance()
        if app is not None and self.parent() is not app:
            # It outlives whoever started it (a finished sign-in is let go at once) until
            # its process is gone.
            self.setParent(app)
            self.finished.connect(self.deleteLater)
        QTimer.singleShot(KILL_AFTER_MS, self, self._kill)

    @Slot()
    def stop_now(self) -> None:
        """Close and wait (the app is quitting: no event loop will see it go)."""
        if not self.running():
            return
        self.close()
        if not self.process.waitForFinished(QUIT_WAIT_MS):
            self._kill()
            self.process.waitForFinished(QUIT_WAIT_MS)

    @Slot()
    def _kill(self) -> None:
        if not self.running():
            return
        log.debug("sign-in window: did not close in time; killed")
        pid = int(self.process.processId())
        if os.name == "posix" and pid > 0:
            # Its own session: its browser's helper processes go with it.
            try:
                os.killpg(pid, signal.SIGKILL)
                return
            except OSError:
                pass
        self.process.kill()

    def _send(self, kind: str, **fields: Any) -> None:
        if self.running() and not self._closing:
            self.process.write(pipe.encode(kind, **fields))

    # ----------------------------------------------------------------- reading

    @Slot()
    def _on_process_ready_read_standard_output(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            message = pipe.decode(line)
            if message is not None:
                self._dispatch(message)
        if len(self._buffer) > pipe.MAX_LINE:
            self._buffer = b""  # not the pipe's language: dropped

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        log.debug("sign-in window: %s", kind)
        if kind in pipe.FINAL:
            if self._said_final:
                return
            self._said_final = True
        if kind == pipe.READY:
            self.ready.emit()
        elif kind == pipe.SHOWN:
            self.shown.emit(pipe.number(message, "window"))
        elif kind == pipe.DELIVERED:
            self.delivered.emit(pipe.number(message, "status"))
        elif kind == pipe.CLOSED:
            self.closed.emit()
        elif kind == pipe.SYSTEM_BROWSER:
            self.switched_to_system_browser.emit(pipe.text(message, "why"))
        elif kind == pipe.REFUSED:
            self.refused.emit(
                pipe.number(message, "status"),
                pipe.text(message, "error", 60),
                pipe.text(message, "description"),
            )
        elif kind == pipe.FAILED:
            self.failed.emit(pipe.text(message, "why", 600) or UNEXPECTED)
        else:
            log.debug("sign-in window: message %r ignored", kind)

    @Slot()
    def _on_process_ready_read_standard_error(self) -> None:
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        for line in text.splitlines():
            if line.strip():
                self._stderr.append(line)
                child_log.debug("%s", line)

    @Slot(int, QProcess.ExitStatus)
    def _on_process_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._on_process_ready_read_standard_output()  # what it said last
        self._on_process_ready_read_standard_error()
        if not self._said_final and not self._closing:
            self._said_final = True
            how = "crashed" if status == QProcess.ExitStatus.CrashExit else f"exit status {code}"
            log.warning(
                "the sign-in window closed unexpectedly (%s); its last messages:\n%s",
                how,
                "\n".join(self._stderr) or "(none)",
            )
            as_root = any(AS_ROOT_REFUSED in line for line in self._stderr)
            self.failed.emit(AS_ROOT if as_root else UNEXPECTED)
        self.finished.emit()

    @Slot(QProcess.ProcessError)
    def _on_process_error_occurred(self, error: QProcess.ProcessError) -> None:
        if error != QProcess.ProcessError.FailedToStart:
            return
        log.warning("the sign-in window could not start: %s", self.process.errorString())
        if not self._said_final:
            self._said_final = True
            self.failed.emit(
                "the sign-in window could not start; choose to sign in in your web browser"
            )
        self.finished.emit()


class EmbeddedBrowser(QObject):
    """`flows.set_embedded_browser` handler for the app: the sign-in window's process.

    Made when an embedded sign-in starts, it starts the process at once. The core calls
    it on the sign-in worker's thread with (authorization URL, redirect URI) once it has
    them; it passes them on from the GUI thread and returns at once (the worker then
    waits on the loopback listener). Its signals are the window's (see WindowProcess).
    """

    _open_requested = Signal(str, str)

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        provider: str = "",
        parent_widget: QWidget | None = None,
        parent: QObject | None = None,
        window: WindowProcess | None = None,
    ) -> None:
        super().__init__(parent)
        self.provider = provider
        self.parent_widget = parent_widget
        self.url = ""
        self.redirect_uri = ""
        self._open_requested.connect(self._on_open_requested)
        if window is not None and window.usable():
            window.setParent(self)
            self.window = window
        else:
            if window is not None:
                window.close()
            self.window = WindowProcess(env, self)
            self.window.start()

    def __call__(self, auth_url: str, redirect_uri: str) -> None:
        self._open_requested.emit(auth_url, redirect_uri)

    @Slot(str, str)
    def _on_open_requested(self, auth_url: str, redirect_uri: str) -> None:
        self.url, self.redirect_uri = auth_url, redirect_uri
        self.window.open(auth_url, redirect_uri, self.provider, self._transient_for())

    def _transient_for(self) -> int:
        """The native id of the window the sign-in belongs to (0: none on screen)."""
        import shiboken6

        widget = self.parent_widget
        if widget is None or not shiboken6.isValid(widget):
            return 0
        top = widget.window()
        return int(top.winId()) if top.isVisible() else 0

    def finish(self) -> None:
        """The sign-in ended (done or failed): close the window, if the person has not."""
        self.window.close()
