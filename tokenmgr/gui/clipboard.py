"""Concealed copy with auto-clear, after KeePassXC's Clipboard.cpp.

A copy puts the text on the system clipboard (never the X11 PRIMARY selection,
which any middle click pastes) with the hints clipboard managers and the OS
history read to leave a secret alone:

- `x-kde-passwordManagerHint: secret` (Klipper, GNOME extensions, CopyQ, …);
- Windows `ExcludeClipboardContentFromMonitorProcessing`, and
  `CanIncludeInClipboardHistory` / `CanUploadToCloudClipboard` as a DWORD 0
  (Win+V history and the cloud clipboard);
- macOS `org.nspasteboard.ConcealedType` (nspasteboard.org).

All hints go out on every platform: a hint nobody reads costs a clipboard
format, a hint missing where it was needed puts a token in someone's history.

A countdown (default 30 s) then clears the clipboard, but only if it still
holds our text: what the user copied meanwhile is theirs. The clipboard is
also cleared when the application quits, so the token is not handed over to a
clipboard manager at exit (and, offscreen, so Qt does not crash destroying the
mime data after Python has gone).
"""

from __future__ import annotations

import math
import sys
import time

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QClipboard, QGuiApplication

DEFAULT_TIMEOUT_S = 30

KDE_HINT = "x-kde-passwordManagerHint"
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
# A tick this close to a second boundary counts as on it (timers wake a little off).
SLACK_S = 0.05

HINT_FORMATS: dict[str, bytes] = {
    KDE_HINT: b"secret",
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
    # The clipboard held our text and was wiped (countdown, clear_now or quit).
    cleared = Signal()
    # A copy was made; the argument is what was copied, in words ("header of github-ci").
    copied = Signal(str)

    def __init__(self, timeout_s: int = DEFAULT_TIMEOUT_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        _install_mac_converter()
        self._timeout_s = max(0, int(timeout_s))
        self._text: str | None = None
        self._what = ""
        self._deadline = 0.0
        self._left = 0
        self._clock = time.monotonic
        # One shot per second boundary, aimed at the deadline: a late tick does not
        # push the clear back, and the count never skips unless the loop stalls.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

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
        """Whether the clipboard still holds the text we copied last."""
        if self._text is None:
            return False
        board = QGuiApplication.clipboard()
        if QGuiApplication.platformName() in OWNERSHIP_PLATFORMS and not board.ownsClipboard():
            # Someone else copied since: theirs. Not even read (it is none of our business,
            # and on X11 reading it is a round trip to a client that may hang).
            return False
        return board.text(QClipboard.Mode.Clipboard) == self._text

    def clear_now(self) -> bool:
        """Wipe the clipboard if it still holds our text; True if it did."""
        ours = self.holds_ours()
        if ours:
            QGuiApplication.clipboard().clear(QClipboard.Mode.Clipboard)
        running = self._left > 0
        self._text = None
        self._what = ""
        self._stop(0 if running else None)
        if ours:
            self.cleared.emit()
        return ours

    def install_quit_hook(self, app: QGuiApplication) -> None:
        """Clear when `app` is about to quit (nothing of ours left behind)."""
        app.aboutToQuit.connect(self._on_app_about_to_quit)

    # ---------------------------------------------------------------- slots

    def _on_app_about_to_quit(self) -> None:
        self.clear_now()

    def _on_timer_timeout(self) -> None:
        remaining = self._deadline - self._clock()
        if remaining <= SLACK_S:
            self.clear_now()
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
