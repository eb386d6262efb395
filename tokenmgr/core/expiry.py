"""Expiry care, decided from the index alone: which entries to refresh in the background,
and which to warn about before they expire.

- An OAuth entry that can renew itself (a refresh token, or client credentials with
  the secret) is refreshed in the background when `oauth.refresh.needs_refresh` says so;
  it is warned about only when that fails.
- Any other entry with a known expiry (a static token, an OAuth entry without a
  refresh token, one that needs a new sign-in) is warned about at each of its warning
  points (`entries.warning_points`, the rule the list's "expiring" follows): 14, 3 and
  1 day ahead for the tiers its lifetime fits, then within the lead time (a setting,
  default 10 min; for a short-lived token the last quarter of its lifetime). Each point
  once per expiry time, only the nearest one due (after time away, one notice, not a
  burst), and never for a token stored in the last minute (the person just saw it): a
  new token with a new expiry is warned about again.
- A token its provider now refuses (core/probe) is warned about at once, once.
- A host that refused an entry's token (git's `erase`) is said once per refusal.
- What was warned about is remembered in `$TOKENMGR_HOME/notified.json` (atomic,
  0600), so a restart does not repeat it. No secret is read to decide any of this.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from tokenmgr.core.entries import Entry
from tokenmgr.core.index import atomic_write
from tokenmgr.core.rules import LEAD_TIER, due_point, format_time, now_utc

log = logging.getLogger("tokenmgr.expiry")

NOTIFIED_NAME = "notified.json"
KEEP_FOR = timedelta(days=30)  # forget records of expiries this long past
# A token stored this recently is not warned about yet: whoever stored it saw its expiry.
JUST_STORED = timedelta(minutes=1)


def renews_itself(entry: Entry) -> bool:
    """Can the app get a new access token without the person (no sign-in page)?"""
    return entry.renews_itself()


def due_for_refresh(entries: list[Entry], at: datetime | None = None) -> list[Entry]:
    """Entries the app should refresh now (the refresh margin), in name order."""
    from tokenmgr.core.oauth.refresh import needs_refresh

    now = at or now_utc()
    return [e for e in entries if renews_itself(e) and needs_refresh(e, now)]


class Notice(Protocol):
    """Something notified once: its key, and the time its record is kept from."""

    @property
    def key(self) -> str: ...

    @property
    def kept_from(self) -> datetime: ...


@dataclass(frozen=True)
class ExpiryWarning:
    """One notification to show: it names the entry, never holds token text."""

    name: str
    expires_at: datetime
    expired: bool
    sign_in: bool  # the way out is a new sign-in (else: store a new token)
    tier: str = LEAD_TIER  # "14d", "3d", "1d"; LEAD_TIER for the lead time

    @property
    def key(self) -> str:
        base = f"{self.name}@{format_time(self.expires_at)}"
        return f"{base}#{self.tier}" if self.tier else base

    @property
    def kept_from(self) -> datetime:
        return self.expires_at

def tier_due(entry: Entry, now: datetime, lead: timedelta) -> str | None:
    """The nearest warning point due for the entry's expiry now: LEAD_TIER within the lead
    time (or past the end), a tier name ("1d") within a tier, None when none is due."""
    return due_point(entry.expires_at, entry.since, now, lead)


@dataclass(frozen=True)
class RefusedNotice:
    """A host refused an entry's token (a credential helper's client said so): said once
    per refusal."""

    name: str
    host: str
    expires_at: datetime  # when it was refused (kept, and pruned, as an expiry is)
    sign_in: bool  # an OAuth entry (refreshed at its next use) rather than a static one

    @property
    def key(self) -> str:
        return f"{self.name}!refused:{self.host}@{format_time(self.expires_at)}"

    @property
    def kept_from(self) -> datetime:
        return self.expires_at


def due_refusals(entries: list[Entry], seen: set[str]) -> list[RefusedNotice]:
    """Refusals not told before (`seen` holds the keys of what was)."""
    out = []
    for e in entries:
        if e.refused_by is None or e.refused_at is None:
            continue
        notice = RefusedNotice(e.name, e.refused_by, e.refused_at, e.kind == "oauth2")
        if notice.key not in seen:
            out.append(notice)
    return out


def due_warnings(
    entries: list[Entry], seen: set[str], lead: timedelta, at: datetime | None = None
) -> list[ExpiryWarning]:
    """Warnings due now and not given before (`seen` holds `ExpiryWarning.key`s)."""
    now = at or now_utc()
    out: list[ExpiryWarning] = []
    for e in entries:
        if e.expires_at is None or e.renews_itself() or e.refused():
            continue  # (a refused token gets its own notice: due_provider_refusals)
        if timedelta(0) <= now - e.updated_at < JUST_STORED:
            continue  # stored a moment ago: told when its warning is still due after that
        tier = tier_due(e, now, lead)
        if tier is None:
            continue
        w = ExpiryWarning(
            name=e.name,
            expires_at=e.expires_at,
            expired=e.expires_at <= now,
            sign_in=e.kind == "oauth2",
            tier=tier,
        )
        if w.key not in seen:
            out.append(w)
    return out


@dataclass(frozen=True)
class ProviderRefusal:
    """The provider now refuses an entry's token (core/probe; names the entry, never
    holds token text): given once per refusal."""

    name: str
    provider: str
    reason: str
    since: datetime
    sign_in: bool

    @property
    def key(self) -> str:
        return f"{self.name}@refused@{format_time(self.since)}"

    @property
    def kept_from(self) -> datetime:
        return self.since


def due_provider_refusals(
    entries: list[Entry], seen: set[str], at: datetime | None = None
) -> list[ProviderRefusal]:
    """Refusals by providers not told yet (one older than the record is kept is not)."""
    now = at or now_utc()
    out: list[ProviderRefusal] = []
    for e in entries:
        check = e.provider_check
        if check is None or check.since is None or not e.refused():
            continue
        if now - check.since > KEEP_FOR:
            continue
        w = ProviderRefusal(e.name, check.provider, check.reason, check.since, e.kind == "oauth2")
        if w.key not in seen:
            out.append(w)
    return out


class NotifiedLog:
    """The keys of the warnings already given, kept across restarts."""

    def __init__(self, home: Path) -> None:
        self.path = home / NOTIFIED_NAME
        self._keys: dict[str, str] | None = None  # key → expiry (ISO), for pruning

    def keys(self) -> set[str]:
        return set(self._load())

    def _load(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = {}
            try:
                data = json.loads(self.path.read_bytes())
                if isinstance(data, dict):
                    self._keys = {str(k): str(v) for k, v in data.get("notified", {}).items()}
            except FileNotFoundError:
                pass  # nothing notified yet
            except (OSError, ValueError, AttributeError):
                log.warning("ignoring an unreadable %s", self.path.name)
        return self._keys

    def add(self, warnings: Sequence[Notice], at: datetime | None = None) -> None:
        if not warnings:
            return
        keys = self._load()
        for w in warnings:
            keys[w.key] = format_time(w.kept_from) or ""
        cutoff = format_time((at or now_utc()) - KEEP_FOR) or ""
        self._keys = {k: v for k, v in keys.items() if v >= cutoff}
        data = {"schema": 1, "notified": self._keys}
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode())
