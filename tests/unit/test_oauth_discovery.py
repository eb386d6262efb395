"""Discovery reads both metadata documents and merges them; endpoints named on the command
line; what `login --flow device` and `rm --revoke` say when an endpoint is missing.
Against a local HTTP server (tests/support/jwt_helpers.KeyServer) that counts requests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.cli import CliRunner
from tests.support.jwt_helpers import KeyServer
from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
from tokenmgr.core.errors import UsageError
from tokenmgr.core.oauth import binding
from tokenmgr.core.oauth.discovery import IssuerMismatch, discover
from tokenmgr.core.oauth.http import Http
from tokenmgr.core.oauth.signin import SignInRequest, build_config
from tokenmgr.core.vault import Vault

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
PATH = "/realms/dev"


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer(PATH) as s:
        yield s


def oidc_path() -> str:
    return PATH + "/.well-known/openid-configuration"


def rfc8414_path() -> str:
    return "/.well-known/oauth-authorization-server" + PATH


def serve(
    server: KeyServer, *, oidc: dict[str, Any] | None, rfc8414: dict[str, Any] | None
) -> None:
    base = {
        "issuer": server.issuer,
        "authorization_endpoint": server.issuer + "/auth",
        "token_endpoint": server.issuer + "/token",
        "code_challenge_methods_supported": ["S256"],
    }
    if oidc is not None:
        server.set_json(oidc_path(), {**base, **oidc})
    if rfc8414 is not None:
        server.set_json(rfc8414_path(), {**base, **rfc8414})


def test_endpoints_listed_only_in_the_rfc8414_metadata_are_found(server: KeyServer) -> None:
    serve(
        server,
        oidc={"scopes_supported": ["openid", "offline_access"], "grant_types_supported": [
            "authorization_code", "refresh_token"]},
        rfc8414={
            "revocation_endpoint": server.issuer + "/revoke",
            "introspection_endpoint": server.issuer + "/introspect",
            "device_authorization_endpoint": server.issuer + "/device",
            "grant_types_supported": ["authorization_code", DEVICE_GRANT],
        },
    )
    meta = discover(Http(), server.issuer)
    assert meta.revocation_endpoint == server.issuer + "/revoke"
    assert meta.introspection_endpoint == server.issuer + "/introspect"
    assert meta.device_authorization_endpoint == server.issuer + "/device"
    assert meta.oidc and meta.scopes_supported == ["openid", "offline_access"]
    assert meta.grant_types_supported == ["authorization_code", "refresh_token", DEVICE_GRANT]
    # Both documents, the RFC 8414 one with the issuer's path after the suffix (§3.1).
    assert server.count(oidc_path()) == 1 and server.count(rfc8414_path()) == 1
    cfg, _, _ = build_config(
        SignInRequest(name="w", client_id="c", issuer=server.issuer), Http()
    )
    assert cfg.revocation_url == server.issuer + "/revoke"
    assert cfg.introspection_url == server.issuer + "/introspect"
    assert cfg.device_url == server.issuer + "/device"


def test_endpoints_listed_only_in_the_openid_document_are_found(server: KeyServer) -> None:
    serve(server, oidc={"revocation_endpoint": server.issuer + "/revoke"}, rfc8414={})
    assert discover(Http(), server.issuer).revocation_endpoint == server.issuer + "/revoke"


def test_where_both_name_an_endpoint_the_openid_document_wins(server: KeyServer) -> None:
    serve(
        server,
        oidc={"revocation_endpoint": server.issuer + "/oidc-revoke"},
        rfc8414={"revocation_endpoint": server.issuer + "/oauth-revoke"},
    )
    assert discover(Http(), server.issuer).revocation_endpoint == server.issuer + "/oidc-revoke"


def test_either_document_alone_is_enough(server: KeyServer) -> None:
    serve(server, oidc=None, rfc8414={"revocation_endpoint": server.issuer + "/revoke"})
    meta = discover(Http(), server.issuer)
    assert meta.token_endpoint == server.issuer + "/token" and not meta.oidc
    # The RFC 8414 §5 form of the OpenID document, for an issuer with a path, is tried
    # when the usual one is missing.
    assert server.count("/.well-known/openid-configuration" + PATH) == 1


@pytest.mark.parametrize("which", ["oidc", "rfc8414"])
def test_each_document_must_name_the_issuer_exactly(server: KeyServer, which: str) -> None:
    wrong = {"issuer": server.issuer + "/"}
    serve(
        server,
        oidc=wrong if which == "oidc" else {},
        rfc8414=wrong if which == "rfc8414" else {},
    )
    with pytest.raises(IssuerMismatch, match="must match exactly"):
        discover(Http(), server.issuer)


def test_no_document_at_all_is_a_usage_error(server: KeyServer) -> None:
    with pytest.raises(UsageError, match="no discovery document"):
        discover(Http(), server.issuer)


# ------------------------------------------------------------- named endpoints


def test_named_endpoints_win_and_are_bound(server: KeyServer) -> None:
    serve(server, oidc={"revocation_endpoint": server.issuer + "/revoke"}, rfc8414=None)
    req = SignInRequest(
        name="w",
        client_id="c",
        issuer=server.issuer,
        revocation_url="https://as.example/revoke",
        device_url="https://as.example/device",
        introspection_url="https://as.example/introspect",
    )
    cfg, _, _ = build_config(req, Http())
    assert cfg.revocation_url == "https://as.example/revoke"
    assert cfg.device_url == "https://as.example/device"
    assert cfg.introspection_url == "https://as.example/introspect"
    entry = Entry(name="w", kind="oauth2", oauth=cfg)
    stored = binding.digest(entry)
    cfg.introspection_url = "https://attacker.example/introspect"
    assert binding.state(stored, entry) is binding.State.ALTERED


@pytest.mark.parametrize(
    "option", ["--revocation-url", "--device-authorization-url", "--introspection-url"]
)
def test_named_endpoints_must_be_https(cli: CliRunner, option: str) -> None:
    r = cli("login", "w", "--issuer", "https://id.example.com", "--client-id", "c",
            option, "http://as.example/x")
    assert r.status == 2, r
    assert option in r.err and "must use https" in r.err
    assert "Traceback" not in r.err


# ---------------------------------------------------------- device endpoint missing


def test_device_grant_listed_without_its_endpoint_says_how_to_name_it(server: KeyServer) -> None:
    serve(server, oidc={"grant_types_supported": ["authorization_code", DEVICE_GRANT]},
          rfc8414={})
    req = SignInRequest(name="tv", client_id="c", issuer=server.issuer, flow="device")
    with pytest.raises(UsageError) as info:
        build_config(req, Http())
    text = str(info.value)
    assert "lists the device grant but names no device authorization endpoint" in text
    assert "--device-authorization-url URL" in text
    req.device_url = server.issuer + "/device"
    cfg, _, _ = build_config(req, Http())
    assert cfg.device_url == server.issuer + "/device"


def test_no_device_grant_and_no_endpoint(server: KeyServer) -> None:
    serve(server, oidc={"grant_types_supported": ["authorization_code"]}, rfc8414=None)
    req = SignInRequest(name="tv", client_id="c", issuer=server.issuer, flow="device")
    with pytest.raises(UsageError) as info:
        build_config(req, Http())
    assert "--device-authorization-url URL" in str(info.value)
    assert "--flow code" in str(info.value)


# ---------------------------------------------------------------- no way to revoke


def test_rm_revoke_without_a_revocation_endpoint_keeps_the_entry(
    cli: CliRunner, vault: Vault
) -> None:
    entry = Entry(
        name="w",
        kind="oauth2",
        oauth=OAuthConfig(issuer="https://as.example", client_id="c",
                          token_url="https://as.example/token"),
    )
    vault.save_tokens(
        entry, TokenSet(access="at-1234567890", refresh="rt-1234567890",
                        binding=binding.digest(entry))
    )
    r = cli("rm", "w", "--revoke")
    assert r.status == 5, r
    assert "no revocation endpoint is known for 'w'" in r.err
    assert "The entry was kept" in r.err and "`tokenmgr rm w`" in r.err
    assert "--revoke`" not in r.err  # retrying would not help
    assert r.err.count("\n") == 1
    assert vault.store.get("w", "refresh") == "rt-1234567890"
    assert cli("rm", "w").status == 0
    assert vault.list_entries() == []
