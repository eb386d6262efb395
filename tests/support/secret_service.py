"""A real Secret Service for tests: a private D-Bus session bus + gnome-keyring.

`SecretServiceSession.start()` runs `dbus-daemon` (session config) and
`gnome-keyring-daemon --unlock --components=secrets` with a throw-away HOME,
waits until `org.freedesktop.secrets` has an owner, and exposes the bus
address. DISPLAY is removed from the daemons' environment: with a display, a
locked collection would open an unlock prompt and keyring calls would hang.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PASSWORD = "tokenmgr-test-keyring-password"


class SecretServiceUnavailable(RuntimeError):
    pass


def missing_tools() -> list[str]:
    return [t for t in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(t) is None]


class SecretServiceSession:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-ss-"))
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._keyring: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """Variables a process needs to reach this Secret Service."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def start(self) -> SecretServiceSession:
        missing = missing_tools()
        if missing:
            raise SecretServiceUnavailable(
                f"missing {', '.join(missing)}: run `make test` (it installs them) "
                "or apt-get install dbus gnome-keyring"
            )
        home = self.dir / "home"
        runtime = self.dir / "run"
        for d in (home, runtime):
            d.mkdir(mode=0o700)
        base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        base.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_RUNTIME_DIR=str(runtime),
        )
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=base,
        )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        if not self.address:
            self.stop()
            raise SecretServiceUnavailable("dbus-daemon printed no address")
        env = dict(base, DBUS_SESSION_BUS_ADDRESS=self.address)
        # Its messages are kept: a daemon that ends says why there.
        self.log = self.dir / "gnome-keyring.log"
        with open(self.log, "ab") as log:
            self._keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=log,
                env=env,
            )
        assert self._keyring.stdin is not None
        self._keyring.stdin.write(PASSWORD.encode())
        self._keyring.stdin.close()
        self._wait_for_owner(env)
        return self

    def _wait_for_owner(self, env: dict[str, str]) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = subprocess.run(
                [
                    "dbus-send",
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if "boolean true" in r.stdout:
                return
            if self._keyring is not None and self._keyring.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise SecretServiceUnavailable("gnome-keyring-daemon did not take org.freedesktop.secrets")

    def alive(self) -> bool:
        """Whether the daemon started here still runs (a crashed one is replaced by the
        bus with a fresh, locked one, which every later test would find locked)."""
        return self._keyring is not None and self._keyring.poll() is None

    def restart(self) -> str:
        """A new private bus and unlocked daemon after the old daemon ended; returns what
        the old one said last, to be reported."""
        said = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        self.stop()
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-ss-"))
        self._bus = self._keyring = None
        self.start()
        return said

    def stop(self) -> None:
        for proc in (self._keyring, self._bus):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SecretServiceSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
