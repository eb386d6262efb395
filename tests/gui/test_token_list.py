"""The token list on its own: standard sorting, the filter, the empty state, its keys and
its signals (no window, no store)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QClipboard, QGuiApplication

from tests.support import demo
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault
from tokenmgr.gui.entry_model import Column
from tokenmgr.gui.token_list import EMPTY_TEXT, TokenList

pytestmark = pytest.mark.gui

NAME_ORDER = ["api-prod", "github-ci", "old-key", "sandbox", "staging"]
EXPIRY_ORDER = ["old-key", "staging", "api-prod", "github-ci", "sandbox"]  # unknown last


def demo_entries(home: Path) -> list[Entry]:
    vault = Vault(home=home, store=KeyringStore(backend=MemoryKeyring()))
    demo.build(vault)
    return vault.list_entries()


@pytest.fixture
def tokens(qtbot, tmp_path: Path) -> TokenList:
    t = TokenList()
    qtbot.addWidget(t)
    t.resize(600, 300)
    t.set_entries(demo_entries(tmp_path / "home"), datetime.now(UTC))
    t.show()
    qtbot.waitExposed(t)
    t.view.setFocus()
    return t


def test_header_titles_come_from_the_model_through_the_proxy(tokens: TokenList) -> None:
    header = tokens.view.horizontalHeader()
    assert header.model() is tokens.proxy
    titles = [header.model().headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert titles == ["Name", "Service", "Kind", "Expires"]


def test_the_list_starts_in_name_order_and_a_tick_does_not_resort(tokens, qtbot) -> None:
    header = tokens.view.horizontalHeader()
    assert tokens.view.isSortingEnabled()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        Column.NAME, Qt.SortOrder.AscendingOrder)
    assert tokens.shown_names() == NAME_ORDER
    tokens.view.sortByColumn(Column.EXPIRES, Qt.SortOrder.AscendingOrder)
    assert tokens.shown_names() == EXPIRY_ORDER
    tokens.tick(datetime.now(UTC))  # statuses move on; the order does not
    assert tokens.shown_names() == EXPIRY_ORDER


def test_header_clicks_sort_ascending_then_descending(tokens, qtbot) -> None:
    """Real clicks on the header: Qt's own sorting, through the proxy's sort role."""
    header = tokens.view.horizontalHeader()

    def click(column: Column) -> None:
        x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(x, header.height() // 2))
        qtbot.wait(400)  # past the double-click interval: two clicks, not a double click

    def shown() -> tuple[int, Qt.SortOrder]:
        return header.sortIndicatorSection(), header.sortIndicatorOrder()

    click(Column.EXPIRES)
    assert shown() == (Column.EXPIRES, Qt.SortOrder.AscendingOrder)
    assert tokens.shown_names() == EXPIRY_ORDER
    click(Column.EXPIRES)  # the same column again: reversed
    assert shown() == (Column.EXPIRES, Qt.SortOrder.DescendingOrder)
    assert tokens.shown_names() == EXPIRY_ORDER[::-1]
    click(Column.EXPIRES)  # and back
    assert tokens.shown_names() == EXPIRY_ORDER
    click(Column.NAME)  # another column: ascending by it
    assert shown() == (Column.NAME, Qt.SortOrder.AscendingOrder)
    assert tokens.shown_names() == NAME_ORDER
    click(Column.NAME)
    assert tokens.shown_names() == NAME_ORDER[::-1]


def test_a_fresh_index_read_keeps_the_selection(tokens, tmp_path: Path) -> None:
    assert tokens.current_name() == "api-prod"  # the first row, selected at the first read
    assert tokens.select("sandbox")
    entries = [e for e in demo_entries(tmp_path / "other") if e.name != "github-ci"]
    tokens.set_entries(entries, datetime.now(UTC))
    assert tokens.current_name() == "sandbox"
    assert "github-ci" not in tokens.shown_names()
    assert not tokens.select("github-ci")


def test_the_empty_state_replaces_the_table(qtbot) -> None:
    t = TokenList()
    qtbot.addWidget(t)
    assert t.currentWidget() is t.empty_label and t.empty_label.text() == EMPTY_TEXT
    assert t.current_entry() is None


def test_typing_in_the_list_jumps_to_the_filter_and_esc_clears_then_dismisses(
    tokens, qtbot
) -> None:
    qtbot.keyClicks(tokens.view, "str")
    assert tokens.filter_edit.text() == "str"
    assert tokens.shown_names() == ["old-key"] and tokens.current_name() == "old-key"
    dismissed: list[bool] = []
    tokens.dismissed.connect(lambda: dismissed.append(True))
    qtbot.keyClick(tokens.filter_edit, Qt.Key.Key_Escape)
    assert tokens.filter_edit.text() == "" and len(tokens.shown_names()) == 5
    assert not dismissed  # the first Esc only cleared the filter
    qtbot.keyClick(tokens.view, Qt.Key.Key_Escape)
    assert dismissed == [True]
    qtbot.keyClick(tokens.view, Qt.Key.Key_Slash)
    qtbot.keyClicks(tokens.filter_edit, "zzz")
    assert tokens.currentWidget() is tokens.empty_label and "“zzz”" in tokens.empty_label.text()


def test_enter_double_click_and_enter_in_the_filter_activate(tokens, qtbot) -> None:
    with qtbot.waitSignal(tokens.activated) as sig:
        qtbot.keyClick(tokens.view, Qt.Key.Key_Return)
    assert sig.args == ["api-prod"]
    rect = tokens.view.visualRect(tokens.proxy.index(1, Column.NAME))
    with qtbot.waitSignal(tokens.activated) as sig:
        # (QTest's double click is a lone DblClick event: a real one starts with a press.)
        qtbot.mouseClick(tokens.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(tokens.view.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    assert sig.args == ["github-ci"]
    # Type, Enter (Quick Access): the first match.
    qtbot.keyClicks(tokens.view, "sand")
    with qtbot.waitSignal(tokens.activated) as sig:
        qtbot.keyClick(tokens.filter_edit, Qt.Key.Key_Return)
    assert sig.args == ["sandbox"]


def test_ctrl_c_and_del_ask_the_list_not_the_view(tokens, qtbot) -> None:
    QGuiApplication.clipboard().setText("left alone")
    with qtbot.waitSignal(tokens.copy_requested):
        qtbot.keyClick(tokens.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(tokens.delete_requested):
        qtbot.keyClick(tokens.view, Qt.Key.Key_Delete)
    # The view's own copy of the cell's text did not run.
    assert QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard) == "left alone"


def test_with_nothing_selected_ctrl_c_and_del_say_nothing(tokens, qtbot) -> None:
    tokens.filter_edit.setText("no-such-token")
    assert tokens.current_entry() is None
    asked: list[str] = []
    tokens.copy_requested.connect(lambda: asked.append("copy"))
    tokens.delete_requested.connect(lambda: asked.append("delete"))
    tokens.view.setFocus()
    QGuiApplication.clipboard().setText("left alone")
    qtbot.keyClick(tokens.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(tokens.view, Qt.Key.Key_Delete)
    # Both keys are handled synchronously by keyPressEvent; nothing was asked for.
    assert asked == []
    assert QGuiApplication.clipboard().text(QClipboard.Mode.Clipboard) == "left alone"


def test_a_right_click_selects_the_row_and_asks_for_the_menu(tokens, qtbot) -> None:
    rect = tokens.view.visualRect(tokens.proxy.index(3, Column.NAME))
    with qtbot.waitSignal(tokens.context_menu_requested) as sig:
        tokens.view.customContextMenuRequested.emit(rect.center())
    assert tokens.current_name() == NAME_ORDER[3]
    assert sig.args[0] == tokens.view.viewport().mapToGlobal(rect.center())


def test_selection_changes_are_signalled_with_the_entry(tokens, qtbot) -> None:
    with qtbot.waitSignal(tokens.current_changed) as sig:
        tokens.select("staging")
    assert isinstance(sig.args[0], Entry) and sig.args[0].name == "staging"
