"""`Vault.rename` (`tokenmgr mv`): the secrets move with the entry, under both names'
entry locks and the journal, so neither a failure nor a crash at any step leaves an
orphaned secret or loses one; an OAuth entry's binding still matches afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core import vault as vault_module
from tokenmgr.core.entries import Entry, OAuthConfig, TokenSet
from tokenmgr.core.errors import AlreadyExists, IndexWriteFailed, NotFound, UsageError
from tokenmgr.core.index import LockTimeout
from tokenmgr.core.oauth import binding
from tokenmgr.core.rules import SECRET_FIELDS
from tokenmgr.core.vault import Vault

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "rename-passphrase"


def oauth_entry(vault: Vault, name: str) -> TokenSet:
    cfg = OAuthConfig(
        issuer="https://id.example.com",
        token_url="https://id.example.com/token",
        client_id="c",
        scopes=["openid", "offline_access"],
    )
    entry = Entry(name=name, kind="oauth2", service="IdP", oauth=cfg)
    tokens = TokenSet(
        access="at-value-1", refresh="rt-value-1", id="id-value-1", binding=binding.digest(entry)
    )
    vault.save_tokens(entry, tokens)
    return tokens


def stored(vault: Vault, name: str) -> dict[str, str]:
    """Every secret field the store holds under `name`, listed by the index or not."""
    values = {f: vault.store.get(name, f) for f in SECRET_FIELDS}
    return {f: v for f, v in values.items() if v is not None}


def test_an_oauth_entry_moves_whole_and_its_binding_still_matches(vault: Vault) -> None:
    tokens = oauth_entry(vault, "work")
    before = vault.entry("work")
    moved = vault.rename("work", "work-eu")
    assert moved.name == "work-eu"
    assert stored(vault, "work") == {}
    assert stored(vault, "work-eu") == tokens.fields()
    after = vault.entry("work-eu")
    assert after.secrets == before.secrets and after.oauth == before.oauth
    assert (after.env_var, after.service, after.created_at) == (
        before.env_var,
        before.service,
        before.created_at,
    )
    # What refresh and revoke check before sending anything:
    binding.check(vault.store.get("work-eu", binding.FIELD), after)
    assert [e.name for e in vault.list_entries()] == ["work-eu"]
    assert not vault.journal_path.exists()


def test_refusals_change_nothing(vault: Vault, memkeyring: MemoryKeyring) -> None:
    vault.add("a", "tok-a")
    vault.add("b", "tok-b")
    index, items = vault.index.path.read_bytes(), dict(memkeyring.items)
    with pytest.raises(NotFound):
        vault.rename("nope", "c")
    with pytest.raises(AlreadyExists, match="'a' was kept"):
        vault.rename("a", "b")
    with pytest.raises(UsageError):
        vault.rename("a", "a")
    with pytest.raises(UsageError):
        vault.rename("a", "../b")
    assert vault.index.path.read_bytes() == index and memkeyring.items == items


@pytest.fixture
def short_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vault_module, "ENTRY_LOCK_TIMEOUT", 0.3)


@pytest.fixture
def hold_lock(vault: Vault) -> Iterator[Callable[[str], None]]:
    """Hold an entry's lock from another process (as a refresh in flight does)."""
    procs: list[subprocess.Popen[str]] = []

    def hold(name: str) -> None:
        path = vault.refresh_lock_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        code = (
            "import fcntl, sys\nf = open(sys.argv[1], 'a')\nfcntl.flock(f, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\nsys.stdin.read()\n"
        )
        p = subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(p)
        assert p.stdout is not None and p.stdout.readline() == "held\n"

    yield hold
    for p in procs:
        assert p.stdin is not None and p.stdout is not None
        p.stdin.close()
        p.wait(timeout=30)
        p.stdout.close()


@pytest.mark.usefixtures("short_lock_wait")
@pytest.mark.parametrize("locked", ["old", "new"])
def test_it_waits_for_a_refresh_of_either_name(
    vault: Vault, memkeyring: MemoryKeyring, hold_lock: Callable[[str], None], locked: str
) -> None:
    vault.add("old", "tok-old")
    index, items = vault.index.path.read_bytes(), dict(memkeyring.items)
    hold_lock(locked)
    with pytest.raises(LockTimeout):
        vault.rename("old", "new")
    assert vault.index.path.read_bytes() == index and memkeyring.items == items


def test_a_store_failure_midway_leaves_the_old_entry_whole(
    vault: Vault, memkeyring: MemoryKeyring
) -> None:
    tokens = oauth_entry(vault, "work")
    index = vault.index.path.read_bytes()
    memkeyring.fail_after_sets = memkeyring.sets + 2  # the third secret copied fails
    with pytest.raises(Exception, match="injected failure"):
        vault.rename("work", "work-eu")
    memkeyring.fail_after_sets = None
    assert vault.index.path.read_bytes() == index
    assert stored(vault, "work") == tokens.fields()
    assert stored(vault, "work-eu") == {}
    assert not vault.journal_path.exists()


def test_an_index_write_failure_leaves_the_old_entry_whole(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = oauth_entry(vault, "work")
    index = vault.index.path.read_bytes()

    def full(*_: object) -> None:
        raise IndexWriteFailed("cannot write the index: No space left on device")

    monkeypatch.setattr(vault.index, "save", full)
    with pytest.raises(IndexWriteFailed):
        vault.rename("work", "work-eu")
    assert vault.index.path.read_bytes() == index
    assert stored(vault, "work") == tokens.fields()
    assert stored(vault, "work-eu") == {}


# A process that dies (no rollback, no finally) at one step of the rename.
CRASH = r"""
import os, sys
from pathlib import Path
from tokenmgr.core.index import Index
from tokenmgr.core.vault import Vault

home, step = Path(sys.argv[1]), sys.argv[2]
vault = Vault(home=home, env={"TOKENMGR_STORE": "file"}, passphrase=lambda _new: sys.argv[3])
if step == "before-index":
    Index.save = lambda self, entries: os._exit(9)
else:  # after the index names the new entry, before the old secrets are deleted
    vault.store.delete = lambda name, field: os._exit(9)
vault.rename("work", "work-eu")
"""


def file_vault(home: Path) -> Vault:
    return Vault(home=home, env={"TOKENMGR_STORE": "file"}, passphrase=lambda _new: PASSPHRASE)


@pytest.mark.parametrize(
    ("step", "survivor", "orphan"),
    [("before-index", "work", "work-eu"), ("after-index", "work-eu", "work")],
)
def test_a_crash_at_any_step_loses_nothing_and_leaves_no_orphan(
    tmp_path: Path, step: str, survivor: str, orphan: str
) -> None:
    home = tmp_path / "home"
    tokens = oauth_entry(file_vault(home), "work")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", CRASH, str(home), step, PASSPHRASE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 9, r.stderr
    vault = file_vault(home)
    # What the crash left: the index names one entry, both names hold the secrets.
    assert [e.name for e in vault.list_entries()] == [survivor]
    assert stored(vault, orphan) == tokens.fields()
    assert json.loads(vault.journal_path.read_text())["name"] == "work-eu"
    vault.add("next", "tok-next")  # the next mutation reconciles
    assert stored(vault, orphan) == {}
    assert stored(vault, survivor) == tokens.fields()
    assert [e.name for e in vault.list_entries()] == ["next", survivor]
    assert not vault.journal_path.exists()
