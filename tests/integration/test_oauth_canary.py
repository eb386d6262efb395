"""Canary: every OAuth flow at DEBUG, then grep all output and every file under
TOKENMGR_HOME for any token, code, verifier or secret that passed through."""

from __future__ import annotations

import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from tests.support.canary import leaked_in_files, leaked_run
from tests.support.oauth import cc_args, expire, tm
from tests.support.oidc_server import API_RS256, CC_SECRET, OIDCServer, device_login, scripted_login
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.integration

# A secret-bearing parameter must only ever be followed by the mask.
UNMASKED = re.compile(
    r"(code_verifier|device_code|refresh_token|access_token|id_token|client_secret|[?&]code)"
    r"['\"]?\s*[=:]\s*['\"]?(?!\*\*\*)[A-Za-z0-9_\-.~%+/]{8,}"
)


def test_no_secret_in_any_output_or_file_at_debug(
    oidc_server: OIDCServer, cli_env: dict[str, str]
) -> None:
    oidc_server.reset()
    env = cli_env
    home = Path(env["TOKENMGR_HOME"])
    outputs: list[str] = []
    secrets: set[str] = {CC_SECRET}
    vault = Vault(home=home, env=env)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        r = tm(env, "--debug", *args, stdin=stdin)
        outputs.append(r.stdout + r.stderr)
        return r

    def harvest() -> None:
        for e in vault.list_entries():
            for f in e.secrets:
                v = vault.store.get(e.name, f)
                if v:
                    secrets.add(v)

    def keep_code(redirect: str) -> None:
        secrets.add(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(redirect).query))["code"])

    # 1. code flow (with a resource: JWT access token)
    r = scripted_login(
        oidc_server, env, "web", "--resource", API_RS256, debug=True, on_redirect=keep_code
    )
    outputs.append(r.stdout + r.stderr)
    assert r.returncode == 0, r.stderr
    harvest()
    assert "DEBUG" in r.stderr and "POST" in r.stderr  # debug logging really ran

    # 2. refresh explicitly, and through `get` of an expired entry
    assert run("refresh", "web").returncode == 0
    harvest()
    expire(env, "web")
    g = run("get", "web", "--format", "header")
    assert g.returncode == 0
    harvest()
    # stdout is where the token belongs: leave that one line out of the grep.
    outputs[-1] = g.stderr

    # 3. device flow
    r, _, _ = device_login(oidc_server, env, debug=True)
    outputs.append(r.stdout + r.stderr)
    assert r.returncode == 0, r.stderr
    harvest()
    assert run("refresh", "tv").returncode == 0
    harvest()

    # 4. client credentials (secret on stdin), refresh
    r = run(*cc_args(oidc_server.issuer), stdin=CC_SECRET + "\n")
    assert r.returncode == 0, r.stderr
    assert run("refresh", "svc").returncode == 0
    harvest()

    # 5. failures print server answers too: invalid_grant and a wrong secret
    oidc_server.fault("token", "error", grant_type="refresh_token", error="invalid_grant")
    assert run("refresh", "tv").returncode == 5
    harvest()

    # 6. revoke everything
    for name in ("web", "tv", "svc"):
        assert run("rm", name, "--revoke").returncode == 0

    secrets = {s for s in secrets if len(s) >= 8}
    assert len(secrets) >= 10  # codes, access/refresh/ID tokens (old and rotated), secret
    text = "\n".join(outputs)
    # Not even a part: no 8-character run of any secret, at its start, end or middle.
    assert leaked_run(secrets, text) is None, leaked_run(secrets, text)
    assert not UNMASKED.search(text), UNMASKED.search(text)
    assert "code_verifier=***" in text  # the verifier was sent, and masked in the log
    assert leaked_in_files(secrets, home) is None, leaked_in_files(secrets, home)
