"""The OAuth profile page of the add dialog: presets as data, the issuer Check against the
real oidc-provider, and the SignInRequest it builds (what `tokenmgr login` would send)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from tests.support.oidc_server import OIDCServer
from tokenmgr.core.errors import UsageError

pytestmark = pytest.mark.gui


def page(qtbot: Any) -> Any:
    from tokenmgr.gui.oauth_profile import OAuthProfilePage
    from tokenmgr.gui.tasks import Tasks

    p = OAuthProfilePage(Tasks())
    qtbot.addWidget(p)
    return p


def choose(p: Any, preset: str) -> None:
    p.preset.setCurrentIndex(p.preset.findData(preset))


def test_generic_oidc_suggests_offline_access_and_builds_the_request(qtbot: Any) -> None:
    p = page(qtbot)
    assert p.preset_name() == "oidc"
    assert p.scopes.text() == "openid offline_access"
    p.issuer.setText("https://id.example.com")
    p.name.setText("work")
    p.client_id.setText("my-cli")
    p.params.setText("login_hint=a@example.com")
    req = p.request()
    assert (req.name, req.client_id, req.issuer, req.preset) == (
        "work",
        "my-cli",
        "https://id.example.com",
        None,
    )
    assert req.scopes == ["openid", "offline_access"] and req.flow == "code"
    assert req.params == {"login_hint": "a@example.com"} and req.browser == "embedded"


def test_presets_fill_in_their_needs(qtbot: Any) -> None:
    p = page(qtbot)
    choose(p, "entra")
    tenant = p.preset_fields["tenant"]
    assert tenant.isVisibleTo(p) and tenant.text() == "organizations"
    assert not p.preset_fields["realm"].isVisibleTo(p)
    assert "offline_access" in p.scopes.text().split()
    tenant.clear()
    qtbot.keyClicks(tenant, "contoso.onmicrosoft.com")
    assert p.issuer.text() == p.issuer_url()
    assert p.issuer_url() == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
    p.client_id.setText("cid")
    req = p.request()
    assert req.preset == "entra" and req.params == {"tenant": "contoso.onmicrosoft.com"}
    choose(p, "google")
    assert p.browser.currentData() == "system"  # Google refuses embedded browsers
    assert not p.browser.model().item(0).isEnabled()
    assert "offline_access" not in p.scopes.text()
    choose(p, "github")
    assert p.issuer_url() == "" and not p.issuer.isEnabled()


def test_missing_pieces_are_sentences_not_crashes(qtbot: Any) -> None:
    p = page(qtbot)
    with pytest.raises(UsageError):
        p.request()  # no name
    p.name.setText("ghp_" + "x" * 36)  # a pasted token as the name
    assert p.name_error.isVisibleTo(p) and "looks like a token" in p.name_error.text()
    assert "x" * 8 not in p.name_error.text()
    p.name.setText("svc")
    p.client_id.setText("c")
    p.issuer.setText("https://id.example.com")
    p.flow.setCurrentIndex(p.flow.findData("client-credentials"))
    with pytest.raises(UsageError, match="client secret"):
        p.request()
    p.client_secret.setText("s3cret")
    assert p.request().client_secret == "s3cret"


def test_check_shows_the_endpoints_the_real_server_publishes(
    qtbot: Any,
    oidc_server: OIDCServer,
) -> None:
    p = page(qtbot)
    p.issuer.setText(oidc_server.issuer)
    with qtbot.waitSignal(p.check_finished, timeout=20000) as done:
        p.check_button.click()
    ok, text = done.args
    assert ok, text
    assert "sign-in, token, device and revocation endpoints" in text and "offline_access" in text
    assert p.check_result.toolTip() == "Token endpoint: 127.0.0.1/oidc/token"
    p.issuer.setText(oidc_server.issuer + "/wrong")
    with qtbot.waitSignal(p.check_finished, timeout=20000) as done:
        p.check_button.click()
    ok, text = done.args
    assert not ok and text.endswith(".") and "Traceback" not in text


def test_the_page_starts_from_the_last_sign_in(qtbot: Any) -> None:
    from tokenmgr.gui.oauth_profile import OAuthProfilePage
    from tokenmgr.gui.tasks import Tasks

    p = page(qtbot)
    choose(p, "keycloak")
    assert p.preset_fields["host"].isVisibleTo(p) and p.preset_fields["realm"].isVisibleTo(p)
    p.preset_fields["host"].setText("id.example.com")
    p.preset_fields["realm"].setText("corp")
    p.client_id.setText("cli")
    last = p.remembered()
    assert last == {"preset": "keycloak", "issuer": "",
                    "values": {"host": "id.example.com", "realm": "corp"}, "client_id": "cli"}
    again = OAuthProfilePage(Tasks(), remembered=last)
    qtbot.addWidget(again)
    assert again.preset_name() == "keycloak" and again.client_id.text() == "cli"
    assert again.issuer.text() == "https://id.example.com/realms/corp"
    assert again.name.text() == "keycloak"  # the name is new each time
    generic = OAuthProfilePage(Tasks(), remembered={"preset": "oidc", "client_id": "c",
                                                    "issuer": "https://id.example.org"})
    qtbot.addWidget(generic)
    assert (generic.issuer.text(), generic.client_id.text()) == ("https://id.example.org", "c")
    # A hand-edited settings file does not break the page.
    odd = OAuthProfilePage(Tasks(), remembered={"preset": 3, "values": "x", "issuer": None})
    qtbot.addWidget(odd)
    assert odd.preset_name() == "oidc" and odd.client_id.text() == ""


def test_long_messages_wrap_and_the_dialog_grows_to_show_them(qtbot: Any) -> None:
    from tokenmgr.gui.entry_dialog import EntryDialog
    from tokenmgr.gui.tasks import Tasks

    dialog = EntryDialog(tasks=Tasks(), kind="oauth2")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    page_ = dialog.oauth_page
    assert page_ is not None
    dialog.resize(dialog.width(), dialog.sizeHint().height())  # no room to spare
    qtbot.waitUntil(lambda: dialog.height() == dialog.sizeHint().height(), timeout=5000)
    before = dialog.height()
    long = ("cannot reach https://id.example.com/.well-known/openid-configuration: the name "
            "id.example.com does not resolve (no such host); check the issuer URL, your "
            "network and your proxy settings, then press Check again. ") * 3
    from tokenmgr.core.errors import NetworkError

    page_._issuer_check._on_failed(NetworkError(long))  # what "Check" shows when it fails

    def shown_whole(label: QLabel) -> bool:
        return label.isVisible() and label.height() >= label.heightForWidth(label.width())

    qtbot.waitUntil(lambda: dialog.height() > before and shown_whole(page_.check_result),
                    timeout=5000)
    dialog.failed(long)  # the sign-in's own sentence, under the page
    qtbot.waitUntil(lambda: shown_whole(dialog.save_error), timeout=5000)
    assert shown_whole(page_.check_result) and page_.check_result.wordWrap()
