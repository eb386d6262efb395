"""Secrets never cross D-Bus unencrypted, and only the Secret Service itself answers
its prompts: against a stand-in service on a private bus (gnome-keyring always
offers an encrypted session and answers its own prompts), and `doctor` naming the
session algorithm against the real gnome-keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.secret_service import SecretServiceSession
from tests.support.standin_secret_service import StandInSecretService
from tokenmgr.core.entries import Entry
from tokenmgr.core.index import Index
from tokenmgr.core.stores.namespace import service_for
from tokenmgr.core.stores.secret_service import SecretServiceKeyring, SecretServiceLocked

SECRET = "ghp_PLAIN_SESSION_CANARY_0123"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENMGR_", "KEYRING_"))}
    env.pop("DISPLAY", None)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(
        TOKENMGR_HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # keyring's default configuration
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


def test_plain_only_service_gets_no_secret_to_store(env: dict[str, str]) -> None:
    with StandInSecretService("plain-only") as ss:
        env.update(ss.env)
        r = run_cli(["add", "a"], env, stdin=SECRET)
        assert r.returncode == 4, r
        assert "only unencrypted ('plain') sessions" in r.stderr
        assert "TOKENMGR_STORE=file" in r.stderr and "Traceback" not in r.stderr
        assert SECRET not in r.stderr + r.stdout
        calls = ss.calls()
        assert "org.freedesktop.Secret.Service.OpenSession" in calls  # it was asked...
        assert not [c for c in calls if c.endswith(".CreateItem")]  # ...and sent nothing
    assert not (Path(env["TOKENMGR_HOME"]) / "entries.json").exists()


def test_plain_only_service_is_never_asked_for_a_secret(env: dict[str, str]) -> None:
    home = Path(env["TOKENMGR_HOME"])
    Index(home).save({"a": Entry("a", secrets=["access"])})
    with StandInSecretService("plain-only", item=(service_for(home), "a/access", SECRET)) as ss:
        env.update(ss.env)
        r = run_cli(["get", "a"], env)
        assert r.returncode == 4, r
        assert r.stdout == "" and "only unencrypted ('plain') sessions" in r.stderr
        calls = ss.calls()
        assert "org.freedesktop.Secret.Collection.SearchItems" in calls  # the item was found
        assert not [c for c in calls if c.endswith(".GetSecret")]


def test_doctor_names_the_refused_session(env: dict[str, str]) -> None:
    with StandInSecretService("plain-only") as ss:
        env.update(ss.env)
        r = run_cli(["doctor", "--json"], env)
        assert r.returncode == 4, r
        store = json.loads(r.stdout)["store"]
        assert store["session"] == "plain" and store["available"] is False
        text = run_cli(["doctor"], env)
        assert "session: plain — REFUSED" in text.stdout


def test_doctor_names_the_encrypted_session(cli_env: dict[str, str]) -> None:
    r = run_cli(["doctor", "--json"], cli_env)
    assert r.returncode == 0, r
    store = json.loads(r.stdout)["store"]
    assert store["session"] == "dh-ietf1024-sha256-aes128-cbc-pkcs7"
    assert store["namespace"] == service_for(Path(cli_env["TOKENMGR_HOME"]))
    text = run_cli(["doctor"], cli_env).stdout
    assert "session: dh-ietf1024-sha256-aes128-cbc-pkcs7 (encrypted)" in text
    assert f"items:   service {store['namespace']}, username NAME/FIELD" in text


def test_a_forged_dismissal_is_ignored() -> None:
    """Another peer answers the unlock prompt "dismissed" before the service says
    "unlocked": the service's answer is the one taken, and the read goes on."""
    with StandInSecretService("forged-prompt", forged_dismissed=True) as ss:
        backend = SecretServiceKeyring(ss.env)
        assert backend.get_password("tokenmgr:/x", "a/access") is None  # unlocked, no item
        calls = ss.calls()
        assert "org.freedesktop.Secret.Prompt.Prompt" in calls
        assert calls[-1] == "org.freedesktop.Secret.Collection.SearchItems"


def test_a_forged_completion_is_ignored() -> None:
    """Another peer answers the unlock prompt "done" while the user dismisses it: the
    dismissal is the answer, and nothing is read."""
    with StandInSecretService("forged-prompt", forged_dismissed=False) as ss:
        backend = SecretServiceKeyring(ss.env)
        with pytest.raises(SecretServiceLocked, match="unlock prompt was dismissed"):
            backend.get_password("tokenmgr:/x", "a/access")
        assert "org.freedesktop.Secret.Collection.SearchItems" not in ss.calls()


def test_gnome_keyring_sessions_are_encrypted(secret_service: SecretServiceSession) -> None:
    backend = SecretServiceKeyring()
    assert backend.open_session() == "dh-ietf1024-sha256-aes128-cbc-pkcs7"
    assert backend.session_algorithm == "dh-ietf1024-sha256-aes128-cbc-pkcs7"
