"""Device authorization (RFC 8628) and client credentials against the real oidc-provider,
plus the token endpoint misbehaving (HTML, 500, no access_token)."""

from __future__ import annotations

from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.support.oauth import (
    cc_args,
    device_args,
    jwt_claims,
    login_args,
    nothing_stored,
    tm,
    vault_of,
)
from tests.support.oidc_server import API_ES256, API_RS256, CC_SECRET, OIDCServer, device_login
from tokenmgr.core.entries import OAuthConfig
from tokenmgr.core.errors import AuthError
from tokenmgr.core.oauth import flows
from tokenmgr.core.oauth.http import Http

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fresh_server")]
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


# ------------------------------------------------------------------ device


def test_device_flow_through_the_cli(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r, url, code = device_login(oidc_server, cli_env)
    assert url == oidc_server.issuer + "/device"
    assert code
    assert r.returncode == 0, r.stderr
    stats = oidc_server.stats()
    assert stats["token_requests"][DEVICE] >= 1
    vault = vault_of(cli_env)
    entry = vault.entry("tv")
    assert entry.oauth is not None and entry.oauth.flow == "device"
    assert "refresh" in entry.secrets
    g = tm(cli_env, "get", "tv")
    assert g.returncode == 0 and g.stdout.strip() == vault.get_secret(entry, "access")


def _device_cfg(server: OIDCServer) -> OAuthConfig:
    return OAuthConfig(
        issuer=server.issuer,
        token_url=server.token_endpoint,
        device_url=server.issuer + "/device/auth",
        client_id="tokenmgr-device",
        scopes=["openid"],
        flow="device",
    )


def test_device_slow_down_adds_five_seconds(oidc_server: OIDCServer) -> None:
    """A real slow_down from the server; the waits are recorded instead of slept."""
    cfg = _device_cfg(oidc_server)
    oidc_server.fault("token", "slow_down", count=1, grant_type=DEVICE)
    shown: list[flows.DeviceAuthorization] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # approve after the slow_down was answered
            oidc_server.approve_device(shown[0].verification_uri_complete or "")

    tokens = flows.device_flow(
        Http(), cfg, client_secret=None, announce=shown.append, timeout=60, sleep=sleep
    )
    assert tokens.access_token
    assert shown[0].interval == 1
    # poll 1 after 1 s → slow_down; poll 2 after 6 s → pending or success...
    assert waits[0] == 1 and waits[1] == 6
    assert all(w == 6 for w in waits[1:])
    stats = oidc_server.stats()
    assert stats["device_polls"] == len(waits)


def test_device_authorization_pending_keeps_polling_at_the_interval(
    oidc_server: OIDCServer,
) -> None:
    cfg = _device_cfg(oidc_server)
    shown: list[flows.DeviceAuthorization] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            oidc_server.approve_device(shown[0].verification_uri_complete or "")

    flows.device_flow(
        Http(), cfg, client_secret=None, announce=shown.append, timeout=60, sleep=sleep
    )
    assert waits == [1, 1, 1]  # two authorization_pending answers, then the token


@pytest.mark.parametrize(
    ("error", "message"),
    [("access_denied", "declined"), ("expired_token", "expired")],
)
def test_device_flow_stops_on_denial_and_expiry(
    oidc_server: OIDCServer, cli_env: dict[str, str], error: str, message: str
) -> None:
    oidc_server.fault("token", "error", count=1, grant_type=DEVICE, error=error)
    r = tm(cli_env, *device_args(oidc_server.issuer))
    assert r.returncode == 5
    assert message in r.stderr
    assert oidc_server.stats()["device_polls"] == 1  # stopped at once
    assert nothing_stored(cli_env)


def test_device_flow_times_out(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = tm(cli_env, *device_args(oidc_server.issuer, "--timeout", "2.5"))
    assert r.returncode == 5
    assert "not completed in time" in r.stderr
    assert nothing_stored(cli_env)


# ------------------------------------------------------- client credentials


def cc_login(
    env: dict[str, str], server: OIDCServer, *extra: str, secret: str = CC_SECRET
) -> CompletedProcess[str]:
    return tm(env, *cc_args(server.issuer, *extra), stdin=secret + "\n")


def test_client_credentials_with_special_characters_in_the_secret(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert all(c in CC_SECRET for c in ":%+/= ")
    r = cc_login(cli_env, oidc_server, "--resource", API_RS256, "--scope", "api:read")
    assert r.returncode == 0, r.stderr
    g = tm(cli_env, "get", "svc")
    claims = jwt_claims(g.stdout.strip())
    assert claims["aud"] == API_RS256 and claims["client_id"] == "tokenmgr-cc"
    vault = vault_of(cli_env)
    entry = vault.entry("svc")
    assert vault.get_secret(entry, "client_secret") == CC_SECRET  # in the keyring
    for f in Path(cli_env["TOKENMGR_HOME"]).rglob("*"):
        if f.is_file():
            assert CC_SECRET.encode() not in f.read_bytes(), f
    # Refresh simply fetches a new token with the stored secret, repeating the resource.
    before = g.stdout
    rr = tm(cli_env, "refresh", "svc")
    assert rr.returncode == 0, rr.stderr
    stats = oidc_server.stats()
    assert stats["token_requests"] == {"client_credentials": 2}
    assert stats["last_token_params"]["resource"] == API_RS256
    assert tm(cli_env, "get", "svc").stdout != before


def test_wrong_client_secret_is_refused(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = cc_login(cli_env, oidc_server, secret=CC_SECRET + "x")
    assert r.returncode == 5
    assert "invalid_client" in r.stderr
    assert nothing_stored(cli_env)


def test_client_credentials_without_secret_is_a_usage_error(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = tm(
        cli_env,
        *login_args("svc", oidc_server.issuer, "tokenmgr-cc", "--flow", "client-credentials"),
    )
    assert r.returncode == 2
    assert "--client-secret-stdin" in r.stderr


def test_audience_resource_and_params_are_stored_and_repeated(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = cc_login(
        cli_env,
        oidc_server,
        "--resource",
        API_ES256,
        "--audience",
        "https://aud.example.test",
        "--param",
        "tm_extra=42",
    )
    assert r.returncode == 0, r.stderr
    entry = vault_of(cli_env).entry("svc")
    assert entry.oauth is not None
    assert entry.oauth.audience == "https://aud.example.test"
    assert entry.oauth.resource == API_ES256
    assert entry.oauth.extra_params == {"tm_extra": "42"}
    assert tm(cli_env, "refresh", "svc").returncode == 0
    last = oidc_server.stats()["last_token_params"]
    assert last["resource"] == API_ES256
    assert last["audience"] == "https://aud.example.test"
    assert last["tm_extra"] == "42"


def test_reserved_param_is_refused(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    r = cc_login(cli_env, oidc_server, "--param", "client_secret=oops")
    assert r.returncode == 2
    assert "set by tokenmgr itself" in r.stderr
    assert oidc_server.stats()["token_requests"] == {}


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("html", "HTML page"),
        ("500", "HTTP 500"),
        ("no_access_token", "without an access_token"),
        ("drop", "could not reach"),
    ],
)
def test_token_endpoint_misbehaving_is_a_clear_error_and_nothing_is_stored(
    oidc_server: OIDCServer, cli_env: dict[str, str], mode: str, message: str
) -> None:
    oidc_server.fault("token", mode, count=1)
    r = cc_login(cli_env, oidc_server)
    assert r.returncode == 5, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert nothing_stored(cli_env)


def test_html_token_response_in_process_is_a_network_error(oidc_server: OIDCServer) -> None:
    oidc_server.fault("token", "html", count=1)
    cfg = OAuthConfig(token_url=oidc_server.token_endpoint, client_id="tokenmgr-cc")
    with pytest.raises(AuthError) as info:
        flows.client_credentials(Http(), cfg, CC_SECRET)
    assert info.value.exit_status == 5


def test_device_flow_can_be_cancelled(oidc_server: OIDCServer) -> None:
    import threading

    from tokenmgr.core.oauth.loopback import SignInCancelled

    cancel = threading.Event()
    with pytest.raises(SignInCancelled):
        flows.device_flow(
            Http(),
            _device_cfg(oidc_server),
            client_secret=None,
            announce=lambda _a: cancel.set(),
            timeout=60,
            cancel=cancel,
        )
    assert oidc_server.stats()["device_polls"] == 0
