"""GUI test fixtures (pytest-qt, offscreen unless a test starts its own X server): the
main window over the demo vault, an X server with a tray, a notification daemon, and
what the embedded sign-in tests need (tests/support/signin.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.devtools import debugging_env, free_port
from tests.support.gui_window import Fixture, build_window
from tests.support.notifications import NotificationDaemon
from tests.support.signin import AppEnv, ListenerSpy
from tests.support.xvfb import XServer
from tokenmgr.core.oauth import loopback


@pytest.fixture(autouse=True)
def _clear_clipboard_after() -> Iterator[None]:
    """Leave no QMimeData made in Python on the clipboard: offscreen, Qt deletes it after
    the interpreter is gone, which crashes the test process at exit (test_app_exit shows
    it). pytest's application never quits, so the app's own quit hook never runs here."""
    yield
    from PySide6.QtGui import QClipboard, QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear(QClipboard.Mode.Clipboard)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Garbage is collected as the app collects it (gui/earlyinit.GarbageCollector): never
    automatically, which could happen in a worker thread (one asking a provider allocates
    plenty) and delete a QObject with live timers there, but on the GUI thread, here
    after each test."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture(scope="session")
def xserver() -> Iterator[XServer]:
    """Xvfb on a free display with trayer as the tray host (for the tray tests)."""
    server = XServer().start(tray=True)
    yield server
    server.stop()


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Iterator[Callable[..., Fixture]]:
    """`make_window(entries=True, ready=True, delay=0.0, show=True, **MainWindow options)`:
    a main window over the demo's entries in a recording in-memory keyring."""
    made: list[Any] = []

    def make(**kw: Any) -> Fixture:
        f = build_window(qtbot, tmp_path / "home", **kw)
        made.append(f.window)
        return f

    yield make
    for w in made:
        w.tasks.wait(10_000)
        w.ticker.stop()
    made.clear()
    # Collect this test's Qt garbage now, on the GUI thread: left to chance, the cyclic
    # GC may run in the next test's worker thread and delete QObjects (with live timers)
    # from the wrong thread.
    import gc

    gc.collect()


@pytest.fixture
def notification_daemon(monkeypatch: pytest.MonkeyPatch) -> Iterator[NotificationDaemon]:
    """dunst on its own bus; DBUS_SESSION_BUS_ADDRESS points at it for the test."""
    d = NotificationDaemon().start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", d.address)
    yield d
    d.stop()


@pytest.fixture
def app_env(tmp_path: Path) -> AppEnv:
    """The app's environment for one test: DevTools on a free port, fresh XDG data and
    cache directories, no TOKENMGR_* variables of the test run's own."""
    port = free_port()
    data, cache = tmp_path / "xdg-data", tmp_path / "xdg-cache"
    data.mkdir()
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(debugging_env(port))
    env.update(XDG_DATA_HOME=str(data), XDG_CACHE_HOME=str(cache))
    return AppEnv(env, port, data, cache)


@pytest.fixture
def no_window_left(qtbot: Any) -> Iterator[None]:
    """After the test, every sign-in window process it started has ended (a closing one
    is waited for with Qt's event loop running, as the app would)."""
    yield
    from PySide6.QtWidgets import QApplication

    from tokenmgr.gui.signin_process import WindowProcess

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return

    def processes() -> list[WindowProcess]:
        owners = [app, *app.topLevelWidgets()]
        return [w for o in owners for w in o.findChildren(WindowProcess)]

    for w in processes():
        w.close()

    def all_ended() -> bool:
        return not any(w.running() for w in processes())

    qtbot.waitUntil(all_ended, timeout=20_000)


@pytest.fixture
def listener_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ListenerSpy]:
    """Records who reached the listener, then lets the listener judge as always: the
    sign-in window's capture (a plain Python request) and not Chromium following the
    redirect itself (its requests carry a browser's User-Agent)."""
    spy = ListenerSpy()
    original = loopback._Handler.do_GET

    def do_get(handler: Any) -> None:
        spy.requests.append((handler.path.split("?", 1)[0], handler.headers.get("User-Agent", "")))
        original(handler)

    monkeypatch.setattr(loopback._Handler, "do_GET", do_get)
    yield spy


@pytest.fixture
def as_root() -> None:
    """For what only root can show (another local user's programs run as nobody;
    Chromium refusing root): the run must be root's, as CI's is. Never a quiet skip."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.fail("this test needs root: run `make test` as root, as CI does")
