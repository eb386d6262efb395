"""Concealed copy with auto-clear, after KeePassXC's Clipboard.cpp.

A copy puts the text on the system clipboard (never the X11 PRIMARY selection,
which any middle click pastes) with the hints clipboard managers and the OS
history read to leave a secret alone:

- `x-kde-passwordManagerHint: secret` (Klipper, GNOME extensions, CopyQ 8);
- `application/x-copyq-hidden: 1` (CopyQ before 8 honours only this one);
- Windows `ExcludeClipboardContentFromMonitorProcessing`, and
  `CanIncludeInClipboardHistory` / `CanUploadToCloudClipboard` as a DWORD 0
  (Win+V history and the cloud clipboard);
- macOS `org.nspasteboard.ConcealedType` (nspasteboard.org).

All hints go out on every platform: a hint nobody reads costs a clipboard
format, a hint missing where it was needed puts a token in someone's history.

A countdown (default 30 s) then clears the clipboard, but only if it still
holds our text: what the user copied meanwhile is theirs. A clipboard manager
may have taken our text over (CopyQ copies the clipboard into the mouse
selection, Klipper and GPaste keep the clipboard alive by owning it): on X11
the clipboard and the selection are then read from their new owner, with a
short deadline, and cleared if they still hold our text
(gui/x11_selection.py, in a thread: the GUI never waits on another program).
When that cannot be known (no answer in time, or the manager takes the text
back), `clear_failed` says so, for the status bar and the tray's tooltip.

At quit everything of ours goes: our text wherever it went, and whatever this
process still owns on the clipboard or the selection (Qt would hand it to a
clipboard manager at exit; offscreen, Qt would crash destroying the mime data
after Python has gone).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import threading
import time

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

log = logging.getLogger("tokenmgr.gui")

DEFAULT_TIMEOUT_S = 30
# How long another program may take to say what it holds (KeePassXC-like: a hung
# clipboard manager must not keep the token, nor hold the quit for long).
READ_TIMEOUT_S = 1.0

KDE_HINT = "x-kde-passwordManagerHint"
COPYQ_HIDDEN = "application/x-copyq-hidden"
WINDOWS_EXCLUDE = "ExcludeClipboardContentFromMonitorProcessing"
WINDOWS_HISTORY = "CanIncludeInClipboardHistory"
WINDOWS_CLOUD = "CanUploadToCloudClipboard"
# Qt maps MIME types to pasteboard types on macOS; `_install_mac_converter`
# maps this one to the UTI clipboard managers look for.
MAC_CONCEALED_MIME = "application/x-nspasteboard-concealed-type"
MAC_CONCEALED_UTI = "org.nspasteboard.ConcealedType"

DWORD_ZERO = b"\x00\x00\x00\x00"
# Platforms whose QClipboard.ownsClipboard() is exact (offscreen's is always False).
OWNERSHIP_PLATFORMS = frozenset({"xcb", "wayland", "windows", "cocoa"})
CLEAR_FAILED = (
    "The clipboard could not be checked: another program holds it and did not answer "
    "(or took the token back). Clear it there."
)
# A tick this close to a second boundary counts as on it (timers wake a little off).
SLACK_S = 0.05

HINT_FORMATS: dict[str, bytes] = {
    KDE_HINT: b"secret",
    COPYQ_HIDDEN: b"1",
    WINDOWS_EXCLUDE: b"1",
    WINDOWS_HISTORY: DWORD_ZERO,
    WINDOWS_CLOUD: DWORD_ZERO,
    MAC_CONCEALED_MIME: b"1",
}


def concealed_mime_data(text: str) -> QMimeData:
    """`text` as text/plain plus every concealment hint."""
    mime = QMimeData()
    mime.setText(text)
    for fmt, value in HINT_FORMATS.items():
        mime.setData(fmt, value)
    return mime


_mac_converter: object | None = None


def _install_mac_converter() -> None:
    """Teach Qt's macOS pasteboard the concealed type's real UTI (KeePassXC does the same)."""
    global _mac_converter
    if _mac_converter is not None or sys.platform != "darwin":
        return
    from PySide6 import QtGui

    base = getattr(QtGui, "QUtiMimeConverter", None)
    if base is None:  # pragma: no cover - Qt < 6.5
        return

    class _Concealed(base):  # type: ignore[misc, valid-type]
        def canConvert(self, mime: str, uti: str) -> bool:
            return mime == MAC_CONCEALED_MIME and uti == MAC_CONCEALED_UTI

        def mimeForUti(self, uti: str) -> str:
            return MAC_CONCEALED_MIME if uti == MAC_CONCEALED_UTI else ""

        def utiForMime(self, mime: str) -> str:
            return MAC_CONCEALED_UTI if mime == MAC_CONCEALED_MIME else ""

        def convertToMime(self, mime: str, data: list[bytes], uti: str) -> bytes:
            return b"".join(bytes(d) for d in data)

        def convertFromMime(self, mime: str, data: object, uti: str) -> list[bytes]:
            return [bytes(data)] if isinstance(data, bytes | bytearray) else [b"1"]

    _mac_converter = _Concealed()


class Clipboard(QObject):
    """Copies secrets with concealment hints and wipes them after `timeout_s` seconds.

    `timeout_s` 0 means never clear automatically (still cleared on quit and
    by `clear_now`).
    """

    # Seconds left, once at the copy and then every second; 0 when the countdown ends.
    countdown_changed = Signal(int)
    # Our text was wiped (countdown, clear_now or quit), here or where a manager took it.
    cleared = Signal()
    # A copy was made; the argument is what was copied, in words ("header of github-ci").
    copied = Signal(str)
    # Our text may still be on the clipboard, held by another program: what to tell the user.
    clear_failed = Signal(str)
    # From the checking thread: (what was wiped in this process, what was wiped elsewhere,
    # whether another program's answer is unknown).
    _checked = Signal(bool, bool, bool)

    def __init__(self, timeout_s: int = DEFAULT_TIMEOUT_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        _install_mac_converter()
        self._timeout_s = max(0, int(timeout_s))
        self._text: str | None = None
        self._what = ""
        self._deadline = 0.0
        self._left = 0
        self._clock = time.monotonic
        self._read_timeout_s = READ_TIMEOUT_S
        # One shot per second boundary, aimed at the deadline: a late tick does not
        # push the clear back, and the count never skips unless the loop stalls.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._checked.connect(self._on_checked, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------ properties

    @property
    def timeout_s(self) -> int:
        return self._timeout_s

    @property
    def seconds_left(self) -> int:
        """Seconds until the clipboard is cleared; 0 when no countdown runs."""
        return self._left

    @property
    def what(self) -> str:
        """What the last copy still on the clock was ("" when none)."""
        return self._what if self._text is not None else ""

    # --------------------------------------------------------------- actions

    def set_timeout(self, seconds: int) -> None:
        """The countdown for the next copy; a countdown already running keeps its end."""
        self._timeout_s = max(0, int(seconds))

    def copy(self, text: str, what: str) -> None:
        """Put `text` on the clipboard, concealed, and start the countdown."""
        board = QGuiApplication.clipboard()
        # Ownership of the mime data passes to Qt.
        board.setMimeData(concealed_mime_data(text), QClipboard.Mode.Clipboard)
        self._text = text
        self._what = what
        self.copied.emit(what)
        if self._timeout_s == 0:
            self._stop(0)
            return
        self._deadline = self._clock() + self._timeout_s
        self._left = self._timeout_s
        self._timer.start(1000)
        self.countdown_changed.emit(self._left)

    def holds_ours(self) -> bool:
        """Whether the clipboard, as this process owns it, still holds the text we copied
        last (another program holding it is not asked here)."""
        if self._text is None:
            return False
        board = QGuiApplication.clipboard()
        if _exact_ownership() and not board.ownsClipboard():
            return False
        return board.text(QClipboard.Mode.Clipboard) == self._text

    def clear_now(self) -> bool:
        """Wipe our text, here and wherever a clipboard manager took it, and stop the
        countdown; True if something of ours was wiped. Waits for another program's
        answer at most the read timeout (the countdown's own clear never waits)."""
        text = self._text
        here = self._take_back()
        if text is None:
            return False
        elsewhere, unknown = _sweep(text, self._read_timeout_s, _held_by_others())
        self._checked_now(here, elsewhere, unknown)
        return here or elsewhere

    def clear(self) -> None:
        """Wipe our text and stop the countdown, as its end does: here at once, and where
        a clipboard manager took it once that program has answered (never waited for)."""
        text = self._text
        here = self._take_back()
        if text is None:
            return
        selections = _held_by_others()
        if not selections:
            self._checked_now(here, False, False)
            return
        timeout = self._read_timeout_s

        def check() -> None:
            elsewhere, unknown = _sweep(text, timeout, selections)
            with contextlib.suppress(RuntimeError):  # the app is gone
                self._checked.emit(here, elsewhere, unknown)

        threading.Thread(target=check, name="clipboard-check", daemon=True).start()

    def install_quit_hook(self, app: QGuiApplication) -> None:
        """Clear when `app` is about to quit (nothing of ours left behind)."""
        app.aboutToQuit.connect(self._on_app_about_to_quit)

    # ---------------------------------------------------------------- inside

    def _take_back(self) -> bool:
        """Forget our text and stop the clock; wipe it where this process holds it. True
        if it was wiped."""
        ours = self.holds_ours()
        if ours:
            QGuiApplication.clipboard().clear(QClipboard.Mode.Clipboard)
        running = self._left > 0
        self._text = None
        self._what = ""
        self._stop(0 if running else None)
        return ours

    def _checked_now(self, here: bool, elsewhere: bool, unknown: bool) -> None:
        if (here or elsewhere) and self._text is None:  # not while a newer copy is on
            self.cleared.emit()
        if unknown:
            log.warning("clipboard: another program holds it and did not say what")
            self.clear_failed.emit(CLEAR_FAILED)

    # ---------------------------------------------------------------- slots

    def _on_checked(self, here: bool, elsewhere: bool, unknown: bool) -> None:
        self._checked_now(here, elsewhere, unknown)

    def _on_app_about_to_quit(self) -> None:
        self.clear_now()
        # Whatever else this process holds (a selected label's text in the mouse
        # selection, a copy from a text field): Qt would hand it to a clipboard manager.
        board = QGuiApplication.clipboard()
        if not _exact_ownership() or board.ownsClipboard():
            board.clear(QClipboard.Mode.Clipboard)
        if board.supportsSelection() and board.ownsSelection():
            board.clear(QClipboard.Mode.Selection)

    def _on_timer_timeout(self) -> None:
        remaining = self._deadline - self._clock()
        if remaining <= SLACK_S:
            self.clear()
            return
        left = math.ceil(remaining - SLACK_S)
        if left != self._left:
            self._left = left
            self.countdown_changed.emit(left)
        # Wake when the count next drops.
        self._timer.start(max(1, round((remaining - (left - 1)) * 1000)))

    def _stop(self, emit: int | None) -> None:
        self._timer.stop()
        self._left = 0
        if emit is not None:
            self.countdown_changed.emit(emit)


def _exact_ownership() -> bool:
    """Whether QClipboard.ownsClipboard() tells the truth here (offscreen's is always False)."""
    return QGuiApplication.platformName() in OWNERSHIP_PLATFORMS


def _held_by_others() -> tuple[str, ...]:
    """The X11 selections this process does not own: another program there may have taken
    our text over. None elsewhere: the clipboard this process sees is the whole story."""
    if QGuiApplication.platformName() != "xcb":
        return ()
    board = QGuiApplication.clipboard()
    return (*(() if board.ownsClipboard() else ("CLIPBOARD",)),
            *(() if board.ownsSelection() else ("PRIMARY",)))


def _sweep(text: str, timeout_s: float, selections: tuple[str, ...]) -> tuple[bool, bool]:
    """Clear `text` from those X11 `selections` ("CLIPBOARD", "PRIMARY") that hold it;
    (whether it was wiped somewhere, whether an answer is unknown). Runs on any thread:
    its own X connection, no Qt."""
    from tokenmgr.gui import x11_selection  # ctypes and libX11: only once it is needed
    from tokenmgr.gui.x11_selection import Outcome

    display = os.environ.get("DISPLAY")
    deadline = time.monotonic() + timeout_s
    wiped = unknown = False
    for selection in selections:
        left = max(0.2, deadline - time.monotonic())
        outcome = x11_selection.holds_then_clear(display, selection, text, left)
        wiped |= outcome is Outcome.CLEARED
        unknown |= outcome is Outcome.UNKNOWN
    return wiped, unknown
