"""CLI wiring of the OAuth commands that needs no server: lazy imports, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
LOGIN_W = ["login", "w", "--issuer", "https://id.example.com", "--client-id", "c"]

PROBE = r"""
import sys
from datetime import timedelta
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
from tokenmgr.core.rules import now_utc
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault
from tokenmgr.cli import Environment, main
assert "requests" not in sys.modules, "import tokenmgr.cli pulled in requests"
v = Vault(home=Path(sys.argv[1]), store=KeyringStore(backend=MemoryKeyring()), env={})
v.add("st", "static-token-1")
e = Entry(name="oa", kind="oauth2", issued_at=now_utc(),
          expires_at=now_utc() + timedelta(hours=1),
          oauth=OAuthConfig(issuer="https://id.example.com", client_id="c",
                            token_url="https://id.example.com/token"))
v.save_tokens(e, TokenSet(access="fresh-oauth-token", refresh="rt-123456"))
env = Environment(vault_factory=lambda _e: v, stdin_isatty=False)
for name in ("st", "oa"):
    assert main(["get", name], env) == 0
print("REQUESTS" if "requests" in sys.modules else "NO-REQUESTS")
"""


def test_get_of_static_and_fresh_oauth_entries_imports_no_requests(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["static-token-1", "fresh-oauth-token", "NO-REQUESTS"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    import os

    e = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    e.update(TOKENMGR_HOME=str(tmp_path / "home"), TOKENMGR_STORE="file", TOKENMGR_PASSPHRASE="x")
    e["PYTHONPATH"] = str(ROOT)
    return e


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["login", "w", "--issuer", "https://id.example.com"], "--client-id"),
        (["login", "w", "--client-id", "c"], "--issuer"),
        (["login", "w", "--issuer", "nope", "--client-id", "c"], "not an absolute"),
        (["login", "w", "--issuer", "https://a..b", "--client-id", "c"], "invalid host name"),
        (
            ["login", "w", "--authorize-url", "https://a..b/a", "--token-url", "https://a..b/t"]
            + ["--client-id", "c"],
            "invalid host name",
        ),
        (["login", "w", "--preset", "keycloak", "--client-id", "c"], "--param host="),
        (["login", "w", "--preset", "nope", "--client-id", "c"], "unknown preset"),
        ([*LOGIN_W, "--param", "novalue"], "NAME=VALUE"),
        ([*LOGIN_W, "--flow", "client-credentials"], "--client-secret-stdin"),
        ([*LOGIN_W, "--browser", "embedded"], "desktop app"),
        ([*LOGIN_W, "--timeout", "0"], "--timeout"),
        (
            ["login", "bad name", "--issuer", "https://id.example.com", "--client-id", "c"],
            "invalid name",
        ),
    ],
)
def test_login_usage_errors_are_2_and_store_nothing(
    env: dict[str, str], args: list[str], text: str
) -> None:
    r = run_cli(args, env)
    assert r.returncode == 2, r.stderr
    assert text in r.stderr
    assert (
        not (Path(env["TOKENMGR_HOME"]) / "entries.json").exists()
        or run_cli(["list", "--json"], env).stdout.strip() == "[]"
    )


def test_refresh_unknown_entry_is_3(env: dict[str, str]) -> None:
    r = run_cli(["refresh", "nope"], env)
    assert r.returncode == 3
