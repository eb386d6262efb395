"""The encrypted vault file, the opt-in store for machines without a keyring.

All secrets in one file, `$TOKENMGR_HOME/secrets.vault`: a JSON document whose
ciphertext is AES-256-GCM under a key derived from the passphrase with scrypt;
the KDF parameters are authenticated with the data. Rewritten atomically under a
lock. The passphrase comes from the `PassphraseSource` the store was given (the
command line takes TOKENMGR_PASSPHRASE or asks on the terminal; the desktop app
asks in its window); with none, the store refuses and says how to give one.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from tokenmgr.core.errors import StorageUnavailable, VaultLocked
from tokenmgr.core.index import atomic_write, file_lock
from tokenmgr.core.stores.base import PassphraseSource, StoreInfo, item_key

VAULT_NAME = "secrets.vault"
VAULT_FORMAT = "tokenmgr-vault"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1

KdfParams = tuple[bytes, int, int, int]
"""scrypt's (salt, N, r, p): together they name one derived key."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


class EncryptedFileStore:
    """All secrets in one AES-256-GCM file, key from scrypt(passphrase)."""

    def __init__(
        self,
        home: Path,
        *,
        passphrase: PassphraseSource | None = None,
    ) -> None:
        self.path = home / VAULT_NAME
        self.lock_path = home / "secrets.lock"
        self._passphrase_source = passphrase
        self._passphrase: str | None = None
        self._refused: str | None = None  # a wrong passphrase is reported, not asked again
        self._locked = False  # `lock()` was called: every later call refuses
        # (salt, n, r, p) -> derived key, per process: the same salt with other scrypt
        # parameters is another key, so the salt alone must never find a cached one.
        # Buffers of our own (scrypt derives into them), so `lock()` can overwrite them.
        self._keys: dict[KdfParams, bytearray] = {}

    def info(self) -> StoreInfo:
        return StoreInfo(
            "file", "encrypted vault file (scrypt + AES-256-GCM)", True, str(self.path)
        )

    def check(self) -> None:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise StorageUnavailable(
                "the vault file needs the 'cryptography' package; install it"
            ) from None

    def probe(self, *, protect: bool = True) -> None:
        self.check()
        if not self._keys:  # unlocked already in this process (a key was derived and worked)
            self._load()

    def lock(self) -> None:
        """Drop the key material, as far as Python allows: the derived keys (bytearrays
        scrypt wrote into) are overwritten with zeros and dropped; the passphrase, and the
        source that gave it (a closure may hold it), lose this store's references and the
        log redaction's, so the interpreter frees them; Python's `str` is immutable and
        cannot be overwritten, so its bytes stay in freed memory until reused. From now on
        every call refuses (VaultLocked): unlocking is a new store with the passphrase."""
        from tokenmgr.core.redact import forget_secret

        for key in self._keys.values():
            key[:] = bytes(len(key))
        self._keys.clear()
        if self._passphrase is not None:
            forget_secret(self._passphrase)
        self._passphrase = None
        self._passphrase_source = None
        self._locked = True

    @property
    def locked(self) -> bool:
        return self._locked

    def _get_passphrase(self, new: bool) -> str:
        if self._locked:
            raise VaultLocked(
                f"the vault file {self.path} is locked: unlock it with its passphrase"
            )
        if self._refused is not None:
            raise StorageUnavailable(self._refused)
        if self._passphrase is None:
            source = self._passphrase_source
            if source is None:
                raise StorageUnavailable(
                    f"the vault file {self.path} needs its passphrase: set TOKENMGR_PASSPHRASE, "
                    "or run the command on a terminal to be asked for it"
                )
            value = source(new)
            if not value:
                raise StorageUnavailable(
                    "the vault passphrase is empty: set TOKENMGR_PASSPHRASE or type one"
                )
            from tokenmgr.core.redact import register_secret

            register_secret(value)  # typed or given: never in a log line either
            self._passphrase = value
        return self._passphrase

    def _derive(self, kdf: KdfParams, new: bool) -> bytearray:
        cached = self._keys.get(kdf)
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        passphrase = bytearray(self._get_passphrase(new), "utf-8")
        salt, n, r, p = kdf
        key = bytearray(32)
        try:
            Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive_into(passphrase, key)
        finally:
            passphrase[:] = bytes(len(passphrase))  # our copy of its bytes, at least
        self._keys[kdf] = key
        return key

    def _load(self) -> tuple[dict[str, str], KdfParams | None]:
        """The decrypted map, and the file's KDF parameters (None when there is no file yet)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}, None
        except OSError as e:
            raise StorageUnavailable(
                f"cannot read the vault file {self.path}: {e.strerror}"
            ) from None
        try:
            doc = json.loads(raw)
            if doc.get("format") != VAULT_FORMAT or doc.get("version") != 1:
                raise ValueError("not a tokenmgr vault file")
            params = doc["kdf"]
            salt = _unb64(params["salt"])
            n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
            # Bounds before scrypt sees them: a damaged file must not ask for gigabytes.
            if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
                raise ValueError(f"unusable scrypt parameters n={n} r={r} p={p}")
            nonce = _unb64(doc["nonce"])
            ciphertext = _unb64(doc["ciphertext"])
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise StorageUnavailable(
                f"the vault file {self.path} is damaged ({e}); it was left as it is"
            ) from None
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        kdf: KdfParams = (salt, n, r, p)
        key = self._derive(kdf, new=False)
        try:
            plain = AESGCM(key).decrypt(nonce, ciphertext, self._aad(kdf))
        except InvalidTag:
            key[:] = bytes(len(key))
            self._keys.pop(kdf, None)
            self._passphrase = None
            self._refused = (
                f"wrong passphrase for the vault file {self.path} (or the file was altered); "
                "nothing was changed"
            )
            raise StorageUnavailable(self._refused) from None
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise StorageUnavailable(f"the vault file {self.path} is damaged")
        return {str(k): str(v) for k, v in data.items()}, kdf

    @staticmethod
    def _aad(kdf: KdfParams) -> bytes:
        salt, n, r, p = kdf
        return f"{VAULT_FORMAT}:1:scrypt:{n}:{r}:{p}:".encode() + salt

    def _save(self, data: dict[str, str], current: KdfParams | None) -> None:
        """Encrypt under the file's key when it uses today's scrypt parameters; otherwise
        (a new file, or one written with other parameters) under a fresh salt and key."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        new = current is None
        if current is not None and current[1:] == (SCRYPT_N, SCRYPT_R, SCRYPT_P):
            kdf = current
        else:
            # The passphrase was already given to open the old file: no new prompt.
            kdf = (os.urandom(16), SCRYPT_N, SCRYPT_R, SCRYPT_P)
        key = self._derive(kdf, new=new)
        salt, n, r, p = kdf
        nonce = os.urandom(12)
        plain = json.dumps(data, ensure_ascii=False).encode("utf-8")
        ciphertext = AESGCM(key).encrypt(nonce, plain, self._aad(kdf))
        doc = {
            "format": VAULT_FORMAT,
            "version": 1,
            "kdf": {
                "name": "scrypt",
                "n": n,
                "r": r,
                "p": p,
                "salt": _b64(salt),
            },
            "cipher": "AES-256-GCM",
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }
        atomic_write(self.path, json.dumps(doc, indent=1).encode("utf-8") + b"\n")

    def unlock(self) -> None:
        """Check the passphrase now (the GUI asks once, up front)."""
        self._load()

    def get(self, name: str, field: str) -> str | None:
        data, _ = self._load()
        return data.get(item_key(name, field))

    def set(self, name: str, field: str, value: str) -> None:
        with file_lock(self.lock_path):
            data, kdf = self._load()
            data[item_key(name, field)] = value
            self._save(data, kdf)

    def delete(self, name: str, field: str) -> None:
        with file_lock(self.lock_path):
            data, kdf = self._load()
            if data.pop(item_key(name, field), None) is not None:
                self._save(data, kdf)
