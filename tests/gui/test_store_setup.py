"""Setting up the secret store from the window: no keyring offers the vault file, later
starts unlock it, the passphrase given at start, a chosen file store with no file yet,
no session bus at all (the real keyring store), a failed probe with entries (a banner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.support import demo
from tests.support.gui_window import clipboard_text
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault
from tokenmgr.gui.first_run import MODE_CREATE, MODE_NO_KEYRING, MODE_UNLOCK
from tokenmgr.gui.main_window import MainWindow
from tokenmgr.gui.settings import Settings, SettingsFile

pytestmark = pytest.mark.gui

NO_KEYRING = (
    "cannot read the secret: no keyring answers (no backend). Start a Secret Service "
    "(gnome-keyring, KeePassXC) and unlock it, or opt in to the encrypted vault file "
    "with TOKENMGR_STORE=file."
)


def _window(qtbot, home: Path, settings: Settings | None = None, **kw) -> MainWindow:
    from tokenmgr.gui.clipboard import Clipboard

    w = MainWindow(Vault(home=home, env={}), settings or Settings(), SettingsFile(home),
                   clipboard=Clipboard(30), env={"SHELL": "/bin/bash"}, **kw)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _no_keyring(_vault: Vault) -> None:
    raise StorageUnavailable(NO_KEYRING)


def test_first_run_without_a_keyring_offers_the_vault_file(qtbot, tmp_path, monkeypatch) -> None:
    from tokenmgr.core.usecases import storage

    monkeypatch.setattr(storage, "probe_store", _no_keyring)
    home = tmp_path / "home"
    w = _window(qtbot, home)
    with qtbot.waitSignal(w.store_setup.screen_shown, timeout=5000):
        w.start_store()
    page = w.store_setup.page
    assert w.pages.currentWidget() is page and not w.store_ready
    assert page.mode == MODE_NO_KEYRING
    assert page.title.text() == "No secure keyring answered"
    explain = page.explain.text()
    assert "no keyring answers" in explain and "Secret Service" in explain
    assert "encrypted vault file" in explain and str(home / "secrets.vault") in explain
    # Passphrase asked twice; the primary button waits for two equal ones.
    qtbot.keyClicks(page.passphrase, "correct horse")
    assert not page.primary.isEnabled()
    qtbot.keyClicks(page.again, "correct hors")
    assert not page.primary.isEnabled() and "differ" in page.error.text()
    qtbot.keyClicks(page.again, "e")
    assert page.primary.isEnabled()
    with qtbot.waitSignal(w.store_ready_changed, timeout=10_000) as ready:
        page.primary.click()
    assert ready.args == [True] and w.store_ready
    assert w.pages.currentWidget() is w.main_page
    assert (home / "secrets.vault").exists()
    assert SettingsFile(home).load().store == "file"
    # Add and copy through the file store.
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    opened.args[0].static_page.token.setText(demo.GITHUB)
    opened.args[0].save_button.click()
    qtbot.waitUntil(lambda: "github" in w.model.names(), timeout=10_000)
    assert w.select("github")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("header")
    assert clipboard_text() == f"Authorization: Bearer {demo.GITHUB}"
    store = EncryptedFileStore(home, passphrase=lambda _n: "correct horse")
    assert store.get("github", "access") == demo.GITHUB
    w.tasks.wait()


def test_try_again_checks_the_keyring_again(qtbot, tmp_path, monkeypatch) -> None:
    import threading

    from tokenmgr.core.usecases import storage

    monkeypatch.setattr(storage, "probe_store", _no_keyring)
    w = _window(qtbot, tmp_path / "home")
    with qtbot.waitSignal(w.store_setup.screen_shown, timeout=5000):
        w.start_store()
    page = w.store_setup.page
    gate = threading.Event()

    def answers(vault: Vault) -> object:
        gate.wait(30)
        return vault.store.info()

    monkeypatch.setattr(storage, "probe_store", answers)
    with qtbot.waitSignal(w.store_ready_changed, timeout=10_000) as ready:
        page.retry_button.click()
        # While it checks, the screen says so and takes no passphrase.
        assert w.pages.currentWidget() is page
        assert page.error.text() == "Checking the keyring…" and not page.primary.isEnabled()
        gate.set()
    assert ready.args == [True]
    assert w.pages.currentWidget() is w.main_page and w.store_kind == "keyring"
    w.tasks.wait()


def test_a_failed_probe_with_entries_keeps_the_list_with_a_banner(
    qtbot, tmp_path, monkeypatch, make_window
) -> None:
    from tokenmgr.core.usecases import storage

    monkeypatch.setattr(storage, "probe_store", _no_keyring)
    f = make_window(ready=False)
    w = f.window
    with qtbot.waitSignal(w.store_setup.failed, timeout=5000) as failed:
        w.start_store()
    assert "no keyring answers" in failed.args[0]
    assert w.pages.currentWidget() is w.main_page and w.banner.isVisible()
    assert "no keyring answers" in w.banner.text()
    # The list is there, but what needs the store says so.
    assert w.select("github-ci")
    with qtbot.waitSignal(w.commands.store_needed):
        w.copy_selected("header")
    assert w.status_bar.status_text() == (
        "The secret store is not ready yet; try again in a moment.")
    # "Try again" probes again, and this time the keyring answers.
    monkeypatch.setattr(storage, "probe_store", lambda vault: vault.store.info())
    with qtbot.waitSignal(w.store_ready_changed, timeout=10_000):
        w.banner.button.click()
    assert not w.banner.isVisible()


def test_later_starts_ask_to_unlock_and_a_wrong_passphrase_is_a_sentence(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    w = _window(qtbot, home, Settings(store="file"))
    assert w.model.rowCount() == 5  # the list is known (index) before the unlock
    w.start_store()
    page = w.store_setup.page
    assert w.pages.currentWidget() is page and page.mode == MODE_UNLOCK
    assert not page.again.isVisible()
    # What needs the store says where to go meanwhile.
    assert w.select("github-ci")
    w.copy_selected("raw")
    assert w.status_bar.status_text() == "Set up the secret store first."
    qtbot.keyClicks(page.passphrase, "wrong passphrase")
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong passphrase" in page.error.text(), timeout=10_000)
    assert page.passphrase.text() == "" and page.primary.text() == "Unlock"
    qtbot.keyClicks(page.passphrase, demo.PASSPHRASE)
    with qtbot.waitSignal(w.store_ready_changed, timeout=10_000):
        page.primary.click()
    assert w.status_bar.status_text() == "The vault file is unlocked."
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("raw")
    assert clipboard_text() == demo.GITHUB
    w.tasks.wait()


def test_the_passphrase_given_at_start_unlocks_without_asking(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    w = _window(qtbot, home, Settings(store="file"), passphrase=demo.PASSPHRASE)
    with qtbot.waitSignal(w.store_ready_changed, timeout=10_000):
        w.start_store()
    assert w.pages.currentWidget() is w.main_page and w.store_setup.page is None
    w.tasks.wait()


def test_a_wrong_passphrase_given_at_start_asks_for_it(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    w = _window(qtbot, home, Settings(store="file"), passphrase="not the passphrase")
    with qtbot.waitSignal(w.store_setup.screen_shown, timeout=10_000):
        w.start_store()
    page = w.store_setup.page
    qtbot.waitUntil(lambda: "Wrong passphrase" in page.error.text(), timeout=10_000)
    assert page.mode == MODE_UNLOCK and not w.store_ready
    w.tasks.wait()


def test_a_chosen_file_store_without_a_file_asks_to_create_it(qtbot, tmp_path) -> None:
    w = _window(qtbot, tmp_path / "home", Settings(store="file"))
    w.start_store()
    page = w.store_setup.page
    assert page.mode == MODE_CREATE and page.again.isVisible()


def test_first_run_with_no_session_bus_uses_the_real_keyring_store(qtbot, tmp_path) -> None:
    w = _window(qtbot, tmp_path / "home")  # env without DBUS_SESSION_BUS_ADDRESS
    with qtbot.waitSignal(w.store_setup.screen_shown, timeout=10_000):
        w.start_store()
    page = w.store_setup.page
    assert page.mode == MODE_NO_KEYRING
    assert "no D-Bus session bus" in page.explain.text()
    assert "It tried the keyring backend " in page.explain.text()  # which one, named
    assert not (tmp_path / "home" / "entries.json").exists()  # nothing written anywhere
    assert not (tmp_path / "home" / "secrets.vault").exists()
    w.tasks.wait()
