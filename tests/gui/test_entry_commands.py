"""What the user does to entries, through the window's keys, actions and signals: copy in
every format, delete (asked first), paste & decode, a slow or locked store (offscreen,
in-memory keyring)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from tests.support import demo
from tests.support.gui_window import all_text, clipboard_text, table_rows
from tokenmgr.gui.errors import brief

pytestmark = pytest.mark.gui


def test_enter_copies_the_header_in_a_worker(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("github-ci")
    w.table.setFocus()
    with qtbot.waitSignal(w.token_copied, timeout=5000) as sig:
        qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert sig.args == ["github-ci", "header"]
    assert clipboard_text() == f"Authorization: Bearer {demo.GITHUB}"
    assert w.status_bar.status_text() == "Copied header of github-ci"
    qtbot.waitUntil(lambda: "Clipboard clears in" in w.status_bar.countdown_text(),
                    timeout=3000)
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
def test_copy_formats_and_ctrl_c_repeats_the_last(make_window, qtbot, fmt, expected) -> None:
    w = make_window().window
    assert w.select("github-ci")
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        w.action_table[f"copy_{fmt}"].trigger()
    assert clipboard_text() == expected
    QGuiApplication.clipboard().clear()
    w.table.setFocus()
    with qtbot.waitSignal(w.token_copied, timeout=5000):
        qtbot.keyClick(w.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard_text() == expected


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


def test_ctrl_f_then_type_and_enter_copies_the_first_match(make_window, qtbot) -> None:
    w = make_window().window
    w.table.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.token_list.filter_edit.hasFocus()
    qtbot.keyClicks(w.token_list.filter_edit, "github")
    with qtbot.waitSignal(w.token_copied, timeout=5000) as sig:
        qtbot.keyClick(w.token_list.filter_edit, Qt.Key.Key_Return)
    assert sig.args == ["github-ci", "header"]


def test_with_nothing_selected_ctrl_c_and_del_do_nothing(make_window, qtbot) -> None:
    """The list's keys act like their (disabled) actions: no copy, no status line, no
    question."""
    w = make_window().window
    w.table.setFocus()
    w.token_list.filter_edit.setText("no-such-token")  # nothing left to select
    assert w.token_list.current_entry() is None
    assert not w.action_table["copy_chosen"].isEnabled()
    assert not w.action_table["delete"].isEnabled()
    QGuiApplication.clipboard().setText("left alone")
    events: list[object] = []
    w.token_copied.connect(lambda *a: events.append(a))
    w.commands.dialog_opened.connect(events.append)
    w.commands.status_reported.connect(events.append)
    w.tasks.busy_changed.connect(lambda *a: events.append(a))
    before = w.status_bar.status_text()
    for key, mods in ((Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier),
                      (Qt.Key.Key_Delete, Qt.KeyboardModifier.NoModifier)):
        qtbot.keyClick(w.table, key, mods)
    # A copy would start a worker (busy_changed) synchronously: nothing started.
    assert events == []
    assert clipboard_text() == "left alone"
    assert w.dialog is None
    assert w.status_bar.status_text() == before


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
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w.table, Qt.Key.Key_Delete)
    box = opened.args[0]
    assert box.text() == "Delete old-key? Its token is removed from the keyring."
    assert box.checkBox() is None  # static: nothing to revoke
    assert box.defaultButton().text() != "Delete"
    _click(box, "Cancel")
    assert w.dialog is None
    w.tasks.wait()
    assert "old-key" in w.model.names()
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w.table, Qt.Key.Key_Delete)
    _click(opened.args[0], "Delete")
    qtbot.waitUntil(lambda: "old-key" not in w.model.names(), timeout=5000)
    assert "old-key/access" not in {user for _, user in f.keyring.items}
    assert w.status_bar.status_text() == "Deleted old-key."


def test_delete_offers_revocation_for_oauth_entries(make_window, qtbot) -> None:
    w = make_window().window
    assert w.select("staging")
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["delete"].trigger()
    box = opened.args[0]
    assert box.checkBox() is not None and box.checkBox().isChecked()
    assert box.checkBox().text() == "Also revoke at the provider"
    _click(box, "Cancel")


def test_paste_and_decode_explains_and_stores_nothing(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    before = f.vault.index.path.read_bytes()
    token = demo.jwt_token({"iss": "https://x.example", "sub": "who", "exp": 4102444800})
    QGuiApplication.clipboard().setText(token)
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w, Qt.Key.Key_V,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    d = opened.args[0]
    assert d.windowTitle() == "Paste & decode"
    assert d.note.text() == "Decoded from the clipboard. Nothing was stored."
    rows = {r[0]: r[1] for r in table_rows(d.view.claims)}
    assert rows["sub"] == "who"
    assert token not in all_text(d)
    d.reject()
    assert f.store.calls == [] and f.vault.index.path.read_bytes() == before
    QGuiApplication.clipboard().setText("")
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.paste_decode()
    assert "holds no text" in opened.args[0].note.text()
    opened.args[0].reject()


def test_a_slow_store_leaves_the_window_responsive(make_window, qtbot) -> None:
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
        assert "Reading github-ci" in w.status_bar.busy_text()
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
    qtbot.waitUntil(lambda: w.status_bar.busy_text() == "", timeout=2000)


def test_store_errors_become_sentences_and_a_banner(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    f.keyring.locked = True
    assert w.select("github-ci")
    with qtbot.waitSignal(w.commands.error_reported, timeout=5000) as sig:
        w.copy_selected("header")
    text, store_failed = sig.args
    assert "locked" in text and "Traceback" not in text and "KeyringLocked" not in text
    assert store_failed
    # One line in the status bar (its first sentence), the whole of it in the tooltip and,
    # wrapped, in the banner (it says how to fix it).
    assert w.status_bar.status_text() == brief(f"⚠ {text}") != f"⚠ {text}"
    assert w.status_bar.status_text().endswith(".")
    assert w.status_bar.status_tooltip() == f"⚠ {text}"
    assert w.banner.isVisible() and text in w.banner.text()


def test_a_second_copy_wins_the_clipboard(make_window, qtbot) -> None:
    f = make_window(delay=0.2)
    w = f.window
    copied: list[tuple[str, str]] = []
    w.token_copied.connect(lambda name, fmt: copied.append((name, fmt)))
    w.copy("github-ci", "header")
    w.copy("old-key", "raw")
    w.tasks.wait(10_000)
    # Both results delivered: the busy indicator goes off before the last one is handled.
    qtbot.waitUntil(lambda: w.status_bar.busy_text() == "" and bool(copied), timeout=5000)
    assert copied == [("old-key", "raw")]
    assert clipboard_text() == demo.STRIPE


def test_an_added_token_is_selected_and_its_details_shown(make_window, qtbot) -> None:
    w = make_window().window
    assert w.token_list.current_name() == "api-prod"
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    page = opened.args[0].static_page
    page.token.setText(demo.STRIPE)
    page.name.setText("zz-stripe")  # sorts last: not where the selection was
    with qtbot.waitSignal(w.commands.entries_changed, timeout=5000) as changed:
        opened.args[0].save_button.click()
    assert changed.args == ["zz-stripe"]
    assert w.token_list.current_name() == "zz-stripe"
    assert w.details.entry is not None and w.details.entry.name == "zz-stripe"
    assert w.status_bar.status_text() == "Added zz-stripe"
