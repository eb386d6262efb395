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


# ------------------------------------------- RFC 9207 iss without discovery (GitHub)

GITHUB_ISS = "https://github.com/login/oauth"


def test_github_names_the_iss_of_its_authorization_responses() -> None:
    from tokenmgr.core.entries import OAuthConfig
    from tokenmgr.core.oauth.signin import SignInRequest, build_config

    p, _ = presets.resolve("github", {}, "cid")
    assert p.authorization_response_iss == GITHUB_ISS
    cfg, meta, _ = build_config(SignInRequest(name="g", client_id="cid", preset="github"), None)  # type: ignore[arg-type]
    assert meta is None and cfg.authorization_response_iss == GITHUB_ISS
    assert OAuthConfig.from_dict(cfg.to_dict()) == cfg  # stored with the entry
    # GitHub Enterprise: another authorization endpoint, so not github.com's iss
    req = SignInRequest(
        name="g",
        client_id="cid",
        preset="github",
        authorize_url="https://ghe.example.com/login/oauth/authorize",
        token_url="https://ghe.example.com/login/oauth/access_token",
    )
    cfg, _, _ = build_config(req, None)  # type: ignore[arg-type]
    assert cfg.authorization_response_iss is None


class TokenHttp:
    def request(self, method: str, url: str, **kw: object) -> object:
        from tokenmgr.core.oauth.http import Response

        return Response(200, "application/json", b'{"access_token": "gho_abcdef123456"}', url)


def test_code_flow_rejects_a_wrong_iss_without_discovery() -> None:
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    from tokenmgr.core.entries import OAuthConfig
    from tokenmgr.core.oauth.flows import code_flow

    cfg = OAuthConfig(
        client_id="cid",
        authorize_url="https://github.com/login/oauth/authorize",
        token_url="https://github.com/login/oauth/access_token",
        authorization_response_iss=GITHUB_ISS,
    )
    statuses: list[int] = []
    clients: list[threading.Thread] = []

    def get(url: str) -> int:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return e.code

    def browser(url: str, redirect_uri: str) -> None:
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]

        def go() -> None:
            for iss in ("https://evil.example/login/oauth", GITHUB_ISS):
                q = urllib.parse.urlencode({"code": "code-123456", "state": state, "iss": iss})
                statuses.append(get(f"{redirect_uri}?{q}"))

        clients.append(threading.Thread(target=go, daemon=True))
        clients[0].start()

    tokens = code_flow(
        TokenHttp(),  # type: ignore[arg-type]
        cfg,
        meta=None,
        client_secret="secret-123456",
        open_url=browser,
        timeout=20,
    )
    clients[0].join(10)
    assert statuses == [400, 200]
    assert tokens.access_token == "gho_abcdef123456"
