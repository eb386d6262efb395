"""The real app's embedded sign-in on a real X server with a standard window manager
(openbox), over the real keyring and the real oidc-provider, driven from outside with
the keyboard like a person: where the sign-in window opens (above the modal "Sign in
to a provider" dialog, with the focus), Escape and Cancel on either side, the window's
process readied while the dialog is open, and quitting during a sign-in.

What the app does is read from its --debug log (each line written before the thing
it reports is acted on) and from the processes and X windows it leaves.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.oidc_server import OIDCServer
from tests.support.secret_service import SecretServiceSession
from tests.support.signin import browser_helpers, descendants, session_members, wait_gone
from tests.support.xvfb import XServer

pytestmark = [pytest.mark.gui, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60  # an upper bound for something to happen; never asserted on
DIALOG = "Sign in to a provider"  # xdotool matches the title as set (WM_NAME)
WINDOW = "Sign in"


def wait_until(what: str, cond: Callable[[], object], log: Path | None = None) -> object:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    detail = log.read_text(errors="replace")[-4000:] if log is not None else ""
    raise AssertionError(f"gave up waiting for {what}\n{detail}")


@pytest.fixture(scope="module")
def desk() -> Iterator[XServer]:
    x = XServer().start(window_manager=True)
    yield x
    x.stop()


@pytest.fixture(scope="module")
def keyring() -> Iterator[SecretServiceSession]:
    with SecretServiceSession() as ss:
        yield ss


class App:
    """`tokenmgr --debug gui` on the test display, seen from outside."""

    def __init__(self, x: XServer, keyring: SecretServiceSession, home: Path) -> None:
        self.x = x
        self.log = home / "app.log"
        env = {k: v for k, v in x.env.items() if not k.startswith("TOKENMGR_")}
        env.update(keyring.env)
        for d in ("home", "run", "config", "data", "cache"):
            (home / d).mkdir(mode=0o700, exist_ok=True)
        env.update(
            TOKENMGR_HOME=str(home / "home"),
            XDG_RUNTIME_DIR=str(home / "run"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CACHE_HOME=str(home / "cache"),
            PYTHONPATH=str(ROOT),
            # Root in CI: Chromium's sandbox cannot run (the app never turns it off).
            QTWEBENGINE_DISABLE_SANDBOX="1",
        )
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tokenmgr", "--debug", "gui"],
            cwd=ROOT, env=env, stdout=self._out, stderr=self._out,
        )
        self.main = self.window("Token Manager")

    def window(self, name: str) -> int:
        found = wait_until(f"the window {name!r}", lambda: self.x.windows_named(name), self.log)
        assert isinstance(found, list)
        return int(found[0])

    def gone(self, name: str) -> None:
        wait_until(f"the window {name!r} to close", lambda: not self.x.windows_named(name),
                   self.log)

    def said(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def wait_said(self, text: str) -> None:
        wait_until(f"the log line {text!r}", lambda: self.said(text), self.log)

    def keys(self, *keys: str) -> None:
        self.x.run(["xdotool", "key", "--clearmodifiers", *keys])

    def type(self, text: str) -> None:
        self.x.run(["xdotool", "type", "--delay", "5", text])

    def activate(self, wid: int) -> None:
        self.x.run(["xdotool", "windowactivate", "--sync", str(wid)], check=False)

    def open_dialog(self, issuer: str, name: str = "work") -> int:
        """Ctrl+Shift+N, then the issuer, a name and the client id, typed."""
        self.activate(self.main)
        self.keys("ctrl+shift+n")
        dialog = self.window(DIALOG)
        self.activate(dialog)
        self.keys("alt+i")
        self.type(issuer)
        self.keys("alt+n")
        self.type(name)
        self.keys("alt+c", "ctrl+a")
        self.type("tokenmgr-native")
        return dialog

    def window_processes(self) -> list[int]:
        """The app's sign-in window processes (`tokenmgr sign-in-window`)."""
        out = []
        for pid, _name in descendants(self.proc.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"sign-in-window" in f.read():
                        out.append(pid)
            except OSError:
                pass
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


@pytest.fixture
def app(desk: XServer, keyring: SecretServiceSession, tmp_path: Path) -> Iterator[App]:
    a = App(desk, keyring, tmp_path)
    yield a
    a.stop()


def test_the_window_process_is_readied_with_the_dialog_and_goes_with_it(
    app: App,
    oidc_server: OIDCServer,
) -> None:
    dialog = app.open_dialog(oidc_server.issuer)
    ready = wait_until("a readied sign-in window process", app.window_processes, app.log)
    assert isinstance(ready, list) and len(ready) == 1
    assert app.x.windows_named(WINDOW) == []  # nothing shown before "Sign in"
    sid = os.getsid(ready[0])
    app.activate(dialog)
    app.keys("Escape")  # the dialog closes without signing in
    app.gone(DIALOG)
    assert wait_gone([*ready, *session_members(sid)]) == []


def test_the_sign_in_window_comes_to_the_front_and_escape_cancels(
    app: App,
    oidc_server: OIDCServer,
) -> None:
    dialog = app.open_dialog(oidc_server.issuer)
    app.keys("Return")  # "Sign in"
    window = app.window(WINDOW)
    # It tells the window manager whose window it belongs to (ICCCM's WM_TRANSIENT_FOR:
    # the dialog, in the app's process), which keeps it above that dialog and gives it
    # the focus even when the person was still busy with the dialog.
    transient = app.x.run(["xprop", "-id", str(window), "WM_TRANSIENT_FOR"]).stdout
    assert transient.split("#")[-1].strip() == hex(dialog), transient
    # Above the modal dialog, with the focus (the page takes the keyboard).
    wait_until("the sign-in window on top with the focus",
               lambda: app.x.active_window() == window, app.log)
    stacking = app.x.stacking()
    assert stacking.index(window) > stacking.index(dialog) > stacking.index(app.main)
    pid = app.window_processes()[0]
    sid = os.getsid(pid)
    app.keys("Escape")
    app.gone(WINDOW)
    app.wait_said("sign-in: cancelled")
    assert app.said("sign-in window: closed")
    assert wait_gone([pid, *session_members(sid)]) == []
    assert app.x.windows_named(DIALOG) == [dialog]  # the dialog stays, for another try


def test_cancel_in_the_sign_in_window_and_in_the_dialog(
    app: App,
    oidc_server: OIDCServer,
) -> None:
    dialog = app.open_dialog(oidc_server.issuer)
    app.keys("Return")
    window = app.window(WINDOW)
    wait_until("the focus", lambda: app.x.active_window() == window, app.log)
    pid = app.window_processes()[0]
    # The window's own Cancel button, bottom right, clicked.
    geometry = app.x.run(["xdotool", "getwindowgeometry", "--shell", str(window)]).stdout
    g = dict(line.split("=", 1) for line in geometry.split())
    x, y = int(g["WIDTH"]) - 52, int(g["HEIGHT"]) - 23
    app.x.run(["xdotool", "mousemove", "--window", str(window), str(x), str(y), "click", "1"])
    app.gone(WINDOW)
    app.wait_said("sign-in: cancelled")
    assert wait_gone([pid]) == []

    # Again; this time Cancel (Escape) in the app's dialog ends the window too.
    app.activate(dialog)
    app.keys("Return")
    window = app.window(WINDOW)
    # Once it is up and has taken the focus (it comes to the front when shown), the
    # person goes back to the dialog: an Escape before that would be the window's.
    wait_until("the window shown again",
               lambda: app.log.read_text().count("sign-in window: shown") == 2, app.log)
    wait_until("the focus", lambda: app.x.active_window() == window, app.log)
    pid = app.window_processes()[0]
    app.activate(dialog)
    wait_until("the dialog's focus", lambda: app.x.active_window() == dialog, app.log)
    app.keys("Escape")
    app.gone(DIALOG)
    app.gone(WINDOW)
    assert wait_gone([pid]) == []
    wait_until("the second cancellation",
               lambda: app.log.read_text().count("sign-in: cancelled") == 2, app.log)


def test_quitting_during_a_sign_in_leaves_no_process_behind(
    app: App,
    oidc_server: OIDCServer,
) -> None:
    app.open_dialog(oidc_server.issuer)
    app.keys("Return")
    app.window(WINDOW)
    app.wait_said("sign-in window: shown")
    pid = app.window_processes()[0]
    sid = os.getsid(pid)
    helpers = session_members(sid)
    assert sid == pid and browser_helpers(sid)
    app.proc.send_signal(signal.SIGTERM)  # a logout; Ctrl+Q does the same
    assert app.proc.wait(30) == 0
    assert wait_gone([pid, *helpers]) == []
    assert session_members(sid) == []
