"""Colours, status marks and the list's expiry words, shared by the list, the details and
the tray (the time phrases themselves are Qt-free, in gui/timewords.py).

Status colours work on light and dark palettes and never carry meaning alone
(a dot shape or a word goes with them); everything else takes palette roles.
The JWT segment colours are jwt.io's, with lighter tints on dark.
"""

from __future__ import annotations

from datetime import datetime

from PySide6 import QtGui
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap

from tokenmgr.core.rules import STATUS_EXPIRED, STATUS_EXPIRING, STATUS_VALID
from tokenmgr.gui.timewords import relative

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
    for unknown (so the names line up). Made once per status and palette brightness."""
    key = (status, is_dark())
    icon = _ICONS.get(key)
    if icon is None:
        icon = _ICONS[key] = QIcon(_status_mark(status))
    return icon


def _status_mark(status: str) -> QPixmap:
    """The mark on a 16-point square: a dot 9 points wide, or a ring of that size with a
    1.6-point line, drawn at the screen's pixel ratio (at least 2, for crisp edges)."""
    ratio = 2.0
    screen = QGuiApplication.primaryScreen()
    if screen is not None:
        ratio = max(ratio, screen.devicePixelRatio())
    pixmap = QPixmap(round(16 * ratio), round(16 * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    color = status_color(status)
    if color is None:
        return pixmap
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if status == STATUS_EXPIRED:
        painter.setPen(QPen(color, 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
    painter.drawEllipse(QPointF(8, 8), 4.5, 4.5)
    painter.end()
    return pixmap


def expires_text(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The list's Expires cell: words with the time, so colour is never alone."""
    if expires_at is None:
        return "no expiry"
    if status == STATUS_EXPIRED:
        return f"expired {relative(expires_at, now)}"
    if status == STATUS_EXPIRING:
        return f"soon: {relative(expires_at, now)}"
    return relative(expires_at, now)


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` as written. Qt draws a tooltip that looks like markup
    (Qt.mightBeRichText) as markup: such a text is given as markup made from it."""
    return QtGui.Qt.convertFromPlainText(text) if QtGui.Qt.mightBeRichText(text) else text


def escape(text: str) -> str:
    """HTML-escape for rich-text labels (the `html` module costs start-up time)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
