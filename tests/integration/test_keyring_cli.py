"""The CLI end to end on the REAL Secret Service (gnome-keyring on a private bus)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.canary import leaked_in_files, leaked_run
from tests.support.cli import run_cli
from tests.support.secret_service import SecretServiceSession
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.chunked import ChunkedStore
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.stores.namespace import service_for

CANARY = "ghp_CANARY_0123456789abcdefXYZ"


def _secretstorage_items(address: str, service: str) -> dict[str, str]:
    """What gnome-keyring holds for a service, read directly over D-Bus."""
    code = (
        "import json, secretstorage, sys\n"
        "bus = secretstorage.dbus_init()\n"
        "c = secretstorage.get_default_collection(bus)\n"
        "out = {i.get_attributes()['username']: i.get_secret().decode() "
        "for i in c.search_items({'service': sys.argv[1]})}\n"
        "print(json.dumps(out))"
    )
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
    r = subprocess.run(
        [sys.executable, "-c", code, service], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def test_roundtrip_on_real_keyring(
    cli_env: dict[str, str], secret_service: SecretServiceSession
) -> None:
    r = run_cli(["add", "github", "--service", "GitHub"], cli_env, stdin=CANARY + "\n")
    assert r.returncode == 0, r.stderr
    service = service_for(Path(cli_env["TOKENMGR_HOME"]))
    items = _secretstorage_items(secret_service.address, service)
    assert items["github/access"] == CANARY
    assert run_cli(["get", "github"], cli_env).stdout == CANARY + "\n"
    assert run_cli(["get", "github", "--format", "header"], cli_env).stdout == (
        f"Authorization: Bearer {CANARY}\n"
    )
    rows = json.loads(run_cli(["list", "--json"], cli_env).stdout)
    assert [r["name"] for r in rows] == ["github"]
    index = Path(cli_env["TOKENMGR_HOME"]) / "entries.json"
    assert CANARY not in index.read_text()
    assert oct(index.stat().st_mode & 0o777) == "0o600"
    r = run_cli(["rm", "github"], cli_env)
    assert r.returncode == 0, r.stderr
    assert "github/access" not in _secretstorage_items(secret_service.address, service)
    assert run_cli(["get", "github"], cli_env).returncode == 3


def test_exec_passes_tokens_and_exit_status(cli_env: dict[str, str]) -> None:
    run_cli(["add", "a"], cli_env, stdin="tok'a $(x)")
    run_cli(["add", "b", "--env-var", "MY_B"], cli_env, stdin="tok-b")
    script = 'printf "%s|%s" "$A_TOKEN" "$MY_B"; exit 7'
    r = run_cli(["exec", "a", "b", "--", "sh", "-c", script], cli_env)
    assert r.returncode == 7
    assert r.stdout == "tok'a $(x)|tok-b"


def test_exec_missing_command_is_127(cli_env: dict[str, str]) -> None:
    run_cli(["add", "a"], cli_env, stdin="x")
    r = run_cli(["exec", "a", "--", "no-such-command-xyz"], cli_env)
    assert r.returncode == 127
    assert "command not found" in r.stderr
    r = run_cli(["exec", "nope", "--", "true"], cli_env)
    assert r.returncode == 3


def test_export_evaluates_in_bash(cli_env: dict[str, str]) -> None:
    tricky = "a'b\"c $HOME `id` \\ ~"
    run_cli(["add", "t"], cli_env, stdin=tricky)
    line = run_cli(["export", "t", "--shell", "bash"], cli_env).stdout
    out = subprocess.run(
        ["bash", "-c", line + 'printf %s "$T_TOKEN"'], capture_output=True, text=True
    )
    assert out.stdout == tricky


def test_no_keyring_is_4_and_nothing_written(cli_env: dict[str, str]) -> None:
    env = dict(cli_env)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
    r = run_cli(["add", "a"], env, stdin="x")
    assert r.returncode == 4, r
    assert "TOKENMGR_STORE=file" in r.stderr and "Traceback" not in r.stderr
    home = Path(env["TOKENMGR_HOME"])
    assert not (home / "entries.json").exists()
    r = run_cli(["doctor", "--json"], env)
    assert r.returncode == 4
    assert json.loads(r.stdout)["store"]["available"] is False


def test_locked_keyring_is_4_and_index_untouched(tmp_path: Path) -> None:
    """A separate keyring we lock, so the session keyring stays usable."""
    with SecretServiceSession() as ss:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
        env.pop("DISPLAY", None)
        env.update(DBUS_SESSION_BUS_ADDRESS=ss.address, TOKENMGR_HOME=str(tmp_path / "h"))
        assert run_cli(["add", "a"], env, stdin="old").returncode == 0
        index = tmp_path / "h" / "entries.json"
        before = index.read_bytes()
        lock = (
            "import secretstorage\n"
            "c = secretstorage.get_default_collection(secretstorage.dbus_init())\n"
            "c.lock()\nassert c.is_locked()"
        )
        subprocess.run([sys.executable, "-c", lock], env=env, check=True, timeout=30)
        for args in (["add", "b"], ["get", "a"], ["add", "a", "--force"]):
            r = run_cli(args, env, stdin="new", timeout=60)
            assert r.returncode == 4, (args, r)
            # The locked diagnosis: what is wrong and how to unlock, not "no keyring".
            assert "the keyring is locked" in r.stderr, (args, r.stderr)
            assert "Unlock it and try again" in r.stderr, (args, r.stderr)
            assert "no keyring answers" not in r.stderr and "Traceback" not in r.stderr
        assert index.read_bytes() == before


def test_chunked_values_on_real_secret_service(
    secret_service: SecretServiceSession, tmp_path: Path
) -> None:
    """The Windows-limit path, with the limit lowered, against gnome-keyring."""
    keyring_store = KeyringStore(tmp_path / "home", env=dict(os.environ))
    service = keyring_store.service
    store = ChunkedStore(keyring_store, 256)
    long = "eyJ" + "xé🔑" * 700
    store.set("chunky", "access", long)
    assert store.get("chunky", "access") == long
    items = _secretstorage_items(secret_service.address, service)
    chunks = [k for k in items if k.startswith("chunky/access#")]
    assert len(chunks) > 5
    assert all(len(v.encode("utf-16-le")) <= 256 for v in items.values())

    # A failed write (the backend dies after a few chunks) keeps the old value readable.
    class Flaky:
        def __init__(self, inner: object, allow: int) -> None:
            self.inner, self.allow = inner, allow

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

        def set_password(self, service: str, username: str, value: str) -> None:
            if self.allow == 0:
                raise RuntimeError("D-Bus connection lost")
            self.allow -= 1
            self.inner.set_password(service, username, value)  # type: ignore[attr-defined]

    flaky = ChunkedStore(
        KeyringStore(backend=Flaky(keyring_store.backend, 3), service=service), 256
    )
    with pytest.raises(StorageUnavailable):
        flaky.set("chunky", "access", long[::-1])
    assert store.get("chunky", "access") == long
    store.delete("chunky", "access")
    left = _secretstorage_items(secret_service.address, service)
    assert not [k for k in left if k.startswith("chunky")]


def test_concurrent_adds_lose_nothing(cli_env: dict[str, str]) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "add", f"p{i}"],
            env=cli_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    for i, p in enumerate(procs):
        p.communicate(f"tok{i}".encode(), timeout=60)
        assert p.returncode == 0
    rows = json.loads(run_cli(["list", "--json"], cli_env).stdout)
    assert [r["name"] for r in rows] == [f"p{i}" for i in range(8)]
    for i in range(8):
        assert run_cli(["get", f"p{i}"], cli_env).stdout == f"tok{i}\n"


def test_canary_debug_logs_and_files(cli_env: dict[str, str], tmp_path: Path) -> None:
    """add/get/rm at DEBUG: no log line and no file outside the keyring holds the token."""
    jwt_canary = (
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkiLCJleHAiOjQxMDI0NDQ4MDB9."
        "Q0FOQVJZX1NJR05BVFVSRV9YWVo"
    )
    outputs = []
    for token, name in ((CANARY, "c1"), (jwt_canary, "c2")):
        outputs.append(run_cli(["--debug", "add", name], cli_env, stdin=token))
        got = run_cli(["--debug", "get", name, "--format", "header"], cli_env)
        assert got.stdout.strip().endswith(token)  # stdout is the product...
        outputs.append(subprocess.CompletedProcess(got.args, got.returncode, "", got.stderr))
        outputs.append(run_cli(["--debug", "export", name], cli_env))
        outputs[-1].stdout = ""
        outputs.append(run_cli(["--debug", "list", "--json"], cli_env))
        outputs.append(run_cli(["--debug", "doctor"], cli_env))
    home = Path(cli_env["TOKENMGR_HOME"])
    files_during = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    for name in ("c1", "c2"):
        outputs.append(run_cli(["--debug", "rm", name], cli_env))
    assert any("DEBUG" in o.stderr for o in outputs), "debug logging produced nothing"
    # Not even a part: no 8-character run of either token (start, end or middle).
    secrets = (CANARY, jwt_canary)
    for o in outputs:
        assert leaked_run(secrets, o.stderr + o.stdout) is None, leaked_run(secrets, o.stderr)
    for path, data in files_during.items():
        found = leaked_run(secrets, data.decode("utf-8", "surrogateescape"))
        assert found is None, (path, found)
    assert leaked_in_files(secrets, tmp_path) is None, leaked_in_files(secrets, tmp_path)
