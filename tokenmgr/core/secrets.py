"""Secret storage: the `SecretStore` protocol and its two real backends.

* `KeyringStore` keeps each secret as one item in the OS keyring (Secret
  Service, macOS Keychain, Windows Credential Manager) through the `keyring`
  library. Values longer than a backend's limit are split into chunks with a
  manifest; the limit is a parameter so the chunked path is tested everywhere.
* `EncryptedFileStore` is the opt-in vault file for machines with no keyring:
  scrypt-derived key, AES-256-GCM, one file, atomic rewrite.

There is no plaintext fallback: a store that is not secure refuses to work.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.index import atomic_write, file_lock

log = logging.getLogger(__name__)

SERVICE = "tokenmgr"
# Windows Credential Manager refuses credential blobs over 2,560 bytes (UTF-16).
WINDOWS_MAX_VALUE_BYTES = 2560
# A stored token never holds LF (validate_secret refuses it), so a value that
# starts with one is unambiguously our chunk manifest.
MANIFEST_MAGIC = "\ntmchunks1\n"
MIN_VALUE_BYTES = 128  # room for the manifest itself

FIX_KEYRING = (
    "Start a Secret Service (gnome-keyring, KeePassXC) and unlock it, "
    "or opt in to the encrypted vault file with TOKENMGR_STORE=file."
)
# A keyring that answers but is locked needs unlocking, not installing: its own diagnosis.
LOCKED_KEYRING = (
    "the keyring is locked (or its unlock prompt was dismissed or could not be shown). "
    'Unlock it and try again: unlock the login keyring in Seahorse ("Passwords and Keys") '
    "or KeePassXC, or log in to the desktop session again; without a desktop, "
    "`gnome-keyring-daemon --unlock` reads the keyring password on stdin. "
    "Or opt in to the encrypted vault file with TOKENMGR_STORE=file."
)


@dataclass(frozen=True)
class StoreInfo:
    kind: str  # "keyring" | "file" | "memory"
    backend: str  # human name of the backend
    secure: bool
    location: str | None = None


class SecretStore(Protocol):
    """Where secret values live. Keys are (entry name, field)."""

    def info(self) -> StoreInfo: ...

    def check(self) -> None:
        """Raise StorageUnavailable if the store cannot be used (cheap; no secret read)."""

    def probe(self) -> None:
        """Prove the store answers and is unlocked, before anything is written anywhere."""

    def get(self, name: str, field: str) -> str | None: ...

    def set(self, name: str, field: str, value: str) -> None: ...

    def delete(self, name: str, field: str) -> None:
        """Remove a value; a missing value is not an error."""


def _key(name: str, field: str) -> str:
    return f"{name}/{field}"


def utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass"))


def split_chunks(value: str, max_bytes: int) -> list[str]:
    """Split on code-point boundaries so each chunk's UTF-16 size is ≤ max_bytes."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for ch in value:
        n = 4 if ord(ch) > 0xFFFF else 2
        if size + n > max_bytes and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        chunks.append("".join(current))
    return chunks


def _is_insecure_backend(backend: Any) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyrings.alt") or module.startswith("keyring.backends.null"):
        return True
    if module.startswith("keyring.backends.fail"):
        return True
    if "plaintext" in name.lower():
        return True
    if module.startswith("keyring.backends.chainer"):
        chain = list(getattr(backend, "backends", []))
        return not chain or any(_is_insecure_backend(b) for b in chain)
    return False


def _keyringrc_exists() -> bool:
    """Whether a keyring configuration file exists where keyring looks for one.

    keyring's own `keyring.util.platform_.config_root()` is not used: importing
    it imports keyring's whole chain (~20 ms), which is what the fast path avoids.
    """
    if sys.platform.startswith("linux"):
        # keyring's _config_root_Linux: $XDG_CONFIG_HOME (it reads os.environ), else ~/.config.
        root = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return (Path(root) / "python_keyring" / "keyringrc.cfg").exists()
    try:
        from keyring.util import platform_

        return (Path(platform_.config_root()) / "keyringrc.cfg").exists()
    except Exception:
        return False


def resolve_keyring_backend(env: Mapping[str, str]) -> Any:
    """The keyring backend to use.

    On Linux with no keyring configuration (no PYTHON_KEYRING_BACKEND, no
    keyringrc.cfg), talk to the Secret Service directly (`secretservice.py`):
    the same items keyring's SecretService backend reads and writes, without
    keyring's discovery (it scans every installed distribution's entry points and
    probes each backend) or its import chain, both of which cost more than the
    secret read. Anything configured goes through keyring, and is vetted;
    KEYRING_PROPERTY_* settings (another collection, another attribute scheme)
    go to keyring's own Secret Service backend, which reads them.
    """
    try:
        if (
            sys.platform.startswith("linux")
            and not env.get("PYTHON_KEYRING_BACKEND")
            and not _keyringrc_exists()
        ):
            import importlib.util

            # keyring's backends read KEYRING_PROPERTY_* from os.environ. (And jeepney
            # comes with keyring on Linux; without it, keyring's backend it is.)
            configured = any(k.startswith("KEYRING_PROPERTY_") for k in (*env, *os.environ))
            if configured or importlib.util.find_spec("jeepney") is None:
                from keyring.backends import SecretService

                return SecretService.Keyring()  # type: ignore[no-untyped-call]
            from tokenmgr.core.secretservice import SecretServiceKeyring

            return SecretServiceKeyring(env)
        import keyring

        return keyring.get_keyring()
    except Exception as e:
        raise StorageUnavailable(f"no usable keyring backend ({e}). {FIX_KEYRING}") from None


class _NoKeyringErrors:
    """Stands in for `keyring.errors` when keyring was never imported: then no
    exception can be one of its classes, and nothing matches these."""

    class KeyringLocked(Exception): ...

    class NoKeyringError(Exception): ...

    class InitError(Exception): ...

    class PasswordDeleteError(Exception): ...


class KeyringStore:
    """Secrets as keyring items: service `tokenmgr`, username `NAME/FIELD`."""

    def __init__(
        self,
        backend: Any = None,
        *,
        env: Mapping[str, str] | None = None,
        max_value_bytes: int | None = None,
        service: str = SERVICE,
    ) -> None:
        self._backend = backend
        self._env = os.environ if env is None else env
        if max_value_bytes is None and sys.platform == "win32":
            max_value_bytes = WINDOWS_MAX_VALUE_BYTES
        if max_value_bytes is not None and max_value_bytes < MIN_VALUE_BYTES:
            raise ValueError(f"max_value_bytes must be at least {MIN_VALUE_BYTES}")
        self.max_value_bytes = max_value_bytes
        self.service = service
        self._answered = False  # set by the first backend call that succeeds

    @property
    def backend(self) -> Any:
        if self._backend is None:
            self._backend = resolve_keyring_backend(self._env)
        return self._backend

    def info(self) -> StoreInfo:
        b = self.backend
        name = f"{type(b).__module__}.{type(b).__name__}"
        return StoreInfo("keyring", name, not _is_insecure_backend(b))

    def check(self) -> None:
        if _is_insecure_backend(self.backend):
            b = self.backend
            raise StorageUnavailable(
                f"the keyring backend {type(b).__module__}.{type(b).__name__} is not secure "
                f"(it would keep tokens in plaintext or nowhere). {FIX_KEYRING}"
            )

    def probe(self) -> None:
        self.check()
        if not self._answered:  # a store that answered in this process needs no extra call
            self._raw_get(_key("__tokenmgr_probe__", "probe"))

    @contextlib.contextmanager
    def _calls(self, action: str) -> Any:
        """Map every backend failure to one StorageUnavailable that names the fix."""
        try:
            yield
        except StorageUnavailable:
            raise
        except Exception as e:
            from tokenmgr.core import secretservice as ss

            # A keyring backend's exception means keyring is loaded: never import it here.
            kerr: Any = sys.modules.get("keyring.errors") or _NoKeyringErrors
            if isinstance(e, kerr.KeyringLocked | ss.SecretServiceLocked):
                raise StorageUnavailable(f"cannot {action} the secret: {LOCKED_KEYRING}") from None
            unavailable = kerr.NoKeyringError | kerr.InitError | ss.SecretServiceUnavailable
            if isinstance(e, unavailable) or (
                type(e).__name__ == "SecretServiceNotAvailableException"
            ):
                why = f"no keyring answers ({_short(e)})"
            else:
                why = f"the keyring refused to {action} ({type(e).__name__}: {_short(e)})"
            raise StorageUnavailable(f"cannot {action} the secret: {why}. {FIX_KEYRING}") from None

    def _raw_get(self, username: str) -> str | None:
        log.debug("keyring read %s/%s via %s", self.service, username, type(self.backend).__name__)
        with self._calls("read"):
            value = self.backend.get_password(self.service, username)
        self._answered = True
        return None if value is None else str(value)

    def _raw_set(self, username: str, value: str) -> None:
        log.debug("keyring write %s/%s (%d chars)", self.service, username, len(value))
        with self._calls("store"):
            self.backend.set_password(self.service, username, value)
        self._answered = True

    def _raw_delete(self, username: str) -> None:
        from tokenmgr.core.secretservice import ItemNotFound

        log.debug("keyring delete %s/%s", self.service, username)
        with self._calls("delete"):
            try:
                self.backend.delete_password(self.service, username)
            except Exception as e:
                kerr: Any = sys.modules.get("keyring.errors") or _NoKeyringErrors
                if isinstance(e, ItemNotFound | kerr.PasswordDeleteError):
                    return  # already gone: deleting is idempotent
                raise

    def get(self, name: str, field: str) -> str | None:
        self.check()
        value = self._raw_get(_key(name, field))
        if value is None or not value.startswith(MANIFEST_MAGIC):
            return value
        return self._read_chunks(name, field, value)

    def _parse_manifest(self, manifest: str) -> tuple[str, int, str]:
        try:
            gen, count, digest = manifest[len(MANIFEST_MAGIC) :].split("\n")
            return gen, int(count), digest
        except ValueError:
            raise StorageUnavailable(
                "a chunked secret's manifest in the keyring is damaged; store the token again"
            ) from None

    def _chunk_key(self, name: str, field: str, gen: str, i: int) -> str:
        return f"{_key(name, field)}#{gen}.{i}"

    def _read_chunks(self, name: str, field: str, manifest: str) -> str:
        gen, count, digest = self._parse_manifest(manifest)
        parts = []
        for i in range(count):
            part = self._raw_get(self._chunk_key(name, field, gen, i))
            if part is None:
                raise StorageUnavailable(
                    f"chunk {i + 1} of {count} of a long secret is missing from the keyring; "
                    "store the token again"
                )
            parts.append(part)
        value = "".join(parts)
        if _digest(value) != digest:
            raise StorageUnavailable(
                "a chunked secret in the keyring does not match its manifest; store the token again"
            )
        return value

    def set(self, name: str, field: str, value: str) -> None:
        self.check()
        key = _key(name, field)
        limit = self.max_value_bytes
        if limit is None:
            self._raw_set(key, value)
            return
        old = self._raw_get(key)
        if utf16_size(value) <= limit:
            self._raw_set(key, value)
        else:
            # New chunks go under a fresh generation; only the manifest write
            # switches readers over, so a failure before it leaves the old value.
            import secrets as _random  # here, not at the top: it loads hmac and OpenSSL

            gen = _random.token_hex(4)
            chunks = split_chunks(value, limit)
            written = 0
            try:
                for i, part in enumerate(chunks):
                    self._raw_set(self._chunk_key(name, field, gen, i), part)
                    written += 1
                digest = _digest(value)
                self._raw_set(key, f"{MANIFEST_MAGIC}{gen}\n{len(chunks)}\n{digest}")
            except StorageUnavailable:
                for i in range(written):
                    with contextlib.suppress(StorageUnavailable):
                        self._raw_delete(self._chunk_key(name, field, gen, i))
                raise
        if old is not None and old.startswith(MANIFEST_MAGIC):
            self._delete_chunks(name, field, old)

    def _delete_chunks(self, name: str, field: str, manifest: str) -> None:
        with contextlib.suppress(StorageUnavailable):
            gen, count, _ = self._parse_manifest(manifest)
            for i in range(count):
                self._raw_delete(self._chunk_key(name, field, gen, i))

    def delete(self, name: str, field: str) -> None:
        self.check()
        key = _key(name, field)
        old = self._raw_get(key) if self.max_value_bytes is not None else None
        # The manifest goes first: if that fails, the value is still whole and readable.
        self._raw_delete(key)
        if old is not None and old.startswith(MANIFEST_MAGIC):
            self._delete_chunks(name, field, old)


def _digest(value: str) -> str:
    import hashlib  # only chunked values need it; importing it loads OpenSSL

    raw = hashlib.sha256(value.encode("utf-8")).digest()[:16]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _short(e: BaseException) -> str:
    text = str(e).replace("\n", " ")
    return text[:200]


# --------------------------------------------------------------------------
# Encrypted vault file

VAULT_NAME = "secrets.vault"
VAULT_FORMAT = "tokenmgr-vault"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1

KdfParams = tuple[bytes, int, int, int]
"""scrypt's (salt, N, r, p): together they name one derived key."""

PassphraseSource = Callable[[bool], str]
"""Called with `new=True` when the vault is being created (confirm it)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not base64 text")
    return base64.b64decode(text, validate=True)


def terminal_passphrase(new: bool) -> str:
    """Ask on the controlling terminal with echo off (never on stdin, which may carry a token)."""
    import getpass

    try:
        tty = open("/dev/tty", "r+") if os.name == "posix" else None  # noqa: SIM115
    except OSError:
        tty = None
    if os.name == "posix" and tty is None:
        raise StorageUnavailable(
            "the vault file needs its passphrase: set TOKENMGR_PASSPHRASE "
            "(there is no terminal to ask on)"
        )
    if tty is not None:
        tty.close()
    first = getpass.getpass("tokenmgr vault passphrase: ")
    if new:
        again = getpass.getpass("repeat the passphrase: ")
        if again != first:
            raise StorageUnavailable("the passphrases differ: the vault file was not created")
    return first


class EncryptedFileStore:
    """All secrets in one AES-256-GCM file, key from scrypt(passphrase)."""

    def __init__(
        self,
        home: Path,
        *,
        env: Mapping[str, str] | None = None,
        passphrase: PassphraseSource | None = None,
    ) -> None:
        self.path = home / VAULT_NAME
        self.lock_path = home / "secrets.lock"
        self._env = os.environ if env is None else env
        self._passphrase_source = passphrase
        self._passphrase: str | None = None
        self._refused: str | None = None  # a wrong passphrase is reported, not asked again
        # (salt, n, r, p) -> derived key, per process: the same salt with other scrypt
        # parameters is another key, so the salt alone must never find a cached one.
        self._keys: dict[KdfParams, bytes] = {}

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

    def probe(self) -> None:
        self.check()
        if not self._keys:  # unlocked already in this process (a key was derived and worked)
            self._load()

    def _get_passphrase(self, new: bool) -> str:
        if self._refused is not None:
            raise StorageUnavailable(self._refused)
        if self._passphrase is None:
            value = self._env.get("TOKENMGR_PASSPHRASE")
            if value is None:
                source = self._passphrase_source or terminal_passphrase
                value = source(new)
            if not value:
                raise StorageUnavailable(
                    "the vault passphrase is empty: set TOKENMGR_PASSPHRASE or type one"
                )
            from tokenmgr.core.redact import register_secret

            register_secret(value)  # typed or given: never in a log line either
            self._passphrase = value
        return self._passphrase

    def _derive(self, kdf: KdfParams, new: bool) -> bytes:
        cached = self._keys.get(kdf)
        if cached is not None:
            return cached
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        passphrase = self._get_passphrase(new)
        salt, n, r, p = kdf
        key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
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
        return data.get(_key(name, field))

    def set(self, name: str, field: str, value: str) -> None:
        with file_lock(self.lock_path):
            data, kdf = self._load()
            data[_key(name, field)] = value
            self._save(data, kdf)

    def delete(self, name: str, field: str) -> None:
        with file_lock(self.lock_path):
            data, kdf = self._load()
            if data.pop(_key(name, field), None) is not None:
                self._save(data, kdf)


def open_store(
    home: Path,
    env: Mapping[str, str] | None = None,
    passphrase: PassphraseSource | None = None,
) -> SecretStore:
    """The store selected by `TOKENMGR_STORE` (`keyring`, the default, or `file`)."""
    env = os.environ if env is None else env
    kind = env.get("TOKENMGR_STORE", "keyring") or "keyring"
    if kind == "keyring":
        return KeyringStore(env=env)
    if kind == "file":
        return EncryptedFileStore(home, env=env, passphrase=passphrase)
    from tokenmgr.core.errors import UsageError

    raise UsageError(f"TOKENMGR_STORE={kind!r} is not a store: use 'keyring' or 'file'")
