"""What a provider said, in one line for people: the CLI's `probe` and the app's
details pane say it the same way.

    GitHub says: expires 2027-01-31 (in 60 days) · scopes repo, read:org · checked 2 min ago
    GitHub says: no expiry set · checked 3 days ago
    refused by GitHub: revoked or expired · checked 1 h ago
    couldn't check at GitHub: could not connect to api.github.com · tried 5 s ago

Provider text (scopes, an account name) is made printable; nothing here is rich text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tokenmgr.core.durations import magnitude
from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.redact import printable
from tokenmgr.core.rules import VERDICT_ACCEPTED, VERDICT_REFUSED

MAX_SCOPES_SHOWN = 12


def when(value: datetime) -> str:
    """A date, with the time of day (UTC) unless it is midnight UTC."""
    value = value.astimezone(UTC)
    if (value.hour, value.minute, value.second) == (0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def ago(value: datetime, now: datetime) -> str:
    seconds = (now - value).total_seconds()
    return "just now" if seconds < 5 else f"{magnitude(seconds)} ago"


def relative(value: datetime, now: datetime) -> str:
    seconds = (value - now).total_seconds()
    return f"in {magnitude(seconds)}" if seconds > 0 else f"{magnitude(seconds)} ago"


def scopes_text(scopes: list[str]) -> str:
    if not scopes:
        return "no scopes"
    shown = [printable(s, 60) for s in scopes[:MAX_SCOPES_SHOWN]]
    more = len(scopes) - len(shown)
    return "scopes " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def known(check: ProviderCheck, now: datetime) -> str:
    """The last known state (the check must hold a verdict)."""
    provider = printable(check.provider, 100)
    checked = f"checked {ago(check.checked_at, now)}" if check.checked_at else ""
    if check.verdict == VERDICT_REFUSED:
        reason = printable(check.reason, 100)
        parts = [f"refused by {provider}" + (f": {reason}" if reason else "")]
    else:
        if check.expires_at is not None:
            expiry = f"expires {when(check.expires_at)} ({relative(check.expires_at, now)})"
            if check.expires_at <= now:
                expiry = f"expired {when(check.expires_at)} ({relative(check.expires_at, now)})"
        elif check.no_expiry:
            expiry = "no expiry set"
        else:
            expiry = "accepted (no expiry given)"
        parts = [f"{provider} says: {expiry}"]
        if check.scopes is not None:
            parts.append(scopes_text(check.scopes))
    parts.append(checked)
    return " · ".join(p for p in parts if p)


def line(check: ProviderCheck | None, now: datetime, entry: Entry | None = None) -> str:
    """The whole state: what is known, and why the last attempt could not check."""
    if check is None:
        return "not checked at its provider yet"
    provider = printable(check.provider, 100)
    tried = ago(check.attempted_at, now) if check.attempted_at else ""
    if check.verdict not in (VERDICT_ACCEPTED, VERDICT_REFUSED):
        text = f"couldn't check at {provider}: {printable(check.problem, 200)}"
        return text + (f" · tried {tried}" if tried else "")
    text = known(check, now)
    if entry is not None and not entry.checked_now():
        text += " (about an earlier token)"
    if check.problem and check.attempted_at != check.checked_at:
        text += f"; couldn't check again {tried}: {printable(check.problem, 200)}"
    return text
