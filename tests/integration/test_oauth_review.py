"""Fixes from the security review, against the real oidc-provider on its default
refresh-token policy and the real gnome-keyring: refresh tokens need offline_access with
prompt=consent, an entry's endpoints are bound to its secrets, the loopback listener
answers only its own Host."""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.oauth import TrapEndpoint, expire, secret, tm, vault_of
from tests.support.oidc_server import (
    SIGN_IN_PREFIX,
    CliProcess,
    OIDCServer,
    browser_login,
    scripted_login,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fresh_server")]


# ------------------------------------------------- refresh tokens, default policy


def test_default_scopes_ask_for_offline_access_and_get_a_refresh_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    """No --scope: openid plus offline_access (the server advertises it), with consent."""
    r = scripted_login(oidc_server, cli_env, "w")
    assert r.returncode == 0, r.stderr
    auth = oidc_server.stats()["last_auth_params"]
    assert auth["scope"].split() == ["openid", "offline_access"]
    assert auth["prompt"] == "consent"
    assert has_refresh(cli_env, "w")
    expire(cli_env, "w")
    g = tm(cli_env, "get", "w")
    assert g.returncode == 0, g.stderr
    assert oidc_server.stats()["token_requests"].get("refresh_token") == 1


def test_openid_alone_gets_no_refresh_token_and_says_nothing_wrong(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "w", "--scope", "openid")
    assert r.returncode == 0, r.stderr
    assert "prompt" not in oidc_server.stats()["last_auth_params"]
    assert not has_refresh(cli_env, "w")
    assert "warning" not in r.stderr  # no offline access was asked for
    expire(cli_env, "w")
    g = tm(cli_env, "get", "w")
    assert g.returncode == 5 and "sign-in needed" in g.stderr


def test_users_own_prompt_is_kept(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = scripted_login(
        oidc_server, cli_env, "w", "--scope", "openid offline_access", "--param", "prompt=login"
    )
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["last_auth_params"]["prompt"] == "login"
    # prompt=login without consent: the server drops offline_access, tokenmgr says so.
    assert not has_refresh(cli_env, "w")
    assert "sent no refresh token" in r.stderr


def test_offline_access_refused_by_the_provider_is_reported(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(
        oidc_server, cli_env, "w", "--scope", "openid offline_access", client="tokenmgr-norefresh"
    )
    assert r.returncode == 0, r.stderr
    assert not has_refresh(cli_env, "w")
    line = next(x for x in r.stderr.splitlines() if "warning" in x)
    assert "sent no refresh token for 'w'" in line and "refresh_token grant" in line


def test_device_flow_with_offline_access_gets_a_refresh_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    from tests.support.oauth import device_args

    p = CliProcess(device_args(oidc_server.issuer, "--scope", "openid offline_access"), cli_env)
    try:
        url = p.wait_for_line("Verification URL: ")
        code = p.wait_for_line("User code: ")
        oidc_server.approve_device(url, user_code=code)
        r = p.finish()
    finally:
        p.kill()
    assert r.returncode == 0, r.stderr
    assert has_refresh(cli_env, "tv")
    assert tm(cli_env, "refresh", "tv").returncode == 0


# --------------------------------------------------------------- endpoint binding


@pytest.fixture
def trap() -> Iterator[TrapEndpoint]:
    t = TrapEndpoint()
    yield t
    t.close()


def has_refresh(env: dict[str, str], name: str) -> bool:
    """The entry holds a refresh token (the index lists it and the keyring has it)."""
    return "refresh" in vault_of(env).entry(name).secrets and bool(secret(env, name, "refresh"))


def _edit_index(env: dict[str, str], name: str, **oauth: str | None) -> None:
    path = Path(env["TOKENMGR_HOME"]) / "entries.json"
    data = json.loads(path.read_text())
    for item in data["entries"]:
        if item["name"] == name:
            item["oauth"].update(oauth)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("field", ["token_url", "revocation_url", "authorize_url"])
def test_an_edited_endpoint_gets_no_secret(
    oidc_server: OIDCServer, cli_env: dict[str, str], trap: TrapEndpoint, field: str
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    rt = secret(cli_env, "w", "refresh")
    assert rt
    _edit_index(cli_env, "w", **{field: trap.url})
    expire(cli_env, "w")
    for args in (["refresh", "w"], ["get", "w"], ["rm", "w", "--revoke"]):
        r = tm(cli_env, *args)
        assert r.returncode == 1, (args, r.stderr)
        assert "index was altered" in r.stderr, r.stderr
    assert trap.requests == []
    assert oidc_server.stats()["token_requests"].get("refresh_token") is None
    assert oidc_server.stats()["revocations"] == 0
    # Nothing was lost, and signing in again re-binds the entry.
    assert secret(cli_env, "w", "refresh") == rt
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    assert tm(cli_env, "refresh", "w").returncode == 0


def test_sign_in_again_with_an_edited_authorize_url_opens_and_sends_nothing(
    oidc_server: OIDCServer, cli_env: dict[str, str], trap: TrapEndpoint
) -> None:
    """An entry made with explicit endpoints; entries.json's authorize_url edited to point
    elsewhere: "Sign in again" (the core calls the app makes) refuses before anything is
    opened or sent, and the RFC 9207 check cannot be edited away either."""
    from tokenmgr.core.errors import IndexAltered
    from tokenmgr.core.oauth.signin import request_again, request_again_checked, sign_in

    args = [
        "login", "w",
        "--authorize-url", oidc_server.authorization_endpoint,
        "--token-url", oidc_server.token_endpoint,
        "--client-id", "tokenmgr-native", "--scope", "openid offline_access",
        "--browser", "none",
    ]  # fmt: skip
    assert browser_login(oidc_server, cli_env, args).returncode == 0
    before = oidc_server.stats()
    vault = vault_of(cli_env)
    opened: list[str] = []

    def open_url(url: str, _redirect: str) -> None:
        opened.append(url)
        raise AssertionError("the sign-in page was opened")

    for edit in ({"authorize_url": trap.url}, {"authorization_response_iss": trap.url}):
        _edit_index(cli_env, "w", **edit)
        with pytest.raises(IndexAltered, match="not used to sign in again"):
            request_again_checked(vault, "w")
        with pytest.raises(IndexAltered, match="index was altered"):
            sign_in(
                vault,
                request_again(vault.entry("w")),
                open_url=open_url,
                announce=lambda _device: open_url("device", ""),
            )
        assert opened == [] and trap.requests == []
        _edit_index(
            cli_env,
            "w",
            authorize_url=oidc_server.authorization_endpoint,
            authorization_response_iss=None,
        )
    assert oidc_server.stats() == before
    r = tm(cli_env, "refresh", "w")  # restored: bound again, it works
    assert r.returncode == 0, r.stderr


def test_client_credentials_refetch_is_bound_too(
    oidc_server: OIDCServer, cli_env: dict[str, str], trap: TrapEndpoint
) -> None:
    from tests.support.oauth import cc_args

    r = tm(cli_env, *cc_args(oidc_server.issuer), stdin=oidc_server.cc_secret)
    assert r.returncode == 0, r.stderr
    _edit_index(cli_env, "svc", token_url=trap.url)
    expire(cli_env, "svc")
    g = tm(cli_env, "get", "svc")
    assert g.returncode == 1 and "index was altered" in g.stderr
    assert trap.requests == []


def test_an_edited_endpoint_that_is_not_https_is_refused_on_load(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    _edit_index(cli_env, "w", token_url="http://attacker.example/token")
    r = tm(cli_env, "get", "w")
    assert r.returncode == 1
    assert "corrupted" in r.stderr and "must use https" in r.stderr


# ------------------------------------------------------------------ loopback Host


def test_loopback_listener_refuses_another_host_and_the_sign_in_goes_on(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    args = ["login", "w", "--issuer", oidc_server.issuer, "--client-id", "tokenmgr-native"]
    p = CliProcess([*args, "--browser", "none"], cli_env)
    try:
        url = p.wait_for_line(SIGN_IN_PREFIX)
        redirect = oidc_server.browse(url)
        assert redirect is not None
        parts = urllib.parse.urlsplit(redirect)
        # The same request, as a page on another name resolving to 127.0.0.1 would send it.
        with socket.create_connection(("127.0.0.1", parts.port or 80), timeout=10) as s:
            s.sendall(
                f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: evil.example:{parts.port}"
                "\r\nConnection: close\r\n\r\n".encode()
            )
            answer = s.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.0 400") or answer.startswith("HTTP/1.1 400"), answer
        import requests

        assert requests.get(redirect, timeout=10).status_code == 200
        r = p.finish()
    finally:
        p.kill()
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}
