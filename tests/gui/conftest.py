"""GUI test fixtures (pytest-qt, offscreen unless a test starts its own X server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gui_window import Fixture, build_window
from tests.support.xvfb import XServer


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
