"""When the app asks a provider again, decided from the index alone (no secret read).

- Once a day per entry, counted from its last attempt; at start, so, any entry last
  asked more than a day ago.
- After an attempt that could not check (offline, a failing server), again an hour
  later; never before a rate limit's `retry_after`.
- An entry never asked (added by an older tokenmgr, or one with no provider to ask,
  which only its token can tell) is tried when the app starts; the app holds back
  what it learnt needs no asking (no provider) for the rest of its run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from tokenmgr.core.entries import Entry

EVERY = timedelta(days=1)
AFTER_FAILURE = timedelta(hours=1)


def due_for_check(
    entries: Iterable[Entry], now: datetime, hold: Mapping[str, datetime]
) -> list[str]:
    """Names of the entries to ask about now, in name order. `hold`: name → not before
    (what this run of the app decided: skipped while offline, no provider, in flight)."""
    due: list[str] = []
    for e in entries:
        held = hold.get(e.name)
        if held is not None and now < held:
            continue
        check = e.provider_check
        if check is None:
            due.append(e.name)
            continue
        if check.retry_after is not None and now < check.retry_after:
            continue
        last = check.attempted_at or check.checked_at
        wait = AFTER_FAILURE if check.problem else EVERY
        if last is None or now - last >= wait:
            due.append(e.name)
    return sorted(due)
