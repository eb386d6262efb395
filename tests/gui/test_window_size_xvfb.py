"""The window's first size, on a real X server with a window manager (openbox frames
and places it): it fits the screen, small or large, and the details pane of a JWT fits
the window (every button on screen; no scroll bar when the screen has room).

The app runs in its own process (tests/support/window_harness.py) over a vault file, with
no saved geometry: what a first start gets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import demo
from tests.support.xvfb import XServer
from tokenmgr.core.stores.vault_file import EncryptedFileStore
from tokenmgr.core.vault import Vault

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


def openbox(x: XServer) -> subprocess.Popen[bytes]:
    """openbox, its stock configuration, managing the display's windows."""
    proc = subprocess.Popen(["openbox", "--sm-disable"], env=x.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while "window id" not in x.run(["xprop", "-root", "_NET_SUPPORTING_WM_CHECK"],
                                   check=False).stdout:
        assert proc.poll() is None and time.monotonic() < deadline, "openbox did not start"
        time.sleep(0.05)
    return proc


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("sizes") / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _new: demo.PASSPHRASE)))
    return home


@pytest.fixture(params=[(1024, 600), (1920, 1080)], ids=["small", "large"])
def screen(request: pytest.FixtureRequest) -> Iterator[XServer]:
    width, height = request.param
    x = XServer(width, height).start()
    wm = openbox(x)
    yield x
    wm.terminate()
    wm.wait(10)
    x.stop()


def measure(x: XServer, home: Path, entry: str) -> dict:  # type: ignore[type-arg]
    env = {k: v for k, v in x.env.items() if not k.startswith("TOKENMGR_")}
    env.update(TOKENMGR_HOME=str(home), TOKENMGR_STORE="file",
               TOKENMGR_PASSPHRASE=demo.PASSPHRASE, PYTHONPATH=str(ROOT),
               XDG_RUNTIME_DIR=os.environ.get("XDG_RUNTIME_DIR", "/tmp"))
    r = subprocess.run([sys.executable, "-m", "tests.support.window_harness", entry], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def inside(inner: list[int], outer: list[int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


@pytest.mark.parametrize("entry", ["api-prod", "staging"])
def test_the_first_window_fits_the_screen_and_the_details_fit_the_window(
    screen: XServer, home: Path, entry: str
) -> None:
    m = measure(screen, home, entry)
    assert inside(m["frame"], m["screen"]), m  # title bar and borders included
    # No button of the list and the details is cut off at the side (the details pane
    # scrolls down, never across); the token's own buttons are in view from the start.
    assert {"Verify", "Reveal"} <= set(m["buttons"]), m["buttons"]
    wx, _wy, ww, _wh = m["window"]
    for text, (x, _y, w, _h) in m["buttons"].items():
        assert wx <= x and x + w <= wx + ww, (text, m["buttons"][text], m["window"])
    for text in ("Verify", "Reveal"):
        assert inside(m["buttons"][text], m["window"]), (text, m["buttons"][text], m["window"])
    # The details pane is never squeezed below what it needs (there is no horizontal
    # scroll bar: a narrower pane would cut its right edge off).
    assert m["details"]["viewport"][0] >= m["details"]["needs"][0], m["details"]
    if screen.width >= 1366:
        # Room enough: the default size, centred, and a JWT's details (a static one, an
        # OIDC sign-in's with its ID token) without scrolling.
        assert m["window"][2:] == [1100, 770]
        assert not m["details"]["vscroll"], m["details"]
        centre_x = m["frame"][0] + m["frame"][2] // 2
        assert abs(centre_x - (m["screen"][0] + m["screen"][2] // 2)) <= 2
