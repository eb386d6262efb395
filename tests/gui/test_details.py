"""The details pane: claims in words, the ID token labelled, masked token, reveal lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtWidgets import QWidget

from tests.support import demo
from tests.support.gui_window import all_text, table_rows
from tokenmgr.core import jwt_inspect
from tokenmgr.core.entries import Entry
from tokenmgr.gui.details import DetailsPane

pytestmark = pytest.mark.gui

NOW = datetime.now(UTC).replace(microsecond=0)
CLAIMS = {
    "iss": "https://login.acme.example",
    "sub": "1234",
    "aud": ["api", "web"],
    "azp": "desktop",
    "scope": "openid api",
    "jti": "abc-1",
    "iat": demo.ts(timedelta(hours=-1), NOW),
    "nbf": demo.ts(timedelta(hours=-1), NOW),
    "exp": demo.ts(timedelta(hours=3), NOW),
}
TOKEN = demo.jwt_token(CLAIMS)


def test_every_registered_claim_has_its_gloss(qtbot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    entry = Entry("acme", report=jwt_inspect.summary(jwt_inspect.inspect(TOKEN)))
    pane.set_entry(entry, NOW)
    pane.set_access_report("acme", jwt_inspect.inspect(TOKEN))  # full: with jti
    rows = {r[0]: r for r in table_rows(pane.access_view.claims)}
    glosses = {
        "exp": "expires", "iat": "issued", "nbf": "not valid before", "iss": "issued by",
        "sub": "who the token is about", "aud": "meant for", "azp": "requested by",
        "scope": "what it may do", "jti": "token id",
    }
    for claim, gloss in glosses.items():
        assert rows[claim][2] == gloss
    # Times: local, UTC and relative.
    assert "UTC" in rows["exp"][1] and "in 3 h" in rows["exp"][1]
    assert "ago" in rows["iat"][1]
    assert pane.access_view.expiry_label.text() == "Expires in 3 h 00 min 00 s"
    header = {r[0]: r[1] for r in table_rows(pane.access_view.header)}
    assert header["alg"] == "RS256" and header["kid"] == "k1"
    assert pane.access_view.kind_label.text() == "signed JWT · RS256 · kid k1"


def test_countdown_ticks(qtbot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.set_entry(Entry("acme", expires_at=NOW + timedelta(minutes=4),
                         report=jwt_inspect.summary(jwt_inspect.inspect(TOKEN))), NOW)
    pane.tick(NOW + timedelta(seconds=10))
    assert pane.access_view.expiry_label.text() == "Expires in 3 min 50 s"
    pane.tick(NOW + timedelta(minutes=5))
    assert pane.access_view.expiry_label.text() == "Expired 60 s ago"


def test_id_token_is_labelled_and_read_only_on_request(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("staging")
    pane = w.details
    assert pane.id_box.isVisible()
    text = all_text(pane)
    assert "ACCESS TOKEN" in text and "what APIs accept" in text
    assert "ID TOKEN" in text and "tells this app who signed in; not for APIs" in text
    assert f.store.reads() == []  # nothing read to draw
    pane.id_button.click()
    qtbot.waitUntil(lambda: pane.id_view is not None and pane.id_view.isVisible(),
                    timeout=5000)
    rows = {r[0]: r for r in table_rows(pane.id_view.claims)}
    assert rows["name"][1] == "Ada Lovelace"
    assert rows["aud"][1] == "tokenmgr-desktop"
    assert all(not c.on_main_thread for c in f.store.calls)


def test_masked_then_revealed_in_three_segments(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    assert w.select("api-prod")
    pane = w.details
    assert pane.token_row.mask_label.text() == "•" * 16
    # Fixed width: a longer token shows the same mask.
    assert w.select("github-ci") and pane.token_row.mask_label.text() == "•" * 16
    assert w.select("api-prod")
    token = f.vault.get_secret(f.vault.entry("api-prod"))
    f.store.calls.clear()
    pane.token_row.reveal_button.click()
    qtbot.waitUntil(lambda: pane.revealed, timeout=5000)
    assert pane.revealed_text() == token
    html = pane.token_row.token_text.toHtml()
    for color in ("#fb015b", "#d63aff", "#00b9f1"):
        assert color in html
    assert token not in all_text(w)  # revealed in the text view only, never in a name
    assert not any(c.on_main_thread for c in f.store.calls)
    # The full report came with it: jti is now shown.
    assert "jti" in [r[0] for r in table_rows(pane.access_view.claims)]


def test_reveal_lapses_on_selection_change_and_hide(make_window, qtbot) -> None:
    f = make_window()
    w = f.window
    pane = w.details
    assert w.select("api-prod")
    pane.token_row.reveal_button.click()
    qtbot.waitUntil(lambda: pane.revealed, timeout=5000)
    assert w.select("github-ci")
    assert not pane.revealed and pane.revealed_text() == ""
    assert pane.token_row.mask_label.isVisible()
    assert not pane.token_row.reveal_button.isChecked()
    assert w.select("api-prod")
    pane.token_row.reveal_button.click()
    qtbot.waitUntil(lambda: pane.revealed, timeout=5000)
    w.hide()
    assert not pane.revealed and pane.revealed_text() == ""


def test_selection_change_before_the_read_returns_shows_nothing(make_window, qtbot) -> None:
    f = make_window(delay=0.3)
    w = f.window
    pane = w.details
    assert w.select("api-prod")
    pane.token_row.reveal_button.click()
    assert w.select("github-ci")
    w.tasks.wait(5000)
    # The read's result has been delivered once the busy indicator goes off.
    qtbot.waitUntil(lambda: w.status_bar.busy_text() == "", timeout=5000)
    assert not pane.revealed and pane.revealed_text() == ""


def test_verify_runs_in_a_worker_and_says_pinned_or_not(make_window, qtbot) -> None:
    from tests.support.jwt_helpers import Keys, KeyServer, sign
    from tokenmgr.core.entries import OAuthConfig, TokenSet
    from tokenmgr.core.oauth import binding

    keys = Keys.generate()
    exp = demo.ts(timedelta(hours=1))
    with KeyServer() as pinned_srv, KeyServer() as other_srv:
        pinned_srv.serve_issuer(keys.jwks())
        other_srv.serve_issuer(keys.jwks())
        f = make_window(entries=False)
        vault = f.vault
        entry = Entry("corp", kind="oauth2", service="Corp",
                      oauth=OAuthConfig(issuer=pinned_srv.issuer, client_id="app"))
        vault.save_tokens(entry, TokenSet(access=sign(
            {"iss": pinned_srv.issuer, "sub": "me", "exp": exp}, keys.rsa, "RS256", "rsa"),
            binding=binding.digest(entry)))  # it pins only with its binding, as signed in
        vault.add("elsewhere", sign({"iss": other_srv.issuer, "sub": "me", "exp": exp},
                                    keys.rsa, "RS256", "rsa"))
        vault.add("forged", sign({"iss": other_srv.issuer, "sub": "me", "exp": exp},
                                 Keys.generate().rsa, "RS256", "rsa"))
        w = f.window
        w.reload()
        f.store.calls.clear()
        assert w.select("corp")
        view = w.details.access_view
        assert view.badge_label.text() == "– Signature not checked"
        view.verify_button.click()
        qtbot.waitUntil(lambda: "verified" in view.badge_label.text().lower(), timeout=10_000)
        assert view.badge_label.text() == "✔ Signature verified (pinned issuer)"
        # The status bar gives the verdict, not just "checked".
        assert w.status_bar.status_text() == "corp: ✔ Signature verified (pinned issuer)"
        assert w.select("elsewhere")
        w.details.access_view.verify_button.click()
        qtbot.waitUntil(lambda: "Verified" in w.details.access_view.badge_label.text(),
                        timeout=10_000)
        text = w.details.access_view.badge_label.text()
        assert text.startswith("⚠ Verified, issuer not pinned") and "✔" not in text
        assert w.status_bar.status_text() == f"elsewhere: {text}"
        # A signature that does not verify: the status bar says so.
        assert w.select("forged")
        w.details.access_view.verify_button.click()
        qtbot.waitUntil(lambda: "Invalid" in w.details.access_view.badge_label.text(),
                        timeout=10_000)
        assert w.status_bar.status_text().startswith("forged: ✖ Invalid signature")
        assert "Checked" not in w.status_bar.status_text()
        assert not any(c.on_main_thread for c in f.store.calls)


def test_the_revealed_token_shows_under_its_row_with_a_report(qtbot) -> None:
    """The report view and the token text are made when first needed; each goes in its
    own place: the report under the access token's title, the token under its row."""
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.resize(600, 900)
    pane.show()
    entry = Entry("acme", report=jwt_inspect.summary(jwt_inspect.inspect(TOKEN)))
    pane.set_entry(entry, NOW)
    row = pane.token_row
    row.reveal_button.setChecked(True)
    pane.show_token("acme", TOKEN)
    qtbot.waitUntil(lambda: row.token_text is not None and row.token_text.isVisible())
    assert pane.access_view is not None

    def top(w: QWidget) -> int:
        return w.mapTo(pane, w.rect().topLeft()).y()

    assert top(pane.access_title) < top(pane.access_view) < top(row.reveal_button)
    assert top(row.token_text) > top(row.reveal_button) + row.reveal_button.height() // 2
    assert top(row.token_text) < top(pane.fields["env_var"])


def test_no_report_view_is_made_for_an_entry_without_a_report(qtbot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.set_entry(Entry("old", expires_at=NOW + timedelta(hours=1)), NOW)
    pane.tick(NOW + timedelta(seconds=1))
    pane.set_verifying(True)
    assert pane.access_view is None
    assert not pane.no_report.isHidden()


def test_the_id_token_countdown_ticks_without_an_access_report(qtbot) -> None:
    """An entry with no stored report still gets its ID token's live countdown."""
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show()  # the ID token's view ticks while it is on screen
    pane.set_entry(Entry("old", secrets=["access", "id"]), NOW)
    assert pane.access_view is None
    pane.set_id_report("old", jwt_inspect.inspect(TOKEN))
    assert pane.id_view is not None
    assert pane.id_view.expiry_label.text() == "Expires in 3 h 00 min 00 s"
    pane.tick(NOW + timedelta(minutes=5))
    assert pane.id_view.expiry_label.text() == "Expires in 2 h 55 min 00 s"


# ------------------------------------------------ every claim, in token order, as JSON

RICH = {
    "sub": "auth0|6541f0c2a1b9",
    "email": "ada@acme.example",
    "roles": ["admin", "billing:read"],
    "org": {"id": "org_42", "plan": {"tier": "enterprise", "seats": 250}},
    "nonce": "n-0S6_WzA2Mj",
    "iss": "https://login.acme.example/",
    "exp": demo.ts(timedelta(hours=3), NOW),
    "x-tenant": "eu-1",
}
RICH_TOKEN = demo.jwt_token(RICH)


def _rich_pane(qtbot) -> DetailsPane:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.resize(640, 1000)
    pane.show()
    entry = Entry("acme", report=jwt_inspect.summary(jwt_inspect.inspect(RICH_TOKEN)))
    pane.set_entry(entry, NOW)
    return pane


def test_every_claim_of_the_cached_report_shows_in_token_order(qtbot) -> None:
    """Drawn from the index only (no secret read): every claim the index keeps, in the
    token's order, each registered one with its meaning; what it leaves out is named."""
    pane = _rich_pane(qtbot)
    view = pane.access_view
    rows = table_rows(view.claims)
    assert [r[0] for r in rows] == ["sub", "email", "roles", "org", "iss", "exp", "x-tenant"]
    meaning = {r[0]: r[2] for r in rows}
    assert meaning["email"] == "the user's e-mail address"
    assert meaning["roles"] == "roles it grants" and meaning["x-tenant"] == ""
    values = {r[0]: r[1] for r in rows}
    assert values["roles"] == '["admin", "billing:read"]'
    assert values["org"] == '{"id": "org_42", "plan": {"tier": "enterprise", "seats": 250}}'
    assert view.left_out_label.isVisible()
    assert view.left_out_label.text().startswith("Reveal shows 1 more claim: nonce.")
    # Verify (or Reveal) gives the full report: the same order, the left-out one in place.
    pane.set_access_report("acme", jwt_inspect.inspect(RICH_TOKEN))
    assert [r[0] for r in table_rows(view.claims)] == list(RICH)
    assert not view.left_out_label.isVisible()


def test_an_older_cached_report_says_more_claims_may_exist(qtbot) -> None:
    pane = DetailsPane()
    qtbot.addWidget(pane)
    old = {"kind": "jws", "header": {"alg": "RS256"}, "claims": {"sub": "x"},
           "signature": "unverified"}  # as the index kept it before every claim was kept
    pane.set_entry(Entry("acme", report=old), NOW)
    assert "keeps only some claims" in pane.access_view.left_out_label.text()


def test_the_json_view_shows_and_copies_header_and_payload(qtbot) -> None:
    import json

    from tests.support.gui_window import clipboard_text

    pane = _rich_pane(qtbot)
    view = pane.access_view
    assert view.claims.isVisible() and not view.json_page.isVisible()
    view.tabs.setCurrentIndex(1)  # "JSON"
    assert view.json_page.isVisible() and not view.claims.isVisible()
    kept = jwt_inspect.summary(jwt_inspect.inspect(RICH_TOKEN))["claims"]
    payload = view.payload_json.toPlainText()
    assert json.loads(payload) == kept and list(json.loads(payload)) == list(kept)
    assert payload.startswith('{\n  "sub": "auth0|6541f0c2a1b9",\n')  # indented, jwt.io-like
    with qtbot.waitSignal(view.json_copied) as copied:
        view.copy_payload_button.click()
    assert copied.args == ["payload"] and clipboard_text() == payload
    assert view.copy_payload_button.text() == "Copied"
    view.copy_header_button.click()
    assert json.loads(clipboard_text()) == {"alg": "RS256", "typ": "JWT", "kid": "k1"}
    # The choice stays when another token is shown.
    pane.set_entry(Entry("other", report=jwt_inspect.summary(jwt_inspect.inspect(TOKEN))), NOW)
    other = view.payload_json.toPlainText()
    assert view.json_page.isVisible() and '"jti": "abc-1"' in other and "auth0" not in other


def test_json_text_is_printable_and_still_the_same_json() -> None:
    import json

    from tokenmgr.gui.report_text import json_text

    value = {"name": "evil\u202egnp.exe", "ctl": "a\x1b[31mb", "astral": "\U000e0001", "ok": "é"}
    text = json_text(value)
    assert all(c == "\n" or c.isprintable() for c in text)
    assert json.loads(text) == value and "é" in text


def test_verify_of_an_hmac_token_says_it_needs_the_secret(make_window, qtbot) -> None:
    f = make_window(entries=False)
    token = demo.jwt_token({"iss": "https://login.acme.example", "sub": "svc"}, alg="HS256")
    f.vault.add("shared", token)
    w = f.window
    w.reload()
    assert w.select("shared")
    view = w.details.access_view
    view.verify_button.click()
    qtbot.waitUntil(lambda: "Can't verify" in view.badge_label.text(), timeout=10_000)
    assert view.badge_label.text().startswith("? Can't verify (HS256 is signed with a shared")
    assert "Invalid" not in view.badge_label.text()
    assert view.reason_label.isVisible()
    assert view.reason_label.text() == (
        "Paste & decode (Ctrl+Shift+V) can check it with the shared secret."
    )


@pytest.mark.parametrize("where", ["dns", "refused"])
def test_an_unreachable_issuer_is_named_by_why(make_window, qtbot, where: str) -> None:
    import socket

    if where == "dns":
        iss = "https://no-such-host.invalid"  # RFC 6761: never resolves
        words = "the host name no-such-host.invalid was not found (DNS)"
    else:
        s = socket.create_server(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        iss, words = f"http://127.0.0.1:{port}", "127.0.0.1 refused the connection"
    f = make_window(entries=False)
    f.vault.add("far", demo.jwt_token({"iss": iss, "sub": "x"}))
    w = f.window
    w.reload()
    assert w.select("far")
    view = w.details.access_view
    view.verify_button.click()
    qtbot.waitUntil(lambda: "Can't verify" in view.badge_label.text(), timeout=10_000)
    assert view.badge_label.text() == f"? Can't verify: {words}"
    tip = view.badge_label.toolTip()
    assert tip.startswith("Can't verify (keys could not be fetched: could not reach ")
    assert tip.count(iss) == 1
