"""Locking the vault file drops its key material as far as Python allows: the derived
keys (buffers of our own) are overwritten and dropped, the passphrase and its source
are let go (by the store and by the log redaction), and every later call refuses
without asking anyone; unlocking is a new store with the passphrase."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tokenmgr.core import redact
from tokenmgr.core.errors import StorageUnavailable, VaultLocked
from tokenmgr.core.stores.vault_file import EncryptedFileStore

PASSPHRASE = "correct horse battery staple"


def test_the_floor_of_cryptography_derives_into_a_buffer() -> None:
    # pyproject's cryptography>=47: what lets the key live in a buffer we can overwrite.
    assert callable(getattr(Scrypt, "derive_into", None))


def test_lock_overwrites_the_keys_and_lets_the_passphrase_go(tmp_path: Path) -> None:
    asked: list[bool] = []

    def source(new: bool) -> str:
        asked.append(new)
        return PASSPHRASE

    store = EncryptedFileStore(tmp_path, passphrase=source)
    store.set("a", "access", "tok-123456")
    assert store.get("a", "access") == "tok-123456"
    keys = list(store._keys.values())
    assert keys and all(isinstance(k, bytearray) and any(k) for k in keys)
    assert PASSPHRASE in redact._registered
    store.lock()
    assert store.locked
    assert all(k == bytearray(len(k)) for k in keys)  # overwritten, not only dropped
    assert store._keys == {} and store._passphrase is None and store._passphrase_source is None
    assert PASSPHRASE not in redact._registered
    asked.clear()
    for call in (lambda: store.get("a", "access"), lambda: store.set("a", "x", "y"),
                 lambda: store.delete("a", "access"), store.probe):
        with pytest.raises(VaultLocked, match="is locked: unlock it with its passphrase"):
            call()
    assert asked == []  # nobody was asked: locked means locked
    assert issubclass(VaultLocked, StorageUnavailable)  # the CLI's exit 4, the app's banner
    # Unlocking: a new store with the passphrase reads what the locked one held.
    again = EncryptedFileStore(tmp_path, passphrase=lambda _new: PASSPHRASE)
    again.unlock()
    assert again.get("a", "access") == "tok-123456"


def test_a_wrong_passphrase_leaves_no_key_behind(tmp_path: Path) -> None:
    EncryptedFileStore(tmp_path, passphrase=lambda _n: PASSPHRASE).set("a", "access", "t")
    store = EncryptedFileStore(tmp_path, passphrase=lambda _n: "not it at all")
    made: list[bytearray] = []
    derive = store._derive

    def spy(kdf, new):  # type: ignore[no-untyped-def]
        key = derive(kdf, new)
        made.append(key)
        return key

    store._derive = spy  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable, match="wrong passphrase"):
        store.get("a", "access")
    assert made and all(k == bytearray(len(k)) for k in made) and store._keys == {}
