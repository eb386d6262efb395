"""A stand-in NetworkManager on a private D-Bus bus, for the offline / metered tests.

`dbus-daemon` runs with the session configuration (any process of ours may own a
name on it); its address is what the code under test gets as
`DBUS_SYSTEM_BUS_ADDRESS`. A thread owns `org.freedesktop.NetworkManager` there and
answers `org.freedesktop.DBus.Properties.Get/GetAll` on `/org/freedesktop/
NetworkManager` with the `State`, `Connectivity` and `Metered` the test sets, as the
real daemon's properties (uint32 enums). It counts the calls it answered.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from typing import Any

NM = "org.freedesktop.NetworkManager"
PATH = "/org/freedesktop/NetworkManager"

# NMState, NMConnectivityState, NMMetered values.
CONNECTED_GLOBAL, DISCONNECTED, ASLEEP = 70, 20, 10
FULL, NONE, PORTAL = 4, 1, 2
METERED_YES, METERED_NO, GUESS_YES, GUESS_NO = 1, 2, 3, 4


def missing_tools() -> list[str]:
    return [t for t in ("dbus-daemon",) if shutil.which(t) is None]


class NetworkManagerStandIn:
    def __init__(self) -> None:
        self.state = CONNECTED_GLOBAL
        self.connectivity = FULL
        self.metered = METERED_NO
        self.calls = 0
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._conn: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> NetworkManagerStandIn:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        self._conn = open_dbus_connection(bus=self.address)
        reply = self._conn.send_and_get_reply(message_bus.RequestName(NM), timeout=5)
        assert reply.body == (1,), reply.body  # primary owner
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _props(self) -> dict[str, tuple[str, int]]:
        return {
            "State": ("u", self.state),
            "Connectivity": ("u", self.connectivity),
            "Metered": ("u", self.metered),
        }

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                return
            if msg.header.message_type != MessageType.method_call:
                continue
            fields = msg.header.fields
            member = fields.get(HeaderFields.member)
            path = fields.get(HeaderFields.path)
            if path == PATH and member == "GetAll" and msg.body[0] == NM:
                self.calls += 1
                self._conn.send(new_method_return(msg, "a{sv}", (self._props(),)))
            elif path == PATH and member == "Get" and msg.body[0] == NM:
                self.calls += 1
                self._conn.send(new_method_return(msg, "v", (self._props()[msg.body[1]],)))
            else:
                self._conn.send(
                    new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", ("no",))
                )

    @property
    def env(self) -> dict[str, str]:
        return {"DBUS_SYSTEM_BUS_ADDRESS": self.address}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._conn is not None:
            self._conn.close()
        if self._bus is not None:
            self._bus.terminate()
            self._bus.wait(5)

    def __enter__(self) -> NetworkManagerStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
