"""Colours, status marks and time phrases shared by the list, the details and the tray.

UI.md: status colours work on light and dark palettes and never carry meaning
alone (a dot shape or a word goes with them); everything else takes palette
roles. The JWT segment colours are jwt.io's, with lighter tints on dark.
"""

from __future__ import annotations

import math
import struct
import zlib
from datetime import datetime

from PySide6.QtCore import QByteArray
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap

from tokenmgr.core.entries import STATUS_EXPIRED, STATUS_EXPIRING, STATUS_VALID

# The time phrases are Qt-free (gui/timewords.py); the list and the tray use them as style.*.
from tokenmgr.gui.timewords import countdown as countdown
from tokenmgr.gui.timewords import local_utc as local_utc
from tokenmgr.gui.timewords import relative as relative

_STATUS = {
    # status: (light palette, dark palette)
    STATUS_VALID: ("#1e8e3e", "#5bd27a"),
    STATUS_EXPIRING: ("#b06000", "#fbbc04"),
}
SEGMENTS_LIGHT = ("#fb015b", "#d63aff", "#00b9f1")
SEGMENTS_DARK = ("#ff6b9a", "#e48cff", "#5fd6ff")
STATUS_WORDS = {
    STATUS_VALID: "valid",
    STATUS_EXPIRING: "expiring soon",
    STATUS_EXPIRED: "expired",
    "unknown": "no expiry known",
}


def palette() -> QPalette:
    return QGuiApplication.palette()


def is_dark(pal: QPalette | None = None) -> bool:
    pal = pal or palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def status_color(status: str, pal: QPalette | None = None) -> QColor | None:
    """The colour for a status, or None where the palette's text colour is right."""
    pal = pal or palette()
    if status == STATUS_EXPIRED:
        return pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    pair = _STATUS.get(status)
    if pair is None:
        return None
    return QColor(pair[1] if is_dark(pal) else pair[0])


def segment_colors(pal: QPalette | None = None) -> tuple[str, str, str]:
    return SEGMENTS_DARK if is_dark(pal) else SEGMENTS_LIGHT


def error_color(pal: QPalette | None = None) -> QColor:
    return QColor("#f28b82" if is_dark(pal) else "#c5221f")


_ICONS: dict[tuple[str, bool], QIcon] = {}


def status_icon(status: str) -> QIcon:
    """Filled dot for valid and expiring, hollow ring for expired, a blank of the same size
    for unknown (so the names line up)."""
    dark = is_dark()
    key = (status, dark)
    if key in _ICONS:
        return _ICONS[key]
    color = status_color(status)
    ratio = 2.0
    screen = QGuiApplication.primaryScreen()
    if screen is not None:
        ratio = max(ratio, screen.devicePixelRatio())
    side = round(16 * ratio)
    rgb = (0, 0, 0) if color is None else (color.red(), color.green(), color.blue())
    png = dot_png(side, rgb, ring=status == STATUS_EXPIRED, blank=color is None)
    pm = QPixmap()
    pm.loadFromData(QByteArray(png), "PNG")
    pm.setDevicePixelRatio(side / 16)
    icon = QIcon(pm)
    _ICONS[key] = icon
    return icon


def dot_png(side: int, rgb: tuple[int, int, int], *, ring: bool, blank: bool = False) -> bytes:
    """The status mark as a PNG, `side` pixels square: a dot 9/16 of it wide in the middle
    (or a ring, its line 1.6/16 thick), edges antialiased by distance.

    Drawn here, not with QPainter: PySide6 resolves painter overloads by asking
    whether an argument might be a Qt.* enum, which builds the whole `Qt`
    namespace before the list's first paint (gui/props.py); loadFromData does not.
    """
    unit = side / 16
    centre = side / 2
    radius = 4.5 * unit
    half_line = 0.8 * unit
    rows = []
    for y in range(side):
        row = bytearray(b"\0")  # PNG filter: none
        dy = y + 0.5 - centre
        for x in range(side):
            d = math.hypot(x + 0.5 - centre, dy)
            if blank:
                cover = 0.0
            elif ring:
                cover = half_line + 0.5 - abs(d - radius)
            else:
                cover = radius + 0.5 - d
            alpha = 0 if cover <= 0 else 255 if cover >= 1 else round(cover * 255)
            row += bytes((*rgb, alpha))
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def expires_text(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The list's Expires cell: words with the time, so colour is never alone."""
    if expires_at is None:
        return "no expiry"
    if status == STATUS_EXPIRED:
        return f"expired {relative(expires_at, now)}"
    if status == STATUS_EXPIRING:
        return f"soon: {relative(expires_at, now)}"
    return relative(expires_at, now)


def escape(text: str) -> str:
    """HTML-escape for rich-text labels (the `html` module costs start-up time)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
