"""Regression tests for the review findings: secrets in usage errors, the child's
environment, orphaned secrets, tampered indexes, closed streams."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import CliRunner, run_cli
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry, TokenSet
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault

SECRET = "ghp_SECRET_IN_ARGV_123456"


@pytest.mark.parametrize(
    "args",
    [
        ["add", "foo", f"--token={SECRET}"],
        ["add", "foo", f"-t{SECRET}"],
        ["add", "foo", f"--s={SECRET}"],  # no abbreviation guessing either
        ["add", "foo", f"--force={SECRET}"],
        ["add", "foo", SECRET],
        ["get", "foo", f"--format={SECRET}"],
        ["exec", "foo", f"--x={SECRET}", "--", "true"],
    ],
)
def test_usage_errors_never_echo_values(
    cli: CliRunner, memkeyring: MemoryKeyring, args: list[str]
) -> None:
    r = cli(*args, stdin="x")
    assert r.status == 2, r
    assert SECRET not in r.err and SECRET not in r.out
    assert memkeyring.items == {}


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(
        TOKENMGR_HOME=str(tmp_path / "h"),
        TOKENMGR_STORE="file",
        TOKENMGR_PASSPHRASE="master-passphrase-xyz",
        **extra,
    )
    return env


def test_exec_child_does_not_get_the_vault_passphrase(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli(["add", "a"], env, "tok-a").returncode == 0
    r = run_cli(
        ["exec", "a", "--", "sh", "-c", 'printf "%s|%s" "$A_TOKEN" "$TOKENMGR_PASSPHRASE"'], env
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tok-a|"


def test_closed_streams_give_statuses_not_tracebacks(tmp_path: Path) -> None:
    env = _env(tmp_path)
    # stdin and stderr closed outright (`<&- 2>&-`)
    r = subprocess.run(
        ["sh", "-c", f"'{sys.executable}' -m tokenmgr get nope <&- 2>&-; echo $?"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.stdout.strip() == "3"
    r = subprocess.run(
        ["sh", "-c", f"'{sys.executable}' -m tokenmgr list <&-"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr


def test_failed_save_tokens_leaves_no_orphan(vault: Vault, memkeyring: MemoryKeyring) -> None:
    memkeyring.fail_after_sets = 1  # access is written, refresh fails
    with pytest.raises(StorageUnavailable):
        vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-1", refresh="ref-1"))
    assert memkeyring.items == {}
    assert not (vault.home / "pending.json").exists()
    assert vault.list_entries() == []


def test_update_entry_keeps_the_stored_secret_list(vault: Vault, memkeyring: MemoryKeyring) -> None:
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-1"))
    stale = vault.entry("o")  # e.g. held by the GUI
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(id="idtok-1"))
    stale.note = "edited"
    vault.update_entry(stale)
    assert vault.entry("o").secrets == ["access", "id"]
    vault.remove("o")
    assert memkeyring.items == {}


def test_rm_removes_secrets_the_index_lost_track_of(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    vault.add("a", "tok")
    vault.store.set("a", "refresh", "stray-refresh")
    vault.remove("a")
    assert memkeyring.items == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("env_var", "X=1; echo PWNED; Y"),
        ("scheme", "Bearer\nX-Evil: 1"),
        ("expires_at", 5),
        ("expires_at", "garbage"),
        ("kind", "plaintext"),
        ("name", "../x"),
    ],
)
def test_tampered_index_is_corruption_not_injection(
    cli: CliRunner, vault: Vault, field: str, value: object
) -> None:
    cli("add", "a", stdin="tok-a")
    doc = json.loads(vault.index.path.read_text())
    doc["entries"][0][field] = value
    vault.index.path.write_text(json.dumps(doc))
    for args in (["list"], ["list", "--json"], ["export"], ["get", "a", "--format", "env"]):
        r = cli(*args)
        assert r.status in (1, 3), (args, r)
        assert "PWNED" not in r.out
        if r.status == 1:
            assert "corrupted" in r.err and str(vault.index.path) in r.err


def test_out_of_range_expiry_is_usage_error(cli: CliRunner) -> None:
    r = cli("add", "a", "--expires-at", "9999-12-31T23:59:59-01:00", stdin="x")
    assert r.status == 2 and "invalid time" in r.err


def test_wrong_passphrase_is_asked_once(tmp_path: Path) -> None:
    EncryptedFileStore(tmp_path, passphrase=lambda _n: "right").set("a", "access", "t")
    asked: list[bool] = []

    def source(new: bool) -> str:
        asked.append(new)
        return "wrong"

    v = Vault(home=tmp_path, store=EncryptedFileStore(tmp_path, passphrase=source))
    with pytest.raises(StorageUnavailable, match="wrong passphrase"):
        v.add("b", "tok")
    assert asked == [False]


def test_no_keyring_writes_nothing_at_all(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
    env["TOKENMGR_HOME"] = str(tmp_path / "h")
    r = run_cli(["add", "a"], env, "tok")
    assert r.returncode == 4
    assert not (tmp_path / "h").exists()


def test_refresh_cannot_resurrect_a_removed_entry(vault: Vault) -> None:
    """A refresh that lost a race with `rm` saves nothing (must_exist)."""
    from tokenmgr.core.errors import NotFound

    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-1", refresh="ref-1"))
    stale = vault.entry("o")
    vault.remove("o")
    with pytest.raises(NotFound, match="removed or replaced"):
        vault.save_tokens(stale, TokenSet(refresh="ref-2"), must_exist=True)
    assert vault.list_entries() == []
    vault.add("o", "static-token")  # replaced by a static token: not overwritten either
    with pytest.raises(NotFound):
        vault.save_tokens(stale, TokenSet(access="acc-2"), must_exist=True)
    assert vault.get_token("o", refresh=False)[1] == "static-token"


ENTRY_LOCK_HOLDER = r"""
import sys, time
from pathlib import Path
from tokenmgr.core.vault import Vault
v = Vault(home=Path(sys.argv[1]))
with v.entry_lock("o"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    Path(sys.argv[1], "released").write_text("x")  # written while still holding the lock
"""


def test_rm_waits_for_a_refresh_in_flight(vault: Vault) -> None:
    """rm takes the entry lock a refresh holds: it cannot interleave with it."""
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-1", refresh="ref-1"))
    holder = subprocess.Popen(
        [sys.executable, "-c", ENTRY_LOCK_HOLDER, str(vault.home), "0.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    assert not (vault.home / "released").exists()
    vault.remove("o")
    # rm returned only after the holder had finished its critical section.
    assert (vault.home / "released").exists()
    assert holder.wait(10) == 0
    assert vault.list_entries() == []


def test_entry_lock_is_reentrant_and_times_out(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tokenmgr.core import vault as vault_mod
    from tokenmgr.core.index import LockTimeout

    with vault.entry_lock("o"), vault.entry_lock("o"):  # re-entrant: no self-deadlock
        vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-1"))
    holder = subprocess.Popen(
        [sys.executable, "-c", ENTRY_LOCK_HOLDER, str(vault.home), "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(vault_mod, "ENTRY_LOCK_TIMEOUT", 0.3)
        with pytest.raises(LockTimeout, match="stuck tokenmgr"):
            vault.remove("o")
    finally:
        holder.kill()
        holder.wait()
    assert [e.name for e in vault.list_entries()] == ["o"]


@pytest.mark.parametrize("command", [["add", "a"], ["list"], ["get", "a"]])
def test_unsafe_home_is_refused_with_the_fix_and_never_chmodded(
    tmp_path: Path, command: list[str]
) -> None:
    home = tmp_path / "h"
    home.mkdir()
    os.chmod(home, 0o777)
    r = run_cli(command, _env(tmp_path), "tok-a")
    assert r.returncode == 1, r
    assert f"{home} is writable by everyone" in r.stderr and f"chmod 700 {home}" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o777
    assert list(home.iterdir()) == []  # no index, no vault file, no lock files


PASSPHRASE = "master-passphrase-xyz"  # what _env() sets

# A system browser stand-in (webbrowser honours $BROWSER): it records the environment it
# was started with, then ends the sign-in the way a user who clicks "deny" would, from a
# background process so webbrowser (which waits for it) and the listener never deadlock.
FAKE_BROWSER = r"""#!{python}
import json, os, subprocess, sys
from pathlib import Path
Path(sys.argv[0] + ".env.json").write_text(json.dumps(dict(os.environ)))
deny = (
    "import sys, urllib.parse, urllib.request\n"
    "q = urllib.parse.parse_qs(urllib.parse.urlsplit(sys.argv[1]).query)\n"
    "back = q['redirect_uri'][0] + '?error=access_denied&state=' + q['state'][0]\n"
    "try:\n    urllib.request.urlopen(back, timeout=30).read()\n"
    "except Exception:\n    pass\n"
)
subprocess.Popen([sys.executable, "-c", deny, sys.argv[1]], start_new_session=True)
"""


def test_system_browser_does_not_inherit_the_vault_passphrase(tmp_path: Path) -> None:
    browser = tmp_path / "fake-browser"
    browser.write_text(FAKE_BROWSER.format(python=sys.executable))
    browser.chmod(0o700)
    env = _env(tmp_path, BROWSER=str(browser))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    r = run_cli(
        [
            "login",
            "o",
            "--authorize-url",
            "https://auth.example.com/authorize",
            "--token-url",
            "https://auth.example.com/token",
            "--client-id",
            "cid",
            "--browser",
            "system",
            "--timeout",
            "120",
        ],
        env,
        timeout=150,
    )
    seen = json.loads((tmp_path / "fake-browser.env.json").read_text())
    assert seen.get("TOKENMGR_HOME") == env["TOKENMGR_HOME"]  # it is tokenmgr's child
    assert "TOKENMGR_PASSPHRASE" not in seen
    assert PASSPHRASE not in json.dumps(seen)
    assert r.returncode == 5 and "access_denied" in r.stderr, r  # the denied sign-in


def test_exec_child_env_has_no_passphrase_anywhere(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert run_cli(["add", "a"], env, "tok-a").returncode == 0
    r = run_cli(["exec", "a", "--", "env"], env)
    assert r.returncode == 0, r.stderr
    assert "A_TOKEN=tok-a\n" in r.stdout
    assert "TOKENMGR_PASSPHRASE" not in r.stdout and PASSPHRASE not in r.stdout
    assert f"TOKENMGR_HOME={env['TOKENMGR_HOME']}\n" in r.stdout


def test_main_moves_the_passphrase_out_of_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read once at start-up, kept in memory, gone from os.environ; the file store used
    the in-memory value (the vault opens with it)."""
    import io

    from tokenmgr.cli import Environment, main

    home = tmp_path / "h"
    monkeypatch.setenv("TOKENMGR_HOME", str(home))
    monkeypatch.setenv("TOKENMGR_STORE", "file")
    monkeypatch.setenv("TOKENMGR_PASSPHRASE", PASSPHRASE)
    err = io.StringIO()
    environment = Environment(
        stdin=io.BytesIO(b"tok-main\n"), stdout=io.StringIO(), stderr=err, stdin_isatty=False
    )
    assert main(["add", "a"], environment) == 0, err.getvalue()
    assert "TOKENMGR_PASSPHRASE" not in os.environ
    assert "TOKENMGR_PASSPHRASE" not in environment.env
    assert environment.passphrase == PASSPHRASE
    assert PASSPHRASE not in repr(environment)
    store = EncryptedFileStore(home, passphrase=lambda _n: PASSPHRASE)
    assert store.get("a", "access") == "tok-main"
    # Even a run that goes no further than a usage error takes it out.
    monkeypatch.setenv("TOKENMGR_PASSPHRASE", PASSPHRASE)
    assert main(["--no-such-option"], Environment(stderr=io.StringIO())) == 2
    assert "TOKENMGR_PASSPHRASE" not in os.environ


def test_injected_environment_loses_the_passphrase_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from tokenmgr.cli import Environment, main

    monkeypatch.setenv("TOKENMGR_PASSPHRASE", "from-os-environ")
    given = {"TOKENMGR_PASSPHRASE": "from-the-mapping", "TOKENMGR_HOME": str(tmp_path / "h")}
    environment = Environment(env=given, stdout=io.StringIO(), stderr=io.StringIO())
    assert main(["list", "--json"], environment) == 0
    assert environment.passphrase == "from-the-mapping"
    assert "TOKENMGR_PASSPHRASE" not in environment.env
    assert "TOKENMGR_PASSPHRASE" not in os.environ
    assert given["TOKENMGR_PASSPHRASE"] == "from-the-mapping"  # the caller's dict is not edited
