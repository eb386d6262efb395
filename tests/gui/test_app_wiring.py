"""The started app's wiring: the tray's copy goes through a worker to the clipboard,
its countdown reaches the tray tooltip, closing keeps the app in the tray."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QClipboard, QGuiApplication

from tests.support import demo
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault
from tokenmgr.gui import app as appmod
from tokenmgr.gui import tray as traymod

pytestmark = pytest.mark.gui


@pytest.fixture
def just_started(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app as `start` leaves it: the window shown, nothing painted yet."""
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    monkeypatch.setattr(traymod.Tray, "available", staticmethod(lambda: True))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # start() installs its own
    app = QGuiApplication.instance()
    quit_on_close = app.quitOnLastWindowClosed()
    env = {"TOKENMGR_HOME": str(home), "TOKENMGR_STORE": "file", "SHELL": "/bin/bash",
           "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    running = appmod.start(env=env, passphrase=demo.PASSPHRASE, single_instance=False)
    assert isinstance(running, appmod.Running)
    qtbot.addWidget(running.window)
    yield running
    from tokenmgr.gui.keeper import Keeper

    for keeper in running.window.findChildren(Keeper):
        keeper.stop()  # its timer would go on ticking (and checking providers) in later tests
    running.tasks.wait(10_000)
    running.window.ticker.stop()
    running.tray.hide()
    running.tray.menu.hide()
    app.aboutToQuit.disconnect()
    app.setQuitOnLastWindowClosed(quit_on_close)


@pytest.fixture
def started(just_started, qtbot):
    qtbot.waitUntil(lambda: just_started.window.store_ready, timeout=10_000)
    return just_started


def token_submenus(tray: traymod.Tray) -> list[str]:
    return [a.text() for a in tray.menu.actions() if a.menu() is not None]


def test_the_tray_menu_is_built_once_the_window_is_painted(just_started, qtbot) -> None:
    tray = just_started.tray
    assert token_submenus(tray) == []  # nothing yet: the window is what comes first
    qtbot.waitUntil(lambda: len(token_submenus(tray)) == 5, timeout=10_000)
    assert "5 tokens" in tray.tooltip()


def test_a_tray_menu_opened_before_any_paint_has_every_token(just_started) -> None:
    tray = just_started.tray
    assert token_submenus(tray) == []
    tray.menu.popup(QPoint(0, 0))
    assert len(token_submenus(tray)) == 5


def test_tray_copy_reaches_the_clipboard_through_a_worker(started, qtbot) -> None:
    window, tray = started.window, started.tray
    assert tray is not None
    with qtbot.waitSignal(window.token_copied, timeout=10_000) as sig:
        tray.copy_requested.emit("github-ci", "header")
    assert sig.args == ["github-ci", "header"]
    board = QGuiApplication.clipboard()
    assert board.text(QClipboard.Mode.Clipboard) == f"Authorization: Bearer {demo.GITHUB}"
    assert "Clipboard clears in" in tray.tooltip()
    assert demo.GITHUB not in tray.tooltip()
    assert "5 tokens" in tray.tooltip()


def test_a_clear_that_could_not_be_checked_is_said_in_the_status_bar_and_tray(
    started, qtbot
) -> None:
    """The clipboard's own test (on X11, a holder that never answers) shows when this is
    said; here, that the app shows it where the user looks, and drops it at the next copy."""
    from tokenmgr.gui.clipboard import CLEAR_FAILED

    window, tray, clipboard = started.window, started.tray, started.clipboard
    clipboard.clear_failed.emit(CLEAR_FAILED)
    assert window.status_bar.status_text() == f"⚠ {CLEAR_FAILED}"
    assert CLEAR_FAILED in tray.tooltip()
    assert tray.tooltip().startswith("Token Manager")
    with qtbot.waitSignal(window.token_copied, timeout=10_000):
        tray.copy_requested.emit("github-ci", "header")
    assert CLEAR_FAILED not in tray.tooltip()
    assert CLEAR_FAILED not in window.status_bar.status_text()


def test_tray_toggle_and_close_keep_the_app_running(started, qtbot) -> None:
    window, tray = started.window, started.tray
    assert window.isVisible()
    tray.toggle_requested.emit()
    assert not window.isVisible()
    tray.open_requested.emit()
    assert window.isVisible()
    window.close()  # into the tray, not quit
    assert not window.isVisible()
    assert window.settings.tray_note_shown
    tray.paste_decode_requested.emit()
    assert window.dialog is not None and window.dialog.isVisible()
    window.dialog.reject()


def test_a_failed_tray_copy_is_said_while_the_window_is_hidden(started, qtbot) -> None:
    window, tray = started.window, started.tray
    window.hide()
    with qtbot.waitSignal(window.notice_requested, timeout=10_000) as sig:
        tray.copy_requested.emit("no-such-token", "header")
    assert sig.args[0] == "No entry named 'no-such-token'."


def test_excepthook_shows_a_sentence_and_logs_redacted(qtbot, caplog, monkeypatch) -> None:
    import logging

    from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

    from tokenmgr.core import redact
    from tokenmgr.gui.errors import INTERNAL

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    parent = QWidget()
    qtbot.addWidget(parent)
    appmod.install_excepthook(QApplication.instance(), parent)
    caplog.set_level(logging.ERROR)
    redact.install(logging.WARNING)  # the filter goes on every root handler (caplog's too)
    token = demo.jwt_token({"sub": "x"})
    try:
        raise ValueError(f"boom with {token}")
    except ValueError as e:
        sys.excepthook(type(e), e, e.__traceback__)
    boxes = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[-1].text() == INTERNAL
    assert "ValueError" not in boxes[-1].text() and token not in boxes[-1].text()
    assert caplog.records and "unexpected error" in caplog.text
    assert token not in caplog.text
    for b in boxes:
        b.close()
