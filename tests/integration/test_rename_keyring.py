"""`tokenmgr mv` on the real Secret Service, with an entry signed in at the real
oidc-provider: after the rename the new name refreshes and revokes (its binding still
matches), and the keyring keeps nothing under the old name."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.oauth import secret, tm
from tests.support.oidc_server import OIDCServer, scripted_login
from tokenmgr.core.rules import SECRET_FIELDS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fresh_server")]


def test_a_renamed_sign_in_refreshes_and_revokes_under_its_new_name(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    r = scripted_login(oidc_server, cli_env, "w", "--scope", "openid offline_access")
    assert r.returncode == 0, r.stderr
    rt, at = secret(cli_env, "w", "refresh"), secret(cli_env, "w", "access")
    assert rt and at

    r = tm(cli_env, "mv", "w", "work")
    assert r.returncode == 0, r.stderr
    assert r.stderr == "tokenmgr: renamed 'w' to 'work' (env var W_TOKEN kept)\n"
    assert all(secret(cli_env, "w", f) is None for f in SECRET_FIELDS)
    assert (secret(cli_env, "work", "refresh"), secret(cli_env, "work", "access")) == (rt, at)
    assert tm(cli_env, "get", "w").returncode == 3
    assert tm(cli_env, "get", "work").stdout == at + "\n"

    r = tm(cli_env, "refresh", "work")  # the binding is checked before the refresh token goes
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["refresh_by_client"] == {"tokenmgr-native": 1}
    rotated = secret(cli_env, "work", "refresh")
    assert rotated and rotated != rt

    r = tm(cli_env, "rm", "work", "--revoke")
    assert r.returncode == 0, r.stderr
    assert oidc_server.stats()["revocation_hints"] == ["refresh_token", "access_token"]
    refused = requests.post(
        oidc_server.token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": rotated,
            "client_id": "tokenmgr-native",
        },
        timeout=10,
    )
    assert refused.json()["error"] == "invalid_grant"
    assert json.loads(tm(cli_env, "list", "--json").stdout) == []


def test_a_static_entry_moves_in_the_keyring(cli_env: dict[str, str]) -> None:
    assert tm(cli_env, "add", "gh", stdin="Bearer ghp_renamedT0ken").returncode == 0
    r = tm(cli_env, "mv", "gh", "github")
    assert r.returncode == 0, r.stderr
    assert secret(cli_env, "gh", "access") is None
    assert secret(cli_env, "github", "access") == "ghp_renamedT0ken"
    assert tm(cli_env, "get", "github", "--format", "header").stdout == (
        "Authorization: Bearer ghp_renamedT0ken\n"
    )
