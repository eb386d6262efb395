"""The tray on a real X server: Xvfb + trayer, the real menu, the real clipboard.

The tray runs in a subprocess on Xvfb (`QT_QPA_PLATFORM=xcb`; this process
stays offscreen) over a real encrypted-file vault filled by the CLI. The test
right-clicks the icon with xdotool, walks the menu with the keyboard, and reads
the clipboard back from another X client with xclip: the token, its
concealment hints, PRIMARY untouched, the auto-clear, and no token in any menu
text or tooltip. Without a notification service, a notification is the tray's
own balloon. Each test has an X server of its own: a clipboard one test leaves
behind cannot reach the next.
"""

from __future__ import annotations

import base64
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli
from tests.support.xvfb import TrayHand, XServer

ROOT = Path(__file__).resolve().parents[2]
PAT = "ghp_R7v2Q9mXk4LpZ8sT1wYc6NbH3jFdA0eUoGi5"
OPAQUE = "sk_test_51Hx9QpLmNoPqRsTuVwXyZ0123456789"
PRIMARY_MARKER = "what the user selected with the mouse"
EVENT_TIMEOUT = 60  # generous: two shared cores; nothing here asserts on time


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def expiring_jwt() -> str:
    now = int(time.time())
    header = b64({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    payload = b64({"iss": "https://login.example.com", "sub": "1234", "aud": "api",
                   "iat": now - 3600, "exp": now + 300})
    return f"{header}.{payload}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


@pytest.fixture
def xserver() -> Iterator[XServer]:
    """This module's tests each have a display (and so a clipboard) of their own."""
    server = XServer().start(tray=True)
    yield server
    server.stop()


@pytest.fixture
def vault_env(xserver: XServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in xserver.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(
        TOKENMGR_HOME=str(tmp_path / "home"),
        TOKENMGR_STORE="file",
        TOKENMGR_PASSPHRASE="correct horse battery staple",
    )
    jwt = expiring_jwt()
    for args, token in (
        (["add", "github-ci", "--service", "GitHub"], PAT),
        (["add", "staging", "--service", "Acme"], jwt),
        (["add", "old-key", "--service", "Stripe", "--expires-at", "2020-01-01T00:00:00Z"],
         OPAQUE),
    ):
        r = run_cli(args, env, stdin=token)
        assert r.returncode == 0, r.stderr
    env["_JWT"] = jwt  # for the test's own checks; the harness never reads it
    return env


class TrayProcess(TrayHand):
    """The tray harness in a subprocess, its JSON events in a queue."""

    def __init__(self, xserver: XServer, env: dict[str, str], timeout: int, log: Path) -> None:
        self.x = xserver
        self.log = log.open("w")
        child_env = {k: v for k, v in env.items() if not k.startswith("_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.tray_harness", "--timeout", str(timeout)],
            cwd=ROOT,
            env=child_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.icon = self.wait("ready")["icon"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))
        self.events.put({"event": "exited"})

    def wait(
        self, name: str, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> dict[str, Any]:
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            left = deadline - time.monotonic()
            try:
                event = self.events.get(timeout=max(0.01, left))
            except queue.Empty:
                raise AssertionError(f"no {name!r} event; saw {self.seen}") from None
            self.seen.append(event)
            if event["event"] == name and where(event):
                return event
            if event["event"] == "exited":
                raise AssertionError(f"the tray exited waiting for {name!r}: {self.seen}")

    def send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def dump(self) -> dict[str, Any]:
        self.send("dump")
        return self.wait("dump")


    def open_menu(self) -> None:
        self.click_icon(3)
        self.wait("shown", lambda e: e["title"] == "")

    def copy_header_of_first_token(self, name: str) -> None:
        """Right-click, Down (first token), Right (its submenu), Return (its first action)."""
        self.open_menu()
        self.key("Down")
        self.key("Right")
        self.wait("shown", lambda e: e["title"] == name)
        self.key("Return")
        # The menu closes first, then the action is delivered.
        self.wait("hidden", lambda e: e["title"] == "")
        self.wait("copied", lambda e: e["what"] == f"header of {name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.send("quit")
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def start_tray(
    xserver: XServer, vault_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[int], TrayProcess]]:
    started: list[TrayProcess] = []

    def start(timeout: int) -> TrayProcess:
        # Each test begins with the user's own PRIMARY selection and no clipboard owner.
        xserver.write_selection(PRIMARY_MARKER, "primary")
        tray = TrayProcess(xserver, vault_env, timeout, tmp_path / f"tray-{len(started)}.log")
        started.append(tray)
        return tray

    yield start
    for tray in started:
        tray.stop()


def test_tray_host_is_real(xserver: XServer) -> None:
    assert xserver.selection_owned("_NET_SYSTEM_TRAY_S0")


AVAILABLE = (
    "from PySide6.QtWidgets import QApplication\n"
    "app = QApplication([])\n"
    "from tokenmgr.gui.tray import Tray\n"
    "print(Tray.available())\n"
)


def test_available_follows_the_tray_host(xserver: XServer) -> None:
    """True where a tray host owns the tray selection, False on a display without one."""
    env = {**xserver.env, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", AVAILABLE], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.strip() == "True", r.stderr
    with XServer() as bare:
        r = subprocess.run([sys.executable, "-c", AVAILABLE],
                           env={**bare.env, "PYTHONPATH": str(ROOT)},
                           capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


def test_without_a_notification_service_the_tray_balloon_says_it_once(
    start_tray: Callable[[int], TrayProcess], xserver: XServer
) -> None:
    """No session bus: the notification is the tray icon's own balloon, once, with the
    words as text; clicking it comes back as the notification's action."""
    tray = start_tray(30)
    tray.send("notify staging")
    assert tray.wait("notified")["backend"] == "tray"
    shown: list[dict[str, Any]] = []

    def balloon_up() -> bool:
        shown[:] = tray.dump()["balloons"]
        return bool(shown)

    deadline = time.monotonic() + EVENT_TIMEOUT
    while not balloon_up():
        assert time.monotonic() < deadline, "no balloon"
        time.sleep(0.1)
    assert len(shown) == 1  # one notification, one balloon
    assert "staging expires in 4 min" in shown[0]["texts"]
    assert "Sign in again before it expires." in shown[0]["texts"]
    x, y, w, h = shown[0]["rect"]
    xserver.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1"])
    action = tray.wait("action")
    assert (action["entry"], action["key"]) == ("staging", "default")
    assert [e for e in tray.seen if e["event"] == "notified"] == [
        {"event": "notified", "entry": "staging", "backend": "tray"}]


def test_header_copy_from_the_real_menu(
    start_tray: Callable[[int], TrayProcess], xserver: XServer
) -> None:
    tray = start_tray(30)
    tray.copy_header_of_first_token("github-ci")
    assert xserver.read_selection("clipboard") == f"Authorization: Bearer {PAT}"
    targets = xserver.targets("clipboard")
    for hint in (
        "x-kde-passwordManagerHint",
        "ExcludeClipboardContentFromMonitorProcessing",
        "CanIncludeInClipboardHistory",
        "CanUploadToCloudClipboard",
        "application/x-nspasteboard-concealed-type",
    ):
        assert hint in targets
    assert xserver.read_selection("clipboard", "x-kde-passwordManagerHint") == "secret"
    # Never the X11 PRIMARY selection: a middle click still pastes what the user selected.
    assert xserver.read_selection("primary") == PRIMARY_MARKER
    dump = tray.dump()
    assert "Clipboard clears in" in dump["tooltip"]
    assert PAT not in json.dumps(dump)


def test_cleared_after_the_countdown(
    start_tray: Callable[[int], TrayProcess], xserver: XServer
) -> None:
    tray = start_tray(2)
    tray.copy_header_of_first_token("github-ci")
    tray.wait("cleared")
    countdown = [e["seconds"] for e in tray.seen if e["event"] == "countdown"]
    assert countdown[0] == 2 and countdown[-1] == 0
    assert xserver.read_selection("clipboard") == ""
    assert xserver.read_selection("primary") == PRIMARY_MARKER
    assert "Clipboard clears" not in tray.dump()["tooltip"]


def test_left_alone_when_the_user_copied_something_else(
    start_tray: Callable[[int], TrayProcess], xserver: XServer
) -> None:
    tray = start_tray(6)
    tray.copy_header_of_first_token("github-ci")
    xserver.write_selection("the user's own clipboard text", "clipboard")
    tray.wait("countdown", lambda e: e["seconds"] == 0)
    tray.dump()  # anything still queued is in `seen` now
    assert not [e for e in tray.seen if e["event"] == "cleared"]
    assert xserver.read_selection("clipboard") == "the user's own clipboard text"


def test_real_menu_structure_and_no_token_text(
    start_tray: Callable[[int], TrayProcess], vault_env: dict[str, str]
) -> None:
    tray = start_tray(30)
    tray.open_menu()
    dump = tray.dump()
    tray.key("Escape")
    menu = dump["menu"]
    tokens = [item for item in menu if isinstance(item, dict)]
    assert [t["title"].split(" (")[0] for t in tokens] == ["github-ci", "old-key", "staging"]
    assert menu[: len(tokens)] == tokens
    assert menu[len(tokens):] == ["-", "Paste && decode", "Open Token Manager", "Quit"]
    for t in tokens:
        assert t["actions"] == ["Copy header", "Copy raw", "Copy env line", "Copy .env line"]
    by_name = {t["title"].split(" (")[0]: t for t in tokens}
    assert by_name["old-key"]["title"] == "old-key (expired)"
    assert by_name["old-key"]["enabled"] is False
    assert by_name["staging"]["title"].startswith("staging (expires in ")
    assert by_name["staging"]["enabled"] is True
    assert dump["attention"] is True
    assert dump["tooltip"].splitlines()[0] == "Token Manager: 3 tokens"
    blob = json.dumps(dump)
    for token in (PAT, OPAQUE, vault_env["_JWT"], *vault_env["_JWT"].split(".")):
        assert token not in blob


def test_left_click_toggles_the_window(start_tray: Callable[[int], TrayProcess]) -> None:
    tray = start_tray(30)
    tray.click_icon(1)
    tray.wait("toggle")


def test_quit_from_the_menu_clears_the_clipboard(
    start_tray: Callable[[int], TrayProcess], xserver: XServer
) -> None:
    tray = start_tray(30)
    tray.copy_header_of_first_token("github-ci")
    assert xserver.read_selection("clipboard").startswith("Authorization: Bearer ")
    tray.open_menu()
    tray.key("Up")  # from nothing selected, Up selects the last item: Quit
    tray.key("Return")
    tray.wait("quit")
    tray.wait("cleared")
    assert tray.proc.wait(30) == 0
    assert xserver.read_selection("clipboard") == ""
