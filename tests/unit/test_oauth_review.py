"""Unit tests for the OAuth fixes of the security review: prompt=consent with
offline_access, preset quirks, the device interval floor, the loopback Host check,
refusing token-shaped names (the binding: test_oauth_binding.py)."""

from __future__ import annotations

import socket
import threading
import urllib.parse
from typing import Any

import pytest

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.errors import UsageError
from tokenmgr.core.oauth import presets
from tokenmgr.core.oauth.discovery import ServerMetadata
from tokenmgr.core.oauth.flows import DEFAULT_INTERVAL, code_flow, start_device
from tokenmgr.core.oauth.http import Http, Response
from tokenmgr.core.oauth.loopback import LoopbackListener
from tokenmgr.core.rules import looks_like_token, validate_name


class _Opened(Exception):
    pass


def auth_url(cfg: OAuthConfig, **kwargs: Any) -> dict[str, str]:
    """The authorization request code_flow would open (the sign-in stops right there)."""
    seen: list[str] = []

    def open_url(url: str, _redirect: str) -> None:
        seen.append(url)
        raise _Opened

    with pytest.raises(_Opened):
        code_flow(
            Http(),
            cfg,
            meta=ServerMetadata(issuer="https://as", code_challenge_methods=["S256"]),
            client_secret=None,
            open_url=open_url,
            timeout=1,
            **kwargs,
        )
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(seen[0]).query))


def cfg(**kw: Any) -> OAuthConfig:
    base: dict[str, Any] = {
        "issuer": "https://as",
        "client_id": "c",
        "authorize_url": "https://as/auth",
        "token_url": "https://as/t",
    }
    return OAuthConfig(**{**base, **kw})


def test_offline_access_sends_prompt_consent() -> None:
    assert auth_url(cfg(scopes=["openid", "offline_access"]))["prompt"] == "consent"
    assert "prompt" not in auth_url(cfg(scopes=["openid"]))


def test_the_users_prompt_wins() -> None:
    q = auth_url(cfg(scopes=["openid", "offline_access"], extra_params={"prompt": "login"}))
    assert q["prompt"] == "login"


def test_a_preset_may_say_no_prompt_is_needed() -> None:
    q = auth_url(cfg(scopes=["openid", "offline_access"]), offline_access_prompt=False)
    assert "prompt" not in q


def test_presets_encode_their_refresh_token_needs() -> None:
    google, _ = presets.resolve("google", {}, "cid")
    assert google.auth_params == {"access_type": "offline", "prompt": "consent"}
    assert "offline_access" not in google.scopes  # Google refuses that scope
    q = auth_url(cfg(scopes=google.scopes), auth_params=google.auth_params)
    assert q["access_type"] == "offline" and q["prompt"] == "consent"
    entra, _ = presets.resolve("entra", {}, "cid")
    assert "offline_access" in entra.scopes and entra.offline_access_prompt is False
    for name in ("auth0", "okta"):
        p, _ = presets.resolve(name, {"domain": "x.example.com"}, "cid")
        assert "offline_access" in p.scopes and p.offline_access_prompt is True


def _device_response(interval: object) -> Response:
    import json

    body = {
        "device_code": "dc",
        "user_code": "UC",
        "verification_uri": "https://as/device",
        "expires_in": 60,
    }
    if interval is not None:
        body["interval"] = interval
    return Response(200, "application/json", json.dumps(body).encode(), "https://as/device/auth")


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(0, DEFAULT_INTERVAL), (0.2, DEFAULT_INTERVAL), (None, DEFAULT_INTERVAL), (1, 1.0), (7, 7.0)],
)
def test_device_interval_below_one_second_is_taken_as_five(
    interval: object, expected: float
) -> None:
    class FakeHttp(Http):
        def request(self, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
            return _device_response(interval)

    dev = start_device(FakeHttp(), cfg(device_url="https://as/device/auth"), None)
    assert dev.interval == expected


def _raw_get(port: int, path: str, host: str) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(4096).decode("latin-1")
    return int(head.split()[1])


def test_loopback_answers_only_its_own_host() -> None:
    state = "s" * 43
    lst = LoopbackListener(state=state, issuer=None, iss_required=False)
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("cb", lst.wait(20)), daemon=True)
    t.start()
    path = f"/callback?state={state}&code=the-code"
    for host in ("evil.example", f"localhost:{lst.port}", f"127.0.0.1:{lst.port + 1}", ""):
        assert _raw_get(lst.port, path, host) == 400, host
    assert "cb" not in out
    assert _raw_get(lst.port, path, f"127.0.0.1:{lst.port}") == 200
    t.join(10)
    assert out["cb"].code == "the-code"


@pytest.mark.parametrize(
    "url", ["http://as.example/t", "ftp://as/t", "https://user:pw@as/t", "https://as/t#f"]
)
def test_index_urls_are_validated_on_load(url: str) -> None:
    data = cfg().to_dict()
    data["token_url"] = url
    with pytest.raises(UsageError):
        OAuthConfig.from_dict(data)


@pytest.mark.parametrize(
    "name",
    [
        "ghp_" + "a1B2" * 9,
        "github_pat_11ABCDE0123456789_abcdefghijk",
        "glpat-" + "x" * 20,
        "xoxb-1234567890-abcdefghijkl",
        "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    ],
)
def test_token_shaped_names_are_refused_without_echo(name: str) -> None:
    assert looks_like_token(name)
    with pytest.raises(UsageError) as info:
        validate_name(name)
    assert name not in str(info.value) and name[:8] not in str(info.value)
    assert "looks like a token" in str(info.value)


@pytest.mark.parametrize("name", ["github-ci", "work", "sk-prod", "ghp", "eyJ", "xoxb", "api.v2"])
def test_ordinary_names_are_fine(name: str) -> None:
    assert not looks_like_token(name)
    assert validate_name(name) == name


def test_add_with_a_token_as_name_stores_nothing(cli: Any) -> None:
    token = "ghp_" + "Z9y8" * 9
    r = cli("add", token, stdin="real-token")
    assert r.status == 2
    assert token[:8] not in r.err and token[-8:] not in r.err
    assert cli("list", "--json").out == "[]\n"


def test_server_error_text_is_redacted_and_printable() -> None:
    from tokenmgr.core.oauth.http import OAuthError
    from tokenmgr.core.redact import register_secret

    sent = "rt-" + "Q" * 30
    register_secret(sent)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    e = OAuthError("invalid_grant\x1b[2J", f"refresh token {sent} refused; seen {jwt}\r\nX")
    text = str(e)
    assert sent[:8] not in text and sent[-8:] not in text and "eyJ" not in text
    assert "\x1b" not in text and "\r" not in text and "\n" not in text
    assert "invalid_grant" in text


def test_sign_in_again_repeats_the_first_sign_in() -> None:
    from tokenmgr.core.oauth.signin import SignInRequest, build_config, request_again

    http = Http()
    first = SignInRequest(
        name="gh",
        client_id="Iv1.abc",
        preset="github",
        scopes=["repo"],
        params={"login": "octocat"},
        flow="device",
    )
    cfg, _, _ = build_config(first, http)
    again = request_again(Entry(name="gh", kind="oauth2", oauth=cfg))
    cfg2, _, _ = build_config(again, http)
    assert cfg2 == cfg
    explicit = SignInRequest(
        name="x",
        client_id="c",
        authorize_url="https://as.example/auth",
        token_url="https://as.example/token",
        scopes=["a", "b"],
        resource="https://api.example",
    )
    cfg, _, _ = build_config(explicit, http)
    cfg2, _, _ = build_config(request_again(Entry(name="x", kind="oauth2", oauth=cfg)), http)
    assert cfg2 == cfg


def test_preset_values_are_kept_for_signing_in_again() -> None:
    from tokenmgr.core.oauth.signin import request_again

    cfg = OAuthConfig(
        issuer="https://login.microsoftonline.com/contoso/v2.0",
        client_id="c",
        preset="entra",
        preset_params={"tenant": "contoso"},
        extra_params={"login_hint": "a@contoso.example"},
    )
    req = request_again(Entry(name="corp", kind="oauth2", oauth=cfg))
    assert req.preset == "entra" and req.issuer == cfg.issuer
    assert req.params == {"tenant": "contoso", "login_hint": "a@contoso.example"}
    with pytest.raises(UsageError):
        request_again(Entry(name="s"))
