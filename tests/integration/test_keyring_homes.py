"""Each TOKENMGR_HOME has its own namespace on the REAL gnome-keyring: two homes
never read, overwrite or delete each other's items; items stay readable with
`keyring get` and `secret-tool` under the documented service; the default home
moves its items out of the layout all homes used to share, and never overwrites
a value that is already in its namespace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tokenmgr.core.entries import Entry
from tokenmgr.core.index import Index
from tokenmgr.core.stores.namespace import LEGACY_SERVICE, service_for


def _keyring(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """keyring's own command line: what a user types."""
    return subprocess.run(
        [sys.executable, "-m", "keyring", *args], env=env, capture_output=True, text=True
    )


def _keyring_set(service: str, username: str, value: str, env: dict[str, str]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "keyring", "set", service, username],
        input=value + "\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def _secret_tool(service: str, username: str, env: dict[str, str]) -> str:
    r = subprocess.run(
        ["secret-tool", "lookup", "service", service, "username", username],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def default_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No TOKENMGR_HOME: the default home, platformdirs' data dir, in tmp_path."""
    env = {k: v for k, v in cli_env.items() if k != "TOKENMGR_HOME"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_homes_collide_no_more(cli_env: dict[str, str], tmp_path: Path, first: str) -> None:
    envs = {h: dict(cli_env, TOKENMGR_HOME=str(tmp_path / h)) for h in ("a", "b")}
    second = "b" if first == "a" else "a"
    for home in (first, second):
        r = run_cli(["add", "collide"], envs[home], stdin=f"token-of-{home}")
        assert r.returncode == 0, r.stderr
    for home in ("a", "b"):
        assert run_cli(["get", "collide"], envs[home]).stdout == f"token-of-{home}\n"
    assert run_cli(["rm", "collide"], envs[second]).returncode == 0
    assert run_cli(["get", "collide"], envs[first]).stdout == f"token-of-{first}\n"
    # The first home's item, under the documented service, for keyring and libsecret alike.
    service = service_for(tmp_path / first)
    assert service == f"tokenmgr:{(tmp_path / first).resolve()}"
    got = _keyring(["get", service, "collide/access"], cli_env)
    assert got.stdout == f"token-of-{first}\n", got.stderr
    assert _secret_tool(service, "collide/access", cli_env) == f"token-of-{first}"
    assert _keyring(["get", service_for(tmp_path / second), "collide/access"], cli_env).stdout == ""


def test_the_default_home_moves_its_old_items(default_env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "data" / "tokenmgr"
    # What an earlier tokenmgr left: the index, and the items under service `tokenmgr`.
    Index(home).save({"old": Entry("old", secrets=["access"])})
    _keyring_set(LEGACY_SERVICE, "old/access", "token-from-before", default_env)
    _keyring_set(LEGACY_SERVICE, "theirs/access", "another home's token", default_env)

    r = run_cli(["get", "old"], default_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "token-from-before\n"
    service = service_for(home)
    assert _secret_tool(service, "old/access", default_env) == "token-from-before"
    assert _keyring(["get", LEGACY_SERVICE, "old/access"], default_env).returncode == 1
    # Nothing the home's index does not list is taken.
    assert _secret_tool(LEGACY_SERVICE, "theirs/access", default_env) == "another home's token"
    doctor = json.loads(run_cli(["doctor", "--json"], default_env).stdout)
    assert doctor["store"]["namespace"] == service
    assert doctor["store"]["old_layout"] == {"moved": 1, "left": [], "only_in_old_layout": []}
    assert doctor["ok"] is True
    assert run_cli(["rm", "theirs"], default_env).returncode == 3  # not this home's entry
    assert _secret_tool(LEGACY_SERVICE, "theirs/access", default_env) == "another home's token"


def test_a_value_already_in_the_namespace_is_not_overwritten(
    default_env: dict[str, str], tmp_path: Path
) -> None:
    """The refusal: the old item is left where it is, the home's own value stays, and
    `doctor` names the item so the user can decide."""
    home = tmp_path / "data" / "tokenmgr"
    service = service_for(home)
    Index(home).save({"gh": Entry("gh", secrets=["access"]), "ok": Entry("ok", secrets=["access"])})
    _keyring_set(LEGACY_SERVICE, "gh/access", "old value", default_env)
    _keyring_set(LEGACY_SERVICE, "ok/access", "moves", default_env)
    _keyring_set(service, "gh/access", "the home's own value", default_env)

    assert run_cli(["get", "gh"], default_env).stdout == "the home's own value\n"
    assert run_cli(["get", "ok"], default_env).stdout == "moves\n"
    assert _secret_tool(LEGACY_SERVICE, "gh/access", default_env) == "old value"
    r = run_cli(["doctor"], default_env)
    assert r.returncode == 0, r
    assert "were not moved into this home's namespace" in r.stdout and "gh/access" in r.stdout
    doctor = json.loads(run_cli(["doctor", "--json"], default_env).stdout)
    assert doctor["store"]["old_layout"]["left"] == ["gh/access"]
    assert doctor["ok"] is False


def test_another_home_leaves_the_old_layout_alone(cli_env: dict[str, str]) -> None:
    home = Path(cli_env["TOKENMGR_HOME"])
    Index(home).save({"mine": Entry("mine", secrets=["access"])})
    _keyring_set(LEGACY_SERVICE, "mine/access", "maybe another home's", cli_env)
    r = run_cli(["get", "mine"], cli_env)
    assert r.returncode == 1 and "store it again" in r.stderr, r
    assert _secret_tool(LEGACY_SERVICE, "mine/access", cli_env) == "maybe another home's"
    doctor = json.loads(run_cli(["doctor", "--json"], cli_env).stdout)
    assert doctor["store"]["old_layout"]["only_in_old_layout"] == ["mine/access"]
