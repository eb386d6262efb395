"""The `SecretStore` contract as a test mixin (keyring's backend-test pattern).

A test class per backend subclasses `StoreContract` and provides the `store`
fixture; every backend passes the same tests: the in-memory store, the keyring
store over an in-memory keyring and over the real gnome-keyring, the chunking
wrapper over each, and the vault file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenmgr.core.stores import SecretStore

# Multi-byte and astral characters across chunk edges, longer than any test limit.
LONG = "eyJ" + "é🔑x" * 3000


class StoreContract:
    """Every backend must pass these. Subclasses provide `store`."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> SecretStore:
        raise NotImplementedError

    def test_missing_is_none(self, store: SecretStore) -> None:
        assert store.get("nope", "access") is None

    def test_set_get_overwrite_delete(self, store: SecretStore) -> None:
        store.set("a", "access", "one")
        store.set("a", "refresh", "two")
        assert store.get("a", "access") == "one"
        store.set("a", "access", "three")
        assert store.get("a", "access") == "three"
        assert store.get("a", "refresh") == "two"
        store.delete("a", "access")
        assert store.get("a", "access") is None
        assert store.get("a", "refresh") == "two"
        store.delete("a", "access")  # idempotent
        store.delete("a", "refresh")

    def test_entries_are_separate(self, store: SecretStore) -> None:
        """Names that share a prefix, or look like another's chunk, stay apart."""
        store.set("a", "access", "A")
        store.set("a.b", "access", "AB")
        store.set("a@x+y", "refresh", "AXY")
        assert store.get("a", "access") == "A"
        assert store.get("a.b", "access") == "AB"
        assert store.get("a@x+y", "refresh") == "AXY"
        assert store.get("a", "refresh") is None
        store.delete("a", "access")
        assert store.get("a.b", "access") == "AB"
        store.delete("a.b", "access")
        store.delete("a@x+y", "refresh")

    def test_long_and_unicode_values(self, store: SecretStore) -> None:
        store.set("long", "access", LONG)
        assert store.get("long", "access") == LONG
        store.set("long", "access", "short")
        assert store.get("long", "access") == "short"
        store.set("long", "access", LONG[::-1])
        assert store.get("long", "access") == LONG[::-1]
        store.delete("long", "access")
        assert store.get("long", "access") is None

    def test_probe_and_check_answer(self, store: SecretStore) -> None:
        store.check()
        store.probe()
        store.probe()  # again: a store that answered stays usable

    def test_info_is_secure(self, store: SecretStore) -> None:
        info = store.info()
        assert info.secure
        assert info.kind in ("keyring", "file", "memory")
