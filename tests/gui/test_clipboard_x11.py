"""The clipboard on a real X server, where another program may hold our text.

The X11 check itself (gui/x11_selection.py) runs here against clients on an
Xvfb of each test's own: xclip holding a text, nobody holding anything, a
client that takes the clipboard and never answers. The Clipboard runs in a
small Qt program on the same display (QT_QPA_PLATFORM=xcb; this process stays
offscreen) that reports its signals as JSON lines, so the test sees what the
app would be told.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.xvfb import XServer
from tokenmgr.gui import x11_selection
from tokenmgr.gui.x11_selection import Outcome

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_X11s3lect1onT0kenValue0123456789abcd"
WAIT_S = 60  # generous upper bound for an event; never asserted on


@pytest.fixture
def display() -> Iterator[XServer]:
    server = XServer().start()
    yield server
    server.stop()


def test_a_selection_holding_our_text_is_cleared(display: XServer) -> None:
    display.write_selection(TOKEN)
    assert x11_selection.holds_then_clear(display.display, "CLIPBOARD", TOKEN, 5) is (
        Outcome.CLEARED)
    assert display.selection_owner("CLIPBOARD") == 0
    assert display.read_selection() == ""


def test_someone_else_s_text_is_left_alone(display: XServer) -> None:
    display.write_selection("the user's own text", "primary")
    assert x11_selection.holds_then_clear(display.display, "PRIMARY", TOKEN, 5) is (
        Outcome.NOT_OURS)
    assert display.read_selection("primary") == "the user's own text"


def test_nobody_holding_it_is_nothing_to_do(display: XServer) -> None:
    assert display.selection_owner("CLIPBOARD") == 0
    assert x11_selection.holds_then_clear(display.display, "CLIPBOARD", TOKEN, 5) is (
        Outcome.NOT_OURS)


def test_an_owner_that_never_answers_is_unknown_not_a_hang(display: XServer) -> None:
    hung = display.hold_selection_silently("CLIPBOARD")
    try:
        assert x11_selection.holds_then_clear(display.display, "CLIPBOARD", TOKEN, 0.5) is (
            Outcome.UNKNOWN)
        assert display.selection_owner("CLIPBOARD") == hung.window  # not cleared blindly
    finally:
        hung.close()


def test_no_display_is_unknown() -> None:
    assert x11_selection.holds_then_clear(":97", "CLIPBOARD", TOKEN, 0.5) is Outcome.UNKNOWN


CLIPBOARD_PROGRAM = textwrap.dedent(
    """
    import json, os, sys
    from PySide6.QtCore import QSocketNotifier
    from PySide6.QtWidgets import QApplication
    from tokenmgr.gui.clipboard import Clipboard

    app = QApplication([])
    clip = Clipboard(int(sys.argv[1]))
    clip.install_quit_hook(app)

    def say(event, **kw):
        print(json.dumps({"event": event, **kw}), flush=True)

    clip.copied.connect(lambda what: say("copied", what=what))
    clip.countdown_changed.connect(lambda s: say("countdown", seconds=s))
    clip.cleared.connect(lambda: say("cleared"))
    clip.clear_failed.connect(lambda text: say("clear_failed", text=text))

    def command():
        line = sys.stdin.readline().split()
        if not line or line[0] == "quit":
            app.quit()
        elif line[0] == "copy":
            clip.copy(line[1], "raw token of x")

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    say("ready")
    sys.exit(app.exec())
    """
)


class ClipboardProgram:
    """The app's Clipboard in a Qt program of its own on the test display."""

    def __init__(self, display: XServer, timeout_s: int) -> None:
        env = {**display.env, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLIPBOARD_PROGRAM, str(timeout_s)], cwd=ROOT, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("ready")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, name: str, **fields: Any) -> list[dict[str, Any]]:
        """Events up to and including the first `name` event with these fields."""
        seen: list[dict[str, Any]] = []
        while True:
            try:
                event = self.events.get(timeout=WAIT_S)
            except queue.Empty:
                raise AssertionError(f"no {name} event; saw {seen}") from None
            seen.append(event)
            if event["event"] == name and all(event.get(k) == v for k, v in fields.items()):
                return seen

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.send("quit")
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_a_clipboard_manager_that_does_not_answer_is_reported(display: XServer) -> None:
    """The countdown ends while a program that never answers holds the clipboard (it took
    it after our copy): whether it still holds the token cannot be known, and the app is
    told so, in words it can show."""
    program = ClipboardProgram(display, 2)
    hung = None
    try:
        program.send(f"copy {TOKEN}")
        program.expect("copied")
        assert display.read_selection() == TOKEN
        hung = display.hold_selection_silently("CLIPBOARD")
        seen = program.expect("clear_failed")
        assert {"event": "countdown", "seconds": 0} in seen
        assert "cleared" not in [e["event"] for e in seen]
        failed = seen[-1]["text"]
        assert "could not be checked" in failed and TOKEN not in failed
    finally:
        if hung is not None:
            hung.close()
        program.stop()


def test_the_countdown_clears_our_text_that_another_program_took(display: XServer) -> None:
    """What a clipboard manager that keeps the clipboard alive does, done by xclip: it now
    holds our very text. The countdown still wipes it."""
    program = ClipboardProgram(display, 3)
    try:
        program.send(f"copy {TOKEN}")
        program.expect("copied")
        display.write_selection(TOKEN)  # xclip owns it now, with our text
        seen = program.expect("cleared")
        assert "clear_failed" not in [e["event"] for e in seen]
        assert display.selection_owner("CLIPBOARD") == 0
    finally:
        program.stop()
