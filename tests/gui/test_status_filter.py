"""Status filters: one key (Ctrl+E) shows only what needs attention (expiring, expired,
needs sign-in), the status button's menu one kind of it; the button says which filter
is on and how many it shows; rows come and go as the clock moves; Esc undoes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.support import demo
from tests.support.gui_window import Fixture
from tokenmgr.core.rules import now_utc

pytestmark = pytest.mark.gui


@pytest.fixture
def window(make_window: Callable[..., Fixture]) -> Any:
    f = make_window()
    now = now_utc()
    soon = demo.jwt_token({"sub": "s", "iat": int((now - timedelta(minutes=55)).timestamp()),
                           "exp": int((now + timedelta(minutes=5)).timestamp())})
    f.vault.add("soon", soon, service="Acme")
    f.vault.set_state("staging", "sign_in_needed")  # its refresh token was refused
    f.window.reload()
    return f.window


def pick(w: Any, words: str) -> None:
    for act in w.token_list.status_button.menu().actions():
        if act.text() == words:
            act.trigger()
            return
    raise AssertionError(f"no {words!r} in the status menu")


def test_one_key_shows_what_needs_attention_and_the_button_says_so(window: Any, qtbot) -> None:
    w = window
    button = w.token_list.status_button
    assert button.isVisible() and button.text() == "All tokens" and not button.isChecked()
    assert len(w.token_list.shown_names()) == 6
    qtbot.keyClick(w.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert w.token_list.shown_names() == ["old-key", "soon", "staging"]
    assert button.isChecked() and button.text() == "Needs attention: 3"
    assert button.accessibleName() == "Showing only: needs attention, 3 tokens"
    # And above the list, where it cannot be missed, with the way back.
    bar = w.token_list.filter_bar
    assert bar.isVisible() and bar.text() == "Showing only: needs attention — 3 of 6 tokens"
    assert w.token_list.current_name() in {"old-key", "soon", "staging"}  # a row selected
    qtbot.keyClick(w.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # again: all
    assert len(w.token_list.shown_names()) == 6 and button.text() == "All tokens"
    assert not bar.isVisible() and bar.text() == ""
    button.click()  # the button's own face does what the key does
    assert button.text() == "Needs attention: 3"
    bar.button.click()  # Show all
    assert len(w.token_list.shown_names()) == 6 and not bar.isVisible()


def test_each_kind_from_the_menu_with_the_text_filter_too(window: Any, qtbot) -> None:
    w = window
    tokens = w.token_list
    pick(w, "Expired")
    assert tokens.shown_names() == ["old-key"]
    assert tokens.status_button.text() == "Expired: 1"
    pick(w, "Needs sign-in")
    assert tokens.shown_names() == ["staging"]
    pick(w, "Expiring soon")
    assert tokens.shown_names() == ["soon", "staging"]  # 4 min left, no way to renew
    qtbot.keyClicks(tokens.filter_edit, "stag")
    assert tokens.shown_names() == ["staging"]
    assert tokens.status_button.text() == "Expiring soon: 1"
    # Esc: the text first, then the status filter, then (nothing left) dismiss.
    dismissed: list[bool] = []
    tokens.dismissed.connect(lambda: dismissed.append(True))
    qtbot.keyClick(tokens.filter_edit, Qt.Key.Key_Escape)
    assert tokens.shown_names() == ["soon", "staging"] and tokens.status_filter == "expiring"
    qtbot.keyClick(w.table, Qt.Key.Key_Escape)
    assert len(tokens.shown_names()) == 6 and tokens.status_button.text() == "All tokens"
    assert not dismissed
    qtbot.keyClick(w.table, Qt.Key.Key_Escape)
    assert dismissed == [True]


def test_rows_follow_the_clock_and_an_empty_filter_says_how_back(window: Any) -> None:
    w = window
    tokens = w.token_list
    pick(w, "Expiring soon")
    tokens.tick(now_utc() + timedelta(minutes=6))  # soon and staging have expired now
    assert tokens.shown_names() == []
    assert tokens.currentWidget() is tokens.empty_label
    assert tokens.empty_label.text() == "No token expires soon. Esc shows all tokens."
    assert tokens.status_button.text() == "Expiring soon: 0"
    pick(w, "Expired")
    assert tokens.shown_names() == ["old-key", "soon", "staging"]
