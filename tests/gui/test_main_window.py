"""The main window's actions, keys and store handling (offscreen, in-memory keyring)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from tests.gui import app_support, demo
from tests.gui.test_details import all_text
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.secrets import EncryptedFileStore
from tokenmgr.core.vault import Vault
from tokenmgr.gui.first_run import MODE_CREATE, MODE_NO_KEYRING, MODE_UNLOCK
from tokenmgr.gui.main_window import MainWindow
from tokenmgr.gui.settings import Settings, SettingsFile

pytestmark = pytest.mark.gui
make_window = app_support.make_window  # the fixture


def clipboard_text() -> str:
    return QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard)


def test_drawing_filtering_and_ticking_read_no_secret(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.model.rowCount() == 5
    for name in ("api-prod", "github-ci", "staging", "old-key", "sandbox"):
        assert w.select(name)
    w.filter_edit.setText("acme")
    w.filter_edit.clear()
    qtbot.wait(1100)  # a tick
    w.repaint()
    # Every other window draws from the index too.
    for opener in (w.add_entry, w.edit_selected, w.paste_decode, w.show_preferences):
        opener()
        assert w.dialog is not None
        w.dialog.repaint()
        w.dialog.reject()
    w.delete_selected()
    w.delete_box.reject()
    assert f.store.calls == []


def test_enter_copies_the_header(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("github-ci")
    w.table.setFocus()
    with qtbot.waitSignal(w.token_copied, timeout=5000) as sig:
        qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert sig.args == ["github-ci", "header"]
    assert clipboard_text() == f"Authorization: Bearer {demo.GITHUB}"
    assert w.status_message.text() == "Copied header of github-ci"
    qtbot.waitUntil(lambda: "Clipboard clears in" in w.countdown_label.text(), timeout=3000)
    assert not any(c.on_main_thread for c in f.store.calls)
    assert demo.GITHUB not in all_text(w)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("raw", demo.GITHUB),
        ("env", f"export GITHUB_CI_TOKEN={demo.GITHUB}"),
        ("dotenv", f"GITHUB_CI_TOKEN={demo.GITHUB}"),
        ("curl", f"curl -H 'Authorization: Bearer {demo.GITHUB}'"),
    ],
)
def test_copy_formats(make_window, qtbot, fmt: str, expected: str) -> None:
    w = make_window().window
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        w.actions_by_name[f"copy_{fmt}"].trigger()
    assert clipboard_text() == expected
    # Ctrl+C in the list repeats the format chosen last.
    QGuiApplication.clipboard().clear()
    w.table.setFocus()
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        qtbot.keyClick(w.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == expected


def test_typing_in_the_list_jumps_to_the_filter_and_esc_clears(make_window, qtbot) -> None:
    w = make_window().window
    w.table.setFocus()
    qtbot.keyClicks(w.table, "str")
    assert w.filter_edit.text() == "str" and w.filter_edit.hasFocus()
    assert w.proxy.rowCount() == 1 and w.selected_name() == "old-key"
    qtbot.keyClick(w.filter_edit, Qt.Key.Key_Escape)
    assert w.filter_edit.text() == "" and w.proxy.rowCount() == 5
    qtbot.keyClick(w.table, Qt.Key.Key_Slash)
    assert w.filter_edit.hasFocus()
    qtbot.keyClicks(w.filter_edit, "zzz")
    assert w.empty_label.isVisible() and "zzz" in w.empty_label.text()
    qtbot.keyClick(w.filter_edit, Qt.Key.Key_Escape)
    w.table.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.filter_edit.hasFocus()
    # Type, Enter: the header of the first match is copied.
    qtbot.keyClicks(w.filter_edit, "github")
    with qtbot.waitSignal(w.token_copied, timeout=5000) as sig:
        qtbot.keyClick(w.filter_edit, Qt.Key.Key_Return)
    assert sig.args == ["github-ci", "header"]


def _click(box: QMessageBox, text: str) -> None:
    for b in box.buttons():
        if b.text().replace("&", "") == text:
            b.click()
            return
    raise AssertionError(f"no button {text!r} in {[b.text() for b in box.buttons()]}")


def test_delete_asks_first(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("old-key")
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_Delete)
    box = w.delete_box
    assert box is not None
    assert box.text() == "Delete old-key? Its token is removed from the keyring."
    assert box.checkBox() is None  # static: nothing to revoke
    assert box.defaultButton().text() != "Delete"
    _click(box, "Cancel")
    w.tasks.wait()
    assert "old-key" in w.model.names()
    qtbot.keyClick(w.table, Qt.Key.Key_Delete)
    _click(w.delete_box, "Delete")
    qtbot.waitUntil(lambda: "old-key" not in w.model.names(), timeout=5000)
    assert ("tokenmgr", "old-key/access") not in f.keyring.items
    assert w.status_message.text() == "Deleted old-key."


def test_delete_offers_revocation_for_oauth_entries(make_window) -> None:
    w = make_window().window
    assert w.select("staging")
    w.delete_selected()
    box = w.delete_box
    assert box.checkBox() is not None and box.checkBox().isChecked()
    assert box.checkBox().text() == "Also revoke at the provider"
    _click(box, "Cancel")


def test_paste_and_decode_explains_and_stores_nothing(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    before = f.vault.index.path.read_bytes()
    token = demo.jwt_token({"iss": "https://x.example", "sub": "who", "exp": 4102444800})
    QGuiApplication.clipboard().setText(token)
    qtbot.keyClick(w, Qt.Key.Key_V,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    d = w.dialog
    assert d is not None and d.windowTitle() == "Paste & decode"
    assert d.note.text() == "Decoded from the clipboard. Nothing was stored."
    rows = {d.view.claims.item(r, 0).text(): d.view.claims.item(r, 1).text()
            for r in range(d.view.claims.rowCount())}
    assert rows["sub"] == "who"
    assert token not in all_text(d)
    d.reject()
    assert f.store.calls == [] and f.vault.index.path.read_bytes() == before
    QGuiApplication.clipboard().setText("")
    w.paste_decode()
    assert "holds no text" in w.dialog.note.text()
    w.dialog.reject()


def test_a_slow_store_leaves_the_window_responsive(make_window, qtbot) -> None:
    import threading

    f = make_window()
    w = f.window
    assert w.select("github-ci")
    gate = threading.Event()
    f.store.gate = gate  # every store call now waits until the test lets it go
    safety = threading.Timer(30, gate.set)  # a blocked GUI thread fails the test, not CI
    safety.start()
    ticks = []
    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    try:
        w.copy_selected("header")  # returns while the read waits on the gate
        assert w.busy_bar.isVisible() and "Reading github-ci" in w.busy_label.text()
        # The event loop goes on while the keyring read is stuck.
        qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=20_000)
        assert not gate.is_set() and not clipboard_text().endswith(demo.GITHUB)
        gate.set()
        qtbot.waitUntil(lambda: clipboard_text().endswith(demo.GITHUB), timeout=10_000)
    finally:
        timer.stop()
        gate.set()
        safety.cancel()
    assert not any(c.on_main_thread for c in f.store.calls)
    qtbot.waitUntil(lambda: not w.busy_bar.isVisible(), timeout=2000)


def test_store_errors_become_sentences(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    f.keyring.locked = True
    assert w.select("github-ci")
    w.copy_selected("header")
    qtbot.waitUntil(lambda: w.status_message.text().startswith("⚠"), timeout=5000)
    text = w.status_message.text()
    assert "locked" in text and "Traceback" not in text and "KeyringLocked" not in text
    assert w.banner.isVisible()


# ------------------------------------------------------------------ first run


class _NoKeyring:
    def info(self):  # noqa: ANN201
        from tokenmgr.core.secrets import StoreInfo

        return StoreInfo("keyring", "keyring.backends.fail.Keyring", False)

    def probe(self) -> None:
        raise StorageUnavailable(
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


def test_first_run_without_a_keyring_offers_the_vault_file(qtbot, tmp_path, monkeypatch) -> None:
    from tokenmgr.core import usecases

    monkeypatch.setattr(usecases, "probe_store", lambda vault: _NoKeyring().probe())
    home = tmp_path / "home"
    w = _window(qtbot, home)
    w.start_store()
    page = w.setup_page
    qtbot.waitUntil(lambda: w.pages.currentWidget() is page, timeout=5000)
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
    page.primary.click()
    qtbot.waitUntil(lambda: w.store_ready, timeout=10_000)
    assert w.pages.currentWidget() is w.main_page
    assert (home / "secrets.vault").exists()
    assert SettingsFile(home).load().store == "file"
    # Add and copy through the file store.
    w.add_entry()
    w.dialog.token.setText(demo.GITHUB)
    w.dialog.save_button.click()
    qtbot.waitUntil(lambda: "github" in w.model.names(), timeout=10_000)
    assert w.select("github")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("header")
    assert clipboard_text() == f"Authorization: Bearer {demo.GITHUB}"
    store = EncryptedFileStore(home, env={}, passphrase=lambda _n: "correct horse")
    assert store.get("github", "access") == demo.GITHUB
    w.tasks.wait()


def test_later_starts_ask_to_unlock_and_a_wrong_passphrase_is_a_sentence(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, env={}, passphrase=lambda _n: demo.PASSPHRASE)))
    settings = Settings(store="file")
    w = _window(qtbot, home, settings)
    assert w.model.rowCount() == 5  # the list is known (index) before the unlock
    w.start_store()
    page = w.setup_page
    assert w.pages.currentWidget() is page and page.mode == MODE_UNLOCK
    assert not page.again.isVisible()
    qtbot.keyClicks(page.passphrase, "wrong passphrase")
    qtbot.keyClick(page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Wrong passphrase" in page.error.text(), timeout=10_000)
    assert page.passphrase.text() == "" and page.primary.text() == "Unlock"
    qtbot.keyClicks(page.passphrase, demo.PASSPHRASE)
    page.primary.click()
    qtbot.waitUntil(lambda: w.store_ready, timeout=10_000)
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=10_000):
        w.copy_selected("raw")
    assert clipboard_text() == demo.GITHUB
    w.tasks.wait()


def test_the_passphrase_given_at_start_unlocks_without_asking(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, env={}, passphrase=lambda _n: demo.PASSPHRASE)))
    w = _window(qtbot, home, Settings(store="file"), passphrase=demo.PASSPHRASE)
    w.start_store()
    qtbot.waitUntil(lambda: w.store_ready, timeout=10_000)
    assert w.pages.currentWidget() is w.main_page
    w.tasks.wait()


def test_a_chosen_file_store_without_a_file_asks_to_create_it(qtbot, tmp_path) -> None:
    w = _window(qtbot, tmp_path / "home", Settings(store="file"))
    w.start_store()
    assert w.setup_page.mode == MODE_CREATE and w.setup_page.again.isVisible()


def test_geometry_and_splitter_are_remembered(qtbot, tmp_path) -> None:
    home = tmp_path / "home"
    w = _window(qtbot, home)
    w.resize(700, 500)
    w.splitter.setSizes([250, 450])
    w.save_state()
    w.save_settings()
    saved = SettingsFile(home).load()
    assert saved.window_geometry and saved.splitter_state
    w2 = _window(qtbot, home, saved)
    assert w2.size().width() == 700
    assert abs(w2.splitter.sizes()[0] - 250) <= 10


def test_close_keeps_the_app_in_the_tray_when_there_is_one(qtbot, tmp_path) -> None:
    w = _window(qtbot, tmp_path / "home", tray_available=True)
    notes: list[str] = []
    w.tray_note_requested.connect(notes.append)
    quits: list[bool] = []
    QApplication.instance().aboutToQuit.connect(lambda: quits.append(True))
    w.close()
    assert not w.isVisible() and len(notes) == 1 and "tray" in notes[0]
    w.raise_window()
    w.close()
    assert len(notes) == 1  # said once
    assert not quits


def test_every_action_has_an_accessible_name_and_no_secret(make_window) -> None:
    w = make_window().window
    for act in w.actions_by_name.values():
        assert act.text()
    for b in w.findChildren(QPushButton):
        assert b.text() or b.accessibleName()


def test_first_run_with_no_session_bus_uses_the_real_keyring_store(qtbot, tmp_path) -> None:
    w = _window(qtbot, tmp_path / "home")  # env without DBUS_SESSION_BUS_ADDRESS
    w.start_store()
    qtbot.waitUntil(lambda: w.pages.currentWidget() is w.setup_page, timeout=10_000)
    page = w.setup_page
    assert page.mode == MODE_NO_KEYRING
    assert "no D-Bus session bus" in page.explain.text()
    assert not (tmp_path / "home" / "entries.json").exists()  # nothing written anywhere
    assert not (tmp_path / "home" / "secrets.vault").exists()
    w.tasks.wait()


# -------------------------------------- start-up changes: header, sorting, Ctrl+C


def test_the_header_shows_the_titles_from_its_own_model(make_window) -> None:
    from PySide6.QtGui import QStandardItemModel

    from tokenmgr.gui.entry_model import HEADERS, Column

    w = make_window().window
    header = w.table.horizontalHeader()
    titles = header.model()
    assert isinstance(titles, QStandardItemModel) and titles is not w.proxy
    assert titles.columnCount() == len(Column) == header.count()
    expected = [HEADERS[c] for c in Column]
    assert [titles.headerData(c, Qt.Orientation.Horizontal) for c in Column] == expected
    # Accessibility and tests ask the list's models, which still answer the titles.
    assert [w.model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == expected
    assert [w.proxy.headerData(c, Qt.Orientation.Horizontal) for c in Column] == expected


def _shown_names(w: MainWindow) -> list[str]:
    return [w.proxy.index(r, 0).data() for r in range(w.proxy.rowCount())]


NAME_ORDER = ["api-prod", "github-ci", "old-key", "sandbox", "staging"]
EXPIRY_ORDER = ["old-key", "staging", "api-prod", "github-ci", "sandbox"]  # unknown last


def test_the_list_starts_unsorted_in_name_order(make_window, qtbot) -> None:
    w = make_window().window
    header = w.table.horizontalHeader()
    assert not header.isSortIndicatorShown()
    assert _shown_names(w) == NAME_ORDER
    qtbot.wait(1100)  # a tick does not re-sort either
    assert _shown_names(w) == NAME_ORDER and not header.isSortIndicatorShown()


def test_header_clicks_sort_ascending_then_descending(make_window, qtbot) -> None:
    """Real clicks (QHeaderView flips its own indicator on a click, before sectionClicked;
    calling _on_header_clicked directly would miss that)."""
    from PySide6.QtCore import QPoint

    from tokenmgr.gui.entry_model import Column

    w = make_window().window
    header = w.table.horizontalHeader()

    def click(column: Column) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, header.height() // 2))
        qtbot.wait(400)  # past the double-click interval: two clicks, not a double click

    def shown() -> tuple[bool, int, Qt.SortOrder]:
        return (header.isSortIndicatorShown(), header.sortIndicatorSection(),
                header.sortIndicatorOrder())

    click(Column.EXPIRES)
    assert shown() == (True, Column.EXPIRES, Qt.SortOrder.AscendingOrder)
    assert _shown_names(w) == EXPIRY_ORDER
    click(Column.EXPIRES)  # the same column again: reversed
    assert shown() == (True, Column.EXPIRES, Qt.SortOrder.DescendingOrder)
    assert _shown_names(w) == EXPIRY_ORDER[::-1]
    click(Column.EXPIRES)  # and back
    assert shown() == (True, Column.EXPIRES, Qt.SortOrder.AscendingOrder)
    assert _shown_names(w) == EXPIRY_ORDER
    click(Column.NAME)  # another column: ascending by it
    assert shown() == (True, Column.NAME, Qt.SortOrder.AscendingOrder)
    assert _shown_names(w) == NAME_ORDER
    click(Column.NAME)
    assert shown() == (True, Column.NAME, Qt.SortOrder.DescendingOrder)
    assert _shown_names(w) == NAME_ORDER[::-1]


@pytest.mark.parametrize("chosen", ["header", "dotenv"])
def test_ctrl_c_in_the_list_copies_the_chosen_format_not_the_cell(
    make_window, qtbot, chosen: str
) -> None:
    expected = {
        "header": f"Authorization: Bearer {demo.GITHUB}",
        "dotenv": f"GITHUB_CI_TOKEN={demo.GITHUB}",
    }[chosen]
    w = make_window().window
    w.settings.copy_format = chosen
    assert w.select("github-ci")
    assert w.table.currentIndex().data() == "github-ci"  # the view's own copy would take this
    QGuiApplication.clipboard().clear()
    w.table.setFocus()
    with qtbot.waitSignal(w.token_copied, timeout=5000) as sig:
        qtbot.keyClick(w.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert sig.args == ["github-ci", chosen]
    assert clipboard_text() == expected
    assert clipboard_text() != "github-ci"


def test_with_nothing_selected_ctrl_c_and_del_do_nothing(make_window, qtbot) -> None:
    """The list's keys act like their (disabled) actions: no copy of a cell's text by the
    view, no status line, no question."""
    w = make_window().window
    w.table.setFocus()
    w.filter_edit.setText("no-such-token")  # nothing left to select
    qtbot.waitUntil(lambda: w.proxy.rowCount() == 0)
    assert w.selected_entry() is None
    assert not w.actions_by_name["copy_chosen"].isEnabled()
    QGuiApplication.clipboard().setText("left alone")
    copies: list[object] = []
    w.token_copied.connect(lambda *a: copies.append(a))
    before = w.status_message.text()
    for key, mods in ((Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier),
                      (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)):
        qtbot.keyClick(w.table, key, mods)
    qtbot.wait(50)
    assert copies == []
    assert clipboard_text() == "left alone"
    assert w.delete_box is None
    assert w.status_message.text() == before
