"""Text from tokens, servers and the index is shown as text, never rendered as rich text.

HTML goes into every place the app shows such text, through the real widgets:
the index (service, note, tags), a token's header and claims (an `alg`, a `kid`
and claims that are markup), a server's or the store's sentence (the status
bar, the banner, the decode window's error, the store screen), the filter the
user typed, the add dialog's decoded line and its inline errors, the list's
tooltips, the tray's tooltip. Each place must show the markup as the characters
it is made of: a label in PlainText, or markup made from the text (escaped) where
the widget only draws rich text. `shown()` is what a label puts on the screen,
as text: the source itself when it is drawn as text, the rendered document's
text when it is drawn as rich text (then "<h1>" is gone).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget

from tests.support import demo
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.gui.entry_model import Column

pytestmark = pytest.mark.gui

MARK = "<h1>✔ Verified</h1>"  # short enough to be shown whole (a kid is cut at 40)
LINK = '<a href="https://evil.example">sign in here</a>'
EXP = int((datetime.now(UTC) + timedelta(hours=3)).timestamp())
LONG = MARK + " and more" * 80  # cut in the table: the whole value is its tooltip
HOSTILE_JWT = demo._b64({"alg": "HS<b>256</b>", "typ": "JWT", "kid": MARK}) + "." + demo._b64(
    {"iss": "https://login.example", "sub": MARK, "aud": LINK, "exp": EXP, "desc": LONG,
     "<b>x</b>_token": "left out of the index"}
) + ".c2lnbmF0dXJl"


def shown(label: QLabel) -> str:
    """What `label` draws, as text."""
    text = label.text()
    fmt = label.textFormat()
    if fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    ):
        doc = QTextDocument()
        doc.setHtml(text)
        return doc.toPlainText()
    return text


def shown_tooltip(tip: str) -> str:
    """What a tooltip draws, as text (QToolTip renders what looks like markup)."""
    if QtGui.Qt.mightBeRichText(tip):
        doc = QTextDocument()
        doc.setHtml(tip)
        return doc.toPlainText()
    return tip


def assert_text(label: QLabel, literal: str) -> None:
    assert literal in label.text(), (label.text(), literal)  # the markup went in
    assert literal in shown(label), f"{label.accessibleName()!r} renders {label.text()!r}"
    assert label.textFormat() == Qt.TextFormat.PlainText


def labels_with_markup(root: QWidget) -> list[QLabel]:
    return [w for w in root.findChildren(QLabel) if "<h1>" in w.text() or "<a " in w.text()]


def table_texts(table: QTableWidget) -> list[str]:
    # Items are drawn by the view's delegate as text; no widget sits in a cell.
    assert all(table.cellWidget(r, c) is None
               for r in range(table.rowCount()) for c in range(table.columnCount()))
    return [table.item(r, c).text() for r in range(table.rowCount())
            for c in range(table.columnCount())]


def test_the_index_and_a_token_s_words_show_as_text_in_the_window(make_window, qtbot) -> None:
    f = make_window(entries=False)
    f.vault.add("hostile", HOSTILE_JWT, service=MARK, note=LINK, tags=["<b>ci</b>"])
    w = f.window
    w.reload()
    assert w.select("hostile")
    details = w.details
    assert_text(details.service_label, MARK)
    assert_text(details.fields["note"], LINK)
    assert_text(details.fields["tags"], "<b>ci</b>")
    view = details.access_view
    assert view is not None
    assert_text(view.kind_label, MARK)  # the header's kid
    texts = table_texts(view.claims) + table_texts(view.header)
    assert MARK in texts and LINK in texts
    tips = [view.claims.item(r, 1).toolTip() for r in range(view.claims.rowCount())]
    assert LONG in [shown_tooltip(t) for t in tips]  # the whole value, as text
    # The index leaves a token-holding claim out, and says which: by its name, as text.
    assert_text(view.left_out_label, "<b>x</b>_token")
    # The list: the service column's tooltip is drawn as text too.
    model = w.model
    row = [e.name for e in model.entries].index("hostile")
    tip = model.data(model.index(row, Column.SERVICE), Qt.ItemDataRole.ToolTipRole)
    assert shown_tooltip(tip) == MARK
    assert model.data(model.index(row, Column.SERVICE),
                      Qt.ItemDataRole.AccessibleTextRole) == MARK
    # Nowhere in the window is markup drawn as markup.
    for label in labels_with_markup(w):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    # The revealed token is drawn from escaped text: what shows is the token itself.
    details.token_row.reveal_button.click()
    qtbot.waitUntil(lambda: details.revealed, timeout=5000)
    assert details.revealed_text() == HOSTILE_JWT
    # With the token at hand the full report is drawn: its warnings quote the header.
    assert_text(view.warnings_label, "HS<b>256</b>")
    for label in labels_with_markup(w):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_sentences_from_servers_and_stores_show_as_text(make_window) -> None:
    w = make_window().window
    w.status_bar.show_status(f"⚠ The server said: {MARK}")
    assert_text(w.status_bar._message, MARK)
    long = f"⚠ The server said: {MARK}" + " and then some more" * 20
    w.status_bar.show_status(long)  # brief on the bar, the whole in its tooltip
    assert shown_tooltip(w.status_bar._message.toolTip()) == long
    w.status_bar.set_busy(True, f"Reading {MARK}…")
    assert_text(w.status_bar._busy_label, MARK)
    w.status_bar.set_busy(False, "")
    w.banner.show_problem(f"The keyring answered {LINK}")
    assert_text(w.banner._label, LINK)
    w.token_list.filter_edit.setText(MARK)  # what the user typed, quoted back
    assert_text(w.token_list.empty_label, MARK)


def test_the_decode_window_shows_the_token_and_a_failed_check_as_text(qtbot) -> None:
    import dataclasses

    from tokenmgr.gui.decode_dialog import DecodeDialog

    answers = [
        # What the issuer's key server said, as the verdict's reason.
        lambda report, ok, _failed: ok(dataclasses.replace(
            report, signature="unverifiable", verification={"reason": f"the server: {MARK}"})),
        lambda _report, _ok, failed: failed(
            TokenMgrError(f"the issuer's keys could not be read: {MARK}")),
    ]

    def verify(report, _request, ok, failed) -> None:  # type: ignore[no-untyped-def]
        answers.pop(0)(report, ok, failed)

    signed = HOSTILE_JWT.replace(HOSTILE_JWT.split(".")[0], demo._b64(
        {"alg": "RS256", "typ": "JWT", "kid": MARK}))
    d = DecodeDialog(signed, verify=verify)
    qtbot.addWidget(d)
    assert_text(d.view.kind_label, MARK)
    d.verify_button.click()
    assert_text(d.view.badge_label, MARK)
    d.verify_button.click()
    assert_text(d.error, MARK)
    for label in labels_with_markup(d):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_the_add_dialog_shows_what_a_pasted_token_says_as_text(qtbot) -> None:
    from tokenmgr.gui.entry_dialog import EntryDialog

    d = EntryDialog(existing_names=set())
    qtbot.addWidget(d)
    page = d.static_page
    page.token.setText(demo._b64({"alg": "RS256", "typ": "JWT"}) + "." + demo._b64(
        {"iss": "https://login.example", "sub": MARK, "exp": EXP}) + ".c2ln")
    assert_text(page.decoded, MARK)
    page.name.clear()
    qtbot.keyClicks(page.name, "<h1>x")
    assert page.name_error.text()  # the rule's sentence (it may quote what was typed)
    assert page.name_error.textFormat() == Qt.TextFormat.PlainText
    for label in labels_with_markup(d):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_the_store_screen_quotes_the_keyring_as_text(qtbot) -> None:
    from tokenmgr.gui.first_run import MODE_NO_KEYRING, StoreSetupPage

    page = StoreSetupPage()
    qtbot.addWidget(page)
    page.set_mode(MODE_NO_KEYRING, tried=LINK, problem=MARK)
    # This page is rich text on purpose (paragraphs, emphasis): what it quotes is escaped.
    assert MARK in shown(page.explain) and LINK in shown(page.explain)
    page.set_error(f"The keyring said {MARK}")
    assert_text(page.error, MARK)


def test_the_delete_question_and_the_tray_tooltip_are_text(qtbot) -> None:
    from tokenmgr.core.entries import Entry
    from tokenmgr.gui.delete_dialog import DeleteDialog
    from tokenmgr.gui.tray import Tray

    d = DeleteDialog(Entry("github-ci"), f"the vault file {MARK}")
    qtbot.addWidget(d)
    assert d.textFormat() == Qt.TextFormat.PlainText and MARK in d.text()
    tray = Tray()
    try:
        tray.set_clipboard_note(f"The clipboard said {MARK}")
        tip = tray.tooltip()
        assert MARK in tip
        # Its first line is the app's own words: the tooltip is drawn as text.
        assert not QtGui.Qt.mightBeRichText(tip)
    finally:
        tray.hide()
        tray.menu.deleteLater()
        tray.deleteLater()


def test_the_device_sign_in_shows_the_servers_code_address_and_states_as_text(qtbot) -> None:
    import threading

    from tokenmgr.gui.device_dialog import DeviceDialog

    d = DeviceDialog(MARK, f"https://login.example/device{LINK}", 600, threading.Event(),
                     provider="Acme", open_url=lambda _url: None)
    qtbot.addWidget(d)
    assert_text(d.code_label, MARK)
    assert_text(d.url_label, LINK)
    d.set_state(f"The server said {MARK}")
    assert_text(d.state_label, MARK)
    assert labels_with_markup(d) == [d.code_label, d.url_label, d.state_label]
