"""Colours, status marks and time phrases shared by the list, the details and the tray.

UI.md: status colours work on light and dark palettes and never carry meaning
alone (a dot shape or a word goes with them); everything else takes palette
roles. The JWT segment colours are jwt.io's, with lighter tints on dark.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap

from tokenmgr.core.entries import STATUS_EXPIRED, STATUS_EXPIRING, STATUS_VALID

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
    size = 16
    pm = QPixmap(int(size * ratio), int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    pm.fill(Qt.GlobalColor.transparent)
    if color is not None:
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if status == STATUS_EXPIRED:
            p.setPen(QPen(color, 1.6))
            p.setBrush(Qt.BrushStyle.NoBrush)
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
        p.drawEllipse(QRectF(3.5, 3.5, 9, 9))
        p.end()
    icon = QIcon(pm)
    _ICONS[key] = icon
    return icon


def magnitude(seconds: float) -> str:
    """'42 s', '4 min', '3 h', '29 days', '2 years'."""
    s = abs(seconds)
    if s < 90:
        return f"{int(s)} s"
    if s < 90 * 60:
        return f"{int(round(s / 60))} min"
    if s < 48 * 3600:
        return f"{int(round(s / 3600))} h"
    if s < 730 * 86400:
        days = int(s // 86400)
        return "1 day" if days == 1 else f"{days} days"
    return f"{int(s // (365.25 * 86400))} years"


def relative(at: datetime, now: datetime) -> str:
    """'in 3 h' or '2 days ago'."""
    delta = (at - now).total_seconds()
    return f"in {magnitude(delta)}" if delta >= 0 else f"{magnitude(delta)} ago"


def countdown(seconds: float) -> str:
    """'3 h 12 min 05 s', '4 min 09 s', '42 s' (for the live countdown)."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {s:02d} s"
    if m:
        return f"{m} min {s:02d} s"
    return f"{s} s"


def expires_text(status: str, expires_at: datetime | None, now: datetime) -> str:
    """The list's Expires cell: words with the time, so colour is never alone."""
    if expires_at is None:
        return "no expiry"
    if status == STATUS_EXPIRED:
        return f"expired {relative(expires_at, now)}"
    if status == STATUS_EXPIRING:
        return f"soon: {relative(expires_at, now)}"
    return relative(expires_at, now)


def local_utc(at: datetime) -> str:
    """'2026-12-01 18:00:00 CET · 17:00:00 UTC'."""
    from datetime import UTC

    local = at.astimezone()
    utc = at.astimezone(UTC)
    if local.utcoffset() == utc.utcoffset():
        return f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    same_day = local.date() == utc.date()
    u = f"{utc:%H:%M:%S}" if same_day else f"{utc:%Y-%m-%d %H:%M:%S}"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or 'local'} · {u} UTC"


def escape(text: str) -> str:
    """HTML-escape for rich-text labels (the `html` module costs start-up time)."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
