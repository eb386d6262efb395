"""The desktop app's shell: QApplication, single instance, wiring, excepthook.

`run()` is what `tokenmgr` / `tokenmgr gui` start (cli.cmd_gui imports it
lazily). Order matters for a fast first paint: the display is checked before
Qt is touched (no display → one sentence, exit 1, never Qt's abort), a second
launch hands over to the first and exits 0, the window is drawn from the
index, and only then is the secret store probed, in a worker.

`--smoke-test` builds the whole window with the user's entries, shows it,
waits for the first paint and exits 0; its vault refuses every secret-store
call, so it provably reads no secret, and it fails if QtWebEngine was loaded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

log = logging.getLogger("tokenmgr.gui")

NO_DISPLAY = (
    "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); start "
    "Token Manager from a desktop session, or use the command line: tokenmgr --help"
)
# Qt platforms that need no display server.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
SMOKE_TIMEOUT_MS = 30_000


# ------------------------------------------------------------------ display


def _x_reachable(display: str) -> bool:
    """Does an X server answer at `display` (":0", "unix:0", "host:0.0")?"""
    import socket

    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return True  # a form we do not know: let Qt judge
    if host in ("", "unix") or host.startswith("/"):
        path = host if host.startswith("/") else f"/tmp/.X11-unix/X{number}"
        for address in ("\0" + path, path):  # Linux's abstract socket, then the file
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1.0)
                s.connect(address)
                return True
        return False
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=1.0):
            return True
    except OSError:
        return False


def _wayland_reachable(env: Mapping[str, str]) -> bool:
    name = env.get("WAYLAND_DISPLAY", "")
    path = Path(name) if os.path.isabs(name) else Path(env.get("XDG_RUNTIME_DIR", "")) / name
    return bool(name) and path.exists()


def display_problem(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Why no window can open here, as a sentence; None when one can."""
    if platform in ("win32", "darwin", "cygwin"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if qpa in HEADLESS_PLATFORMS:
        return None
    display, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if not display and not wayland:
        return NO_DISPLAY
    if wayland and qpa in ("", "wayland") and _wayland_reachable(env):
        return None
    if display and qpa in ("", "xcb") and _x_reachable(display):
        return None
    if qpa and qpa not in ("xcb", "wayland"):
        return None  # another platform plugin: Qt knows better
    shown = display or wayland
    return (
        f"cannot open the display {shown} (nothing answers there); start Token Manager "
        "from a desktop session, or use the command line: tokenmgr --help"
    )


# ---------------------------------------------------------- single instance


def server_name(home: Path) -> str:
    """One instance per user and TOKENMGR_HOME."""
    import getpass
    import hashlib

    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    try:
        where = str(home.resolve())
    except OSError:
        where = str(home)
    digest = hashlib.sha256(f"{user}\0{where}".encode()).hexdigest()[:24]
    return f"tokenmgr-{digest}"


def _single_instance_class() -> Any:
    from PySide6.QtCore import QObject, Signal, Slot
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

    class SingleInstance(QObject):
        """A local server; a second launch connects, asks to raise the window, exits."""

        raise_requested = Signal()

        def __init__(self, name: str, parent: QObject | None = None) -> None:
            super().__init__(parent)
            self.name = name
            self.server: QLocalServer | None = None

        def hand_over(self, timeout_ms: int = 1000) -> bool:
            sock = QLocalSocket()
            sock.connectToServer(self.name)
            if not sock.waitForConnected(timeout_ms):
                return False
            sock.write(b"raise\n")
            sock.flush()
            sock.waitForBytesWritten(timeout_ms)
            # Wait for the first instance to answer, so the raise happened before we exit.
            sock.waitForReadyRead(timeout_ms)
            sock.disconnectFromServer()
            return True

        def listen(self) -> bool:
            server = QLocalServer(self)
            server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            if not server.listen(self.name):
                if self.hand_over(300):
                    return False  # another instance won the race
                QLocalServer.removeServer(self.name)  # a stale socket from a crash
                if not server.listen(self.name):
                    log.warning("single instance: cannot listen (%s)", server.errorString())
                    return True
            server.newConnection.connect(self._on_server_new_connection)
            self.server = server
            log.debug("single instance: listening as %s", self.name)
            return True

        def close(self) -> None:
            """Stop answering (at quit): a launch from now on starts an instance of its
            own instead of handing over to one that is going away. Removes the socket."""
            if self.server is not None:
                self.server.close()
                self.server = None

        @Slot()
        def _on_server_new_connection(self) -> None:
            assert self.server is not None
            while self.server.hasPendingConnections():
                conn = self.server.nextPendingConnection()
                conn.readyRead.connect(lambda c=conn: self._on_conn_ready_read(c))
                conn.disconnected.connect(conn.deleteLater)

        def _on_conn_ready_read(self, conn: QLocalSocket) -> None:
            data = bytes(conn.readAll().data())
            if b"raise" in data:
                self.raise_requested.emit()
                conn.write(b"ok\n")
                conn.flush()

    return SingleInstance


# ----------------------------------------------------------------- smoke test


class _RefusingStore:
    """The smoke test's secret store: any call is recorded and refused."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            from tokenmgr.core.errors import StorageUnavailable

            self.calls.append(name)
            raise StorageUnavailable("the smoke test reads no secret")

        return refuse


def _webengine_loaded() -> list[str]:
    return sorted(m for m in sys.modules if m.startswith("PySide6.QtWebEngine"))


# ---------------------------------------------------------------- excepthook


def install_excepthook(app: Any, window: Any, *, smoke_test: bool = False) -> None:
    """Unexpected errors: a plain sentence on screen, the details in the redacted log."""
    from tokenmgr.gui.errors import INTERNAL

    showing = [False]

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            app.quit()
            return
        logging.getLogger("tokenmgr.gui").error("unexpected error", exc_info=(exc_type, exc, tb))
        if smoke_test:
            sys.stderr.write("tokenmgr: the smoke test failed: an unexpected error (see above)\n")
            app.exit(1)
            return
        if showing[0]:
            return
        from PySide6.QtWidgets import QMessageBox

        showing[0] = True
        box = QMessageBox(QMessageBox.Icon.Warning, "Something went wrong", INTERNAL,
                          QMessageBox.StandardButton.Close, window)
        box.finished.connect(lambda _r: showing.__setitem__(0, False))
        box.open()

    sys.excepthook = hook


def _quit_on_signals(app: Any) -> None:
    """Ctrl+C and SIGTERM quit cleanly (the clipboard is cleared on the way out).

    Python runs signal handlers only between bytecodes, and Qt's loop sits in C:
    a short no-op timer lets the interpreter look."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(sig, lambda *_: app.quit())
    timer = QTimer(app)
    timer.setInterval(250)
    timer.timeout.connect(lambda: None)
    timer.start()


# ------------------------------------------------------------------------ run


@dataclass
class Running:
    """The started app's parts (what `run` executes; tests drive them directly)."""

    app: Any
    window: Any
    clipboard: Any
    tasks: Any
    tray: Any = None
    instance: Any = None
    refusing: Any = None


def run(
    *,
    minimized: bool = False,
    smoke_test: bool = False,
    env: Mapping[str, str] | None = None,
    passphrase: str | None = None,
    leave_process: bool = False,
) -> int:
    """Start the app and run it; `passphrase` is TOKENMGR_PASSPHRASE as the CLI took it
    (for the file store: the vault is then unlocked without asking). With
    `leave_process`, a run that got as far as Qt ends the process itself (`_leave`),
    unless the app still owns the clipboard (then Qt's teardown hands it on)."""
    env = os.environ if env is None else env
    problem = display_problem(env)
    if problem is not None:
        sys.stderr.write(f"tokenmgr: {problem}\n")
        return 1
    running = start(minimized=minimized, smoke_test=smoke_test, env=env, passphrase=passphrase)
    if isinstance(running, int):
        status = running
    elif smoke_test:
        status = _smoke(running)
    else:
        _quit_on_signals(running.app)
        _collect_on_the_gui_thread(running.app)
        status = int(running.app.exec())
    if leave_process:
        if isinstance(running, int):
            _leave(status)
        # What teardown would have done: QThreadPool's destructor waits for every
        # worker (a refresh storing a rotated refresh token must not be cut short).
        running.tasks.wait(-1)
        if not running.app.clipboard().ownsClipboard():
            _leave(status)
        # Text the user copied from the window (a label, the filter) is still ours:
        # Qt's teardown hands it to the desktop's clipboard manager. (Tokens are
        # cleared at quit, which gives up the clipboard.)
    return status


def _leave(status: int) -> NoReturn:
    """End the process once the app is done, without tearing Qt and Python down.

    By now `aboutToQuit` has saved the window state and settings, cleared the
    clipboard and ended any sign-in, and `run` has waited for the workers; every
    file was written atomically. What teardown would add is destroying every
    widget and wrapper one by one (≈15 ms for the main window) and PySide6's own
    exit-time crashes. Streams and log handlers are flushed first; then
    os._exit, the way Chromium and Firefox end their processes.
    """
    with contextlib.suppress(Exception):
        logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            if stream is not None:
                stream.flush()
    os._exit(status)


def _collect_on_the_gui_thread(app: Any) -> None:
    """Python's cyclic GC runs in whichever thread allocates when a threshold is hit; a
    worker thread collecting a garbage QObject deletes it (and its timers) from the wrong
    thread. So automatic collection is off (cli._gui turns it off before PySide6 is
    imported, which also spares start-up the collector's passes) and the GUI thread
    collects: the young generation every 2 s, everything every minute."""
    import gc

    from PySide6.QtCore import QTimer

    gc.disable()
    ticks = [0]

    def collect() -> None:
        ticks[0] += 1
        gc.collect(2 if ticks[0] % 30 == 0 else 0)

    timer = QTimer(app)
    timer.setInterval(2000)
    timer.timeout.connect(collect)
    timer.start()


def start(
    *,
    minimized: bool = False,
    smoke_test: bool = False,
    env: Mapping[str, str] | None = None,
    passphrase: str | None = None,
    single_instance: bool = True,
) -> Running | int:
    """Build and wire everything; show the window (unless minimized to a tray or a smoke
    test) and start the store check. An int is an exit status: another instance took over."""
    env = os.environ if env is None else env

    from tokenmgr.core import redact

    redact.install(logging.getLogger().getEffectiveLevel())

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tokenmgr.core import paths
    from tokenmgr.core.entries import now_utc
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import SettingsFile
    from tokenmgr.gui.tasks import Tasks, shutdown

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tokenmgr"])
    assert isinstance(app, QApplication)
    app.setApplicationName("tokenmgr")
    app.setApplicationDisplayName("Token Manager")
    app.setDesktopFileName("io.github.tokenmgr")

    home = paths.home(env)
    instance = None
    if single_instance and not smoke_test:
        instance = _single_instance_class()(server_name(home), app)
        if instance.hand_over(300):
            sys.stderr.write("tokenmgr: Token Manager is already running; raised its window\n")
            return 0
        if not instance.listen():
            return 0

    settings_file = SettingsFile(home)
    settings = settings_file.load()
    refusing = _RefusingStore() if smoke_test else None
    vault = Vault(home=home, store=refusing, env=env)  # type: ignore[arg-type]
    tasks = Tasks(app)
    clipboard = Clipboard(settings.clear_timeout_s, app)
    clipboard.install_quit_hook(app)

    tray = None
    tray_ok = False
    if not smoke_test:
        from tokenmgr.gui.tray import Tray

        tray_ok = Tray.available()
    app.setQuitOnLastWindowClosed(not tray_ok)
    window = MainWindow(
        vault,
        settings,
        settings_file,
        tasks=tasks,
        clipboard=clipboard,
        tray_available=tray_ok,
        env=env,
        smoke_test=smoke_test,
        passphrase=passphrase,
    )
    install_excepthook(app, window, smoke_test=smoke_test)
    hints = app.styleHints()
    if hasattr(hints, "colorSchemeChanged"):
        hints.colorSchemeChanged.connect(lambda _scheme: window.table.viewport().update())

    if tray_ok:
        from PySide6.QtWidgets import QSystemTrayIcon

        from tokenmgr.gui.tray import Tray

        tray = Tray(app)
        tray.copy_requested.connect(window.copy)
        tray.open_requested.connect(window.raise_window)
        tray.toggle_requested.connect(window.toggle_visible)
        tray.paste_decode_requested.connect(window.paste_decode)
        tray.quit_requested.connect(window.quit_app)
        tray.sign_in_requested.connect(window.sign_in_again)
        window.entries_loaded.connect(lambda entries: tray.set_entries(entries, now_utc()))
        clipboard.countdown_changed.connect(tray.set_countdown)
        window.tray_note_requested.connect(
            lambda text: tray.icon.showMessage("Token Manager", text)
        )
        window.notice_requested.connect(
            lambda text: tray.icon.showMessage(
                "Token Manager", text, QSystemTrayIcon.MessageIcon.Warning
            )
        )
        # Statuses move on without index changes ("expires in 4 min" → expired).
        tray_timer = QTimer(tray)
        tray_timer.setInterval(15_000)
        tray_timer.timeout.connect(lambda: tray.set_entries(window.model.entries, now_utc()))
        tray_timer.start()
        tray.set_entries(window.model.entries, now_utc())
        tray.show()
    keeper = None
    if not smoke_test:
        keeper = _start_keeper(window, tasks, tray, settings)
    if instance is not None:

        def raise_requested() -> None:
            log.debug("another launch asked to raise the window")
            window.raise_window()

        instance.raise_requested.connect(raise_requested)

    def about_to_quit() -> None:
        if instance is not None:
            instance.close()  # first: the workers may still take a while (run waits)
        window.save_state()
        window.save_settings()
        if keeper is not None:
            keeper.stop()
            keeper.notifier.close()
        if window.signin is not None:
            window.signin.cancel()  # a sign-in left open must not hold the exit (or store)
        shutdown(tasks)

    app.aboutToQuit.connect(about_to_quit)
    running = Running(app, window, clipboard, tasks, tray, instance, refusing)
    if smoke_test:
        return running
    if not ((minimized or settings.start_minimized) and tray_ok):
        window.show()
    window.start_store()
    return running


def _start_keeper(window: Any, tasks: Any, tray: Any, settings: Any) -> Any:
    """Background refresh and expiry notifications (gui/keeper.py), once the store is ready."""
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.notify import Notifier

    notifier = Notifier(tray.icon if tray is not None else None, window)
    keeper = Keeper(
        window.vault,
        tasks,
        notifier,
        lambda: list(window.model.entries),
        lambda: int(settings.notify_lead_min),
        window,
    )

    def store_ready(ready: bool) -> None:
        keeper.vault = window.vault  # the window may have switched to the vault file
        if ready:
            keeper.start()
        else:
            keeper.stop()

    def clicked(name: str, sign_in: bool) -> None:
        window.raise_window()
        window.select(name)
        if sign_in:
            window.sign_in_again(name)

    window.store_ready_changed.connect(store_ready)
    window.signed_in.connect(keeper.forget)
    keeper.refreshed.connect(lambda _name: window.reload())
    keeper.notification_clicked.connect(clicked)
    return keeper


def _smoke(running: Running) -> int:
    from PySide6.QtCore import QEvent, QObject, QTimer

    app, window, refusing = running.app, running.window, running.refusing
    painted = [False]
    # The list is what the user waits for: its first paint (the table's, or the empty
    # state's). A filter on that one widget, not on the app: an app-wide filter would
    # wrap every event in Python.
    target = window.table.viewport() if window.model.rowCount() else window.empty_label

    class FirstPaint(QObject):  # type: ignore[misc, valid-type]
        def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
            if not painted[0] and event.type() == QEvent.Type.Paint:
                painted[0] = True
                QTimer.singleShot(0, lambda: app.exit(0))
            return False

    watcher = FirstPaint(target)
    target.installEventFilter(watcher)
    QTimer.singleShot(SMOKE_TIMEOUT_MS, lambda: app.exit(1))
    window.show()
    status = int(app.exec())
    target.removeEventFilter(watcher)
    if status != 0 and not painted[0]:
        sys.stderr.write("tokenmgr: the smoke test failed: the window was never painted\n")
        return 1
    if refusing.calls:
        sys.stderr.write(
            f"tokenmgr: the smoke test failed: the window called the secret store "
            f"({', '.join(sorted(set(refusing.calls)))})\n"
        )
        return 1
    loaded = _webengine_loaded()
    if loaded:
        sys.stderr.write(f"tokenmgr: the smoke test failed: {loaded[0]} was loaded\n")
        return 1
    sys.stderr.write(f"tokenmgr: smoke test passed ({window.model.rowCount()} entries)\n")
    return status
