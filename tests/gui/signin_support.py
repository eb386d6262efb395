"""What the embedded sign-in tests share: the app's environment with DevTools on (so a
test can play the person on the provider's page, tests/support/devtools.py), a vault
on the real gnome-keyring, a spy on the loopback listener, and the processes a sign-in
window leaves behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.devtools import Person, debugging_env, free_port
from tokenmgr.core.oauth import loopback


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


@pytest.fixture
def app_env(tmp_path: Path) -> AppEnv:
    port = free_port()
    data, cache = tmp_path / "xdg-data", tmp_path / "xdg-cache"
    data.mkdir()
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOKENMGR_")}
    env.update(debugging_env(port))
    env.update(XDG_DATA_HOME=str(data), XDG_CACHE_HOME=str(cache))
    return AppEnv(env, port, data, cache)


@pytest.fixture
def no_window_left(qtbot: Any) -> Iterator[None]:
    """After the test, every sign-in window process it started has ended (a closing one
    is waited for with Qt's event loop running, as the app would)."""
    yield
    from PySide6.QtWidgets import QApplication

    from tokenmgr.gui.signin_process import WindowProcess

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return

    def processes() -> list[WindowProcess]:
        owners = [app, *app.topLevelWidgets()]
        return [w for o in owners for w in o.findChildren(WindowProcess)]

    for w in processes():
        w.close()

    def all_ended() -> bool:
        return not any(w.running() for w in processes())

    qtbot.waitUntil(all_ended, timeout=20_000)


@dataclass
class ListenerSpy:
    """Every request the loopback listener answered: (path, User-Agent)."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def user_agents(self) -> list[str]:
        return [ua for _path, ua in self.requests]


@pytest.fixture
def listener_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ListenerSpy]:
    """Records who reached the listener, then lets the listener judge as always: the
    sign-in window's capture (a plain Python request) and not Chromium following the
    redirect itself (its requests carry a browser's User-Agent)."""
    spy = ListenerSpy()
    original = loopback._Handler.do_GET

    def do_get(handler: Any) -> None:
        spy.requests.append((handler.path.split("?", 1)[0], handler.headers.get("User-Agent", "")))
        original(handler)

    monkeypatch.setattr(loopback._Handler, "do_GET", do_get)
    yield spy


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
