"""The add/edit dialog: masked paste field first, live decode, inline validation,
the token never in any widget's text, tooltip or accessible name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.gui import app_support, demo
from tests.gui.test_details import all_text
from tokenmgr.core.entries import Entry
from tokenmgr.gui.entry_dialog import EntryDialog

pytestmark = pytest.mark.gui
make_window = app_support.make_window  # the fixture

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
    assert QApplication.focusWidget() is dialog.token
    assert dialog.token.echoMode() == QLineEdit.EchoMode.Password
    assert not dialog.save_button.isEnabled()
    assert dialog.kind.count() == 2  # the OAuth2 profile slots in here (next issue)


def test_live_decode_and_suggestions(dialog: EntryDialog, qtbot) -> None:
    qtbot.keyClicks(dialog.token, JWT[:20])
    assert dialog.decoded.text().startswith("Malformed")
    dialog.token.setText(JWT)
    text = dialog.decoded.text()
    assert "Signed JWT" in text and "subject svc-42" in text
    assert "issued by https://auth.acme.example/" in text and "expires in 5 h" in text
    assert dialog.name.text() == "acme"
    assert dialog.service.text() == "Acme"
    assert dialog.env_var.text() == "ACME_TOKEN"
    assert dialog.save_button.isEnabled()
    # The expiry comes from the token; the date field is not asked for.
    assert not dialog.expires.isEnabled() and "From the token" in dialog.expires_hint.text()
    assert JWT not in all_text(dialog)
    assert JWT[-20:] not in all_text(dialog)


def test_known_prefix_suggests_a_unique_name(dialog: EntryDialog) -> None:
    dialog.token.setText(demo.GITHUB)
    assert dialog.name.text() == "github-2"  # "github" exists
    assert dialog.service.text() == "GitHub"
    assert "GitHub personal access token" in dialog.decoded.text()
    assert dialog.expires_check.isEnabled()  # an opaque token: the user may give an expiry
    assert demo.GITHUB not in all_text(dialog)


def test_inline_validation_with_the_cli_rules(dialog: EntryDialog, qtbot) -> None:
    dialog.token.setText(demo.GITHUB)
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "bad name")
    assert dialog.name_error.isVisible()
    assert "Invalid name" in dialog.name_error.text()
    assert not dialog.save_button.isEnabled()
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "github")
    assert "exists already" in dialog.name_error.text()
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "gh-ci")
    assert not dialog.name_error.isVisible()
    assert dialog.env_var.text() == "GH_CI_TOKEN"  # follows the name until edited
    dialog.env_var.clear()
    qtbot.keyClicks(dialog.env_var, "1BAD")
    assert dialog.env_error.isVisible() and not dialog.save_button.isEnabled()
    dialog.env_var.clear()
    qtbot.keyClicks(dialog.env_var, "GH")
    dialog.scheme.setCurrentText("two words")
    assert dialog.scheme_error.isVisible() and not dialog.save_button.isEnabled()
    dialog.scheme.setCurrentText("token")
    assert dialog.save_button.isEnabled()
    # A token with a line break is refused inline, without echoing it.
    dialog.token.setText("abc\ndef")
    assert not dialog.save_button.isEnabled()


def test_save_emits_the_request_and_the_dialog_waits(dialog: EntryDialog, qtbot) -> None:
    dialog.token.setText(demo.GITHUB)
    dialog.expires_check.setChecked(True)
    dialog.note.setText("for CI")
    dialog.tags.setText("ci, prod")
    with qtbot.waitSignal(dialog.save_requested) as sig:
        dialog.save_button.click()
    req = sig.args[0]
    assert req.name == "github-2" and req.token == demo.GITHUB and req.tags == ["ci", "prod"]
    assert req.expires_at is not None and req.expires_at > datetime.now(UTC)
    assert demo.GITHUB not in repr(req)
    assert not dialog.save_button.isEnabled()  # busy until the window answers
    dialog.failed("The keyring is locked.")
    assert dialog.save_error.text() == "The keyring is locked." and dialog.save_button.isEnabled()


def test_edit_keeps_the_name_and_the_token_optional(qtbot) -> None:
    entry = Entry("github-ci", service="GitHub", note="n", tags=["ci"])
    d = EntryDialog(existing_names={"github-ci"}, entry=entry)
    qtbot.addWidget(d)
    assert d.name.isReadOnly() and d.name.text() == "github-ci"
    assert d.save_button.isEnabled()  # no new token needed
    assert d.tags.text() == "ci"


def test_add_through_the_window_stores_in_a_worker(make_window, qtbot) -> None:
    f = make_window(entries=False)
    w = f.window
    assert w.empty_label.isVisible()
    assert w.empty_label.text() == "No tokens yet. Add one (Ctrl+N) or sign in to a provider."
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    d = w.dialog
    assert isinstance(d, EntryDialog)
    d.token.setText(JWT)
    d.save_button.click()
    qtbot.waitUntil(lambda: "acme" in w.model.names(), timeout=5000)
    assert w.dialog is None
    assert f.store.calls and not any(c.on_main_thread for c in f.store.calls)
    assert f.vault.get_secret(f.vault.entry("acme")) == JWT
    assert w.selected_name() == "acme" and w.status_message.text() == "Added acme"


def test_edit_through_the_window_changes_metadata_only(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("github-ci")
    before = f.vault.entry("github-ci")
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_F2)
    d = w.dialog
    assert isinstance(d, EntryDialog) and d.name.text() == "github-ci"
    d.note.setText("rotated monthly")
    d.tags.setText("ci, github")
    d.env_var.setText("GH_TOKEN")
    d.save_button.click()
    qtbot.waitUntil(lambda: w.dialog is None, timeout=5000)
    qtbot.waitUntil(lambda: w.model.entry("github-ci").note == "rotated monthly", timeout=5000)
    after = f.vault.entry("github-ci")
    assert after.tags == ["ci", "github"] and after.env_var == "GH_TOKEN"
    assert after.created_at == before.created_at
    # No token was read or written: only the index changed.
    assert not [c for c in f.store.calls if c.method in ("get", "set", "delete")]
    assert w.status_message.text() == "Saved github-ci"
    assert w.details.fields["note"].text() == "rotated monthly"
