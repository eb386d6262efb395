"""Each home's namespace in the keyring, and the default home's move out of the
shared layout, on an in-memory keyring (the real gnome-keyring runs the same
stories in tests/integration/test_keyring_homes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.memkeyring import MemoryKeyring
from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.index import Index
from tokenmgr.core.stores.chunked import MANIFEST_MAGIC, ChunkedStore
from tokenmgr.core.stores.keyring_store import KeyringStore
from tokenmgr.core.stores.namespace import LEGACY_SERVICE, MARKER_NAME, service_for
from tokenmgr.core.vault import Vault

LONG = "eyJ" + "é🔑x" * 400


@pytest.fixture
def default_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs' data dir (the home used when TOKENMGR_HOME is unset), in tmp_path."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "tokenmgr"


def _legacy_home(home: Path, kr: MemoryKeyring, listed: dict[str, list[str]]) -> None:
    """A home as an earlier tokenmgr left it: the index, and items under `tokenmgr`."""
    Index(home).save({name: Entry(name, secrets=fields) for name, fields in listed.items()})
    for name, fields in listed.items():
        for field in fields:
            kr.items[(LEGACY_SERVICE, f"{name}/{field}")] = f"old-{name}-{field}"


def test_namespace_is_the_homes_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert service_for(tmp_path / "link") == f"tokenmgr:{(tmp_path / 'real').resolve()}"
    assert service_for(tmp_path / "real") != service_for(tmp_path / "other")


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_two_homes_never_share_an_item(tmp_path: Path, order: str) -> None:
    kr = MemoryKeyring()
    homes = {h: tmp_path / h for h in ("a", "b")}
    vaults = {h: Vault(home=p, store=KeyringStore(p, backend=kr)) for h, p in homes.items()}
    first, second = ("a", "b") if order == "a-then-b" else ("b", "a")
    vaults[first].add("collide", f"token-{first}")
    vaults[second].add("collide", f"token-{second}")
    assert vaults[first].get_token("collide")[1] == f"token-{first}"
    assert vaults[second].get_token("collide")[1] == f"token-{second}"
    vaults[second].remove("collide")
    assert vaults[first].get_token("collide")[1] == f"token-{first}"
    assert {service for service, _ in kr.items} == {service_for(homes[first])}


def test_default_home_moves_what_its_index_lists(default_home: Path) -> None:
    kr = MemoryKeyring()
    _legacy_home(default_home, kr, {"gh": ["access"], "oa": ["access", "refresh", "binding"]})
    kr.items[(LEGACY_SERVICE, "elsewhere/access")] = "another-home's"  # not in this index
    store = KeyringStore(default_home, backend=kr)
    assert store.get("gh", "access") == "old-gh-access"
    ours = service_for(default_home)
    assert kr.items == {
        (ours, "gh/access"): "old-gh-access",
        (ours, "oa/access"): "old-oa-access",
        (ours, "oa/refresh"): "old-oa-refresh",
        (ours, "oa/binding"): "old-oa-binding",
        (LEGACY_SERVICE, "elsewhere/access"): "another-home's",  # nothing of another home
    }
    marker = json.loads((default_home / MARKER_NAME).read_text())
    assert marker == {"service": ours, "moved_from": "tokenmgr", "moved": 4, "left": []}
    # Once moved, later processes do not look at the old layout again.
    kr.items[(LEGACY_SERVICE, "gh/access")] = "written by an old tokenmgr afterwards"
    assert KeyringStore(default_home, backend=kr).get("gh", "access") == "old-gh-access"


def test_default_home_moves_chunked_values_whole(default_home: Path) -> None:
    kr = MemoryKeyring()
    Index(default_home).save({"long": Entry("long", secrets=["access"])})
    old = ChunkedStore(KeyringStore(backend=kr, service=LEGACY_SERVICE), 128)
    old.set("long", "access", LONG)
    assert len(kr.items) > 5
    store = ChunkedStore(KeyringStore(default_home, backend=kr), 128)
    assert store.get("long", "access") == LONG
    assert {service for service, _ in kr.items} == {service_for(default_home)}


def test_a_different_value_is_never_overwritten(default_home: Path) -> None:
    """The refusal: the home's own item wins, the old one is kept, and both are named."""
    kr = MemoryKeyring()
    _legacy_home(default_home, kr, {"gh": ["access"], "ok": ["access"]})
    ours = service_for(default_home)
    kr.items[(ours, "gh/access")] = "newer, already in the namespace"
    store = KeyringStore(default_home, backend=kr)
    assert store.get("gh", "access") == "newer, already in the namespace"
    assert kr.items[(LEGACY_SERVICE, "gh/access")] == "old-gh-access"
    assert (LEGACY_SERVICE, "ok/access") not in kr.items
    marker = json.loads((default_home / MARKER_NAME).read_text())
    assert marker["left"] == ["gh/access"] and marker["moved"] == 1


class _DyingKeyring(MemoryKeyring):
    """Dies at the N-th write or the N-th delete (the copy done, the original kept)."""

    def __init__(self, sets: int | None, deletes: int | None) -> None:
        super().__init__()
        self.fail_after_sets = sets
        self.deletes_left = deletes

    def delete_password(self, service: str, username: str) -> None:
        if self.deletes_left is not None:
            if self.deletes_left == 0:
                from keyring.errors import KeyringError

                raise KeyringError("injected failure")
            self.deletes_left -= 1
        super().delete_password(service, username)


@pytest.mark.parametrize(
    ("sets", "deletes"), [(0, None), (1, None), (2, None), (None, 0), (None, 1), (None, 2)]
)
def test_an_interrupted_move_loses_nothing(
    default_home: Path, sets: int | None, deletes: int | None
) -> None:
    kr = _DyingKeyring(sets, deletes)
    listed = {"a": ["access", "refresh"], "b": ["access"]}
    _legacy_home(default_home, kr, listed)
    expected = {f"{n}/{f}": f"old-{n}-{f}" for n, fs in listed.items() for f in fs}
    with pytest.raises(StorageUnavailable):
        KeyringStore(default_home, backend=kr).get("a", "access")
    assert not (default_home / MARKER_NAME).exists()  # not done: the next use goes on
    for username, value in expected.items():  # every value is in one layout or the other
        found = {v for (s, u), v in kr.items.items() if u == username}
        assert found == {value}, username
    kr.fail_after_sets = kr.deletes_left = None
    store = KeyringStore(default_home, backend=kr)
    assert {u: store.get(*u.split("/")) for u in expected} == expected
    assert not [k for k in kr.items if k[0] == LEGACY_SERVICE]
    assert json.loads((default_home / MARKER_NAME).read_text())["left"] == []


def test_other_homes_leave_the_old_layout_alone(tmp_path: Path, default_home: Path) -> None:
    kr = MemoryKeyring()
    home = tmp_path / "b"
    _legacy_home(home, kr, {"gh": ["access"]})
    store = KeyringStore(home, backend=kr)
    assert store.get("gh", "access") is None
    assert kr.items == {(LEGACY_SERVICE, "gh/access"): "old-gh-access"}
    assert not (home / MARKER_NAME).exists()
    store.set("new", "access", "v")  # the first value marks the home
    assert json.loads((home / MARKER_NAME).read_text()) == {"service": service_for(home)}


def test_a_dead_keyring_writes_no_file(default_home: Path) -> None:
    kr = MemoryKeyring()
    _legacy_home(default_home, kr, {"gh": ["access"]})
    files = sorted(p.name for p in default_home.iterdir())
    kr.locked = True
    with pytest.raises(StorageUnavailable, match="locked"):
        KeyringStore(default_home, backend=kr).get("gh", "access")
    assert sorted(p.name for p in default_home.iterdir()) == files


def test_a_fresh_default_home_has_nothing_to_move(default_home: Path) -> None:
    kr = MemoryKeyring()
    kr.items[(LEGACY_SERVICE, "gh/access")] = "some other home's"
    vault = Vault(home=default_home, store=KeyringStore(default_home, backend=kr))
    vault.add("mine", "tok")
    assert kr.items[(LEGACY_SERVICE, "gh/access")] == "some other home's"
    assert kr.items[(service_for(default_home), "mine/access")] == "tok"
    assert not any(v.startswith(MANIFEST_MAGIC) for v in kr.items.values())
