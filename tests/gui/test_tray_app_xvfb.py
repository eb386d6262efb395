"""The real app's tray on a real X server, over the real keyring, with a real
clipboard manager.

`tokenmgr gui --minimized` runs on Xvfb with trayer as the tray host and
gnome-keyring's Secret Service on a private bus; the entries go in through the
CLI. CopyQ runs on the same display, the way a desktop has a clipboard manager.
The test finds the embedded tray icon among the X windows, right-clicks it,
walks the popup menus with the keyboard, and reads the clipboard and the mouse
selection back with xclip. Each test has an X server of its own: what one test
leaves on the clipboard cannot reach the next. (tests/gui/test_tray_xvfb.py
drives the same Tray and Clipboard through a harness that also reports the
countdown, for what cannot be seen from outside: "left alone when something
else was copied".)
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.copyq import CopyQ
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

    def __init__(self, x: XServer, env: dict[str, str], log: Path, minimized: bool = True) -> None:
        self.x = x
        self.log = log
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "gui", *(["--minimized"] if minimized else [])],
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
def display() -> Iterator[XServer]:
    """An X server with a tray host for this test alone (its own clipboard)."""
    server = XServer().start(tray=True)
    yield server
    server.stop()


@pytest.fixture
def copyq(display: XServer) -> Iterator[CopyQ]:
    """CopyQ as it comes (keeps a history of the clipboard)."""
    manager = CopyQ(display).start()
    yield manager
    manager.stop()


@pytest.fixture
def syncing_copyq(display: XServer) -> Iterator[CopyQ]:
    """CopyQ copying each new clipboard text into the mouse selection, which it then
    owns: the text outlives the program that copied it."""
    manager = CopyQ(display).start(copy_clipboard=True)
    yield manager
    manager.stop()


@pytest.fixture
def start_app(
    display: XServer, secret_service: SecretServiceSession, tmp_path: Path
) -> Iterator[Callable[..., App]]:
    xserver = display
    env = {k: v for k, v in xserver.env.items() if not k.startswith("TOKENMGR_")}
    env.update(secret_service.env, TOKENMGR_HOME=str(tmp_path / "home"))
    for name, service, token in (("github-ci", "GitHub", PAT), ("gitlab", "GitLab", OTHER)):
        r = run_cli(["add", name, "--service", service, "--force"], env, stdin=token)
        assert r.returncode == 0, r.stderr
    apps: list[App] = []

    def start(clear_timeout_s: int, minimized: bool = True) -> App:
        settings = tmp_path / "home" / "settings.json"
        # github-ci's token is made up: the app asks no real provider about it.
        settings.write_text(json.dumps({"store": "keyring", "clear_timeout_s": clear_timeout_s,
                                        "tray_note_shown": True, "check_providers": False}))
        xserver.write_selection(PRIMARY_MARKER, "primary")
        app = App(xserver, env, tmp_path / f"app-{len(apps)}.log", minimized)
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()


HEADER = f"Authorization: Bearer {PAT}"


def copy_header(app: App, x: XServer) -> float:
    """Copy github-ci's header from the tray; when it reached the clipboard."""
    app.copy_header_of_first_token()
    wait_until("the header on the clipboard", lambda: x.read_selection() == HEADER, app.log)
    return time.monotonic()


def test_copy_header_from_the_real_tray_menu(
    copyq: CopyQ, start_app: Callable[..., App], display: XServer
) -> None:
    app = start_app(30)
    copy_header(app, display)
    targets = display.targets()
    assert "x-kde-passwordManagerHint" in targets
    assert "CanIncludeInClipboardHistory" in targets
    assert display.read_selection("clipboard", "x-kde-passwordManagerHint") == "secret"
    assert display.read_selection("clipboard", "application/x-copyq-hidden") == "1"
    assert display.read_selection("primary") == PRIMARY_MARKER
    assert PAT not in app.titles()
    # CopyQ saw the copy (a copy of its own would be in the history) and kept nothing.
    display.write_selection("copied after the token")
    wait_until("CopyQ's record of a later copy",
               lambda: copyq.history()[:1] == ["copied after the token"], app.log)
    assert not [item for item in copyq.history() if PAT in item]
    # Quit from the tray: the last item. The clipboard is wiped on the way out.
    copy_header(app, display)
    app.open_menu()
    app.key("Up")
    app.key("Return")
    assert app.proc.wait(WAIT_S) == 0, app.log.read_text()
    assert display.read_selection() == ""
    assert not [item for item in copyq.history() if PAT in item]


def test_cleared_after_the_setting_s_countdown(
    start_app: Callable[..., App], display: XServer
) -> None:
    app = start_app(5)  # the settings' lowest; the default is 30
    copied = copy_header(app, display)
    wait_until("the clipboard to be cleared", lambda: display.read_selection() == "", app.log)
    took = time.monotonic() - copied
    # The setting's 5 s, not the default's 30 (the tray's copy and xclip's polls add a
    # little; the lower bound: not cleared before its time).
    assert 4 <= took < 20, took
    assert display.read_selection("primary") == PRIMARY_MARKER
    assert app.proc.poll() is None  # still running, in the tray


def test_the_countdown_clears_the_token_where_a_clipboard_manager_took_it(
    syncing_copyq: CopyQ, start_app: Callable[..., App], display: XServer
) -> None:
    app = start_app(5)
    copy_header(app, display)
    ours = display.selection_owner("CLIPBOARD")
    # CopyQ copies it into the mouse selection and then takes the clipboard itself.
    wait_until("CopyQ's copy in the selection",
               lambda: display.read_selection("primary") == HEADER, app.log)
    syncing_copyq.take_clipboard()
    wait_until("CopyQ owning the clipboard",
               lambda: display.selection_owner("CLIPBOARD") not in (0, ours), app.log)
    assert display.read_selection() == HEADER
    # The countdown ends: the app no longer owns either, and still wipes both.
    wait_until("the token gone from the clipboard and the selection",
               lambda: HEADER not in (display.read_selection(),
                                      display.read_selection("primary")), app.log)
    assert display.read_selection() == ""
    assert not [item for item in syncing_copyq.history() if PAT in item]
    assert app.proc.poll() is None


def test_quit_clears_the_token_where_a_clipboard_manager_took_it(
    syncing_copyq: CopyQ, start_app: Callable[..., App], display: XServer
) -> None:
    """On Xvfb the clipboard dies with its owner anyway: here CopyQ holds the token in the
    mouse selection and, taken over, on the clipboard, and would keep it past the quit."""
    app = start_app(30)
    copy_header(app, display)
    wait_until("CopyQ's copy in the selection",
               lambda: display.read_selection("primary") == HEADER, app.log)
    syncing_copyq.take_clipboard()
    app.open_menu()
    app.key("Up")
    app.key("Return")
    assert app.proc.wait(WAIT_S) == 0, app.log.read_text()
    assert HEADER not in (display.read_selection(), display.read_selection("primary"))
    assert syncing_copyq.run("eval", "monitoring()").stdout.strip() == "true"  # still there


def test_sigterm_quits_the_way_ctrl_q_does(
    syncing_copyq: CopyQ, start_app: Callable[..., App], display: XServer, tmp_path: Path
) -> None:
    """A logout or `kill`: the first SIGTERM ends the app, with the state saved and the
    clipboard cleared, though its window is open and closing it only hides it in the
    tray."""
    app = start_app(30, minimized=False)
    wait_until("the main window", lambda: any(
        "Token Manager" in display.run(["xprop", "-id", w, "WM_NAME"], check=False).stdout
        for w in app.windows()), app.log)
    settings = tmp_path / "home" / "settings.json"
    assert "window_geometry" not in json.loads(settings.read_text())
    copy_header(app, display)
    wait_until("CopyQ's copy in the selection",
               lambda: display.read_selection("primary") == HEADER, app.log)
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(WAIT_S) == 0, app.log.read_text()
    assert HEADER not in (display.read_selection(), display.read_selection("primary"))
    assert json.loads(settings.read_text()).get("window_geometry")  # saved on the way out
