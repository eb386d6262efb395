"""A stand-in Secret Service on a private D-Bus bus, for what gnome-keyring cannot
be made to do: offer only `plain` sessions, or have another peer forge a prompt's
`Completed` signal while the user is at the prompt.

It is a real D-Bus service (jeepney, on a `dbus-daemon` of its own) that answers
the calls tokenmgr's client makes, keeps one item, and logs every method it
receives, so a test can show that a secret was never asked for or sent.

    with StandInSecretService("plain-only") as ss:   # DH refused, plain offered
        ... ss.env, ss.calls()
    with StandInSecretService("forged-prompt", forged_dismissed=True) as ss:
        # the collection is locked; its unlock prompt is answered twice: first by an
        # intruder's connection (a forged Completed), then by the service itself

Run as a module, it is the service process: `python -m tests.support.standin_secret_service
ADDRESS MODE LOG [FORGED_DISMISSED] [SERVICE USERNAME SECRET]`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BUS_NAME = "org.freedesktop.secrets"
COLLECTION = "/org/freedesktop/secrets/collection/login"
ALIAS = "/org/freedesktop/secrets/aliases/default"
ITEM = COLLECTION + "/1"
PROMPT = "/org/freedesktop/secrets/prompt/p1"
SESSION = "/org/freedesktop/secrets/session/s1"
SS = "org.freedesktop.Secret."
ROOT = Path(__file__).resolve().parents[2]


class StandInSecretService:
    def __init__(
        self,
        mode: str,
        *,
        forged_dismissed: bool = True,
        item: tuple[str, str, str] | None = None,
    ) -> None:
        self.mode = mode
        self.forged_dismissed = forged_dismissed
        self.item = item  # (service, username, secret) it holds
        self.dir = Path(tempfile.mkdtemp(prefix="tokenmgr-standin-"))
        self.log = self.dir / "calls.log"
        self.address = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._service: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def calls(self) -> list[str]:
        """`Interface.Method` of every call the service received, in order."""
        return self.log.read_text().split() if self.log.exists() else []

    def start(self) -> StandInSecretService:
        self._bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._bus.stdout is not None
        self.address = self._bus.stdout.readline().decode().strip()
        args = [self.address, self.mode, str(self.log), "1" if self.forged_dismissed else "0"]
        if self.item is not None:
            args.extend(self.item)
        self._service = subprocess.Popen(
            [sys.executable, "-m", "tests.support.standin_secret_service", *args],
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            stdout=subprocess.PIPE,
        )
        assert self._service.stdout is not None
        if self._service.stdout.readline().strip() != b"ready":  # it owns the name now
            self.stop()
            raise RuntimeError("the stand-in Secret Service did not start")
        return self

    def stop(self) -> None:
        for proc in (self._service, self._bus):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> StandInSecretService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------ the service process


def _serve(
    address: str, mode: str, log: str, forged_dismissed: bool, item: tuple[str, ...]
) -> None:
    from jeepney import (
        DBusAddress,
        HeaderFields,
        MessageType,
        new_error,
        new_method_call,
        new_method_return,
        new_signal,
    )
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(address)
    intruder = open_dbus_connection(address)  # another peer on the same bus
    conn.send_and_get_reply(message_bus.RequestName(BUS_NAME))
    locked = mode == "forged-prompt"
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    def completed(dismissed: bool, to: str) -> Any:
        signal = new_signal(
            DBusAddress(PROMPT, interface=SS + "Prompt"),
            "Completed",
            "bv",
            (dismissed, ("ao", [] if dismissed else [COLLECTION])),
        )
        signal.header.fields[HeaderFields.destination] = to
        return signal

    while True:
        msg = conn.receive()
        h = msg.header
        if h.message_type != MessageType.method_call:
            continue
        iface, member = h.fields.get(HeaderFields.interface), h.fields[HeaderFields.member]
        path = h.fields[HeaderFields.path]
        with open(log, "a") as f:
            f.write(f"{iface}.{member}\n")
        reply: Any
        if member == "Get" and iface == "org.freedesktop.DBus.Properties":
            _iface, prop = msg.body
            value = {"Locked": ("b", locked), "Label": ("s", "Login")}.get(prop)
            if path not in (COLLECTION, ALIAS, ITEM) or value is None:
                reply = new_error(msg, "org.freedesktop.DBus.Error.UnknownObject")
            else:
                reply = new_method_return(msg, "v", (value,))
        elif member == "OpenSession":
            algorithm, _input = msg.body
            if algorithm != "plain":  # the only algorithm this service offers
                reply = new_error(
                    msg, "org.freedesktop.DBus.Error.NotSupported", "s", ("plain only",)
                )
            else:
                reply = new_method_return(msg, "vo", (("s", ""), SESSION))
        elif member == "SearchItems":
            (attributes,) = msg.body
            match = item and attributes.get("service") == item[0]
            found = [ITEM] if match and attributes.get("username") == item[1] else []
            reply = new_method_return(msg, "ao", (found,))
        elif member == "GetSecret":  # over a plain session: the secret in the clear
            secret = (SESSION, b"", item[2].encode(), "text/plain")
            reply = new_method_return(msg, "(oayays)", (secret,))
        elif member == "Unlock":
            reply = new_method_return(msg, "aoo", ([], PROMPT))
        elif member == "Prompt":
            caller = h.fields[HeaderFields.sender]
            conn.send(new_method_return(msg))
            # The intruder answers first; its round trip to the bus makes sure the bus
            # has passed the forgery on before the service answers for real.
            intruder.send(completed(forged_dismissed, caller))
            ping = new_method_call(
                DBusAddress(
                    "/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus.Peer"
                ),
                "Ping",
            )
            intruder.send_and_get_reply(ping)
            locked = not forged_dismissed  # the user does the opposite of the forgery
            reply = completed(not forged_dismissed, caller)
        else:  # CreateItem, Delete, Close, ... : recorded, refused
            reply = new_error(msg, "org.freedesktop.DBus.Error.NotSupported")
        conn.send(reply)


if __name__ == "__main__":
    address_, mode_, log_, forged_ = sys.argv[1:5]
    _serve(address_, mode_, log_, forged_ == "1", tuple(sys.argv[5:8]))
