"""A Secret Service client with keyring's backend interface and keyring's item layout.

`SecretServiceKeyring` has `get_password`, `set_password` and `delete_password`
and keeps items exactly as keyring's own `keyring.backends.SecretService.Keyring`
does: in the default collection, with the attributes `username` and `service`
(plus `application` on write) and the same label. So `keyring get`,
libsecret's `secret-tool lookup service … username …` and tokenmgr read each
other's items.

The session crypto is the specification's, in `dh_session.py`. What this module
adds, and why it does not simply call keyring:

* one D-Bus connection and one session per instance, reused by every call
  (keyring opens both again for every call, and importing keyring costs more
  than the secret read);
* secrets only ever travel in an encrypted session: a service that offers only
  `plain` is refused (`SecretServicePlainOnly`) before any secret is sent or
  asked for;
* a prompt's `Completed` signal is taken only from the connection that owns
  `org.freedesktop.secrets` at the time: any other peer on the bus can send a
  signal to us, and a forged "dismissed" or "done" must not decide anything;
* every call of ours has a reply timeout.

A locked collection is unlocked through the service's prompt, and a dismissed
(or impossible) prompt is `SecretServiceLocked`; no session bus, or no Secret
Service on it, is `SecretServiceUnavailable`. One difference from keyring: a
read from a session with no default collection finds nothing (keyring would
first create the collection, with a prompt); writes create it.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tokenmgr.core.stores import dh_session

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
SERVICE_IFACE = "org.freedesktop.Secret.Service"
COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
ITEM_IFACE = "org.freedesktop.Secret.Item"
PROMPT_IFACE = "org.freedesktop.Secret.Prompt"
SESSION_IFACE = "org.freedesktop.Secret.Session"
PROPERTIES_IFACE = "org.freedesktop.DBus.Properties"
DBUS_NAME = "org.freedesktop.DBus"
DBUS_PATH = "/org/freedesktop/DBus"

# keyring's SecretService backend writes this `application` attribute (`Keyring.appid`).
APPLICATION = "Python keyring library"
ALGORITHM_DH = dh_session.ALGORITHM
ALGORITHM_PLAIN = "plain"
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


class SecretServicePlainOnly(SecretServiceError):
    """The service offers no encrypted session: secrets would cross the bus in the clear."""


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


class SecretServiceKeyring:
    """keyring's backend interface on one D-Bus connection to the Secret Service.

    Thread-safe: calls are serialised (a jeepney blocking connection is not
    shared between threads). The connection opens on the first call, the
    encrypted session on the first call that carries a secret (or `open_session`).
    """

    def __init__(
        self, env: Mapping[str, str] | None = None, *, collection: str = DEFAULT_COLLECTION
    ) -> None:
        env = os.environ if env is None else env
        self.address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
        self.collection = collection
        self.connections_opened = 0  # tests check that calls share one connection
        # The algorithm of the session in use (or refused): what `tokenmgr doctor` reports.
        self.session_algorithm: str | None = None
        self._conn: Any = None
        self._session: _Session | None = None
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
            session = self._get_session()
            iv, ciphertext = dh_session.encrypt(session.key, password.encode("utf-8"))
            secret = (session.path, iv, ciphertext, "text/plain")
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
                secret,
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

    def open_session(self) -> str:
        """Open the encrypted session now (or refuse a service without one); its algorithm."""
        self._run(self._get_session)
        return ALGORITHM_DH

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
        """Show the service's prompt and wait for the user; True if it was dismissed.

        Only a `Completed` sent by the service itself counts: the signal is matched on
        its sender, the unique name that owns org.freedesktop.secrets now (the bus
        daemon stamps every message with its sender's unique name, so it cannot be
        forged; a well-known name never appears there)."""
        from jeepney import MatchRule, MessageType

        (owner,) = self._call(
            DBUS_PATH, DBUS_NAME, "GetNameOwner", "s", BUS_NAME, destination=DBUS_NAME
        )
        conn = self._connection()
        rule = MatchRule(
            type=MessageType.signal,
            sender=owner,
            interface=PROMPT_IFACE,
            member="Completed",
            path=prompt,
        )
        # gnome-keyring sends the signal to us; services that broadcast it need a match
        # rule on the bus (the bus resolves its well-known sender to the owner).
        bus_rule = MatchRule(
            type=MessageType.signal,
            sender=BUS_NAME,
            interface=PROMPT_IFACE,
            member="Completed",
            path=prompt,
        )
        bus = (DBUS_PATH, DBUS_NAME)
        self._call(*bus, "AddMatch", "s", bus_rule.serialise(), destination=DBUS_NAME)
        try:
            with conn.filter(rule) as signals:
                self._call(prompt, PROMPT_IFACE, "Prompt", "s", "")
                message = conn.recv_until_filtered(signals)  # the user is at the prompt
        finally:  # best effort: a failure here must not hide the prompt's own
            with contextlib.suppress(SecretServiceError, OSError):
                self._call(*bus, "RemoveMatch", "s", bus_rule.serialise(), destination=DBUS_NAME)
        dismissed, _result = message.body
        return bool(dismissed)

    def _get_session(self) -> _Session:
        if self._session is None:
            self._session = self._open_session()
        return self._session

    def _open_session(self) -> _Session:
        """An encrypted session, or SecretServicePlainOnly: `plain` is never asked for."""
        exchange = dh_session.Exchange()
        try:
            output, path = self._call(
                SERVICE_PATH, SERVICE_IFACE, "OpenSession", "sv", ALGORITHM_DH,
                ("ay", exchange.public),
            )
        except SecretServiceError as e:
            if e.name != _NOT_SUPPORTED:
                raise
            self.session_algorithm = ALGORITHM_PLAIN
            raise SecretServicePlainOnly(
                f"the Secret Service offers only unencrypted ('{ALGORITHM_PLAIN}') sessions",
                e.name,
            ) from None
        signature, value = output
        try:
            key = exchange.key(bytes(value) if signature == "ay" else b"")
        except dh_session.SessionKeyError as e:
            raise SecretServiceError(str(e)) from None
        self.session_algorithm = ALGORITHM_DH
        return _Session(str(path), key)

    def _search(self, service: str, username: str) -> list[str]:
        attributes = {"username": username, "service": service}
        (found,) = self._call(self.collection, COLLECTION_IFACE, "SearchItems", "a{ss}", attributes)
        return [str(p) for p in found]

    def _secret(self, item: str) -> bytes:
        session = self._get_session()
        try:
            (secret,) = self._call(item, ITEM_IFACE, "GetSecret", "o", session.path)
        except SecretServiceLocked:  # an item locked on its own (KeePassXC can)
            self._unlock([item])
            (secret,) = self._call(item, ITEM_IFACE, "GetSecret", "o", session.path)
        _session, iv, value, _content_type = secret
        try:
            return dh_session.decrypt(session.key, bytes(iv), bytes(value))
        except dh_session.SessionKeyError as e:
            raise SecretServiceError(str(e)) from None


@dataclass
class _Session:
    """An open encrypted session: its object path and its AES key (never shown)."""

    path: str
    key: bytes = field(repr=False)
