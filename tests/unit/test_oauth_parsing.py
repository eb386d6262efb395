"""Token responses (JSON, GitHub's form encoding, 200-errors, HTML, 500), expires_in
shapes, RFC 6749 §2.3.1 client authentication, URLs and well-known locations."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest

from tokenmgr.core.entries import OAuthConfig
from tokenmgr.core.errors import AuthError, NetworkError, UsageError
from tokenmgr.core.oauth.discovery import ServerMetadata, check_issuer, well_known_urls
from tokenmgr.core.oauth.flows import (
    check_id_token,
    client_auth,
    extra_params,
    parse_expires_in,
    parse_token_response,
)
from tokenmgr.core.oauth.http import OAuthError, Response, check_url, parse_body
from tokenmgr.core.oauth.signin import parse_params


def resp(status: int, body: str | bytes, ctype: str = "application/json") -> Response:
    data = body.encode() if isinstance(body, str) else body
    return Response(status=status, content_type=ctype, body=data, url="https://as/token")


def test_json_token_response() -> None:
    t = parse_token_response(
        resp(
            200,
            json.dumps(
                {
                    "access_token": "at-123456",
                    "token_type": "bearer",
                    "expires_in": 3600,
                    "refresh_token": "rt-123456",
                    "id_token": "a.b.c",
                }
            ),
        )
    )
    assert (t.access_token, t.refresh_token, t.id_token) == ("at-123456", "rt-123456", "a.b.c")
    assert t.scheme() == "Bearer"
    assert t.expires_in == 3600
    assert "at-123456" not in repr(t)


def test_github_form_encoded_response() -> None:
    t = parse_token_response(
        resp(
            200,
            "access_token=gho_abcdef123&scope=repo&token_type=bearer",
            "application/x-www-form-urlencoded",
        )
    )
    assert t.access_token == "gho_abcdef123" and t.expires_in is None and t.scheme() == "Bearer"


def test_github_error_with_http_200() -> None:
    with pytest.raises(OAuthError) as info:
        parse_token_response(
            resp(200, json.dumps({"error": "bad_verification_code", "error_description": "x"}))
        )
    assert info.value.error == "bad_verification_code"
    assert info.value.exit_status == 5


@pytest.mark.parametrize(
    ("r", "text"),
    [
        (resp(200, "<!DOCTYPE html><p>hi", "text/html"), "HTML page"),
        (resp(500, "oops", "text/plain"), "HTTP 500"),
        (resp(502, "", ""), "HTTP 502"),
        (resp(200, json.dumps({"token_type": "Bearer"})), "without an access_token"),
        (resp(200, json.dumps({"access_token": ""})), "malformed"),
        (resp(200, json.dumps({"access_token": "a\nb-123456"})), "line break"),
        (resp(200, json.dumps([1, 2])), "not a token response"),
        (resp(404, "", "text/html"), "HTTP 404"),
    ],
)
def test_bad_token_responses_are_network_errors(r: Response, text: str) -> None:
    with pytest.raises(NetworkError) as info:
        parse_token_response(r)
    assert text in str(info.value)
    assert info.value.exit_status == 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3600, 3600.0),
        ("3600", 3600.0),
        (" 59 ", 59.0),
        (1.5, 1.5),
        (None, None),
        (True, None),
        ("soon", None),
        (-5, None),
        ([], None),
    ],
)
def test_expires_in_shapes(value: object, expected: float | None) -> None:
    assert parse_expires_in(value) == expected


def test_client_secret_basic_form_urlencodes_id_and_secret() -> None:
    cfg = OAuthConfig(client_id="my client:1", token_url="https://as/token")
    data: dict[str, str] = {}
    secret = "c0nf:dential%20+/=secret with space"
    auth = client_auth(cfg, data, secret)
    assert auth == ("my+client%3A1", "c0nf%3Adential%2520%2B%2F%3Dsecret+with+space")
    assert data == {}  # nothing in the body with Basic
    # and it round-trips the way RFC 6749 §2.3.1 servers decode it
    assert auth is not None
    assert urllib.parse.unquote_plus(auth[1]) == secret
    header = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    user, _, pw = base64.b64decode(header).decode().partition(":")
    assert (
        urllib.parse.unquote_plus(pw) == secret and urllib.parse.unquote_plus(user) == "my client:1"
    )


def test_client_secret_post_and_public_clients() -> None:
    cfg = OAuthConfig(client_id="cid", token_endpoint_auth="client_secret_post")
    data: dict[str, str] = {}
    assert client_auth(cfg, data, "s3cret-value") is None
    assert data == {"client_id": "cid", "client_secret": "s3cret-value"}
    public: dict[str, str] = {}
    assert client_auth(OAuthConfig(client_id="cid"), public, None) is None
    assert public == {"client_id": "cid"}


def test_extra_params_carry_resource_audience_and_params() -> None:
    cfg = OAuthConfig(resource="https://api", audience="aud", extra_params={"k": "v"})
    assert extra_params(cfg) == {"resource": "https://api", "audience": "aud", "k": "v"}


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "ftp://x/y",
        "http://id.example.com",
        "https://",
        "https://u:p@id.example.com",
        "https://id.example.com/#frag",
        "https://id.example.com:99999",
    ],
)
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        check_url(url, "issuer")


def test_loopback_http_and_https_are_fine() -> None:
    for url in ("https://id.example.com/x", "http://127.0.0.1:8080/oidc", "http://localhost/x"):
        assert check_url(url, "issuer") == url


def test_issuer_with_query_is_refused() -> None:
    with pytest.raises(UsageError):
        check_issuer("https://id.example.com/?tenant=x")


def test_well_known_urls_for_issuers_with_and_without_path() -> None:
    assert well_known_urls("https://id.example.com") == [
        ("https://id.example.com/.well-known/openid-configuration", True),
        ("https://id.example.com/.well-known/oauth-authorization-server", False),
    ]
    assert well_known_urls("https://id.example.com/realms/dev") == [
        ("https://id.example.com/realms/dev/.well-known/openid-configuration", True),
        ("https://id.example.com/.well-known/oauth-authorization-server/realms/dev", False),
        ("https://id.example.com/.well-known/openid-configuration/realms/dev", True),
    ]
    # Auth0-style trailing slash: the document URL has no double slash.
    assert well_known_urls("https://t.auth0.com/")[0][0] == (
        "https://t.auth0.com/.well-known/openid-configuration"
    )


def test_metadata_reads_rfc9207_flag() -> None:
    meta = ServerMetadata.from_document(
        {"issuer": "https://i", "authorization_response_iss_parameter_supported": True},
        oidc=True,
    )
    assert meta.iss_parameter_supported
    assert not ServerMetadata.from_document(
        {"issuer": "https://i"}, oidc=True
    ).iss_parameter_supported


def test_parse_body_variants() -> None:
    assert parse_body(resp(200, "a=1&b=2", "application/x-www-form-urlencoded")) == {
        "a": "1",
        "b": "2",
    }
    assert parse_body(resp(200, "<html>", "text/html")) is None
    assert parse_body(resp(200, b"\xff\xfe", "application/json")) is None


def test_parse_params() -> None:
    assert parse_params(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    for bad in (["novalue"], ["=v"], ["k=a\nb"]):
        with pytest.raises(UsageError):
            parse_params(bad)


# ---------------------------------------------------------------- ID token


def _jwt(claims: dict[str, object]) -> str:
    def seg(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'RS256'})}.{seg(claims)}.c2ln"


def test_id_token_checks() -> None:
    import time

    good = {"iss": "https://i", "aud": "cid", "nonce": "n" * 43, "exp": time.time() + 60}
    assert check_id_token(_jwt(good), issuers=["https://i"], client_id="cid", nonce="n" * 43)
    bad_cases = [
        ({**good, "nonce": "m" * 43}, "nonce"),
        ({**good, "aud": ["other"]}, "another client"),
        ({**good, "iss": "https://evil"}, "another issuer"),
        ({**good, "exp": time.time() - 3600}, "expired"),
        ({k: v for k, v in good.items() if k != "nonce"}, "nonce"),
    ]
    for claims, text in bad_cases:
        with pytest.raises(AuthError) as info:
            check_id_token(_jwt(claims), issuers=["https://i"], client_id="cid", nonce="n" * 43)
        assert text in str(info.value)
    with pytest.raises(AuthError):
        check_id_token("not-a-jwt", issuers=["https://i"], client_id="cid", nonce=None)
    # aud may be a list holding the client id; Google's bare-host issuer form is allowed.
    ok = {**good, "aud": ["x", "cid"], "iss": "accounts.google.com"}
    check_id_token(
        _jwt(ok), issuers=["https://i", "accounts.google.com"], client_id="cid", nonce="n" * 43
    )


def test_entra_tenant_placeholder_matches_one_guid_only() -> None:
    from tokenmgr.core.oauth.flows import issuer_matches

    allowed = ["https://login.microsoftonline.com/{tenantid}/v2.0"]
    tid = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert issuer_matches(f"https://login.microsoftonline.com/{tid}/v2.0", allowed)
    for bad in (
        "https://login.microsoftonline.com/evil/v2.0",
        f"https://login.microsoftonline.com/{tid}/x/v2.0",
        f"https://evil.example/{tid}/v2.0",
        None,
    ):
        assert not issuer_matches(bad, allowed)
    assert issuer_matches("https://i", ["https://i"])
    assert not issuer_matches("https://i/", ["https://i"])


def test_code_flow_refuses_a_server_without_s256() -> None:
    from tokenmgr.core.oauth.flows import code_flow
    from tokenmgr.core.oauth.http import Http

    opened: list[str] = []
    with pytest.raises(AuthError) as info:
        code_flow(
            Http(),
            OAuthConfig(client_id="c", authorize_url="https://as/auth", token_url="https://as/t"),
            meta=ServerMetadata(issuer="https://as", code_challenge_methods=["plain"]),
            client_secret=None,
            open_url=lambda url, _r: opened.append(url),
            timeout=1,
        )
    assert "S256" in str(info.value)
    assert opened == []
