"""The store: does it answer, and the vault file made or unlocked."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tokenmgr.core.stores import SecretStore, StoreInfo
    from tokenmgr.core.vault import Vault


def probe_store(vault: Vault) -> StoreInfo:
    """Does the vault's store answer (and is it unlocked)? What it is, when it does.

    The encrypted session (and the crypto code it loads) waits for the first secret,
    which may come hours later: a service that offers none is refused then, before
    anything is sent or written."""
    store = vault.store
    info = store.info()
    store.probe(protect=False)
    return info


def create_vault_file(home: Path, passphrase: str) -> SecretStore:
    """Create an empty encrypted vault file with this passphrase; the store, open."""
    from tokenmgr.core.stores.vault_file import EncryptedFileStore

    store = EncryptedFileStore(home, passphrase=lambda _new: passphrase)
    # Writing and removing a marker creates the file (with its salt) through the
    # public API, so the next start has something to check the passphrase against.
    store.set("__tokenmgr_probe__", "probe", "created")
    store.delete("__tokenmgr_probe__", "probe")
    return store


def unlock_vault_file(home: Path, passphrase: str) -> SecretStore:
    """A fresh store (a refused passphrase is sticky per store object), unlocked now."""
    from tokenmgr.core.stores.vault_file import EncryptedFileStore

    store = EncryptedFileStore(home, passphrase=lambda _new: passphrase)
    store.unlock()
    return store
