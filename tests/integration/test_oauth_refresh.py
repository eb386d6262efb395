"""Refresh (rotation-safe, one at a time across processes) and revocation (RFC 7009)
against the real oidc-provider."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.oauth import expire, secret, tm, vault_of
from tests.support.oidc_server import API_RS256, OIDCServer, scripted_login
from tokenmgr.core.rules import now_utc
from tokenmgr.core.vault import Vault

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fresh_server")]


def refresh_at_server(server: OIDCServer, client: str, rt: str) -> requests.Response:
    return requests.post(
        server.token_endpoint,
        data={"grant_type": "refresh_token", "refresh_token": rt, "client_id": client},
        timeout=10,
    )


def test_get_refreshes_a_really_expiring_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    oidc_server.configure(short_ttl=5)
    assert scripted_login(oidc_server, cli_env, "s", client="tokenmgr-short").returncode == 0
    first = tm(cli_env, "get", "s")
    assert first.returncode == 0
    assert oidc_server.stats()["token_requests"].get("refresh_token") is None  # still fresh
    entry = vault_of(cli_env).entry("s")
    assert entry.expires_at is not None
    # Leeway is min(60 s, lifetime / 4) = 1.25 s: wait until inside it.
    time.sleep(max(0.0, (entry.expires_at - now_utc()).total_seconds() - 1.0))
    second = tm(cli_env, "get", "s")
    assert second.returncode == 0, second.stderr
    assert second.stdout != first.stdout
    assert second.stdout.strip() == secret(cli_env, "s", "access")
    assert oidc_server.stats()["refresh_by_client"] == {"tokenmgr-short": 1}


def test_no_refresh_hands_out_the_stored_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")
    old = secret(cli_env, "w", "access")
    r = tm(cli_env, "get", "w", "--no-refresh")
    assert r.returncode == 0 and r.stdout.strip() == old
    assert "refresh_token" not in oidc_server.stats()["token_requests"]


def test_rotation_new_refresh_token_is_stored_and_the_old_one_is_dead(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "w", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    rt1, at1 = secret(cli_env, "w", "refresh"), secret(cli_env, "w", "access")
    r = tm(cli_env, "refresh", "w")
    assert r.returncode == 0, r.stderr
    rt2, at2 = secret(cli_env, "w", "refresh"), secret(cli_env, "w", "access")
    assert rt1 and rt2 and rt2 != rt1 and at2 != at1
    # Reusing the rotated-away refresh token is refused by the server.
    reuse = refresh_at_server(oidc_server, "tokenmgr-native", rt1)
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"


def test_no_rotation_keeps_the_old_refresh_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "n", client="tokenmgr-norotate").returncode == 0
    rt1, at1 = secret(cli_env, "n", "refresh"), secret(cli_env, "n", "access")
    expire(cli_env, "n")
    r = tm(cli_env, "get", "n")
    assert r.returncode == 0, r.stderr
    assert secret(cli_env, "n", "refresh") == rt1
    assert r.stdout.strip() == secret(cli_env, "n", "access") != at1
    assert oidc_server.stats()["refresh_by_client"] == {"tokenmgr-norotate": 1}


def test_invalid_grant_marks_sign_in_needed_and_deletes_nothing(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    rt1 = secret(cli_env, "w", "refresh")
    assert tm(cli_env, "refresh", "w").returncode == 0
    # Put the rotated-away refresh token back, as a stale copy would be.
    assert rt1 is not None
    vault_of(cli_env).store.set("w", "refresh", rt1)
    r = tm(cli_env, "refresh", "w")
    assert r.returncode == 5
    assert "sign-in needed" in r.stderr
    vault = vault_of(cli_env)
    entry = vault.entry("w")
    assert entry.state == "sign_in_needed"
    assert set(entry.secrets) >= {"access", "refresh", "id"}
    assert vault.store.get("w", "access") and vault.store.get("w", "refresh") == rt1
    # `get` of the expired entry says so too, without asking the server again.
    expire(cli_env, "w")
    before = oidc_server.stats()["token_requests"]["refresh_token"]
    g = tm(cli_env, "get", "w")
    assert g.returncode == 5 and "sign-in needed" in g.stderr and g.stdout == ""
    assert oidc_server.stats()["token_requests"]["refresh_token"] == before
    # Signing in again clears the state.
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    assert vault_of(cli_env).entry("w").state is None
    assert tm(cli_env, "get", "w").returncode == 0


def test_refresh_failing_with_500_keeps_everything(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    rt, at = secret(cli_env, "w", "refresh"), secret(cli_env, "w", "access")
    oidc_server.fault("token", "500", grant_type="refresh_token")
    r = tm(cli_env, "refresh", "w")
    assert r.returncode == 5 and "HTTP 500" in r.stderr
    assert secret(cli_env, "w", "refresh") == rt and secret(cli_env, "w", "access") == at
    assert vault_of(cli_env).entry("w").state is None


def test_eight_processes_get_an_expired_entry_one_refresh_reaches_the_server(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    oidc_server.configure(short_ttl=2)
    assert scripted_login(oidc_server, cli_env, "s", client="tokenmgr-short").returncode == 0
    old = secret(cli_env, "s", "access")
    entry = vault_of(cli_env).entry("s")
    assert entry.expires_at is not None
    time.sleep(max(0.0, (entry.expires_at - now_utc()).total_seconds() + 0.1))
    oidc_server.configure(short_ttl=120)  # the refreshed token lives long enough for all 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "get", "s", "--format", "header"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env,
        )
        for _ in range(8)
    ]
    outs: list[tuple[int, str, str]] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outs.append((p.returncode, out, err))
    assert [rc for rc, _, _ in outs] == [0] * 8, [err for _, _, err in outs]
    new = secret(cli_env, "s", "access")
    assert new != old
    assert {out for _, out, _ in outs} == {f"Authorization: Bearer {new}\n"}
    assert oidc_server.stats()["refresh_by_client"] == {"tokenmgr-short": 1}
    # The one refreshed token is accepted by the server.
    intro = requests.get(oidc_server.issuer + "/me", headers={"Authorization": f"Bearer {new}"})
    assert intro.status_code == 200


def test_refresh_of_a_static_entry_is_a_usage_error(cli_env: dict[str, str]) -> None:
    add = tm(cli_env, "add", "st", stdin="static-token-value\n")
    assert add.returncode == 0, add.stderr
    r = tm(cli_env, "refresh", "st")
    assert r.returncode == 2 and "static token" in r.stderr


# ------------------------------------------------------------------- revoke


def test_rm_revoke_revokes_the_refresh_token_first(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "w", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    rt = secret(cli_env, "w", "refresh")
    assert rt is not None
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 0, r.stderr
    assert "revoked the refresh token" in r.stderr
    stats = oidc_server.stats()
    assert stats["revocation_hints"] == ["refresh_token", "access_token"]
    assert refresh_at_server(oidc_server, "tokenmgr-native", rt).json()["error"] == "invalid_grant"
    assert tm(cli_env, "get", "w").returncode == 3


def test_rm_revoke_of_a_jwt_access_token_is_not_an_error(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "api", "--resource", API_RS256).returncode == 0
    assert (
        secret(
            cli_env,
            "api",
            "access",
        ).count(".")
        == 2
    )  # type: ignore[union-attr]
    r = tm(cli_env, "rm", "api", "--revoke")
    assert r.returncode == 0, r.stderr
    assert "unsupported_token_type" in r.stderr
    assert tm(cli_env, "list", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize("mode", ["drop", "500"])
def test_rm_revoke_failure_keeps_the_entry_and_its_refresh_token(
    oidc_server: OIDCServer, cli_env: dict[str, str], mode: str
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    rt = secret(cli_env, "w", "refresh")
    assert rt is not None
    oidc_server.fault("revocation", mode)
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 5, r.stderr
    assert "revoking 'w' at the provider failed" in r.stderr
    assert "The entry was kept" in r.stderr
    assert "`tokenmgr rm w --revoke`" in r.stderr and "`tokenmgr rm w`" in r.stderr
    # Nothing was lost: the same refresh token is still stored.
    assert [e["name"] for e in json.loads(tm(cli_env, "list", "--json").stdout)] == ["w"]
    assert secret(cli_env, "w", "refresh") == rt
    # Retrying once the provider answers ends the grant and removes the entry.
    r = tm(cli_env, "rm", "w", "--revoke")
    assert r.returncode == 0, r.stderr
    assert tm(cli_env, "list", "--json").stdout.strip() == "[]"
    assert refresh_at_server(oidc_server, "tokenmgr-native", rt).json()["error"] == "invalid_grant"


# ------------------------------------------------------ ordering, in process


def test_rotated_refresh_token_is_written_before_the_access_token(
    oidc_server: OIDCServer, tmp_path: Path
) -> None:
    """In process, with a store that records the order of writes (real server)."""
    import keyring.backend

    from tokenmgr.core.oauth.refresh import refresh_now
    from tokenmgr.core.oauth.signin import SignInRequest, sign_in
    from tokenmgr.core.stores.keyring_store import KeyringStore

    class Memory(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.data: dict[tuple[str, str], str] = {}
            self.writes: list[str] = []

        def get_password(self, service: str, username: str) -> str | None:
            return self.data.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.writes.append(username)
            self.data[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.data.pop((service, username), None)

    backend = Memory()
    vault = Vault(home=tmp_path, store=KeyringStore(backend=backend), env={})

    def browser(url: str, redirect_uri: str) -> None:
        def go() -> None:
            redirect = oidc_server.browse(url)
            assert redirect is not None
            requests.get(redirect, timeout=10)

        import threading

        threading.Thread(target=go, daemon=True).start()

    req = SignInRequest(name="w", client_id="tokenmgr-native", issuer=oidc_server.issuer)
    sign_in(vault, req, open_url=browser, announce=lambda d: None)
    rt1 = vault.store.get("w", "refresh")
    backend.writes.clear()
    _, token = refresh_now(vault, "w")
    fields = [_field(u) for u in backend.writes]
    assert "refresh" in fields and "access" in fields
    assert fields.index("refresh") < fields.index("access")
    assert vault.store.get("w", "refresh") != rt1
    assert token == vault.store.get("w", "access")


def _field(username: Any) -> str:
    text = urllib.parse.unquote(str(username))
    for f in ("client_secret", "refresh", "access", "id"):
        if text.endswith(f) or f"/{f}" in text or f":{f}" in text:
            return f
    return text


def test_network_failure_inside_the_leeway_hands_out_the_current_token(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w", left=timedelta(seconds=30))  # due: under 60 s left
    at, rt = secret(cli_env, "w", "access"), secret(cli_env, "w", "refresh")
    oidc_server.fault("token", "drop", grant_type="refresh_token")
    r = tm(cli_env, "get", "w")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == at
    assert "could not refresh 'w'" in r.stderr
    assert secret(cli_env, "w", "refresh") == rt
    # Once it has expired, the same failure is exit 5.
    expire(cli_env, "w")
    oidc_server.fault("token", "drop", grant_type="refresh_token")
    r = tm(cli_env, "get", "w")
    assert r.returncode == 5 and r.stdout == ""
    assert "could not reach" in r.stderr


def test_export_and_exec_refresh_too(oidc_server: OIDCServer, cli_env: dict[str, str]) -> None:
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")
    old = secret(cli_env, "w", "access")
    r = tm(
        cli_env, "exec", "w", "--", sys.executable, "-c", "import os; print(os.environ['W_TOKEN'])"
    )
    assert r.returncode == 0, r.stderr
    new = secret(cli_env, "w", "access")
    assert new != old and r.stdout.strip() == new
    expire(cli_env, "w")
    e = tm(cli_env, "export", "w", "--shell", "bash")
    assert e.returncode == 0
    newer = secret(cli_env, "w", "access")
    assert newer != new and newer in e.stdout
    assert oidc_server.stats()["refresh_by_client"] == {"tokenmgr-native": 2}


def test_get_json_after_a_refresh_shows_the_new_expiry(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    import json

    from tokenmgr.core.rules import parse_time

    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    expire(cli_env, "w")
    r = tm(cli_env, "get", "w", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["token"] == secret(cli_env, "w", "access")
    expires = parse_time(doc["expires_at"])
    assert expires is not None and expires > now_utc() + timedelta(minutes=30)


def test_redirect_uri_is_stored_and_resent_on_refresh_when_the_provider_wants_it(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    """GitLab's quirk (preset flag `resend_redirect_uri`), exercised on the real server."""
    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    used = oidc_server.stats()["last_auth_params"]["redirect_uri"]
    vault = vault_of(cli_env)
    entry = vault.entry("w")
    assert entry.oauth is not None and entry.oauth.redirect_uri == used
    assert tm(cli_env, "refresh", "w").returncode == 0
    assert "redirect_uri" not in oidc_server.stats()["last_token_params"]
    entry = vault.entry("w")
    assert entry.oauth is not None
    entry.oauth.resend_redirect_uri = True
    vault.update_entry(entry)
    # The flag is bound (it shapes a request that carries the refresh token): bind it, as
    # a sign-in with the preset that sets it would have.
    from tokenmgr.core.oauth import binding

    vault.store.set("w", binding.FIELD, binding.digest(entry))
    r = tm(cli_env, "refresh", "w")
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["last_token_params"]["redirect_uri"] == used


def test_every_http_client_of_a_refresh_and_a_revocation_is_closed(
    oidc_server: OIDCServer, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app refreshes and revokes many times in one long run: each client's
    connections are closed when it is done, not left to the garbage collector."""
    from tokenmgr.core.oauth import refresh, revoke
    from tokenmgr.core.oauth.http import Http

    assert scripted_login(oidc_server, cli_env, "w").returncode == 0
    made: list[Http] = []
    closed: list[Http] = []
    init, close = Http.__init__, Http.close

    def counted_init(self: Http, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        init(self, *args, **kwargs)

    def counted_close(self: Http) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(Http, "__init__", counted_init)
    monkeypatch.setattr(Http, "close", counted_close)
    vault = vault_of(cli_env)
    refresh.locked_refresh(vault, "w", force=True)
    assert revoke.revoke_entry(vault, vault.entry("w"))
    assert len(made) == 2 and all(any(c is h for c in closed) for h in made)
