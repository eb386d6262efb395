"""Paste & decode, as jwt.io does it and more: the signature checked (in a worker) with
the issuer's keys, a shared secret, a public key or a JWKS URL, never stored and gone
with the dialog; the header and payload as JSON to copy; "Add this token" opening the
add dialog with it. Through the real window, offscreen, with the in-memory keyring."""

from __future__ import annotations

import json
import time

import jwt as pyjwt
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.support import demo
from tests.support.gui_window import all_text, clipboard_text, table_rows
from tests.support.jwt_helpers import Keys, KeyServer, sign
from tokenmgr.core.redact import MASK, redact
from tokenmgr.core.rules import LINE_BREAK
from tokenmgr.gui.decode_dialog import DecodeDialog
from tokenmgr.gui.entry_dialog import EntryDialog

pytestmark = pytest.mark.gui

SECRET = "correct-horse-battery-staple-" + str(time.time_ns())


def _claims() -> dict[str, object]:
    return {"sub": "svc-42", "name": "Build bot", "roles": ["ci"],
            "exp": int(time.time()) + 3600}


def _open(f, qtbot, text: str) -> DecodeDialog:
    """Put `text` on the clipboard and press Ctrl+Shift+V in the window."""
    QGuiApplication.clipboard().setText(text)
    with qtbot.waitSignal(f.window.commands.dialog_opened) as opened:
        qtbot.keyClick(f.window, Qt.Key.Key_V,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = opened.args[0]
    assert isinstance(dialog, DecodeDialog)
    QGuiApplication.clipboard().setText("")
    return dialog


def _verified(qtbot, d: DecodeDialog) -> str:
    qtbot.waitUntil(lambda: d.verify_button.isEnabled(), timeout=10_000)
    return d.view.badge_label.text()


def test_an_hmac_token_is_checked_with_its_secret_which_is_never_kept(make_window, qtbot) -> None:
    f = make_window()
    before = f.vault.index.path.read_bytes()
    token = pyjwt.encode(_claims(), SECRET, algorithm="HS256")
    d = _open(f, qtbot, token)
    assert d.source.currentData() == "secret"  # chosen for an HS256 token
    assert d.secret.isVisible() and not d.public_key.isVisible()
    assert d.secret.echoMode() == d.secret.EchoMode.Password
    qtbot.keyClicks(d.secret, SECRET)
    qtbot.keyClick(d.secret, Qt.Key.Key_Return)  # Enter checks it
    assert _verified(qtbot, d) == "✔ Signature verified with the secret you gave"
    assert SECRET not in all_text(d) and token not in all_text(d)
    assert redact(f"x {SECRET} y") == f"x {MASK} y"  # the log filter learnt it
    # A wrong secret: plainly invalid.
    d.secret.setText(SECRET + "!")
    d.verify_button.click()
    assert _verified(qtbot, d) == (
        "✖ Invalid signature: the signature does not match the secret given"
    )
    d.reject()
    assert d.secret.text() == ""  # gone with the dialog
    assert f.store.calls == [] and f.vault.index.path.read_bytes() == before


def test_the_issuer_keys_say_an_hmac_token_needs_its_secret(make_window, qtbot) -> None:
    f = make_window()
    d = _open(f, qtbot, pyjwt.encode(_claims(), SECRET, algorithm="HS256"))
    d.source.setCurrentIndex(d.source.findData("issuer"))
    assert d.issuer_note.isVisible() and not d.secret.isVisible()
    d.verify_button.click()
    assert _verified(qtbot, d).startswith("? Can't verify (HS256 is signed with a shared secret")
    assert 'Choose "A shared secret (HMAC)" above' in d.view.reason_label.text()
    d.reject()


@pytest.mark.parametrize("how", ["pem", "jwk_set"])
def test_a_public_key_checks_its_tokens(make_window, qtbot, how: str) -> None:
    from cryptography.hazmat.primitives import serialization

    keys = Keys.generate()
    f = make_window()
    d = _open(f, qtbot, sign(_claims(), keys.ec256, "ES256", "ec256"))
    assert d.source.currentData() == "issuer"
    d.source.setCurrentIndex(d.source.findData("public_key"))
    if how == "pem":
        given = keys.ec256.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    else:
        given = json.dumps(keys.jwks())
    d.public_key.setPlainText(given)
    d.verify_button.click()
    assert _verified(qtbot, d) == "✔ Signature verified with the public key you gave"
    d.reject()
    assert d.public_key.toPlainText() == ""


def test_a_private_key_is_refused_in_a_sentence(make_window, qtbot) -> None:
    f = make_window()
    d = _open(f, qtbot, sign(_claims(), Keys.generate().rsa, "RS256", None))
    d.source.setCurrentIndex(d.source.findData("public_key"))
    d.public_key.setPlainText("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----")
    d.verify_button.click()
    qtbot.waitUntil(lambda: d.error.isVisible(), timeout=10_000)
    assert d.error.text() == (
        "That is a private key: paste the public key instead (checking a signature never "
        "needs the private key)."
    )
    assert d.view.badge_label.text() == "– Signature not checked"
    d.reject()


def test_a_jwks_url_checks_the_token_and_must_be_https(make_window, qtbot) -> None:
    keys = Keys.generate()
    f = make_window()
    with KeyServer() as server:
        server.set_json("/jwks", keys.jwks())
        d = _open(f, qtbot, sign({**_claims(), "iss": "https://elsewhere.example"}, keys.rsa,
                                 "RS256", "rsa"))
        d.source.setCurrentIndex(d.source.findData("jwks_url"))
        d.jwks_url.setText("http://keys.example/jwks.json")
        d.verify_button.click()
        qtbot.waitUntil(lambda: d.error.isVisible(), timeout=10_000)
        assert "must use https" in d.error.text()
        d.jwks_url.setText(server.jwks_uri)
        d.verify_button.click()
        assert _verified(qtbot, d) == (
            "✔ Signature verified with the keys at the JWKS URL you gave"
        )
        assert not d.error.isVisible()
        d.reject()


def test_the_header_and_payload_show_as_json_to_copy(make_window, qtbot) -> None:
    f = make_window()
    claims = _claims()
    d = _open(f, qtbot, pyjwt.encode(claims, SECRET, algorithm="HS256"))
    assert [r[0] for r in table_rows(d.view.claims)] == list(claims)
    d.view.tabs.setCurrentIndex(1)
    assert json.loads(d.view.payload_json.toPlainText()) == claims
    d.view.copy_header_button.click()
    assert json.loads(clipboard_text()) == {"alg": "HS256", "typ": "JWT"}
    d.reject()


def test_add_this_token_opens_the_add_dialog_with_it(make_window, qtbot) -> None:
    f = make_window(entries=False)
    token = demo.jwt_token({"iss": "https://login.acme.example", "sub": "me",
                            "exp": int(time.time()) + 3600})
    d = _open(f, qtbot, f"Authorization: Bearer {token}\n")
    assert d.add_button.isEnabled()
    with qtbot.waitSignal(f.window.commands.dialog_opened) as opened:
        d.add_button.click()
    add = opened.args[0]
    assert isinstance(add, EntryDialog) and not d.isVisible()
    page = add.static_page
    assert page.request().token == token and page.name.text() == "acme"
    assert token not in all_text(add)
    add.save_button.click()
    qtbot.waitUntil(lambda: "acme" in f.window.model.names(), timeout=5000)
    assert f.vault.get_secret(f.vault.entry("acme")) == token


def test_a_token_with_a_line_break_gets_the_clis_sentence(make_window, qtbot) -> None:
    f = make_window()
    d = _open(f, qtbot, "ghp_abc\ndef")
    assert d.view.kind_label.text() == "malformed token"
    assert d.view.reason_label.text() == LINE_BREAK
    assert not d.add_button.isEnabled() and not d.key_box.isVisible()
    d.reject()
