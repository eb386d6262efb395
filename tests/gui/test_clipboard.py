"""Clipboard: concealment hints, countdown, clear only if ours, clear on quit (offscreen).

Each test starts from an empty clipboard and ends its Clipboard's countdown: a
countdown left running from one test must not wipe (or fail to wipe) the next
test's copy. tests/gui/test_clipboard_x11.py has what needs a real X server."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QClipboard, QGuiApplication

from tokenmgr.gui import clipboard as clipmod
from tokenmgr.gui.clipboard import Clipboard

TOKEN = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
ROOT = Path(__file__).resolve().parents[2]


def board() -> QClipboard:
    return QGuiApplication.clipboard()


@pytest.fixture
def clip(qapp: object) -> Iterator[Clipboard]:
    board().clear(QClipboard.Mode.Clipboard)
    c = Clipboard(timeout_s=2)
    yield c
    c.clear_now()  # its countdown ends with the test
    c.deleteLater()


def test_copy_sets_text_and_every_concealment_hint(clip: Clipboard) -> None:
    clip.copy(TOKEN, "raw token of github")
    mime = board().mimeData(QClipboard.Mode.Clipboard)
    assert mime.text() == TOKEN
    formats = set(mime.formats())
    assert {
        "text/plain",
        "x-kde-passwordManagerHint",
        "ExcludeClipboardContentFromMonitorProcessing",
        "CanIncludeInClipboardHistory",
        "CanUploadToCloudClipboard",
        "application/x-nspasteboard-concealed-type",
        "application/x-copyq-hidden",
    } <= formats
    assert bytes(mime.data("x-kde-passwordManagerHint").data()) == b"secret"
    # CopyQ before 8 reads only its own hint, as the string "1".
    assert bytes(mime.data("application/x-copyq-hidden").data()) == b"1"
    # A DWORD 0: four zero bytes, not "0".
    assert bytes(mime.data("CanIncludeInClipboardHistory").data()) == b"\0\0\0\0"
    assert bytes(mime.data("CanUploadToCloudClipboard").data()) == b"\0\0\0\0"
    assert bytes(mime.data("ExcludeClipboardContentFromMonitorProcessing").data()) == b"1"
    # The hints carry no copy of the secret.
    for fmt in formats - {"text/plain"}:
        assert TOKEN.encode() not in bytes(mime.data(fmt).data()), fmt


def test_copy_reports_what_not_the_token(clip: Clipboard, qtbot: object) -> None:
    seen: list[str] = []
    clip.copied.connect(seen.append)
    clip.copy(TOKEN, "header of github")
    assert seen == ["header of github"]
    assert clip.what == "header of github"
    assert clip.seconds_left == 2


def test_countdown_then_cleared(clip: Clipboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    ticks: list[int] = []
    clip.countdown_changed.connect(ticks.append)
    with qtbot.waitSignal(clip.cleared, timeout=10_000):
        clip.copy(TOKEN, "header of github")
    # [2, 1, 0] unless the event loop stalled a whole second; never out of order.
    assert ticks[0] == 2 and ticks[-1] == 0
    assert ticks == sorted(set(ticks), reverse=True)
    assert board().text(QClipboard.Mode.Clipboard) == ""
    assert clip.seconds_left == 0
    assert clip.what == ""
    assert not clip.holds_ours()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_countdown_counts_each_second_and_clears_at_the_deadline(clip: Clipboard) -> None:
    """Ticks driven by hand: late and early wake-ups neither skip nor move the deadline."""
    clock = FakeClock()
    clip._clock = clock
    clip.set_timeout(3)
    ticks: list[int] = []
    cleared: list[bool] = []
    clip.countdown_changed.connect(ticks.append)
    clip.cleared.connect(lambda: cleared.append(True))
    clip.copy(TOKEN, "header of github")
    clock.now += 0.98  # a little early
    clip._on_timer_timeout()
    clock.now += 1.4  # late: 2.38 s gone
    clip._on_timer_timeout()
    assert ticks == [3, 2, 1]
    assert cleared == [] and clip.holds_ours()
    clock.now += 0.6  # 2.98 s: within the slack of the deadline
    clip._on_timer_timeout()
    assert ticks == [3, 2, 1, 0]
    assert cleared == [True]
    assert board().text(QClipboard.Mode.Clipboard) == ""


def test_left_alone_when_something_else_was_copied(clip: Clipboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    cleared: list[bool] = []
    clip.cleared.connect(lambda: cleared.append(True))
    clip.copy(TOKEN, "header of github")
    board().setText("the user's own text", QClipboard.Mode.Clipboard)
    with qtbot.waitSignal(clip.countdown_changed, check_params_cb=lambda s: s == 0, timeout=10_000):
        pass
    assert board().text(QClipboard.Mode.Clipboard) == "the user's own text"
    assert cleared == []


def test_clear_now(clip: Clipboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    ticks: list[int] = []
    clip.copy(TOKEN, "header of github")
    clip.countdown_changed.connect(ticks.append)
    with qtbot.waitSignal(clip.cleared, timeout=1000):
        assert clip.clear_now() is True
    assert ticks == [0]
    assert board().text(QClipboard.Mode.Clipboard) == ""
    # Nothing of ours any more: a second clear touches nothing.
    board().setText("later", QClipboard.Mode.Clipboard)
    assert clip.clear_now() is False
    assert board().text(QClipboard.Mode.Clipboard) == "later"


def test_set_timeout_applies_to_the_next_copy(clip: Clipboard) -> None:
    clip.set_timeout(45)
    assert clip.timeout_s == 45
    ticks: list[int] = []
    clip.countdown_changed.connect(ticks.append)
    clip.copy(TOKEN, "raw token of github")
    assert ticks == [45]
    assert clip.seconds_left == 45
    clip.clear_now()


def test_timeout_zero_never_clears_by_itself(clip: Clipboard) -> None:
    clip.set_timeout(0)
    ticks: list[int] = []
    clip.countdown_changed.connect(ticks.append)
    clip.copy(TOKEN, "raw token of github")
    assert ticks == [0]
    assert clip.seconds_left == 0
    assert clip.holds_ours()
    assert clip.clear_now() is True


def test_negative_timeout_is_zero(qapp: object) -> None:
    assert Clipboard(timeout_s=-5).timeout_s == 0


def test_copy_again_restarts_the_countdown(clip: Clipboard, qtbot) -> None:  # type: ignore[no-untyped-def]
    clip.copy(TOKEN, "header of github")
    clip.set_timeout(3)
    clip.copy("second-token-value", "raw token of gitlab")
    assert clip.seconds_left == 3
    with qtbot.waitSignal(clip.cleared, timeout=10_000):
        pass
    assert board().text(QClipboard.Mode.Clipboard) == ""


def test_hint_formats_table() -> None:
    assert clipmod.HINT_FORMATS[clipmod.KDE_HINT] == b"secret"
    assert len(clipmod.HINT_FORMATS[clipmod.WINDOWS_HISTORY]) == 4


QUIT_HARNESS = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QClipboard
    from PySide6.QtWidgets import QApplication
    from tokenmgr.gui.clipboard import Clipboard

    app = QApplication([])
    clip = Clipboard(30)
    if sys.argv[1] == "hook":
        clip.install_quit_hook(app)
    clip.copy("quit-secret-value", "raw token of x")
    if sys.argv[2:] == ["field"]:
        # Copied since from somewhere else in the app (a text field): still this
        # process's, and Qt would hand it to a clipboard manager at exit.
        app.clipboard().setText("copied from a field", QClipboard.Mode.Clipboard)
    QTimer.singleShot(50, app.quit)
    app.exec()
    print(repr(app.clipboard().text(QClipboard.Mode.Clipboard)), flush=True)
    """
)


def _run_quit_harness(*mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", QUIT_HARNESS, *mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=60,
        check=False,
    )


def test_quit_hook_clears_and_exits_cleanly() -> None:
    r = _run_quit_harness("hook")
    assert r.stdout.strip() == "''", r.stdout + r.stderr
    assert r.returncode == 0, r.stderr


def test_quit_clears_whatever_else_the_app_put_on_the_clipboard() -> None:
    r = _run_quit_harness("hook", "field")
    assert r.stdout.strip() == "''", r.stdout + r.stderr
    assert r.returncode == 0, r.stderr


def test_without_the_quit_hook_the_token_stays() -> None:
    """The control for the test above: it is the hook that clears."""
    r = _run_quit_harness("nohook")
    assert r.stdout.strip() == "'quit-secret-value'", r.stdout + r.stderr
