"""The main window itself: drawn from the index alone, its layout, the window events
(close to the tray, Esc to hide, reveal lapses), geometry, and the context menu
(offscreen, in-memory keyring)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QPushButton, QToolButton

from tokenmgr.gui.entry_model import Column
from tokenmgr.gui.settings import SettingsFile

pytestmark = pytest.mark.gui


def test_drawing_filtering_ticking_and_every_dialog_read_no_secret(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.model.rowCount() == 5
    for name in ("api-prod", "github-ci", "staging", "old-key", "sandbox"):
        assert w.select(name)
    w.token_list.filter_edit.setText("acme")
    w.token_list.filter_edit.clear()
    with qtbot.waitSignal(w.ticker.timeout, timeout=3000):
        pass  # a tick
    w.repaint()
    # Every other window draws from the index too.
    for name in ("add", "sign_in_new", "edit", "paste_decode", "preferences", "delete"):
        with qtbot.waitSignal(w.commands.dialog_opened) as opened:
            w.action_table[name].trigger()
        opened.args[0].repaint()
        opened.args[0].reject()
        assert w.dialog is None
    assert f.store.calls == []


def test_the_details_follow_the_selection(make_window, qtbot) -> None:
    w = make_window().window
    assert w.pages._welcome is None  # a start with tokens does not build the first screen
    assert w.details.entry is not None and w.details.entry.name == "api-prod"  # first row
    assert w.select("staging")
    assert w.details.entry.name == "staging"
    w.token_list.filter_edit.setText("no-such-token")
    assert w.details.entry is None


def test_the_empty_window_shows_the_ways_in_with_their_keys(make_window, qtbot) -> None:
    f = make_window(entries=False)
    w = f.window
    # Not an empty table beside an empty pane: the ways in, in their place.
    assert w.welcome.isVisible() and not w.splitter.isVisible()
    assert w.welcome.title.text() == "No tokens yet"
    assert w.welcome.paste_button.text() == "Paste a token    Ctrl+N"
    assert w.welcome.sign_in_button.text() == "Sign in to a provider    Ctrl+Shift+N"
    assert w.welcome.import_button.text() == "Import a .env file…    Ctrl+I"
    assert "Ctrl+Shift+V" in w.welcome.decode_hint.text()
    for button, title in ((w.welcome.paste_button, "Add a token"),
                          (w.welcome.sign_in_button, "Sign in to a provider")):
        with qtbot.waitSignal(w.commands.dialog_opened) as opened:
            button.click()
        assert opened.args[0].windowTitle() == title
        opened.args[0].reject()
    # The keyboard starts on the first way in: Enter pastes a token; the keys work too.
    qtbot.waitUntil(lambda: w.focusWidget() is w.welcome.paste_button)
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w.focusWidget(), Qt.Key.Key_Return)
    assert opened.args[0].windowTitle() == "Add a token"
    opened.args[0].reject()
    w.activateWindow()  # offscreen, a closed dialog leaves no window active
    qtbot.waitUntil(w.isActiveWindow)
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert opened.args[0].windowTitle() == "Add a token"
    opened.args[0].reject()
    # The first token brings the list (with the keyboard on it); the last one gone, the
    # ways in come back.
    f.vault.add("first", "tok-0123456789")
    w.reload()
    assert w.splitter.isVisible() and not w.welcome.isVisible()
    assert w.focusWidget() is w.token_list.view
    f.vault.remove("first")
    w.reload()
    assert w.welcome.isVisible() and w.focusWidget() is w.welcome.paste_button


def test_geometry_and_splitter_are_remembered(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    w.resize(700, 500)
    w.splitter.setSizes([250, 450])
    w.save_state()
    w.save_settings()
    saved = SettingsFile(f.home).load()
    assert saved.window_geometry and saved.splitter_state
    w2 = make_window(entries=False, settings=saved).window  # the same home, its entries
    assert w2.size().width() == 700
    assert abs(w2.splitter.sizes()[0] - 250) <= 10


def test_close_keeps_the_app_in_the_tray_when_there_is_one(make_window, qtbot) -> None:
    w = make_window(entries=False, tray_available=True).window
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
    w.toggle_visible()
    assert w.isVisible()
    w.toggle_visible()
    assert not w.isVisible()


def test_esc_clears_the_filter_then_hides_to_the_tray(make_window, qtbot) -> None:
    w = make_window(tray_available=True).window
    w.table.setFocus()
    qtbot.keyClicks(w.table, "git")
    qtbot.keyClick(w.token_list.filter_edit, Qt.Key.Key_Escape)
    assert w.isVisible() and w.token_list.filter_edit.text() == ""
    qtbot.keyClick(w.table, Qt.Key.Key_Escape)
    assert not w.isVisible()


def test_esc_without_a_tray_keeps_the_window(make_window, qtbot) -> None:
    w = make_window().window
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_Escape)
    assert w.isVisible()


def test_the_reveal_lapses_when_the_window_hides_or_minimizes(make_window, qtbot) -> None:
    w = make_window().window
    pane = w.details
    for leave in (w.hide, w.showMinimized):
        w.raise_window()
        assert w.select("api-prod")
        pane.token_row.reveal_button.click()
        qtbot.waitUntil(lambda: pane.revealed, timeout=5000)
        leave()
        assert not pane.revealed and pane.revealed_text() == ""


def test_the_context_menu_holds_the_entry_actions(make_window, qtbot) -> None:
    w = make_window().window
    rect = w.table.visualRect(w.token_list.proxy.index(1, Column.NAME))
    w.token_list.view.customContextMenuRequested.emit(rect.center())
    menus = [m for m in w.findChildren(QMenu) if m.isVisible()]
    assert len(menus) == 1 and w.token_list.current_name() == "github-ci"
    texts = [a.text() for a in menus[0].actions() if not a.isSeparator()]
    assert texts[:5] == ["Copy header", "Copy raw", "Copy env line", "Copy .env line",
                         "Copy curl command"]
    assert "Edit…" in texts and "Delete…" in texts
    menus[0].close()


def test_the_toolbar_and_every_button_have_names(make_window) -> None:
    w = make_window().window
    for b in w.findChildren(QPushButton) + w.findChildren(QToolButton):
        if not b.objectName().startswith("qt_") and b.isVisible():  # not Qt's own
            assert b.text() or b.accessibleName(), b
    shown = {b.text() for b in w.findChildren(QToolButton) if b.isVisible()}
    assert {"+ Add", "Copy header", "Copy", "Delete", "☰"} <= shown
    assert "Refresh" not in shown  # the first row is a static token
    assert w.table.accessibleName() == "Tokens"


def test_unreadable_saved_geometry_leaves_the_defaults(make_window) -> None:
    from tokenmgr.gui.settings import Settings

    w = make_window(entries=False, settings=Settings(window_geometry="not base64 at all!",
                                                     splitter_state="AAAA")).window
    room = w.screen().availableGeometry()  # offscreen: 800 × 800
    assert w.size().width() == min(1100, room.width() * 19 // 20)  # the default size
    assert w.splitter.sizes()[0] > 0
