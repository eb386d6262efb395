"""The real app's tray on a real X server, over the real keyring.

`tokenmgr gui --minimized` runs on Xvfb with trayer as the tray host and
gnome-keyring's Secret Service on a private bus; the entries go in through the
CLI. The test finds the embedded tray icon among the X windows, right-clicks
it, walks the popup menus with the keyboard, and reads the clipboard back with
xclip. (tests/gui/test_tray_xvfb.py drives the same Tray and Clipboard through
a harness that also reports the countdown, for what cannot be seen from
outside: "left alone when something else was copied".)
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.secret_service import SecretServiceSession
from tests.support.xvfb import TrayHand, XServer

ROOT = Path(__file__).resolve().parents[2]
PAT = "ghp_Wq3Lx8Zr2Nv6Tb1Kd9Hs4Mj7Yc0Fp5Ga2Ue"
OTHER = "glpat-Xk29sLqP0vNw7RtY4mZb"
PRIMARY_MARKER = "the user's mouse selection"
WAIT_S = 60  # generous upper bound for a condition to come true; never asserted on


def wait_until(what: str, cond: Callable[[], object], log: Path | None = None) -> object:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    detail = log.read_text(errors="replace")[-3000:] if log is not None else ""
    raise AssertionError(f"gave up waiting for {what}\n{detail}")


@pytest.fixture(scope="module")
def secret_service() -> Iterator[SecretServiceSession]:
    with SecretServiceSession() as ss:
        yield ss


class App(TrayHand):
    """`tokenmgr gui --minimized` on the test display, seen from outside."""

    def __init__(self, x: XServer, env: dict[str, str], log: Path) -> None:
        self.x = x
        self.log = log
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "gui", "--minimized"],
            cwd=ROOT, env=env, stdout=self._log, stderr=self._log,
        )
        self.icon = wait_until("the tray icon", self._find_icon, log)

    def windows(self) -> list[str]:
        r = self.x.run(["xdotool", "search", "--onlyvisible", "--class", "tokenmgr"],
                       check=False)
        return r.stdout.split()

    def window_type(self, wid: str) -> str:
        return self.x.run(["xprop", "-id", wid, "_NET_WM_WINDOW_TYPE"], check=False).stdout

    def geometry(self, wid: str) -> tuple[int, int, int, int] | None:
        """None when the window is gone by now (one of a quitting app's, say)."""
        r = self.x.run(["xdotool", "getwindowgeometry", "--shell", wid], check=False)
        if r.returncode != 0:
            return None
        v = dict(line.split("=", 1) for line in r.stdout.split())
        return int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"])

    def _find_icon(self) -> tuple[int, int, int, int] | None:
        for wid in self.windows():
            kind = self.window_type(wid)
            if "POPUP_MENU" in kind or "TOOLTIP" in kind:
                continue
            geometry = self.geometry(wid)
            if geometry is None:
                continue
            x, y, w, h = geometry
            if 0 < w <= 48 and 0 < h <= 48 and y < 24:  # inside trayer's 24 px panel
                return x, y, w, h
        return None

    def popups(self) -> int:
        return sum("POPUP_MENU" in self.window_type(w) for w in self.windows())


    def open_menu(self) -> None:
        self.click_icon(3)
        wait_until("the tray menu", lambda: self.popups() == 1, self.log)

    def copy_header_of_first_token(self) -> None:
        self.open_menu()
        self.key("Down")
        self.key("Right")
        wait_until("the token's submenu", lambda: self.popups() == 2, self.log)
        self.key("Return")
        wait_until("the menus to close", lambda: self.popups() == 0, self.log)

    def titles(self) -> str:
        """Every window title and class the app shows, as xprop reports them."""
        return "\n".join(
            self.x.run(["xprop", "-id", w, "WM_NAME", "_NET_WM_NAME", "WM_ICON_NAME"],
                       check=False).stdout
            for w in self.windows()
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def start_app(
    xserver: XServer, secret_service: SecretServiceSession, tmp_path: Path
) -> Iterator[Callable[[int], App]]:
    env = {k: v for k, v in xserver.env.items() if not k.startswith("TOKENMGR_")}
    env.update(secret_service.env, TOKENMGR_HOME=str(tmp_path / "home"))
    for name, service, token in (("github-ci", "GitHub", PAT), ("gitlab", "GitLab", OTHER)):
        r = run_cli(["add", name, "--service", service, "--force"], env, stdin=token)
        assert r.returncode == 0, r.stderr
    apps: list[App] = []

    def start(clear_timeout_s: int) -> App:
        settings = tmp_path / "home" / "settings.json"
        settings.write_text(json.dumps({"store": "keyring", "clear_timeout_s": clear_timeout_s,
                                        "tray_note_shown": True}))
        xserver.write_selection(PRIMARY_MARKER, "primary")
        app = App(xserver, env, tmp_path / f"app-{len(apps)}.log")
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


def test_copy_header_from_the_real_tray_menu(
    start_app: Callable[[int], App], xserver: XServer
) -> None:
    app = start_app(30)
    app.copy_header_of_first_token()
    header = f"Authorization: Bearer {PAT}"
    wait_until("the header on the clipboard", lambda: xserver.read_selection() == header,
               app.log)
    targets = xserver.targets()
    assert "x-kde-passwordManagerHint" in targets
    assert "CanIncludeInClipboardHistory" in targets
    assert xserver.read_selection("clipboard", "x-kde-passwordManagerHint") == "secret"
    assert xserver.read_selection("primary") == PRIMARY_MARKER
    assert PAT not in app.titles()
    # Quit from the tray: the last item. The clipboard is wiped on the way out.
    app.open_menu()
    app.key("Up")
    app.key("Return")
    assert app.proc.wait(WAIT_S) == 0, app.log.read_text()
    assert xserver.read_selection() == ""


def test_cleared_after_the_setting_s_countdown(
    start_app: Callable[[int], App], xserver: XServer
) -> None:
    app = start_app(5)  # the settings' lowest
    app.copy_header_of_first_token()
    header = f"Authorization: Bearer {PAT}"
    wait_until("the header on the clipboard", lambda: xserver.read_selection() == header,
               app.log)
    wait_until("the clipboard to be cleared", lambda: xserver.read_selection() == "", app.log)
    assert xserver.read_selection("primary") == PRIMARY_MARKER
    assert app.proc.poll() is None  # still running, in the tray
