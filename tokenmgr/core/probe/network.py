"""Is the machine offline, or on a metered connection? Asked of the desktop.

On Linux the desktop's answer is NetworkManager's, on the system bus: its `State`
(asleep or disconnected: offline), `Connectivity` (none: offline) and `Metered`
(yes, or guessed yes). Background checks and the one check `add` makes skip the
network when either says so; a check someone asks for explicitly goes ahead.

Anything else (no system bus, no NetworkManager, another platform) is "don't know",
and a check goes ahead. One short D-Bus call through jeepney, with a timeout.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger("tokenmgr.probe.network")

BUS_NAME = "org.freedesktop.NetworkManager"
PATH = "/org/freedesktop/NetworkManager"
TIMEOUT = 1.0
SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket"

# NetworkManager's enums (NMState, NMConnectivityState, NMMetered).
NM_STATE_ASLEEP = 10
NM_STATE_DISCONNECTED = 20
NM_CONNECTIVITY_NONE = 1
NM_METERED_YES = 1
NM_METERED_GUESS_YES = 3


@dataclass(frozen=True)
class NetworkState:
    offline: bool
    metered: bool

    def reason(self) -> str:
        """Why nothing is sent ("" when something may be)."""
        if self.offline:
            return "the desktop says this computer is offline"
        if self.metered:
            return "the desktop says the connection is metered"
        return ""


def network_state(env: Mapping[str, str]) -> NetworkState | None:
    """The desktop's view of the network, or None when it cannot say."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        from jeepney import DBusAddress, MessageType, Properties  # type: ignore[import-untyped]
        from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
    except ImportError:
        return None
    address = env.get("DBUS_SYSTEM_BUS_ADDRESS") or SYSTEM_BUS
    nm = DBusAddress(PATH, bus_name=BUS_NAME, interface=BUS_NAME)
    try:
        with open_dbus_connection(bus=address, enable_fds=False) as conn:
            reply = conn.send_and_get_reply(Properties(nm).get_all(), timeout=TIMEOUT)
    except Exception as e:  # no bus, no permission, a timeout: the desktop cannot say
        log.debug("NetworkManager did not answer (%s)", type(e).__name__)
        return None
    if reply.header.message_type != MessageType.method_return:
        log.debug("NetworkManager is not running")
        return None
    props = {k: v for k, (_sig, v) in reply.body[0].items()}
    state, connectivity, metered = (props.get(k) for k in ("State", "Connectivity", "Metered"))
    return NetworkState(
        offline=state in (NM_STATE_ASLEEP, NM_STATE_DISCONNECTED)
        or connectivity == NM_CONNECTIVITY_NONE,
        metered=metered in (NM_METERED_YES, NM_METERED_GUESS_YES),
    )
