"""The freedesktop.org Secret Service over D-Bus, storing items the way keyring does.

`SecretServiceKeyring` has keyring's backend interface (`get_password`,
`set_password`, `delete_password`) and keeps items exactly as keyring's own
`keyring.backends.SecretService.Keyring` does: in the default collection, with
the attributes `username` and `service` (plus `application` on write) and the
same label. So `keyring get tokenmgr NAME/access`, libsecret's `secret-tool
lookup service tokenmgr username NAME/access` and tokenmgr read each other's
items.

Why not keyring's backend: importing keyring costs more than the secret read
(its import chain pulls in entry-point discovery, `jaraco.context`, and through
it `urllib.request` and `email`), and it opens a new D-Bus connection and a new
encrypted session for every call. This talks to the daemon through jeepney (what
keyring's backend uses underneath, via secretstorage), with one connection and
one session per instance, reused by every call (chunked values, probe + write).

What is kept from keyring's backend:
* secrets travel encrypted (`dh-ietf1024-sha256-aes128-cbc-pkcs7`, as libsecret
  and secretstorage do; `plain` only if the service does not offer it);
* a locked collection is unlocked through the service's prompt, and a dismissed
  (or impossible) prompt is `SecretServiceLocked`;
* no session bus, or no Secret Service on it, is `SecretServiceUnavailable`.

One difference: a read from a session with no default collection finds nothing
(keyring would first create the collection, with a prompt); writes create it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
SERVICE_IFACE = "org.freedesktop.Secret.Service"
COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
ITEM_IFACE = "org.freedesktop.Secret.Item"
PROMPT_IFACE = "org.freedesktop.Secret.Prompt"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"

# keyring's SecretService backend writes this `application` attribute (`Keyring.appid`).
APPLICATION = "Python keyring library"
ALGORITHM_DH = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
ALGORITHM_PLAIN = "plain"
# The second Oakley group (RFC 2409 §6.2), the prime the Secret Service spec names.
DH_PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)
# Our DH private exponent: 256 random bits (top bit set). This 1024-bit group gives
# about 80-bit security, and the usual rule asks for an exponent of at least twice
# the group's strength in bits (RFC 7919 §5.2 sizes its groups' exponents so); 256
# bits keeps the exponent from ever being the weak link. A full 1024-bit exponent
# (what secretstorage draws) costs 4x more in Python's pow(), twice per session.
DH_PRIVATE_BYTES = 32
# libdbus's default reply timeout. Calls that need the user (unlocking) return a
# prompt at once; only waiting for the prompt's answer is unbounded, as in keyring.
CALL_TIMEOUT = 25.0

_UNAVAILABLE = {
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn.ExecFailed",
    "org.freedesktop.DBus.Error.Spawn.ChildExited",
    "org.freedesktop.DBus.Error.Spawn.ServiceNotFound",
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.Disconnected",
}
_NO_OBJECT = {
    "org.freedesktop.Secret.Error.NoSuchObject",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",
}
_IS_LOCKED = "org.freedesktop.Secret.Error.IsLocked"
_NO_SESSION = "org.freedesktop.Secret.Error.NoSession"
_NOT_SUPPORTED = "org.freedesktop.DBus.Error.NotSupported"

T = TypeVar("T")


class SecretServiceError(Exception):
    """A Secret Service call failed; `name` is the D-Bus error name, if any."""

    def __init__(self, message: str, name: str | None = None) -> None:
        super().__init__(message)
        self.name = name


class SecretServiceUnavailable(SecretServiceError):
    """No session bus, or no Secret Service answers on it."""


class SecretServiceLocked(SecretServiceError):
    """The collection (or item) is locked and the unlock prompt was dismissed."""


class ItemNotFound(SecretServiceError):
    """`delete_password` found no such item (keyring's PasswordDeleteError)."""


class _StaleSession(SecretServiceError):
    """The service forgot our session (it restarted): open a new one and retry."""


def _error(name: str | None, body: Any) -> SecretServiceError:
    detail = body[0] if isinstance(body, tuple) and body else body
    text = f"[{name}] {detail}" if detail else f"[{name}]"
    if name in _UNAVAILABLE:
        return SecretServiceUnavailable(text, name)
    if name == _IS_LOCKED:
        return SecretServiceLocked(text, name)
    if name == _NO_SESSION:
        return _StaleSession(text, name)
    return SecretServiceError(text, name)


def _hkdf_sha256_16(secret: bytes) -> bytes:
    """HKDF-SHA256, null salt, empty info, 16 bytes: the spec's AES-128 key derivation."""
    from cryptography.hazmat.primitives import hashes, hmac

    extract = hmac.HMAC(b"\x00" * 32, hashes.SHA256())
    extract.update(secret)
    expand = hmac.HMAC(extract.finalize(), hashes.SHA256())
    expand.update(b"\x01")
    return expand.finalize()[:16]


def _aes_cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def encrypt_secret(key: bytes, secret: bytes) -> tuple[bytes, bytes]:
    """(iv, ciphertext): AES-128-CBC with PKCS#7 padding."""
    pad = 16 - len(secret) % 16
    iv = os.urandom(16)
    return iv, _aes_cbc(key, iv, secret + bytes((pad,)) * pad, encrypt=True)


def decrypt_secret(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    if len(iv) != 16 or not ciphertext or len(ciphertext) % 16:
        raise SecretServiceError("the Secret Service sent a malformed encrypted secret")
    padded = _aes_cbc(key, iv, ciphertext, encrypt=False)
    pad = padded[-1]
    if not 1 <= pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
        raise SecretServiceError("the Secret Service sent a badly padded secret")
    return padded[:-pad]


class SecretServiceKeyring:
    """keyring's backend interface on one D-Bus connection to the Secret Service.

    Thread-safe: calls are serialised (a jeepney blocking connection is not
    shared between threads). The connection opens on the first call.
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, *, collection: str = DEFAULT_COLLECTION
    ) -> None:
        env = os.environ if env is None else env
        self.address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
        self.collection = collection
        self.connections_opened = 0  # tests check that calls share one connection
        self._conn: Any = None
        self._session: tuple[str, bytes | None] | None = None  # (path, AES key or plain)
        self._lock = threading.RLock()

    # ------------------------------------------------------ keyring's interface

    def get_password(self, service: str, username: str) -> str | None:
        def read() -> str | None:
            if not self._ready_collection(create=False):
                return None
            found = self._search(service, username)
            return self._secret(found[0]).decode("utf-8") if found else None

        return self._run(read)

    def set_password(self, service: str, username: str, password: str) -> None:
        def write() -> None:
            self._ready_collection(create=True)
            path, key = self._get_session()
            raw = password.encode("utf-8")
            iv, value = (b"", raw) if key is None else encrypt_secret(key, raw)
            properties = {
                ITEM_IFACE + ".Label": ("s", f"Password for '{username}' on '{service}'"),
                ITEM_IFACE + ".Attributes": (
                    "a{ss}",
                    {"username": username, "service": service, "application": APPLICATION},
                ),
            }
            item, prompt = self._call(
                self.collection,
                COLLECTION_IFACE,
                "CreateItem",
                "a{sv}(oayays)b",
                properties,
                (path, iv, value, "text/plain"),
                True,  # replace the item with the same attributes
            )
            if len(item) <= 1 and self._prompt(prompt):
                raise SecretServiceLocked("the prompt to store the secret was dismissed")

        self._run(write)

    def delete_password(self, service: str, username: str) -> None:
        def delete() -> None:
            found = self._search(service, username) if self._ready_collection(False) else []
            if not found:
                raise ItemNotFound("No such password!")
            (prompt,) = self._call(found[0], ITEM_IFACE, "Delete")
            if len(prompt) > 1 and self._prompt(prompt):
                raise SecretServiceLocked("the prompt to delete the secret was dismissed")

        self._run(delete)

    def close(self) -> None:
        with self._lock:
            self._reset()

    # ----------------------------------------------------------------- plumbing

    def _run(self, op: Callable[[], T]) -> T:
        """One operation under the lock. A reused connection or session that went
        stale (bus connection lost, service restarted) is replaced once: every
        operation is idempotent (writes replace), so the retry is safe."""
        with self._lock:
            retry = self._conn is not None
            while True:
                try:
                    return op()
                except (_StaleSession, ConnectionError) as e:
                    self._reset()
                    if not retry:
                        raise SecretServiceUnavailable(
                            f"the D-Bus connection failed ({type(e).__name__}: {e})"
                        ) from None
                    retry = False
                except TimeoutError:
                    self._reset()  # its reply may still come: never take it for another's
                    raise SecretServiceUnavailable(
                        f"the Secret Service did not answer within {CALL_TIMEOUT:.0f} s"
                    ) from None

    def _reset(self) -> None:
        conn, self._conn, self._session = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _connection(self) -> Any:
        if self._conn is None:
            if not self.address:
                raise SecretServiceUnavailable(
                    "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)"
                )
            from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

            try:
                self._conn = open_dbus_connection(self.address)
            except (OSError, ValueError, RuntimeError) as e:  # no socket, auth refused, ...
                raise SecretServiceUnavailable(
                    f"cannot connect to the D-Bus session bus ({type(e).__name__}: {e})"
                ) from None
            self.connections_opened += 1
        return self._conn

    def _call(
        self,
        path: str,
        interface: str,
        method: str,
        signature: str | None = None,
        *body: Any,
        destination: str = BUS_NAME,
    ) -> tuple[Any, ...]:
        from jeepney import (  # type: ignore[import-untyped]
            DBusAddress,
            HeaderFields,
            MessageType,
            new_method_call,
        )

        msg = new_method_call(DBusAddress(path, destination, interface), method, signature, body)
        reply = self._connection().send_and_get_reply(msg, timeout=CALL_TIMEOUT)
        if reply.header.message_type == MessageType.error:
            raise _error(reply.header.fields.get(HeaderFields.error_name), reply.body)
        return tuple(reply.body)

    def _property(self, path: str, interface: str, name: str) -> Any:
        ((_signature, value),) = self._call(path, PROPERTIES_IFACE, "Get", "ss", interface, name)
        return value

    def _collection_locked(self) -> bool | None:
        """Whether the collection is locked; None when there is no such collection."""
        try:
            return bool(self._property(self.collection, COLLECTION_IFACE, "Locked"))
        except SecretServiceError as e:
            if e.name in _NO_OBJECT:
                return None
            raise

    def _ready_collection(self, create: bool) -> bool:
        """Make sure the collection exists (if `create`) and is unlocked, as keyring
        does before every call. False: there is no collection (and none was made)."""
        locked = self._collection_locked()
        if locked is None:
            if not create:
                return False
            self._create_default_collection()
            locked = self._collection_locked()
            if locked is None:
                raise SecretServiceError("the Secret Service made no default collection")
        if locked:
            self._unlock([self.collection])
            if self._collection_locked():
                raise SecretServiceLocked("the collection is still locked after the unlock prompt")
        return True

    def _create_default_collection(self) -> None:
        label = {COLLECTION_IFACE + ".Label": ("s", "Default")}
        path, prompt = self._call(
            SERVICE_PATH, SERVICE_IFACE, "CreateCollection", "a{sv}s", label, "default"
        )
        if len(path) <= 1 and self._prompt(prompt):
            raise SecretServiceLocked("the prompt to create the default collection was dismissed")

    def _unlock(self, paths: list[str]) -> None:
        _unlocked, prompt = self._call(SERVICE_PATH, SERVICE_IFACE, "Unlock", "ao", paths)
        if len(prompt) > 1 and self._prompt(prompt):
            raise SecretServiceLocked("the unlock prompt was dismissed (or could not be shown)")

    def _prompt(self, prompt: str) -> bool:
        """Show the service's prompt and wait for the user; True if it was dismissed."""
        from jeepney import MatchRule, MessageType

        conn = self._connection()
        rule = MatchRule(
            type=MessageType.signal, interface=PROMPT_IFACE, member="Completed", path=prompt
        )
        # gnome-keyring sends the signal to us; services that broadcast it need a match rule.
        bus_rule = MatchRule(
            type=MessageType.signal,
            sender=BUS_NAME,
            interface=PROMPT_IFACE,
            member="Completed",
            path=prompt,
        )
        dbus = "org.freedesktop.DBus"
        bus = ("/org/freedesktop/DBus", dbus)
        self._call(*bus, "AddMatch", "s", bus_rule.serialise(), destination=dbus)
        try:
            with conn.filter(rule) as signals:
                self._call(prompt, PROMPT_IFACE, "Prompt", "s", "")
                message = conn.recv_until_filtered(signals)  # the user is at the prompt
        finally:  # best effort: a failure here must not hide the prompt's own
            with contextlib.suppress(SecretServiceError, OSError):
                self._call(*bus, "RemoveMatch", "s", bus_rule.serialise(), destination=dbus)
        dismissed, _result = message.body
        return bool(dismissed)

    def _get_session(self) -> tuple[str, bytes | None]:
        if self._session is None:
            self._session = self._open_session()
        return self._session

    def _open_session(self) -> tuple[str, bytes | None]:
        private = int.from_bytes(os.urandom(DH_PRIVATE_BYTES), "big") | 1 << 255
        public = pow(2, private, DH_PRIME).to_bytes(128, "big")
        try:
            output, path = self._call(
                SERVICE_PATH, SERVICE_IFACE, "OpenSession", "sv", ALGORITHM_DH, ("ay", public)
            )
        except SecretServiceError as e:
            if e.name != _NOT_SUPPORTED:
                raise
            _output, path = self._call(
                SERVICE_PATH, SERVICE_IFACE, "OpenSession", "sv", ALGORITHM_PLAIN, ("s", "")
            )
            return str(path), None
        signature, value = output
        server = int.from_bytes(bytes(value), "big") if signature == "ay" else 0
        if not 1 < server < DH_PRIME - 1:
            raise SecretServiceError("the Secret Service sent an invalid session key")
        shared = pow(server, private, DH_PRIME).to_bytes(128, "big")
        return str(path), _hkdf_sha256_16(shared)

    def _search(self, service: str, username: str) -> list[str]:
        attributes = {"username": username, "service": service}
        (found,) = self._call(self.collection, COLLECTION_IFACE, "SearchItems", "a{ss}", attributes)
        return [str(p) for p in found]

    def _secret(self, item: str) -> bytes:
        path, key = self._get_session()
        try:
            (secret,) = self._call(item, ITEM_IFACE, "GetSecret", "o", path)
        except SecretServiceLocked:  # an item locked on its own (KeePassXC can)
            self._unlock([item])
            (secret,) = self._call(item, ITEM_IFACE, "GetSecret", "o", path)
        _session, iv, value, _content_type = secret
        return bytes(value) if key is None else decrypt_secret(key, bytes(iv), bytes(value))
