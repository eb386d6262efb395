"""Locking the vault file in the app: Ctrl+L (or the idle time) drops its key, the list
stays, and the first thing that needs a secret asks for the passphrase and then goes
on; a wrong passphrase is a sentence and another try; Cancel leaves it locked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.support import demo
from tests.support.gui_window import Fixture, clipboard_text
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault
from tokenmgr.gui import lock
from tokenmgr.gui.main_window import MainWindow
from tokenmgr.gui.settings import Settings, SettingsFile

pytestmark = pytest.mark.gui


def file_window(qtbot: Any, tmp_path: Path, **settings: Any) -> MainWindow:
    """The window over the demo's vault file, unlocked at start as `TOKENMGR_PASSPHRASE`
    does it."""
    from tokenmgr.gui.clipboard import Clipboard

    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    w = MainWindow(Vault(home=home, env={}), Settings(store="file", **settings),
                   SettingsFile(home), clipboard=Clipboard(30), env={"SHELL": "/bin/bash"},
                   passphrase=demo.PASSPHRASE)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.store_ready_changed, timeout=20_000):
        w.start_store()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    return w


def unlock_dialog(qtbot: Any, w: MainWindow) -> Any:
    qtbot.waitUntil(lambda: (d := w.vault_lock.unlock_dialog) is not None and d.isVisible())
    return w.vault_lock.unlock_dialog


def test_ctrl_l_locks_the_list_stays_and_the_first_secret_asks(qtbot: Any, tmp_path) -> None:
    w = file_window(qtbot, tmp_path)
    assert w.action_table["lock"].isVisible()
    inner = w.vault.store.inner
    keys = list(inner._keys.values())
    assert keys and any(keys[0])
    with qtbot.waitSignal(w.locked_changed) as changed:
        qtbot.keyClick(w.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert changed.args == [True]
    w.tasks.wait()
    assert all(k == bytearray(len(k)) for k in keys) and inner._passphrase is None
    # The list and the details stay, from the index; it says it is locked.
    assert w.model.rowCount() == 5 and w.pages.currentWidget() is w.main_page
    assert w.details.entry is not None and w.details.access_view is not None
    assert w.status_bar.locked_shown() and w.windowTitle() == "Locked"
    assert w.status_bar.status_text().startswith("Locked: the vault file's key was dropped.")
    # The first secret asks for the passphrase; a wrong one is a sentence, another try.
    assert w.select("github-ci")
    w.copy_selected("raw")
    d = unlock_dialog(qtbot, w)
    qtbot.keyClicks(d.passphrase, "not the passphrase")
    qtbot.keyClick(d.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong passphrase" in d.error.text(), timeout=20_000)
    assert d.isVisible() and d.passphrase.text() == "" and w.locked
    d.layout().activate()
    assert d.error.height() >= d.error.heightForWidth(d.error.width())  # the whole sentence
    qtbot.keyClicks(d.passphrase, demo.PASSPHRASE)
    with qtbot.waitSignal(w.token_copied, timeout=20_000):  # the copy goes on, unasked
        qtbot.keyClick(d.passphrase, Qt.Key.Key_Return)
    assert clipboard_text() == demo.GITHUB
    assert not w.locked and not w.status_bar.locked_shown()
    assert w.windowTitle() == "Token Manager" and w.vault_lock.unlock_dialog is None
    assert w.vault.store.inner is not inner and any(next(iter(w.vault.store.inner._keys.values())))
    w.tasks.wait()


def test_lock_clears_a_copied_token_and_closes_a_dialog_holding_one(
    qtbot: Any, tmp_path: Path
) -> None:
    w = file_window(qtbot, tmp_path)
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=20_000):
        w.copy_selected("raw")
    assert clipboard_text() == demo.GITHUB
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    add = opened.args[0]
    add.static_page.token.setText("ghp_pastedButNotSavedYet0123456789abcd")
    w.lock()
    assert clipboard_text() == ""
    assert not add.isVisible() and add.static_page.token.text() == ""
    w.tasks.wait()


def test_a_copy_still_reading_when_it_locks_leaves_the_clipboard_alone(
    qtbot: Any, tmp_path: Path
) -> None:
    w = file_window(qtbot, tmp_path)
    serial = w.vault.store._lock  # the store's one-call-at-a-time lock: hold the read
    assert w.select("github-ci")
    serial.acquire()
    try:
        w.copy_selected("raw")
        w.lock()
    finally:
        serial.release()
    w.tasks.wait()
    qtbot.waitUntil(lambda: w.tasks.running == 0)
    assert clipboard_text() == "" and w.locked


def test_cancel_leaves_it_locked_and_what_asked_gives_up(qtbot: Any, tmp_path: Path) -> None:
    w = file_window(qtbot, tmp_path)
    w.lock()
    assert w.select("api-prod")
    w.details.token_row.reveal_button.click()
    d = unlock_dialog(qtbot, w)
    d.reject()
    assert w.locked and w.status_bar.status_text() == "Still locked."
    assert not w.details.revealed and w.details.revealed_text() == ""
    # Unlocked later, what gave up does not come back.
    w.copy_selected("raw")
    d = unlock_dialog(qtbot, w)
    qtbot.keyClicks(d.passphrase, demo.PASSPHRASE)
    with qtbot.waitSignal(w.token_copied, timeout=20_000):
        d.unlock_button.click()
    assert not w.details.revealed
    w.tasks.wait()


def test_the_idle_lock_and_what_keeps_it_away(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock, "IDLE_UNIT_MS", 60_000)
    w = file_window(qtbot, tmp_path, lock_idle_min=1)
    timer = w.vault_lock.idle_timer
    assert timer.isActive() and timer.interval() == 60_000
    start = timer.remainingTime()
    qtbot.waitUntil(lambda: timer.remainingTime() < start - 100, timeout=5000)
    qtbot.keyClick(w.table, Qt.Key.Key_Down)  # using the app restarts the count
    assert timer.remainingTime() > start - 100
    w.settings.lock_idle_min = 0  # Preferences: never
    w._on_preferences_applied("")
    assert not timer.isActive()
    # A short idle time runs out: locked, and the list stays.
    monkeypatch.setattr(lock, "IDLE_UNIT_MS", 200)
    w.settings.lock_idle_min = 1
    with qtbot.waitSignal(w.locked_changed, timeout=10_000) as changed:
        w._on_preferences_applied("")
    assert changed.args == [True] and w.model.rowCount() == 5
    w.tasks.wait()


def test_the_keyring_is_not_locked_here(make_window: Callable[..., Fixture]) -> None:
    w = make_window().window
    assert not w.action_table["lock"].isVisible()
    w.lock()
    assert not w.locked and w.status_bar.status_text() == (
        "Only the vault file can be locked; the keyring locks with your desktop session.")
