"""Vault: secret-first ordering, orphan reconciliation, the vault file through the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import CliRunner, run_cli
from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry, TokenSet
from tokenmgr.core.errors import IndexWriteFailed
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.vault import Vault


def test_crash_between_secret_and_index_is_reconciled(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    vault.add("kept", "k")
    # What a process killed after the keyring write but before the index write leaves:
    vault.store.set("orphan", "access", "leaked?")
    (vault.home / "pending.json").write_text(json.dumps({"name": "orphan", "fields": ["access"]}))
    vault.add("next", "n")  # any later mutation reconciles
    assert "orphan/access" not in {user for _, user in memkeyring.items}
    assert (vault.store.service, "kept/access") in memkeyring.items  # type: ignore[attr-defined]
    assert not (vault.home / "pending.json").exists()


def test_index_write_failure_rolls_back_new_secret(
    vault: Vault, memkeyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*a: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vault.index, "save", full)
    with pytest.raises(OSError):
        vault.add("a", "tok")
    assert memkeyring.items == {}
    assert not (vault.home / "pending.json").exists()


def test_save_tokens_keeps_unmentioned_fields(vault: Vault) -> None:
    e = Entry(name="o", kind="oauth2")
    vault.save_tokens(e, TokenSet(access="a1", refresh="r1"))
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="a2"))
    e2 = vault.entry("o")
    assert e2.secrets == ["access", "refresh"]
    assert vault.get_secret(e2, "refresh") == "r1"
    assert vault.get_secret(e2, "access") == "a2"
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="a3"), replace=True)
    assert vault.entry("o").secrets == ["access"]
    assert vault.store.get("o", "refresh") is None


def test_reads_take_one_keyring_call(home: Path) -> None:
    kr = MemoryKeyring()
    v = Vault(home=home, store=KeyringStore(backend=kr))
    for i in range(20):
        v.add(f"e{i}", f"t{i}")
    kr.gets = 0
    v.list_entries()
    assert kr.gets == 0
    v.get_token("e7")
    assert kr.gets == 1


def test_vault_file_store_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # no keyring at all: the file store is opted in
    env.update(
        TOKENMGR_HOME=str(tmp_path / "h"),
        TOKENMGR_STORE="file",
        TOKENMGR_PASSPHRASE="correct horse battery",
    )
    assert run_cli(["add", "a"], env, "ghp_FILESTORE_CANARY\n").returncode == 0
    assert run_cli(["get", "a"], env).stdout == "ghp_FILESTORE_CANARY\n"
    vault_file = tmp_path / "h" / "secrets.vault"
    before = vault_file.read_bytes()
    assert b"ghp_FILESTORE_CANARY" not in before
    assert oct(vault_file.stat().st_mode & 0o777) == "0o600"
    bad = dict(env, TOKENMGR_PASSPHRASE="wrong")
    for args in (["get", "a"], ["add", "b"], ["rm", "a"]):
        r = run_cli(args, bad, "x")
        assert r.returncode == 4, r
        assert "wrong passphrase" in r.stderr and "Traceback" not in r.stderr
    assert vault_file.read_bytes() == before
    assert json.loads(run_cli(["list", "--json"], bad).stdout)[0]["name"] == "a"
    # No passphrase and no terminal to ask on: a clear exit 4, nothing written.
    nopass = {k: v for k, v in env.items() if k != "TOKENMGR_PASSPHRASE"}
    r = subprocess.run(
        [sys.executable, "-m", "tokenmgr", "get", "a"],
        env=nopass,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )
    assert r.returncode == 4 and "TOKENMGR_PASSPHRASE" in r.stderr


def test_unknown_store_is_usage_error(tmp_path: Path) -> None:
    env = dict(os.environ, TOKENMGR_HOME=str(tmp_path), TOKENMGR_STORE="plaintext")
    r = run_cli(["add", "a"], env, "x")
    assert r.returncode == 2 and "TOKENMGR_STORE" in r.stderr
    assert not (tmp_path / "entries.json").exists()


def test_save_tokens_caches_the_access_token_report(vault: Vault) -> None:
    import base64

    def seg(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    at = f"{seg({'alg': 'RS256', 'kid': 'k1'})}.{seg({'sub': 'u', 'exp': 4102444800})}.c2ln"
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access=at, refresh="r-123456"))
    e = vault.entry("o")
    assert e.report is not None and e.report["kind"] == "jws"
    assert e.expires_at is not None and e.expires_at.year == 2100
    assert at not in vault.index.path.read_text()


@contextlib.contextmanager
def _index_writes_fail(vault: Vault) -> Iterator[None]:
    """The index file cannot be written (disk full); the journal and the store still can."""
    from tokenmgr.core import index as index_mod

    def full(path: Path, data: bytes) -> None:
        assert path == vault.index.path
        raise OSError(28, "No space left on device")

    with pytest.MonkeyPatch.context() as m:
        m.setattr(index_mod, "atomic_write", full)
        yield


def test_failed_add_force_restores_the_old_token(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    vault.add("a", "old-token-aaaa", note="v1")
    index_before = vault.index.path.read_bytes()
    keyring_before = dict(memkeyring.items)
    with _index_writes_fail(vault), pytest.raises(IndexWriteFailed, match="No space"):
        vault.add("a", "new-token-bbbb", note="v2", force=True)
    # The index still describes the old token, and the store holds it again.
    assert vault.index.path.read_bytes() == index_before
    assert memkeyring.items == keyring_before
    assert vault.get_token("a", refresh=False)[1] == "old-token-aaaa"
    assert not (vault.home / "pending.json").exists()


def test_failed_sign_in_save_restores_old_secrets_and_drops_new_ones(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-old", refresh="ref-old"))
    keyring_before = dict(memkeyring.items)
    with _index_writes_fail(vault), pytest.raises(IndexWriteFailed, match="No space"):
        vault.save_tokens(
            Entry(name="o", kind="oauth2"),
            TokenSet(access="acc-new", refresh="ref-new", id="id-new"),
            replace=True,
        )
    assert memkeyring.items == keyring_before  # old values back, the new `id` field gone
    e = vault.entry("o")
    assert e.secrets == ["access", "refresh"]
    assert vault.get_secret(e, "access") == "acc-old"
    assert vault.get_secret(e, "refresh") == "ref-old"
    assert not (vault.home / "pending.json").exists()


def test_failed_store_write_midway_restores_what_was_written(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    """The keyring fails on the second field: the first, already overwritten, is put back."""
    from keyring.errors import KeyringError

    from tokenmgr.core.errors import StorageUnavailable

    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-old", refresh="ref-old"))
    keyring_before = dict(memkeyring.items)
    real_set = memkeyring.set_password
    calls: list[str] = []

    def set_once_failing(service: str, username: str, password: str) -> None:
        calls.append(username)
        if len(calls) == 2:  # the second field's write: one transient failure
            raise KeyringError("injected failure")
        real_set(service, username, password)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(memkeyring, "set_password", set_once_failing)
        with pytest.raises(StorageUnavailable):
            vault.save_tokens(
                Entry(name="o", kind="oauth2"), TokenSet(access="acc-new", refresh="ref-new")
            )
    assert calls[:2] == ["o/access", "o/refresh"]  # access was overwritten, then restored
    assert memkeyring.items == keyring_before
    assert not (vault.home / "pending.json").exists()


def test_failed_refresh_save_keeps_the_rotated_refresh_token(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    """A refresh (must_exist) is not rolled back to the old refresh token: the server has
    rotated it, the old one is dead there, and the newer one must never be lost."""
    vault.save_tokens(Entry(name="o", kind="oauth2"), TokenSet(access="acc-old", refresh="ref-old"))
    stale = vault.entry("o")
    with _index_writes_fail(vault), pytest.raises(IndexWriteFailed, match="No space"):
        vault.save_tokens(stale, TokenSet(refresh="ref-rotated"), must_exist=True)
    assert vault.store.get("o", "refresh") == "ref-rotated"
    assert vault.store.get("o", "access") == "acc-old"


def test_failed_add_force_through_the_cli_is_a_clear_error(
    cli: CliRunner, vault: Vault
) -> None:
    assert cli("add", "a", stdin="old-token-aaaa").status == 0
    with _index_writes_fail(vault):
        r = cli("add", "a", "--force", stdin="new-token-bbbb")
    assert r.status == 1, r
    assert f"cannot write the index {vault.index.path}: No space left on device" in r.err
    assert "internal error" not in r.err and "new-token-bbbb" not in r.err
    assert cli("get", "a").out == "old-token-aaaa\n"


def test_edit_metadata_keeps_what_a_refresh_wrote_meanwhile(vault: Vault) -> None:
    from datetime import timedelta

    from tokenmgr.core.rules import now_utc

    vault.add("ci", "tok-" + "a" * 20, service="Old")
    stale = vault.entry("ci")  # what an edit dialog holds
    fresh = vault.entry("ci")
    fresh.expires_at = (now_utc() + timedelta(hours=2)).replace(microsecond=0)  # a refresh
    fresh.state = "sign_in_needed"
    vault.update_entry(fresh)
    got = vault.edit_metadata("ci", {"service": "New", "tags": ["a"], "note": "n"})
    again = vault.entry("ci")
    assert (again.service, again.tags, again.note) == ("New", ["a"], "n")
    assert again.expires_at == fresh.expires_at and again.state == "sign_in_needed"
    assert got.service == "New" and stale.service == "Old"
    import pytest

    with pytest.raises(ValueError):
        vault.edit_metadata("ci", {"oauth": None})
