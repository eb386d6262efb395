"""Can a window open here? Asked before Qt is imported (gui/earlyinit.py).

Without a display Qt's xcb plugin aborts the process with a message about
plugins; this says why in one sentence instead. X11 is asked by connecting
to the server's socket, Wayland by its socket file; platforms that need no
display server, and ones we do not know, are left to Qt.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

NO_DISPLAY = (
    "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); start "
    "Token Manager from a desktop session, or use the command line: tokenmgr --help"
)
# Qt platforms that need no display server.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def _x_reachable(display: str) -> bool:
    """Does an X server answer at `display` (":0", "unix:0", "host:0.0")?"""
    import socket

    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return True  # a form we do not know: let Qt judge
    if host in ("", "unix") or host.startswith("/"):
        path = host if host.startswith("/") else f"/tmp/.X11-unix/X{number}"
        for address in ("\0" + path, path):  # Linux's abstract socket, then the file
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as s:
                s.settimeout(1.0)
                s.connect(address)
                return True
        return False
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=1.0):
            return True
    except (OSError, UnicodeError):  # UnicodeError: not a host name at all
        return False


def _wayland_reachable(env: Mapping[str, str]) -> bool:
    name = env.get("WAYLAND_DISPLAY", "")
    path = Path(name) if os.path.isabs(name) else Path(env.get("XDG_RUNTIME_DIR", "")) / name
    return bool(name) and path.exists()


def display_problem(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Why no window can open here, as a sentence; None when one can."""
    if platform in ("win32", "darwin", "cygwin"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if qpa in HEADLESS_PLATFORMS:
        return None
    display, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if not display and not wayland:
        return NO_DISPLAY
    if wayland and qpa in ("", "wayland") and _wayland_reachable(env):
        return None
    if display and qpa in ("", "xcb") and _x_reachable(display):
        return None
    if qpa and qpa not in ("xcb", "wayland"):
        return None  # another platform plugin: Qt knows better
    shown = display or wayland
    return (
        f"cannot open the display {shown} (nothing answers there); start Token Manager "
        "from a desktop session, or use the command line: tokenmgr --help"
    )
