"""Against an authorization server whose OpenID discovery document leaves out the optional
revocation, introspection and device endpoints, listing them only in its RFC 8414 metadata
(or nowhere): the test server's named configuration `split-metadata` (server.mjs), on the
real gnome-keyring, through the `tokenmgr` CLI. The code flow with revocation and the
device flow work end to end; when no document lists an endpoint, tokenmgr says how to name
it and a live grant is never dropped."""

from __future__ import annotations

import pytest
import requests

from tests.support.oauth import device_args, secret, tm, vault_of
from tests.support.oidc_server import CliProcess, OIDCServer, device_login, scripted_login

pytestmark = [pytest.mark.integration]

OPTIONAL = ("revocation_endpoint", "introspection_endpoint", "device_authorization_endpoint")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def server(fresh_split_metadata_server: OIDCServer) -> OIDCServer:
    return fresh_split_metadata_server


def refresh_works(server: OIDCServer, refresh_token: str) -> bool:
    """Does the server still honour this refresh token? (Asked directly, not via tokenmgr.)"""
    r = requests.post(
        server.token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "tokenmgr-native",
        },
        timeout=10,
    )
    if r.status_code == 200:
        return True
    assert r.json()["error"] == "invalid_grant", r.text
    return False


def test_the_named_configuration(server: OIDCServer, oidc_server: OIDCServer) -> None:
    assert server.profile == "split-metadata" and server.issuer.endswith("/realms/tokenmgr")
    oidc, rfc8414 = server.discovery(), server.rfc8414()
    assert oidc["issuer"] == rfc8414["issuer"] == server.issuer
    assert not any(key in oidc for key in OPTIONAL)
    assert rfc8414["revocation_endpoint"] == server.revocation_endpoint
    assert rfc8414["introspection_endpoint"] == server.introspection_endpoint
    assert rfc8414["device_authorization_endpoint"] == server.device_authorization_endpoint
    assert DEVICE_GRANT in oidc["grant_types_supported"]
    server.configure(metadata="none")
    assert not any(key in server.rfc8414() for key in OPTIONAL)
    assert DEVICE_GRANT in server.rfc8414()["grant_types_supported"]
    # The default configuration keeps the library's documents: both list everything.
    assert all(key in oidc_server.discovery() for key in OPTIONAL)
    assert all(key in oidc_server.rfc8414() for key in OPTIONAL)


def test_code_flow_then_revoke_through_the_rfc8414_endpoint(
    server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(server, cli_env, "w")
    assert r.returncode == 0, r.stderr
    cfg = vault_of(cli_env).entry("w").oauth
    assert cfg is not None
    assert cfg.revocation_url == server.revocation_endpoint
    assert cfg.introspection_url == server.introspection_endpoint
    assert cfg.device_url == server.device_authorization_endpoint
    assert secret(cli_env, "w", "refresh")
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 0, r.stderr
    stats = server.stats()
    assert stats["revocations"] >= 1 and stats["revocation_hints"][0] == "refresh_token"
    assert "removed 'w'" in r.stderr
    assert vault_of(cli_env).list_entries() == []


def test_revoking_ends_the_grant(server: OIDCServer, cli_env: dict[str, str]) -> None:
    assert scripted_login(server, cli_env, "w").returncode == 0
    rt = secret(cli_env, "w", "refresh")
    assert rt
    assert tm(cli_env, "rm", "w", "--revoke").returncode == 0
    assert not refresh_works(server, rt)


def test_device_flow_through_the_rfc8414_endpoint(
    server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r, url, code = device_login(server, cli_env)
    assert r.returncode == 0, r.stderr
    assert url.startswith(server.issuer + "/device") and code
    cfg = vault_of(cli_env).entry("tv").oauth
    assert cfg is not None and cfg.device_url == server.device_authorization_endpoint
    assert tm(cli_env, "get", "tv").stdout.strip()
    assert server.stats()["device_polls"] >= 1


def test_device_flow_when_no_document_names_the_endpoint(
    server: OIDCServer, cli_env: dict[str, str]
) -> None:
    server.configure(metadata="none")
    r = tm(cli_env, *device_args(server.issuer))
    assert r.returncode == 2, r.stderr
    assert "lists the device grant but names no device authorization endpoint" in r.stderr
    assert "--device-authorization-url URL" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    assert server.stats()["device_polls"] == 0
    # Named, it works (and is kept with the entry).
    args = device_args(
        server.issuer, "--device-authorization-url", server.device_authorization_endpoint
    )
    p = CliProcess(args, cli_env)
    try:
        url = p.wait_for_line("Verification URL: ")
        code = p.wait_for_line("User code: ")
        server.approve_device(url, user_code=code)
        done = p.finish()
    finally:
        p.kill()
    assert done.returncode == 0, done.stderr
    cfg = vault_of(cli_env).entry("tv").oauth
    assert cfg is not None and cfg.device_url == server.device_authorization_endpoint


def test_no_way_to_revoke_keeps_the_entry_and_the_grant(
    server: OIDCServer, cli_env: dict[str, str]
) -> None:
    server.configure(metadata="none")
    assert scripted_login(server, cli_env, "w").returncode == 0
    cfg = vault_of(cli_env).entry("w").oauth
    assert cfg is not None and cfg.revocation_url is None
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 5, r.stderr
    assert "no revocation endpoint is known for 'w'" in r.stderr
    assert "The entry was kept" in r.stderr and "`tokenmgr rm w`" in r.stderr
    assert server.stats()["revocations"] == 0
    assert [e.name for e in vault_of(cli_env).list_entries()] == ["w"]
    assert tm(cli_env, "refresh", "w").returncode == 0  # the grant is alive and usable
    # Signed in once more naming the endpoint: now it revokes.
    r = scripted_login(
        server, cli_env, "w", "--revocation-url", server.revocation_endpoint
    )
    assert r.returncode == 0, r.stderr
    rt = secret(cli_env, "w", "refresh")
    assert rt
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 0, r.stderr
    assert server.stats()["revocations"] >= 1
    assert not refresh_works(server, rt)
