"""Provider presets are data, with placeholders filled from --param."""

from __future__ import annotations

import pytest

from tokenmgr.core.errors import UsageError
from tokenmgr.core.oauth import presets


def test_every_provider_of_providers_md_is_there() -> None:
    assert set(presets.PRESETS) >= {
        "github",
        "gitlab",
        "google",
        "entra",
        "auth0",
        "okta",
        "keycloak",
        "oidc",
    }
    for name, data in presets.PRESETS.items():
        assert data.get("issuer") or data.get("token_url"), name
        assert set(data) <= set(presets.Preset.__dataclass_fields__) | {"defaults"}, name


def test_github_has_explicit_endpoints_and_quirks() -> None:
    p, rest = presets.resolve("github", {"tm": "1"}, "Iv1.abc")
    assert p.issuer is None
    assert p.token_url == "https://github.com/login/oauth/access_token"
    assert p.revocation_url == "https://api.github.com/applications/Iv1.abc/token"
    assert p.token_endpoint_auth == "client_secret_post"
    assert p.client_secret_required
    assert rest == {"tm": "1"}


def test_keycloak_needs_host_and_realm() -> None:
    with pytest.raises(UsageError) as info:
        presets.resolve("keycloak", {"host": "id.example.com"}, "c")
    assert "realm" in str(info.value)
    p, rest = presets.resolve("keycloak", {"host": "id.example.com", "realm": "dev"}, "c")
    assert p.issuer == "https://id.example.com/realms/dev"
    assert rest == {}  # placeholders are consumed, not sent


def test_entra_tenant_placeholder_and_accepted_issuer() -> None:
    p, _ = presets.resolve("entra", {}, "c")
    assert p.issuer == "https://login.microsoftonline.com/organizations/v2.0"
    assert p.accepted_issuers == ["https://login.microsoftonline.com/{tenantid}/v2.0"]
    p, _ = presets.resolve("entra", {"tenant": "contoso.onmicrosoft.com"}, "c")
    assert p.issuer == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"


def test_google_refuses_embedded_and_auth0_keeps_its_trailing_slash() -> None:
    google, _ = presets.resolve("google", {}, "c")
    assert not google.embedded_ok
    assert "accounts.google.com" in google.id_token_issuers
    auth0, _ = presets.resolve("auth0", {"domain": "t.eu.auth0.com"}, "c")
    assert auth0.issuer == "https://t.eu.auth0.com/"


def test_unknown_preset() -> None:
    with pytest.raises(UsageError) as info:
        presets.resolve("nope", {}, "c")
    assert "github" in str(info.value)


def test_gitlab_resends_the_redirect_uri_on_refresh() -> None:
    p, _ = presets.resolve("gitlab", {}, "c")
    assert p.issuer == "https://gitlab.com"
    assert p.resend_redirect_uri
    assert p.device_url == "https://gitlab.com/oauth/authorize_device"
    assert not presets.resolve("keycloak", {"host": "h", "realm": "r"}, "c")[0].resend_redirect_uri
