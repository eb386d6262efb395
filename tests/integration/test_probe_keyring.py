"""Asking providers with the real pieces: `tokenmgr` processes on gnome-keyring's Secret
Service, HTTPS provider stand-ins under a private CA named in REQUESTS_CA_BUNDLE, and
the real oidc-provider's token introspection (RFC 7662) for OAuth entries."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest
import requests

from tests.support.canary import leaked_in_files, leaked_run
from tests.support.oauth import cc_args, secret, tm, vault_of
from tests.support.oidc_server import OIDCServer, scripted_login
from tests.support.providers import GitHubStandIn, GitHubToken, GitLabStandIn, GitLabToken, TestCA

pytestmark = pytest.mark.integration

CLASSIC = "ghp_Int3grationT0kenForTheStandIn012345"
GLPAT = "glpat-Int3grationGitLab0123456"


@pytest.fixture
def env(cli_env: dict[str, str], ca: TestCA, tmp_path: Path) -> dict[str, str]:
    return {
        **cli_env,
        "REQUESTS_CA_BUNDLE": str(ca.bundle),
        "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/no-system-bus",
    }


def test_add_probe_list_on_the_real_keyring_leave_no_token_text(
    env: dict[str, str], github: GitHubStandIn, gitlab: GitLabStandIn
) -> None:
    github.tokens[CLASSIC] = GitHubToken(expires="2027-01-31 12:00:00 +0200", scopes="repo")
    gitlab.tokens[GLPAT] = GitLabToken(expires_at="2027-02-28", scopes=["read_api"])
    debug = {**env, "TOKENMGR_DEBUG": "1"}
    outputs = []
    r = tm(debug, "add", "gh", "--host", github.hostport, stdin=CLASSIC + "\n")
    assert r.returncode == 0, r.stderr
    assert "expires 2027-01-31T10:00:00Z, from the provider" in r.stderr
    assert f"GitHub Enterprise at {github.hostport} says: expires 2027-01-31 10:00 UTC" in (
        r.stderr
    )
    outputs.append(r)
    r = tm(debug, "add", "gl", "--host", gitlab.hostport, stdin=GLPAT)
    assert r.returncode == 0, r.stderr
    outputs.append(r)
    r = tm(debug, "probe", "--all", "--json")
    assert r.returncode == 0, r.stderr
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["gl"]["expires_at"] == "2027-02-28T00:00:00Z"
    assert rows["gl"]["scopes"] == ["read_api"] and rows["gh"]["scopes"] == ["repo"]
    outputs.append(r)
    gitlab.tokens[GLPAT].revoked = True
    r = tm(debug, "probe", "gl")
    assert r.returncode == 6 and "refused by GitLab at" in r.stdout and ": revoked" in r.stdout
    outputs.append(r)
    r = tm(env, "list", "--json")
    listed = {row["name"]: row for row in json.loads(r.stdout)}
    assert listed["gl"]["status"] == "expired" and listed["gl"]["verdict"] == "refused"
    assert listed["gh"]["expiry_source"] == "provider" and listed["gh"]["status"] == "valid"
    outputs.append(r)
    assert len(github.requests) == 2 and len(gitlab.requests) == 3
    secrets = [CLASSIC, GLPAT]
    for out in outputs:
        assert leaked_run(secrets, out.stdout + out.stderr) is None
    assert "GET https://127.0.0.1" in outputs[0].stderr  # at DEBUG, the request was logged
    assert leaked_in_files(secrets, Path(env["TOKENMGR_HOME"])) is None
    assert secret(env, "gh", "access") == CLASSIC  # the token itself is in the keyring


def test_introspection_with_the_real_oidc_provider(
    env: dict[str, str], oidc_server: OIDCServer
) -> None:
    """A client-credentials entry (client_secret_basic) and a public client's sign-in
    (client_id in the form): accepted with its expiry and scopes, then refused once the
    grant is revoked at the server. JWT access tokens are not introspected by it."""
    oidc_server.reset()
    r = tm(env, *cc_args(oidc_server.issuer, "--scope", "api:read"), stdin=oidc_server.cc_secret)
    assert r.returncode == 0, r.stderr
    entry = vault_of(env).entry("svc")
    assert entry.oauth is not None
    assert entry.oauth.introspection_url == oidc_server.introspection_endpoint
    r = tm(env, "probe", "svc", "--json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["verdict"] == "accepted" and row["scopes"] == ["api:read"]
    assert row["provider_expires_at"] == row["expires_at"] is not None
    assert row["provider"] == f"the OAuth server at 127.0.0.1:{oidc_server.port}"
    assert oidc_server.stats()["introspections"] == 1
    # Revoked at the server: the token still looks fine by its expiry, and is refused.
    token = secret(env, "svc", "access")
    assert token is not None
    requests.post(
        oidc_server.revocation_endpoint,
        data={"token": token},
        auth=("tokenmgr-cc", urllib.parse.quote_plus(oidc_server.cc_secret)),
        timeout=10,
    ).raise_for_status()
    r = tm(env, "probe", "svc")
    assert r.returncode == 6, r
    assert "refused by the OAuth server at" in r.stdout and "not active" in r.stdout
    # A public client: its client id goes in the form.
    assert scripted_login(oidc_server, env, "web").returncode == 0
    r = tm(env, "probe", "web")
    assert r.returncode == 0 and "says: expires" in r.stdout, r
    assert oidc_server.stats()["introspections"] == 3
