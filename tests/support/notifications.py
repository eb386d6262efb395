"""A real notification daemon for tests: `dunst` on an Xvfb display, owning
`org.freedesktop.Notifications` on a private D-Bus session bus, with `dbus-monitor`
recording every call and reply on that bus. The gui tests' `notification_daemon`
fixture (tests/gui/conftest.py) starts one for a test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.xvfb import XServer

TOOLS = ("dbus-daemon", "dbus-monitor", "dunst", "dunstctl", "Xvfb")


class NotificationDaemon:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-notify-"))
        self.address = ""
        self.x = XServer(640, 480)
        self.monitor_log = self.dir / "monitor.txt"
        self._procs: list[subprocess.Popen[bytes]] = []

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        env.update(DBUS_SESSION_BUS_ADDRESS=self.address, DISPLAY=self.x.display)
        env["HOME"] = str(self.dir)  # dunst reads no user config
        return env

    def start(self) -> NotificationDaemon:
        missing = [t for t in TOOLS if shutil.which(t) is None]
        if missing:
            raise RuntimeError(f"missing {', '.join(missing)}: `make test` installs them")
        self.x.start()
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(bus)
        assert bus.stdout is not None
        self.address = bus.stdout.readline().decode().strip()
        if not self.address:
            self.stop()
            raise RuntimeError("dbus-daemon did not start")
        mon = subprocess.Popen(
            ["dbus-monitor", "--address", self.address],
            stdout=self.monitor_log.open("wb"),
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(mon)
        # Only once dbus-monitor has become a monitor (its own name is dropped) does it see
        # every later call.
        deadline = time.monotonic() + 20
        while "member=NameLost" not in self.monitor():
            if time.monotonic() > deadline or mon.poll() is not None:
                self.stop()
                raise RuntimeError("dbus-monitor did not start monitoring")
            time.sleep(0.05)
        dunst = subprocess.Popen(
            ["dunst"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._procs.append(dunst)
        deadline = time.monotonic() + 20
        while not self._owned():
            if time.monotonic() > deadline or dunst.poll() is not None:
                self.stop()
                raise RuntimeError("dunst did not take org.freedesktop.Notifications")
            time.sleep(0.1)
        return self

    def _owned(self) -> bool:
        r = subprocess.run(
            [
                "dbus-send",
                f"--bus={self.address}",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return "boolean true" in r.stdout

    def dunstctl(self, *args: str) -> str:
        r = subprocess.run(
            ["dunstctl", *args], env=self.env, capture_output=True, text=True, timeout=10
        )
        return r.stdout

    def monitor(self) -> str:
        return self.monitor_log.read_text(errors="replace")

    def stop(self) -> None:
        for p in reversed(self._procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
        self._procs.clear()
        self.x.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def notify_calls(log: str) -> list[str]:
    """The Notify method calls in dbus-monitor's log, each with its arguments."""
    import re

    blocks = re.split(r"\n(?=\S)", log)
    return [b for b in blocks if b.startswith("method call") and "member=Notify" in b]
