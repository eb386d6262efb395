"""The oidc-provider test server and its helpers work (other tests build on them)."""

from __future__ import annotations

import pytest
import requests

from tests.support.oauth import jwt_claims, jwt_header
from tests.support.oidc_server import API_ES256, API_RS256, OIDCServer

pytestmark = pytest.mark.integration


def test_discovery_has_path_issuer_and_rfc9207(oidc_server: OIDCServer) -> None:
    meta = oidc_server.discovery()
    assert meta["issuer"] == oidc_server.issuer
    assert oidc_server.issuer.endswith("/oidc")
    assert meta["authorization_response_iss_parameter_supported"] is True
    rfc8414 = requests.get(
        oidc_server.base + "/.well-known/oauth-authorization-server/oidc", timeout=10
    ).json()
    assert rfc8414["issuer"] == oidc_server.issuer


def test_code_flow_gives_rs256_id_token(oidc_server: OIDCServer) -> None:
    tokens = oidc_server.get_tokens(client="tokenmgr-native", scope="openid email")
    assert jwt_header(tokens["id_token"])["alg"] == "RS256"
    claims = jwt_claims(tokens["id_token"])
    assert claims["iss"] == oidc_server.issuer
    assert claims["nonce"] == tokens["nonce"]
    # The server's default policy, as at real providers: no offline_access, no refresh token.
    assert "refresh_token" not in tokens


def test_refresh_token_needs_offline_access_and_prompt_consent(oidc_server: OIDCServer) -> None:
    tokens = oidc_server.get_tokens(client="tokenmgr-native", scope="openid offline_access")
    assert tokens["refresh_token"]
    # offline_access without prompt=consent is dropped by the authorization endpoint.
    tokens = oidc_server.get_tokens(
        client="tokenmgr-native", scope="openid offline_access", prompt=None
    )
    assert tokens["access_token"] and "refresh_token" not in tokens


def test_es256_id_token_and_jwt_access_tokens(oidc_server: OIDCServer) -> None:
    tokens = oidc_server.get_tokens(client="tokenmgr-es256", scope="openid")
    assert jwt_header(tokens["id_token"])["alg"] == "ES256"
    at = oidc_server.get_tokens(client="tokenmgr-cc", resource=API_RS256)["access_token"]
    assert jwt_header(at)["alg"] == "RS256"
    assert jwt_claims(at)["aud"] == API_RS256
    at = oidc_server.get_tokens(client="tokenmgr-cc", resource=API_ES256)["access_token"]
    assert jwt_header(at)["alg"] == "ES256"
    at = oidc_server.get_tokens(client="tokenmgr-native", resource=API_RS256)["access_token"]
    assert jwt_header(at)["alg"] == "RS256"
    jwks = requests.get(oidc_server.jwks_uri, timeout=10).json()
    assert {k["kty"] for k in jwks["keys"]} == {"RSA", "EC"}


def test_device_approval_helper(oidc_server: OIDCServer) -> None:
    r = requests.post(
        oidc_server.issuer + "/device/auth",
        data={"client_id": "tokenmgr-device", "scope": "openid"},
        timeout=10,
    ).json()
    assert r["interval"] >= 1
    oidc_server.approve_device(r["verification_uri_complete"])
    tok = requests.post(
        oidc_server.token_endpoint,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": r["device_code"],
            "client_id": "tokenmgr-device",
        },
        timeout=10,
    ).json()
    assert "access_token" in tok, tok
