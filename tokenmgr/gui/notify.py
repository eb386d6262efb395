"""Desktop notifications: `org.freedesktop.Notifications` on the session bus, else the
tray icon's balloon (Windows, macOS, desktops without a notification service).

The D-Bus call must carry exactly the types of the specification,
`Notify(susssasa{sv}i)`: real daemons refuse anything else. PySide6's QtDBus
marshals every Python int as `int32` and cannot send the `uint32`
`replaces_id`, so the call goes through jeepney (a pure-Python D-Bus library
keyring already brings on Linux), which takes the signature as written. The
same connection receives `ActionInvoked` and `NotificationClosed`; they are
taken only from the connection that owns `org.freedesktop.Notifications`
when they arrive (any other program on the bus can send a signal of that name,
even to us alone), then handed to the GUI thread as a Qt signal.

A notification names an entry and says what to do; it never holds token text.
The body is plain text: where the service renders markup in bodies
(`body-markup`), it is escaped, so an entry's note or a server's words never
turn into links or formatting.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("tokenmgr.gui.notify")

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
APP_NAME = "Token Manager"
DESKTOP_ENTRY = "io.github.tokenmgr"  # gui/icons.APP_ID: the desktop file and icon name
URGENCY_NORMAL, URGENCY_CRITICAL = 1, 2
CALL_TIMEOUT = 5.0


def escape_markup(text: str) -> str:
    """`text` as the specification's body markup shows it: as itself."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Notifier(QObject):
    """Sends notifications; `action_invoked(entry name, action key)` when one is clicked.

    `tray` (a QSystemTrayIcon, or None) is the fallback when no notification service
    answers on the session bus.
    """

    action_invoked = Signal(str, str)
    _tray_requested = Signal(str, str, str, str)
    sent = Signal(str, str)  # entry name, backend ("dbus" or "tray"): for tests and logs
    failed = Signal(str)  # why (no daemon, refused)

    def __init__(self, tray: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = tray
        self._router: Any = None
        self._filter: Any = None
        self._lock = threading.Lock()
        self._by_id: dict[int, str] = {}  # notification id → entry name
        self._markup = False  # the service renders markup in bodies
        self._tray_entry: str | None = None
        self._tray_action = ""
        self._tried_dbus = False
        self._tray_requested.connect(self._on_tray_requested)
        if tray is not None:
            tray.messageClicked.connect(self._on_tray_message_clicked)

    # ------------------------------------------------------------------ API

    def notify(
        self,
        entry: str,
        summary: str,
        body: str,
        *,
        action: tuple[str, str] | None = None,
        critical: bool = False,
    ) -> None:
        """Show `summary`/`body` about `entry`, with one `(key, label)` action if given.

        Returns at once; the D-Bus call runs on a short-lived thread."""
        threading.Thread(
            target=self._send, args=(entry, summary, body, action, critical), daemon=True
        ).start()

    def close(self) -> None:
        with self._lock:
            router, self._router = self._router, None
        if router is not None:
            with contextlib.suppress(Exception):
                self._filter.close()
                self._filter.queue.put(None)  # ends the listener thread
                router.close()
                router.conn.close()

    # ------------------------------------------------------------ D-Bus

    def _connect(self) -> Any:
        """The session bus router, subscribed to ActionInvoked (None without a daemon)."""
        with self._lock:
            if self._router is not None or self._tried_dbus:
                return self._router
            self._tried_dbus = True
            if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") and os.name != "posix":
                return None
            try:
                from jeepney import (  # type: ignore[import-untyped]
                    DBusAddress,
                    MatchRule,
                    message_bus,
                    new_method_call,
                )
                from jeepney.io.threading import (  # type: ignore[import-untyped]
                    DBusRouter,
                    open_dbus_connection,
                )

                router = DBusRouter(open_dbus_connection(bus="SESSION"))
                reply = router.send_and_get_reply(
                    new_method_call(message_bus, "NameHasOwner", "s", (BUS_NAME,)),
                    timeout=CALL_TIMEOUT,
                )
                if not reply.body or not reply.body[0]:
                    router.close()
                    return None
                address = DBusAddress(PATH, bus_name=BUS_NAME, interface=BUS_NAME)
                caps = router.send_and_get_reply(
                    new_method_call(address, "GetCapabilities"), timeout=CALL_TIMEOUT
                )
                self._markup = bool(caps.body) and "body-markup" in caps.body[0]
                # The bus delivers only the owner's signals to this rule; what arrives
                # anyway (a signal sent to us directly) is checked again in _listen.
                rule = MatchRule(type="signal", sender=BUS_NAME, interface=BUS_NAME, path=PATH)
                router.send_and_get_reply(
                    new_method_call(message_bus, "AddMatch", "s", (rule.serialise(),)),
                    timeout=CALL_TIMEOUT,
                )
                local = MatchRule(type="signal", interface=BUS_NAME, path=PATH)
                self._filter = router.filter(local, bufsize=64)
                self._router = router
                self._address = address
                self._new_call = new_method_call
                queue = self._filter.queue
                threading.Thread(target=self._listen, args=(queue,), daemon=True).start()
            except Exception as e:  # no session bus, no jeepney, a refusal: use the tray
                log.debug("notifications: no D-Bus service (%s)", type(e).__name__)
                self._router = None
            return self._router

    def _send(
        self,
        entry: str,
        summary: str,
        body: str,
        action: tuple[str, str] | None,
        critical: bool,
    ) -> None:
        router = self._connect()
        if router is None:
            self._fallback(entry, summary, body, action)
            return
        actions = [action[0], action[1]] if action else []
        if self._markup:
            body = escape_markup(body)
        hints = {
            "urgency": ("y", URGENCY_CRITICAL if critical else URGENCY_NORMAL),
            "desktop-entry": ("s", DESKTOP_ENTRY),
        }
        msg = self._new_call(
            self._address,
            "Notify",
            "susssasa{sv}i",
            (APP_NAME, 0, DESKTOP_ENTRY, summary, body, actions, hints, -1),
        )
        try:
            reply = router.send_and_get_reply(msg, timeout=CALL_TIMEOUT)
        except Exception as e:
            log.debug("notifications: Notify failed (%s)", type(e).__name__)
            self._fallback(entry, summary, body, action)
            return
        from jeepney import MessageType  # type: ignore[import-untyped]

        if reply.header.message_type == MessageType.error:
            log.warning("the notification service refused a notification: %s", reply.body[:1])
            with contextlib.suppress(RuntimeError):
                self.failed.emit("refused")
            self._fallback(entry, summary, body, action)
            return
        with self._lock:
            self._by_id[int(reply.body[0])] = entry
        with contextlib.suppress(RuntimeError):  # the app is quitting
            self.sent.emit(entry, "dbus")

    def _listen(self, queue: Any) -> None:
        """Read the filter's queue (fed by jeepney's receiver thread): an action or a close
        from the notification service becomes a Qt signal, or forgets the notification."""
        from jeepney import HeaderFields  # type: ignore[import-untyped]

        while True:
            try:
                msg = queue.get()
            except Exception:
                return
            if msg is None:
                return
            member = msg.header.fields.get(HeaderFields.member)
            if member not in ("ActionInvoked", "NotificationClosed"):
                continue
            if msg.header.fields.get(HeaderFields.sender) != self._service_owner():
                log.warning("notifications: ignored a %s signal from %s, which is not the "
                            "notification service", member,
                            msg.header.fields.get(HeaderFields.sender))
                continue
            try:
                nid = int(msg.body[0])
                key = str(msg.body[1]) if member == "ActionInvoked" else ""
            except (IndexError, TypeError, ValueError):
                continue
            with self._lock:
                entry = self._by_id.get(nid) if key else self._by_id.pop(nid, None)
            if entry is not None and key:
                with contextlib.suppress(RuntimeError):
                    self.action_invoked.emit(entry, key)

    def _service_owner(self) -> str | None:
        """The unique bus name that owns org.freedesktop.Notifications now."""
        from jeepney import MessageType, message_bus, new_method_call

        with self._lock:
            router = self._router
        if router is None:
            return None
        try:
            reply = router.send_and_get_reply(
                new_method_call(message_bus, "GetNameOwner", "s", (BUS_NAME,)),
                timeout=CALL_TIMEOUT,
            )
        except Exception:
            return None
        if reply.header.message_type == MessageType.error or not reply.body:
            return None
        return str(reply.body[0])

    # ------------------------------------------------------------- tray

    def _fallback(
        self, entry: str, summary: str, body: str, action: tuple[str, str] | None
    ) -> None:
        if self.tray is None:
            with contextlib.suppress(RuntimeError):
                self.failed.emit("no notification service and no tray")
            return
        # showMessage must run on the GUI thread: hand over through a queued signal.
        with contextlib.suppress(RuntimeError):
            self._tray_requested.emit(entry, summary, body, action[0] if action else "")

    def _on_tray_requested(self, entry: str, summary: str, body: str, key: str) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        self._tray_entry, self._tray_action = entry, key or "default"
        self.tray.showMessage(summary, body, QSystemTrayIcon.MessageIcon.Information, 15000)
        self.sent.emit(entry, "tray")

    def _on_tray_message_clicked(self) -> None:
        if self._tray_entry is not None:
            self.action_invoked.emit(self._tray_entry, self._tray_action)
