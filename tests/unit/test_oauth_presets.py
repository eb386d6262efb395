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


# ----------------------------------------------- discovery with preset issuers (Entra)

ENTRA_GUID = "9188040d-6c67-4c5b-b112-36a304b66dad"


class DiscoveryHttp:
    """Answers every discovery request with a document naming `issuer`."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def request(self, method: str, url: str, **kw: object) -> object:
        import json

        from tokenmgr.core.oauth.http import Response

        base = "https://login.microsoftonline.com/common/oauth2/v2.0"
        doc = {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
        }
        return Response(200, "application/json", json.dumps(doc).encode(), url)


@pytest.mark.parametrize(
    ("tenant", "named"),
    [
        ("consumers", f"https://login.microsoftonline.com/{ENTRA_GUID}/v2.0"),
        ("contoso.onmicrosoft.com", f"https://login.microsoftonline.com/{ENTRA_GUID}/v2.0"),
        ("organizations", "https://login.microsoftonline.com/{tenantid}/v2.0"),
        ("common", "https://login.microsoftonline.com/{tenantid}/v2.0"),
        (ENTRA_GUID, f"https://login.microsoftonline.com/{ENTRA_GUID}/v2.0"),
    ],
)
def test_entra_discovery_accepts_the_tenant_guid_issuer(tenant: str, named: str) -> None:
    from tokenmgr.core.oauth.signin import SignInRequest, build_config

    req = SignInRequest(name="m", client_id="c", preset="entra", params={"tenant": tenant})
    cfg, meta, _ = build_config(req, DiscoveryHttp(named))  # type: ignore[arg-type]
    assert meta is not None and meta.issuer == named
    assert cfg.issuer == f"https://login.microsoftonline.com/{tenant}/v2.0"


@pytest.mark.parametrize(
    "named",
    [
        "https://login.microsoftonline.com/evil/v2.0",  # not a GUID
        f"https://login.microsoftonline.com/{ENTRA_GUID}/v2.0/",  # trailing slash
        f"https://evil.example/{ENTRA_GUID}/v2.0",  # another host
        f"https://login.microsoftonline.com/{ENTRA_GUID}/v1.0",
    ],
)
def test_entra_discovery_still_refuses_other_issuers(named: str) -> None:
    from tokenmgr.core.oauth.discovery import IssuerMismatch
    from tokenmgr.core.oauth.signin import SignInRequest, build_config

    req = SignInRequest(name="m", client_id="c", preset="entra", params={"tenant": "consumers"})
    with pytest.raises(IssuerMismatch):
        build_config(req, DiscoveryHttp(named))  # type: ignore[arg-type]


def test_without_a_preset_the_issuer_must_match_exactly() -> None:
    from tokenmgr.core.oauth.discovery import IssuerMismatch, discover

    issuer = "https://login.microsoftonline.com/consumers/v2.0"
    named = f"https://login.microsoftonline.com/{ENTRA_GUID}/v2.0"
    with pytest.raises(IssuerMismatch):
        discover(DiscoveryHttp(named), issuer)  # type: ignore[arg-type]
    # exact entries in accepted_issuers still work, templates only for GUIDs
    assert discover(DiscoveryHttp(named), issuer, accepted_issuers=[named]).issuer == named
