"""The revealed token on a real X server: it cannot be selected, so it never reaches the
mouse selection (PRIMARY) nor, unconcealed, the clipboard; the app's own copy is the one
way out.

The real app runs on Xvfb over a demo vault file, with github-ci's token revealed
(the wrapper below presses Reveal and reports where the token is drawn). The test
then does what a user would with xdotool: drags across the token, double- and
triple-clicks it, presses Ctrl+A and Ctrl+C over it, and reads PRIMARY and
CLIPBOARD back with xclip from another client. Ctrl+C and "Copy token" are the
app's own copy: concealed, on the countdown.
"""

from __future__ import annotations

import json
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
PRIMARY_MARKER = "what the user selected before"
WAIT_S = 60  # generous upper bound for a condition; never asserted on

# `tokenmgr gui` with github-ci selected and its token revealed; prints where the
# revealed text is on the screen, then runs until stdin closes.
REVEALED = r"""
import json, sys
from PySide6.QtCore import QSocketNotifier, QTimer
import tokenmgr.gui.app as app

start = app.start


def started(**kwargs):
    running = start(**kwargs)
    window = running.window

    def reveal():
        if not window.store_ready:
            QTimer.singleShot(50, reveal)
            return
        window.select("github-ci")
        window.details.token_row.reveal_button.click()
        QTimer.singleShot(50, report)

    seen = []

    def report():
        text = window.details.token_row.token_text
        if text is None or not window.details.revealed or not text.isVisible():
            QTimer.singleShot(50, report)
            return
        window.raise_window()
        top_left = text.mapToGlobal(text.rect().topLeft())
        rect = [top_left.x(), top_left.y(), text.width(), text.height()]
        # The pane lays itself out again once the token's text has its height: report
        # where the text is once it stays put, or the clicks would land beside it.
        if seen[-1:] != [rect]:
            seen.append(rect)
            QTimer.singleShot(100, report)
            return
        print(json.dumps({"rect": rect, "shown": text.toPlainText()}), flush=True)

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read, running.app)
    notifier.activated.connect(lambda: sys.stdin.readline() or window.quit_app())
    QTimer.singleShot(0, reveal)
    return running


app.start = started
sys.argv = ["tokenmgr", "gui"]
from tokenmgr.cli import main

sys.exit(main())
"""


@pytest.fixture
def revealed(tmp_path: Path) -> Iterator[tuple[XServer, subprocess.Popen[str], list[int]]]:
    x = XServer().start()
    home = tmp_path / "home"
    demo.build(Vault(home=home, store=EncryptedFileStore(
        home, passphrase=lambda _n: demo.PASSPHRASE)))
    (tmp_path / "run").mkdir(mode=0o700)
    env = {k: v for k, v in x.env.items() if not k.startswith("TOKENMGR_")}
    env.update(TOKENMGR_HOME=str(home), TOKENMGR_STORE="file",
               TOKENMGR_PASSPHRASE=demo.PASSPHRASE, XDG_RUNTIME_DIR=str(tmp_path / "run"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), PYTHONPATH=str(ROOT))
    x.write_selection(PRIMARY_MARKER, "primary")
    proc = subprocess.Popen([sys.executable, "-c", REVEALED], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        report = json.loads(proc.stdout.readline())
        assert report["shown"] == demo.GITHUB
        yield x, proc, report["rect"]
    finally:
        if proc.poll() is None:
            proc.communicate("", timeout=WAIT_S)  # stdin closes: the app quits
        x.stop()


def wait_until(what: str, cond) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT_S
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_the_revealed_token_cannot_be_selected_or_copied_past_the_app(revealed) -> None:
    x, proc, (left, top, width, height) = revealed
    y = top + height // 2
    x.run(["xdotool", "mousemove", str(left + 4), str(y), "mousedown", "1",
           "mousemove", str(left + width // 2), str(y), "mousemove", str(left + width - 4),
           str(y), "mouseup", "1"])
    x.run(["xdotool", "click", "--repeat", "2", "--delay", "80", "1"])  # a word
    time.sleep(0.6)  # past the double-click interval: the next three are a triple click
    x.run(["xdotool", "click", "--repeat", "3", "--delay", "80", "1"])  # a line
    x.run(["xdotool", "key", "ctrl+a", "ctrl+c"])
    # Ctrl+C over the token is the app's copy, which reads the token in a worker: once it
    # is on the clipboard, every input above has been handled.
    wait_until("the token on the clipboard", lambda: x.read_selection() == demo.GITHUB)
    primary = x.read_selection("primary")
    assert primary == PRIMARY_MARKER, primary
    # Concealed, and on the countdown's clock.
    assert x.read_selection("clipboard", "x-kde-passwordManagerHint") == "secret"
    assert x.read_selection("clipboard", "application/x-copyq-hidden") == "1"
    assert proc.poll() is None


def test_copy_token_in_its_context_menu_is_the_app_s_copy(revealed) -> None:
    x, proc, (left, top, width, height) = revealed
    x.run(["xdotool", "mousemove", str(left + width // 2), str(top + height // 2),
           "click", "3"])
    menus: list[str] = []

    def menu_open() -> bool:
        menus[:] = [w for w in x.run(["xdotool", "search", "--onlyvisible", "--class",
                                      "tokenmgr"], check=False).stdout.split()
                    if "POPUP_MENU" in x.run(["xprop", "-id", w, "_NET_WM_WINDOW_TYPE"],
                                             check=False).stdout]
        return bool(menus)

    wait_until("the context menu", menu_open)
    # Its one item fills it: a click in its middle (keys could beat the menu's grab).
    geometry = dict(line.split("=", 1) for line in x.run(
        ["xdotool", "getwindowgeometry", "--shell", menus[0]]).stdout.split())
    x.run(["xdotool", "mousemove", str(int(geometry["X"]) + int(geometry["WIDTH"]) // 2),
           str(int(geometry["Y"]) + int(geometry["HEIGHT"]) // 2), "click", "1"])
    wait_until("the token on the clipboard", lambda: x.read_selection() == demo.GITHUB)
    assert x.read_selection("clipboard", "x-kde-passwordManagerHint") == "secret"
    assert x.read_selection("primary") == PRIMARY_MARKER
