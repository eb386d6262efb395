"""Token times: NumericDate claims, the validity status, and how a moment is told.

`status` is the whole time verdict of a token: not yet valid, valid, expiring
(inside the warning window, or just expired but within the leeway), expired,
or without expiry. The leeway (default 60 s) absorbs clock skew both ways.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tokenmgr.core.durations import magnitude
from tokenmgr.core.jwt_inspect.model import (
    STATUS_EXPIRED,
    STATUS_EXPIRING,
    STATUS_NO_EXPIRY,
    STATUS_NOT_YET_VALID,
    STATUS_VALID,
    Malformed,
)
from tokenmgr.core.rules import DEFAULT_LEAD
from tokenmgr.core.rules import warning_window as entry_warning_window

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def short(s: str, n: int = 40) -> str:
    """`s` cut to `n` characters, with an ellipsis when cut (for messages)."""
    return s if len(s) <= n else s[: n - 1] + "…"


def numeric_date(claims: Mapping[str, Any], name: str) -> datetime | None:
    """The claim `name` as a UTC datetime; None when absent; Malformed when unusable."""
    if name not in claims:
        return None
    v = claims[name]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise Malformed(
            f"the {name} claim is {type(v).__name__} {short(json.dumps(v), 30)}, "
            "not a NumericDate (seconds since 1970, RFC 7519 §2)"
        )
    try:
        return _EPOCH + timedelta(seconds=v)
    except (OverflowError, ValueError):
        raise Malformed(f"the {name} claim {short(str(v), 30)} is out of range") from None


def warning_window(exp: datetime, iat: datetime | None) -> timedelta:
    """When a token counts as expiring: the entries' rule (`entries.warning_points`) with
    the default lead time, its lifetime from `iat`."""
    return entry_warning_window(exp, iat, DEFAULT_LEAD)


def status(
    now: datetime,
    leeway: int,
    exp: datetime | None,
    iat: datetime | None,
    nbf: datetime | None,
) -> str:
    """One of the STATUS_* values for a token with these times, at `now`."""
    slack = timedelta(seconds=leeway)
    if nbf is not None and now + slack < nbf:
        return STATUS_NOT_YET_VALID
    if exp is None:
        return STATUS_NO_EXPIRY
    if now >= exp + slack:
        return STATUS_EXPIRED
    if exp - now <= warning_window(exp, iat):
        return STATUS_EXPIRING  # includes "just expired, still within the leeway"
    return STATUS_VALID


def relative(seconds: float) -> str:
    """'4 min' style magnitude of a duration (the app's wording too: core.durations)."""
    return magnitude(seconds)


def phrase(name: str, at: datetime, now: datetime) -> str:
    """'expires in 4 min', 'expired 2 h ago', 'valid in 10 min', '3 days ago'."""
    delta = (at - now).total_seconds()
    rel = relative(delta)
    if name == "exp":
        return f"expires in {rel}" if delta > 0 else f"expired {rel} ago"
    if name == "nbf":
        return f"valid in {rel}" if delta > 0 else f"valid since {rel} ago"
    return f"in {rel} (issued in the future?)" if delta > 0 else f"{rel} ago"


def when(name: str, at: datetime, now: datetime) -> str:
    """A claim time in UTC, in local time, and relative to `now`."""
    local = at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"{at.strftime('%Y-%m-%d %H:%M:%S')} UTC · {local} · {phrase(name, at, now)}"
