"""The add/edit dialog: masked paste field first, live decode, inline validation,
the token never in any widget's text, tooltip or accessible name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.support import demo
from tests.support.gui_window import all_text
from tokenmgr.core.entries import Entry
from tokenmgr.gui.entry_dialog import EntryDialog

pytestmark = pytest.mark.gui

JWT = demo.jwt_token({
    "iss": "https://auth.acme.example/",
    "sub": "svc-42",
    "exp": int((datetime.now(UTC) + timedelta(hours=5)).timestamp()),
})


@pytest.fixture
def dialog(qtbot) -> EntryDialog:
    d = EntryDialog(existing_names={"github"})
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    return d


def test_paste_field_first_focused_and_masked(dialog: EntryDialog) -> None:
    page = dialog.static_page
    assert QApplication.focusWidget() is page.token
    assert page.token.echoMode() == QLineEdit.EchoMode.Password
    assert not dialog.save_button.isEnabled()
    assert dialog.kind.count() == 2  # a static token, or an OAuth2 sign-in


def test_live_decode_and_suggestions(dialog: EntryDialog, qtbot) -> None:
    page = dialog.static_page
    qtbot.keyClicks(page.token, JWT[:20])
    assert page.decoded.text().startswith("Malformed")
    page.token.setText(JWT)
    text = page.decoded.text()
    assert "Signed JWT" in text and "subject svc-42" in text
    assert "issued by https://auth.acme.example/" in text and "expires in 5 h" in text
    assert page.name.text() == "acme"
    assert page.service.text() == "Acme"
    assert page.env_var.text() == "ACME_TOKEN"
    assert dialog.save_button.isEnabled()
    # The expiry comes from the token; the date field is not asked for.
    assert not page.expires.isEnabled() and "From the token" in page.expires_hint.text()
    assert JWT not in all_text(dialog)
    assert JWT[-20:] not in all_text(dialog)


def test_known_prefix_suggests_a_unique_name(dialog: EntryDialog) -> None:
    page = dialog.static_page
    page.token.setText(demo.GITHUB)
    assert page.name.text() == "github-2"  # "github" exists
    assert page.service.text() == "GitHub"
    assert "GitHub personal access token" in page.decoded.text()
    assert page.expires_check.isEnabled()  # an opaque token: the user gives an expiry
    assert demo.GITHUB not in all_text(dialog)


def test_inline_validation_with_the_cli_rules(dialog: EntryDialog, qtbot) -> None:
    page = dialog.static_page
    page.token.setText(demo.GITHUB)
    page.name.clear()
    qtbot.keyClicks(page.name, "bad name")
    assert page.name_error.isVisible()
    assert "Invalid name" in page.name_error.text()
    assert not dialog.save_button.isEnabled()
    page.name.clear()
    qtbot.keyClicks(page.name, "github")
    assert "exists already" in page.name_error.text()
    page.name.clear()
    qtbot.keyClicks(page.name, "gh-ci")
    assert not page.name_error.isVisible()
    assert page.env_var.text() == "GH_CI_TOKEN"  # follows the name until edited
    page.env_var.clear()
    qtbot.keyClicks(page.env_var, "1BAD")
    assert page.env_error.isVisible() and not dialog.save_button.isEnabled()
    page.env_var.clear()
    qtbot.keyClicks(page.env_var, "GH")
    page.scheme.setCurrentText("two words")
    assert page.scheme_error.isVisible() and not dialog.save_button.isEnabled()
    page.scheme.setCurrentText("token")
    assert dialog.save_button.isEnabled()
    # A token with a line break is refused inline, without echoing it.
    page.token.setText("abc\ndef")
    assert not dialog.save_button.isEnabled()


def test_save_emits_the_request_and_the_dialog_waits(dialog: EntryDialog, qtbot) -> None:
    page = dialog.static_page
    page.token.setText(demo.GITHUB)
    page.expires_check.setChecked(True)
    page.note.setText("for CI")
    page.tags.setText("ci, prod")
    with qtbot.waitSignal(dialog.save_requested) as sig:
        dialog.save_button.click()
    req = sig.args[0]
    assert req.name == "github-2" and req.token == demo.GITHUB and req.tags == ["ci", "prod"]
    assert req.expires_at is not None and req.expires_at > datetime.now(UTC)
    assert demo.GITHUB not in repr(req)
    assert not dialog.save_button.isEnabled()  # busy until the window answers
    dialog.failed("The keyring is locked.")
    assert dialog.save_error.text() == "The keyring is locked." and dialog.save_button.isEnabled()


def test_edit_offers_the_name_and_the_token_optional(qtbot) -> None:
    entry = Entry("github-ci", service="GitHub", note="n", tags=["ci"])
    d = EntryDialog(existing_names={"github-ci", "gitlab"}, entry=entry)
    qtbot.addWidget(d)
    page = d.static_page
    # The name is editable: a new one renames the entry, and the dialog says what it does.
    assert not page.name.isReadOnly() and page.name.text() == "github-ci"
    assert d.save_button.isEnabled()  # no new token needed
    assert page.tags.text() == "ci"
    assert page.rename_hint.isHidden()
    page.name.setText("gh-ci")
    page.revalidate()
    assert page.rename_hint.text() == (
        "Saving renames github-ci to gh-ci; its token moves with it and its env var stays "
        "GITHUB_CI_TOKEN.")
    assert d.save_button.isEnabled() and page.request().renames
    page.name.setText("gitlab")
    page.revalidate()
    assert page.name_error.text() == "A token named gitlab exists already; choose another name."
    assert not d.save_button.isEnabled()
    page.name.setText("")
    page.revalidate()
    assert page.name_error.text() == "Give the token a name." and not d.save_button.isEnabled()


def test_add_through_the_window_stores_in_a_worker(make_window, qtbot) -> None:
    f = make_window(entries=False)
    w = f.window
    assert w.welcome.isVisible()
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    d = opened.args[0]
    assert isinstance(d, EntryDialog)
    d.static_page.token.setText(JWT)
    d.save_button.click()
    qtbot.waitUntil(lambda: "acme" in w.model.names(), timeout=5000)
    assert w.dialog is None
    assert f.store.calls and not any(c.on_main_thread for c in f.store.calls)
    assert f.vault.get_secret(f.vault.entry("acme")) == JWT
    assert w.token_list.current_name() == "acme"
    assert w.status_bar.status_text() == "Added acme"


def test_edit_through_the_window_changes_metadata_only(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("github-ci")
    before = f.vault.entry("github-ci")
    w.table.setFocus()
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        qtbot.keyClick(w.table, Qt.Key.Key_F2)
    d = opened.args[0]
    page = d.static_page
    assert isinstance(d, EntryDialog) and page.name.text() == "github-ci"
    page.note.setText("rotated monthly")
    page.tags.setText("ci, github")
    page.env_var.setText("GH_TOKEN")
    d.save_button.click()
    qtbot.waitUntil(lambda: w.dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: w.model.entry("github-ci").note == "rotated monthly", timeout=5000)
    after = f.vault.entry("github-ci")
    assert after.tags == ["ci", "github"] and after.env_var == "GH_TOKEN"
    assert after.created_at == before.created_at
    # No token was read or written: only the index changed.
    assert not [c for c in f.store.calls if c.method in ("get", "set", "delete")]
    assert w.status_bar.status_text() == "Saved github-ci"
    assert w.details.fields["note"].text() == "rotated monthly"


def test_the_pasted_token_does_not_outlive_the_dialog(qtbot) -> None:
    for close in ("reject", "saved"):
        d = EntryDialog(existing_names=set())
        qtbot.addWidget(d)
        d.static_page.token.setText(demo.GITHUB)
        getattr(d, close)()
        assert d.static_page.token.text() == "", close


def test_the_kind_switches_the_page_and_the_primary_button(dialog: EntryDialog) -> None:
    dialog.static_page.token.setText(demo.GITHUB)
    assert dialog.save_button.text() == "Add token" and dialog.save_button.isEnabled()
    dialog.kind.setCurrentIndex(dialog.kind.findData("oauth2"))
    assert dialog.pages.currentWidget() is dialog.oauth_page
    assert dialog.windowTitle() == "Sign in to a provider"
    assert dialog.save_button.text() == dialog.save_button.accessibleName() == "Sign in"
    assert not dialog.save_button.isEnabled()  # nothing filled in yet
    dialog.kind.setCurrentIndex(dialog.kind.findData("static"))
    assert dialog.pages.currentWidget() is dialog.static_page
    assert dialog.save_button.text() == "Add token" and dialog.save_button.isEnabled()


# ------------------------------------------------- what a paste brings with it


def _paste(page, text: str) -> None:
    """Paste as the user does: the text on the clipboard, then Ctrl+V in the field."""
    from PySide6.QtGui import QGuiApplication

    page.token.clear()
    QGuiApplication.clipboard().setText(text)
    page.token.setFocus()
    page.token.paste()


@pytest.mark.parametrize("prefix", ["Bearer ", "bearer ", "Authorization: Bearer ", "BEARER\t"])
def test_a_pasted_scheme_is_removed_and_said_as_the_cli_says_it(
    dialog: EntryDialog, cli, prefix: str
) -> None:
    page = dialog.static_page
    _paste(page, prefix + JWT)
    assert page.request().token == JWT
    assert page.decoded.text().startswith("Signed JWT")
    # The same words as `tokenmgr add` (which prints "note: …" on stderr).
    r = cli("add", "same", stdin=prefix + JWT)
    cli_note = r.err.splitlines()[0].removeprefix("tokenmgr: note: ")
    assert page.token_note.isVisible()
    assert page.token_note.text() == cli_note[0].upper() + cli_note[1:] + "."
    assert f"Removed '{' '.join(prefix.split())}' pasted in front" in page.token_note.text()
    assert dialog.save_button.isEnabled()
    assert JWT not in all_text(dialog)


def test_the_entrys_own_scheme_is_removed_once_it_is_chosen(dialog: EntryDialog) -> None:
    page = dialog.static_page
    _paste(page, f"token {demo.GITHUB}")
    assert page.request().token == f"token {demo.GITHUB}"  # not this entry's scheme (Bearer)
    assert not page.token_note.isVisible()
    page.scheme.setCurrentText("token")
    assert page.request().token == demo.GITHUB
    assert "Removed 'token' pasted in front" in page.token_note.text()
    assert page.name.text() == "github-2"  # suggested from the token as stored


def test_a_scheme_with_no_token_after_it_is_refused(dialog: EntryDialog) -> None:
    page = dialog.static_page
    _paste(page, "Authorization: Bearer   ")
    assert page.token_error.isVisible()
    assert page.token_error.text() == (
        "Only 'Authorization: Bearer' was given, with no token after it."
    )
    assert not dialog.save_button.isEnabled()


def test_a_token_longer_than_a_line_edit_takes_is_kept_whole(dialog: EntryDialog) -> None:
    page = dialog.static_page
    token = "opaque-" + "x" * 40_000  # QLineEdit cuts at 32,767 unless told otherwise
    page.name.setText("long-one")
    _paste(page, token)
    assert page.request().token == token
    assert not page.token_error.isVisible() and dialog.save_button.isEnabled()


def test_a_token_over_the_limit_is_refused_never_cut(dialog: EntryDialog) -> None:
    from tokenmgr.core.rules import MAX_TOKEN_BYTES, TOO_LONG

    page = dialog.static_page
    page.name.setText("long-one")
    _paste(page, "t" * MAX_TOKEN_BYTES)
    assert page.request().token == "t" * MAX_TOKEN_BYTES and dialog.save_button.isEnabled()
    _paste(page, "t" * (MAX_TOKEN_BYTES + 5000))
    assert page.token_error.isVisible()
    assert page.token_error.text() == TOO_LONG[0].upper() + TOO_LONG[1:] + "."
    assert not dialog.save_button.isEnabled()
    assert page.request().token is None  # nothing, rather than the first 64 KiB


def test_a_line_break_is_refused_in_the_clis_words(dialog: EntryDialog, cli) -> None:
    page = dialog.static_page
    wrapped = JWT[:40] + "\n" + JWT[40:]
    _paste(page, wrapped)
    r = cli("add", "x", stdin=wrapped + "\n")
    cli_words = r.err.removeprefix("tokenmgr: ").removesuffix(": nothing was stored\n")
    assert page.token_error.text() == cli_words[0].upper() + cli_words[1:] + "."
    assert page.decoded.text() == ""  # one message, not a decoded JWT beside a refusal
    assert not dialog.save_button.isEnabled()


def test_a_pasted_header_value_is_stored_without_its_scheme(make_window, qtbot) -> None:
    f = make_window(entries=False)
    w = f.window
    with qtbot.waitSignal(w.commands.dialog_opened) as opened:
        w.action_table["add"].trigger()
    d = opened.args[0]
    _paste(d.static_page, f"Authorization: Bearer {JWT}")
    d.save_button.click()
    qtbot.waitUntil(lambda: "acme" in w.model.names(), timeout=5000)
    assert f.vault.get_secret(f.vault.entry("acme")) == JWT
