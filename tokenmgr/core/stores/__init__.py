"""Where secret values live: one small backend per module.

* `base`: the `SecretStore` protocol and `StoreInfo`;
* `keyring_store`: the operating system's keyring, one namespace per home
  (`namespace`), through `keyring`'s backends or, on Linux, `secret_service`;
* `chunked`: a wrapper that splits long values for backends with a size limit;
* `vault_file`: the opt-in encrypted vault file;
* `memory`: values in this process only.

There is no plaintext fallback: a store that is not secure refuses to work.
Importing this package loads no backend; `open_store` loads the one it opens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from tokenmgr.core.stores.base import PassphraseSource, SecretStore, StoreInfo

__all__ = ["PassphraseSource", "SecretStore", "StoreInfo", "open_keyring_store", "open_store"]


def open_keyring_store(home: Path, env: Mapping[str, str] | None = None) -> SecretStore:
    """The home's keyring store, with long values chunked where the platform needs it."""
    from tokenmgr.core.stores.keyring_store import KeyringStore

    store = KeyringStore(home, env=env)
    if sys.platform == "win32":
        from tokenmgr.core.stores.chunked import WINDOWS_MAX_VALUE_BYTES, ChunkedStore

        return ChunkedStore(store, WINDOWS_MAX_VALUE_BYTES)
    return store


def open_store(
    home: Path,
    env: Mapping[str, str] | None = None,
    passphrase: PassphraseSource | None = None,
) -> SecretStore:
    """The store selected by `TOKENMGR_STORE` (`keyring`, the default, or `file`).

    `passphrase` is where the vault file gets its passphrase; without one it refuses
    (and says to set TOKENMGR_PASSPHRASE)."""
    env = os.environ if env is None else env
    kind = env.get("TOKENMGR_STORE", "keyring") or "keyring"
    if kind == "keyring":
        return open_keyring_store(home, env)
    if kind == "file":
        from tokenmgr.core.stores.vault_file import EncryptedFileStore

        return EncryptedFileStore(home, passphrase=passphrase)
    from tokenmgr.core.errors import UsageError

    raise UsageError(f"TOKENMGR_STORE={kind!r} is not a store: use 'keyring' or 'file'")
