"""Time phrases for the list, the details and the tray: "in 3 h", "3 h 12 min 05 s",
local time with UTC beside it.

No Qt here: the report words (gui/report_text.py) use these, and both read
without a display. How long a duration is in a few characters is core's
(`core.durations.magnitude`, shared with the CLI).
"""

from __future__ import annotations

from datetime import UTC, datetime

from tokenmgr.core.durations import magnitude


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


def local_utc(at: datetime) -> str:
    """'2026-12-01 18:00:00 CET · 17:00:00 UTC'."""
    local = at.astimezone()
    utc = at.astimezone(UTC)
    if local.utcoffset() == utc.utcoffset():
        return f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    same_day = local.date() == utc.date()
    u = f"{utc:%H:%M:%S}" if same_day else f"{utc:%Y-%m-%d %H:%M:%S}"
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or 'local'} · {u} UTC"
