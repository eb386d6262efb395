"""The desktop app's entry and wiring: `run`, `start`, and what connects the parts.

`run()` is what `tokenmgr` / `tokenmgr gui` start (the CLI imports it when that
command runs). Order matters for a fast first paint: earlyinit first (the
display check and the garbage collector, before PySide6 is imported, which is
why this module imports Qt only inside `start`), then a second launch hands
over to the first and exits 0, the window is drawn from the index, and only
then is the secret store probed, in a worker. The process ends with
`app.exec()`'s status: `aboutToQuit` saves the window's state and settings,
clears a token from the clipboard and ends any sign-in; the garbage collector
collects once more on the GUI thread; then Qt's and Python's own teardown.

`--smoke-test` (gui/smoke.py) builds the same window over a store that refuses
every call, shows it and exits after its first paint.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from tokenmgr.gui import earlyinit

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import Settings
    from tokenmgr.gui.single_instance import PipeInstance, SingleInstance
    from tokenmgr.gui.smoke import RefusingStore
    from tokenmgr.gui.tasks import Tasks
    from tokenmgr.gui.tray import Tray

log = logging.getLogger("tokenmgr.gui")

TRAY_TICK_MS = 15_000


@dataclass
class Running:
    """The started app's parts (what `run` executes; tests drive them directly)."""

    app: QApplication
    window: MainWindow
    clipboard: Clipboard
    tasks: Tasks
    tray: Tray | None = None
    instance: SingleInstance | PipeInstance | None = None
    refusing: RefusingStore | None = None


def run(
    *,
    minimized: bool = False,
    smoke_test: bool = False,
    env: Mapping[str, str] | None = None,
    passphrase: str | None = None,
) -> int:
    """Start the app and run it; returns the exit status. `passphrase` is
    TOKENMGR_PASSPHRASE as the CLI took it (for the file store: the vault is then
    unlocked without asking)."""
    env = os.environ if env is None else env
    try:
        collector = earlyinit.init(env)
    except earlyinit.NoDisplay as e:
        sys.stderr.write(f"tokenmgr: {e}\n")
        return 1
    from tokenmgr.core import record

    record.asked_by_this_process()  # the person asks, through this app: it heads the chain
    try:
        running = start(minimized=minimized, smoke_test=smoke_test, env=env,
                        passphrase=passphrase)
        if isinstance(running, int):
            return running
        collector.start(running.app)
        if smoke_test:
            from tokenmgr.gui import smoke

            assert running.refusing is not None
            return smoke.run(running.app, running.window, running.refusing)
        _quit_on_signals(running.app, running.window)
        return running.app.exec()
    finally:
        collector.stop()


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

    from PySide6.QtWidgets import QApplication

    from tokenmgr.core import paths
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.main_window import MainWindow
    from tokenmgr.gui.settings import SettingsFile
    from tokenmgr.gui.tasks import Tasks, shutdown

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        [sys.argv[0] if sys.argv else "tokenmgr"]
    )
    app.setApplicationName("tokenmgr")
    app.setApplicationDisplayName("Token Manager")
    app.setDesktopFileName("io.github.tokenmgr")

    home = paths.home(env)
    instance = None
    if single_instance and not smoke_test:
        from tokenmgr.gui import single_instance as si

        instance = (si.SingleInstance if os.name == "posix" else si.PipeInstance)(home, env, app)
        # Twice: the running instance may be quitting (its lock is then free again).
        for _attempt in range(2):
            if instance.claim():
                break
            if instance.hand_over():
                sys.stderr.write("tokenmgr: Token Manager is already running; raised its window\n")
                return 0
        else:
            sys.stderr.write("tokenmgr: Token Manager is already running for this home but "
                             "does not answer; end it, then start it again\n")
            return 1

    settings_file = SettingsFile(home)
    settings = settings_file.load()
    refusing = None
    if smoke_test:
        from tokenmgr.gui.smoke import RefusingStore

        refusing = RefusingStore()
    vault = Vault(home=home, store=refusing, env=env)  # type: ignore[arg-type]
    tasks = Tasks(app)
    clipboard = Clipboard(settings.clear_timeout_s, app)
    clipboard.install_quit_hook(app)

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
    # The status marks follow the palette's brightness: repaint when the scheme changes.
    app.styleHints().colorSchemeChanged.connect(lambda _scheme: window.update())

    shown = not ((minimized or settings.start_minimized) and tray_ok)
    tray = _start_tray(app, window, clipboard, shown=shown) if tray_ok else None
    keeper = None if smoke_test else _start_keeper(window, tasks, tray, settings)
    if instance is not None:

        def raise_requested() -> None:
            log.debug("another launch asked to raise the window")
            window.raise_window()

        instance.raise_requested.connect(raise_requested)

    def about_to_quit() -> None:
        if instance is not None:
            instance.close()  # first: the workers may still take a while
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
    if shown:
        from tokenmgr.gui.first_paint import FirstPaint

        window.show()
        # The list is drawn from the index; the keyring is asked once it is on screen, so
        # its D-Bus session and crypto don't compete with the first frame for the GIL.
        window.start_store(after=FirstPaint(window).painted)
    else:
        window.start_store()
    return running


def _start_tray(
    app: QApplication, window: MainWindow, clipboard: Clipboard, *, shown: bool
) -> Tray:
    """The tray icon and its menu, fed with the window's entries. With the window `shown`,
    the menu (a submenu for every token) is built once the window's first frame is drawn:
    the window is what the user waits for."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QSystemTrayIcon

    from tokenmgr.core.rules import now_utc
    from tokenmgr.gui.tray import Tray

    tray = Tray(app)
    tray.copy_requested.connect(window.copy_from_tray)
    window.usage_loaded.connect(tray.set_last_used)
    tray.open_requested.connect(window.raise_window)
    tray.toggle_requested.connect(window.toggle_visible)
    tray.paste_decode_requested.connect(window.paste_decode)
    tray.quit_requested.connect(window.quit_app)
    tray.sign_in_requested.connect(window.sign_in_again)
    window.entries_loaded.connect(
        lambda entries: tray.set_entries(entries, now_utc(), window.model.lead)
    )
    clipboard.countdown_changed.connect(tray.set_countdown)
    clipboard.clear_failed.connect(tray.set_clipboard_note)
    clipboard.copied.connect(lambda _what: tray.set_clipboard_note(""))
    window.tray_note_requested.connect(lambda text: tray.icon.showMessage("Token Manager", text))
    window.notice_requested.connect(
        lambda text: tray.icon.showMessage(
            "Token Manager", text, QSystemTrayIcon.MessageIcon.Warning
        )
    )
    # Statuses move on without index changes ("expires in 4 min" → expired).
    tick = QTimer(tray)
    tick.setInterval(TRAY_TICK_MS)
    tick.timeout.connect(
        lambda: tray.set_entries(window.model.entries, now_utc(), window.model.lead)
    )
    tick.start()

    def fill() -> None:
        tray.set_entries(window.model.entries, now_utc(), window.model.lead)

    # Also when the menu opens before the window was ever painted (a window mapped but
    # covered gets no paint): never an empty menu.
    tray.menu.aboutToShow.connect(fill)
    if shown:
        from tokenmgr.gui.first_paint import FirstPaint

        FirstPaint(window).painted.connect(fill)
    else:
        fill()
    tray.show()
    return tray


def _start_keeper(
    window: MainWindow, tasks: Tasks, tray: Tray | None, settings: Settings
) -> Keeper:
    """Background refresh, provider checks and expiry notifications (gui/keeper.py), once
    the store is ready."""
    from tokenmgr.gui.browser import open_url
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
        check_providers=lambda: bool(settings.check_providers),
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
    keeper.provider_checked.connect(lambda _name: window.reload())
    keeper.notification_clicked.connect(clicked)
    keeper.provider_page_requested.connect(lambda _name, url: open_url(url))
    return keeper


def install_excepthook(app: QApplication, window: QWidget, *, smoke_test: bool = False) -> None:
    """Unexpected errors: a plain sentence on screen, the details in the redacted log."""
    from tokenmgr.gui.errors import INTERNAL

    showing = False

    def hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        nonlocal showing
        if issubclass(exc_type, KeyboardInterrupt):
            app.quit()
            return
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        if smoke_test:
            sys.stderr.write("tokenmgr: the smoke test failed: an unexpected error (see above)\n")
            app.exit(1)
            return
        if showing:
            return
        from PySide6.QtWidgets import QMessageBox

        showing = True
        box = QMessageBox(QMessageBox.Icon.Warning, "Something went wrong", INTERNAL,
                          QMessageBox.StandardButton.Close, window)

        def closed(_result: int) -> None:
            nonlocal showing
            showing = False

        box.finished.connect(closed)
        box.open()

    sys.excepthook = hook


def _quit_on_signals(app: QApplication, window: MainWindow) -> None:
    """SIGTERM (a logout, `kill`) and Ctrl+C quit the way Ctrl+Q does: the window's own
    quit, so the state is saved, the clipboard cleared and the workers and any sign-in
    ended (a bare `app.quit()` asks the windows to close, and the main window closes
    into the tray).

    Python runs a signal handler only between bytecodes, and Qt's loop sits in C: the
    interpreter's wake-up fd (signal.set_wakeup_fd) writes the signal's number to a
    socket pair that a QSocketNotifier watches, so the loop wakes when the signal comes."""
    import socket

    from PySide6.QtCore import QSocketNotifier

    try:
        wake_in, wake_out = socket.socketpair()
    except OSError as e:  # pragma: no cover - no socket pairs here
        log.warning("signals: no socket pair (%s); SIGTERM ends the app without cleanup", e)
        return
    for sock in (wake_in, wake_out):
        sock.setblocking(False)
    try:
        signal.set_wakeup_fd(wake_out.fileno())
    except ValueError:  # not the main thread (tests that start the app elsewhere)
        wake_in.close()
        wake_out.close()
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        # The handler itself does nothing: the notifier acts on the wake-up byte.
        signal.signal(sig, lambda *_: None)
    notifier = QSocketNotifier(wake_in.fileno(), QSocketNotifier.Type.Read, app)
    pair = (wake_in, wake_out)  # held by the slot below, so both stay open

    def signalled() -> None:
        with contextlib.suppress(OSError):
            while pair[0].recv(64):  # drain: several signals are one quit
                pass
        log.debug("quitting on a signal")
        window.quit_app()

    notifier.activated.connect(signalled)
    app.aboutToQuit.connect(lambda: signal.set_wakeup_fd(-1))
