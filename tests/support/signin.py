"""What the embedded sign-in tests share: the app's environment with DevTools on (so a
test can play the person on the provider's page, tests/support/devtools.py), a record of
who reached the loopback listener, and the processes a sign-in window leaves behind.
The fixtures built on them (`app_env`, `listener_spy`, `no_window_left`) are in
tests/gui/conftest.py."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.devtools import Person


@dataclass
class AppEnv:
    """The environment the app runs with: DevTools on `port`, its own data and cache
    directories (to see that the off-the-record browser writes nothing there)."""

    env: dict[str, str]
    port: int
    data: Path
    cache: Path

    def person(self, *, play: bool = True, decline: bool = False) -> Person:
        p = Person(self.port, play=play, decline=decline)
        p.start()
        return p


@dataclass
class ListenerSpy:
    """Every request the loopback listener answered: (path, User-Agent)."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def user_agents(self) -> list[str]:
        return [ua for _path, ua in self.requests]


def process_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, name) of the live processes under `pid`."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(")") + 2 :].split()
        if rest[0] == "Z":
            continue
        children.setdefault(int(rest[1]), []).append(int(entry))
        names[int(entry)] = stat[stat.index("(") + 1 : stat.rindex(")")]
    out: list[tuple[int, str]] = []
    todo = list(children.get(pid, []))
    while todo:
        p = todo.pop()
        out.append((p, names.get(p, "?")))
        todo.extend(children.get(p, []))
    return out


def session_members(sid: int) -> list[int]:
    """The live processes of session `sid` (the sign-in window's, and its browser's)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if rest[0] != "Z" and int(rest[3]) == sid:
            out.append(int(entry))
    return out


def browser_helpers(sid: int) -> list[int]:
    """The QtWebEngine processes of session `sid`."""
    out = []
    for pid in session_members(sid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"QtWebEngineProcess" in f.read():
                    out.append(pid)
        except OSError:
            pass
    return out


def wait_gone(pids: list[int], timeout: float = 20.0, qtbot: Any = None) -> list[int]:
    """Waits until none of `pids` is alive (running Qt's event loop meanwhile when given
    `qtbot`: the app writes to the window's pipe and reaps it from there); those still
    alive at the deadline."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if process_alive(p)]
    while alive and time.monotonic() < deadline:
        if qtbot is not None:
            qtbot.wait(50)
        else:
            time.sleep(0.05)
        alive = [p for p in alive if process_alive(p)]
    return alive
