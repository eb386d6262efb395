"""`tokenmgr login` with the authorization code flow against the real oidc-provider.

Covers PKCE S256, state, nonce, RFC 9207 `iss`, the loopback listener
(127.0.0.1, error pages that do not use up the attempt, closed after the first
valid callback), discovery (OIDC, RFC 8414, exact issuer match), explicit
endpoints, and the bad-input cases (exit 2 or 5, nothing stored).
"""

from __future__ import annotations

import json
import socket
import sys
import urllib.parse
from pathlib import Path

import pytest
import requests

from tests.support.oauth import (
    jwt_claims,
    jwt_header,
    login_args,
    nothing_stored,
    tm,
    vault_of,
)
from tests.support.oidc_server import (
    API_RS256,
    SIGN_IN_PREFIX,
    CliProcess,
    OIDCServer,
    browser_login,
    pkce_pair,
    scripted_login,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fresh_server")]


def test_code_flow_signs_in_and_get_prints_the_access_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "work", "--scope", "openid email offline_access")
    assert r.returncode == 0, r.stderr
    assert "signed in" in r.stderr and "warning" not in r.stderr
    stats = oidc_server.stats()
    assert stats["token_requests"] == {"authorization_code": 1}
    auth = stats["last_auth_params"]
    assert auth["code_challenge_method"] == "S256"
    # OIDC Core §11: offline_access goes with prompt=consent, or the server drops it.
    assert auth["prompt"] == "consent"
    redirect = urllib.parse.urlsplit(auth["redirect_uri"])
    assert redirect.hostname == "127.0.0.1" and redirect.port and redirect.port > 0
    vault = vault_of(cli_env)
    entry = vault.entry("work")
    assert entry.kind == "oauth2" and entry.oauth is not None
    assert entry.oauth.issuer == oidc_server.issuer
    assert entry.oauth.token_url == oidc_server.token_endpoint
    assert set(entry.secrets) == {"access", "refresh", "id", "binding"}
    access = vault.get_secret(entry, "access")
    id_token = vault.get_secret(entry, "id")
    claims = jwt_claims(id_token)
    assert claims["iss"] == oidc_server.issuer and claims["aud"] == "tokenmgr-native"
    assert isinstance(claims.get("nonce"), str) and len(str(claims["nonce"])) >= 22
    g = tm(cli_env, "get", "work", "--format", "header")
    assert g.returncode == 0, g.stderr
    assert g.stdout == f"Authorization: Bearer {access}\n"
    # The index never holds a secret.
    index = (Path(cli_env["TOKENMGR_HOME"]) / "entries.json").read_text()
    assert access not in index and id_token not in index
    # The listener closed after the valid callback.
    with pytest.raises(requests.ConnectionError):
        requests.get(auth["redirect_uri"], timeout=3)


def test_es256_id_token_client_signs_in(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = scripted_login(oidc_server, cli_env, "es", client="tokenmgr-es256")
    assert r.returncode == 0, r.stderr
    vault = vault_of(cli_env)
    id_token = vault.get_secret(vault.entry("es"), "id")
    assert jwt_header(id_token)["alg"] == "ES256"


def _start(oidc_server: OIDCServer, env: dict[str, str], *extra: str) -> tuple[CliProcess, str]:
    p = CliProcess(
        login_args("work", oidc_server.issuer, "tokenmgr-native", "--browser", "none", *extra), env
    )
    url = p.wait_for_line(SIGN_IN_PREFIX)
    return p, url


def _with(url: str, **changes: str | None) -> str:
    parts = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(parts.query))
    for k, v in changes.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = v
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))


def test_wrong_state_or_iss_gets_an_error_page_and_the_sign_in_goes_on(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    p, url = _start(oidc_server, cli_env)
    try:
        assert "state=" in url and "nonce=" in url and "code_challenge=" in url
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
        assert len(state) >= 22  # >= 128 bits in base64url
        redirect = oidc_server.browse(url)
        assert redirect is not None
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))
        assert q["iss"] == oidc_server.issuer  # RFC 9207 from the server
        bad_state = requests.get(_with(redirect, state="A" * len(q["state"])), timeout=10)
        assert bad_state.status_code == 400 and "state" in bad_state.text
        no_state = requests.get(_with(redirect, state=None), timeout=10)
        assert no_state.status_code == 400
        mixup = requests.get(_with(redirect, iss="https://evil.example"), timeout=10)
        assert mixup.status_code == 400 and "issuer" in mixup.text
        # The server advertises authorization_response_iss_parameter_supported: iss required.
        no_iss = requests.get(_with(redirect, iss=None), timeout=10)
        assert no_iss.status_code == 400
        assert oidc_server.stats()["token_requests"] == {}  # no code was exchanged
        ok = requests.get(redirect, timeout=10)
        assert ok.status_code == 200 and "close this tab" in ok.text
        r = p.finish()
    finally:
        p.kill()
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}


def test_mix_up_callback_alone_never_exchanges_the_code(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    p, url = _start(oidc_server, cli_env, "--timeout", "3")
    try:
        redirect = oidc_server.browse(url)
        assert redirect is not None
        assert requests.get(_with(redirect, iss=oidc_server.base), timeout=10).status_code == 400
        r = p.finish()
    finally:
        p.kill()
    assert r.returncode == 5
    assert "no sign-in completed within 3 s" in r.stderr
    assert oidc_server.stats()["token_requests"] == {}
    assert nothing_stored(cli_env)


def test_provider_error_ends_the_sign_in(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    p, url = _start(oidc_server, cli_env)
    try:
        redirect = oidc_server.browse(_with(url, scope="openid not-a-scope", resource="bad"))
        assert redirect is not None and "error=" in redirect
        page = requests.get(redirect, timeout=10)
        assert page.status_code == 200
        r = p.finish()
    finally:
        p.kill()
    assert r.returncode == 5
    # Said as what the provider refused, with its own words.
    assert "the provider refused the sign-in request (invalid_target" in r.stderr
    assert nothing_stored(cli_env)


def test_timeout_exits_5_and_stores_nothing(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    p, _ = _start(oidc_server, cli_env, "--timeout", "1")
    r = p.finish()
    assert r.returncode == 5
    assert "no sign-in completed within 1 s" in r.stderr
    assert nothing_stored(cli_env)


def test_loopback_port_taken_is_a_clear_error(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = tm(
            cli_env,
            *login_args("work", oidc_server.issuer, "tokenmgr-native", "--browser", "none"),
            "--port",
            str(port),
        )
    assert r.returncode == 2
    assert f"port {port} on 127.0.0.1 is taken" in r.stderr
    assert nothing_stored(cli_env)


def test_pinned_port_is_used(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = scripted_login(oidc_server, cli_env, "work", "--port", str(port))
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["last_auth_params"]["redirect_uri"] == (
        f"http://127.0.0.1:{port}/callback"
    )


def test_explicit_endpoints_without_discovery(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = browser_login(
        oidc_server,
        cli_env,
        [
            "login",
            "plain",
            "--authorize-url",
            oidc_server.authorization_endpoint,
            "--token-url",
            oidc_server.token_endpoint,
            "--client-id",
            "tokenmgr-native",
            "--scope",
            "openid",
            "--browser",
            "none",
            "--host",
            "git.acme.example/infra",
        ],
    )
    assert r.returncode == 0, r.stderr
    entry = vault_of(cli_env).entry("plain")
    assert entry.oauth is not None and entry.oauth.issuer is None
    assert entry.oauth.token_url == oidc_server.token_endpoint
    # What it serves, given at sign-in: git gets its access token for that host and path.
    assert entry.hosts == ["git.acme.example/infra"]
    g = tm(cli_env, "credential", "git", "get",
           stdin="protocol=https\nhost=git.acme.example\npath=infra/tools.git\n\n")
    assert f"password={tm(cli_env, 'get', 'plain').stdout.strip()}\n" in g.stdout, g.stderr


def test_resource_gives_a_jwt_access_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "api", "--resource", API_RS256)
    assert r.returncode == 0, r.stderr
    g = tm(cli_env, "get", "api")
    assert jwt_claims(g.stdout.strip())["aud"] == API_RS256
    assert oidc_server.stats()["last_auth_params"]["resource"] == API_RS256


def test_missing_pkce_verifier_is_rejected_by_the_server(oidc_server: OIDCServer) -> None:
    verifier, challenge = pkce_pair()
    url = oidc_server.authorization_url(code_challenge=challenge, nonce="n" * 22)
    redirect = oidc_server.browse(url)
    assert redirect is not None
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))["code"]
    r = requests.post(
        oidc_server.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/callback",
            "client_id": "tokenmgr-native",
        },
        timeout=10,
    )
    assert r.status_code == 400
    assert r.json()["error"] in ("invalid_grant", "invalid_request")
    # ... and a request without a challenge is refused at the authorization endpoint.
    redirect = oidc_server.browse(oidc_server.authorization_url(nonce="n" * 22))
    assert redirect is not None and "error=invalid_request" in redirect


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "issuer",
    ["not a url", "ftp://127.0.0.1/x", "http://id.example.com", "https://x.example/?q=1"],
)
def test_issuer_that_is_not_a_usable_url_is_a_usage_error(
    cli_env: dict[str, str], issuer: str
) -> None:
    r = tm(cli_env, "login", "w", "--issuer", issuer, "--client-id", "c", "--browser", "none")
    assert r.returncode == 2, r.stderr
    assert "issuer" in r.stderr
    assert nothing_stored(cli_env)


def test_issuer_without_discovery_is_a_usage_error(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = tm(cli_env, "login", "w", "--issuer", oidc_server.base + "/nowhere", "--client-id", "c")
    assert r.returncode == 2
    assert "no discovery document" in r.stderr
    assert nothing_stored(cli_env)


def test_issuer_differing_by_a_trailing_slash_is_refused(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = tm(
        cli_env, *login_args("w", oidc_server.issuer + "/", "tokenmgr-native", "--browser", "none")
    )
    assert r.returncode == 5
    assert "must match exactly" in r.stderr
    assert SIGN_IN_PREFIX not in r.stderr
    assert nothing_stored(cli_env)


def test_rfc8414_metadata_is_used_when_oidc_discovery_is_missing(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    oidc_server.configure(oidc_discovery=False)
    r = scripted_login(oidc_server, cli_env, "w", "--scope", "openid")
    assert r.returncode == 0, r.stderr
    assert vault_of(cli_env).entry("w").oauth.token_url == oidc_server.token_endpoint  # type: ignore[union-attr]


def test_embedded_browser_needs_the_desktop_app(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = tm(
        cli_env, *login_args("w", oidc_server.issuer, "tokenmgr-native", "--browser", "embedded")
    )
    assert r.returncode == 2
    assert "embedded browser needs the desktop app" in r.stderr
    assert oidc_server.stats()["token_requests"] == {}


def test_relogin_replaces_tokens_and_keeps_the_entry(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    first = tm(cli_env, "get", "w").stdout
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    second = tm(cli_env, "get", "w").stdout
    assert first != second and second.strip()
    assert [e["name"] for e in json.loads(tm(cli_env, "list", "--json").stdout)] == ["w"]


FAKE_BROWSER = r'''
"""Stands in for the system browser: hands the URL to a detached "person" and returns."""
import os
import subprocess
import sys

if sys.argv[1] == "--drive":
    sys.path.insert(0, os.environ["TM_TEST_ROOT"])
    import requests
    from tests.support.oidc_server import OIDCServer

    server = OIDCServer.__new__(OIDCServer)
    server.base = os.environ["TM_TEST_BASE"]
    redirect = server.browse(sys.argv[2])
    requests.get(redirect, timeout=10)
else:
    subprocess.Popen(
        [sys.executable, __file__, "--drive", sys.argv[1]],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
'''


def test_system_browser_mode_opens_the_default_browser(
    oidc_server: OIDCServer, cli_env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "fake_browser.py"
    script.write_text(FAKE_BROWSER)
    env = dict(cli_env)
    env["BROWSER"] = f"{sys.executable} {script} %s"
    env["TM_TEST_BASE"] = oidc_server.base
    env["TM_TEST_ROOT"] = str(Path(__file__).resolve().parents[2])
    r = tm(
        env,
        *login_args("sys", oidc_server.issuer, "tokenmgr-native", "--browser", "system"),
        "--timeout",
        "30",
    )
    assert r.returncode == 0, r.stderr
    assert "Opened the sign-in page in your browser" in r.stderr
    assert SIGN_IN_PREFIX not in r.stderr
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}


def test_preset_generic_oidc(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = browser_login(
        oidc_server,
        cli_env,
        [
            "login",
            "p",
            "--preset",
            "oidc",
            "--param",
            f"issuer={oidc_server.issuer}",
            "--client-id",
            "tokenmgr-native",
            "--browser",
            "none",
        ],
    )
    assert r.returncode == 0, r.stderr
    entry = vault_of(cli_env).entry("p")
    assert entry.oauth is not None and entry.oauth.preset == "oidc"
    assert entry.oauth.issuer == oidc_server.issuer
    assert entry.oauth.extra_params == {}  # the placeholder value was consumed, not sent
    assert "issuer" not in oidc_server.stats()["last_auth_params"]


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("nonce", "tampered-nonce-value-0123456789", "nonce does not match"),
        ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "invalid_grant"),
    ],
)
def test_tampered_authorization_request_fails_and_stores_nothing(
    oidc_server: OIDCServer, cli_env: dict[str, str], param: str, value: str, message: str
) -> None:
    """A nonce or PKCE challenge changed on the way: the ID token check (ours) or the
    verifier check (the server's) refuses the sign-in."""
    r = scripted_login(
        oidc_server, cli_env, "work", tamper=lambda url: _with(url, **{param: value})
    )
    assert r.returncode == 5
    assert message in r.stderr
    assert oidc_server.stats()["token_requests"] == {"authorization_code": 1}
    assert nothing_stored(cli_env)
