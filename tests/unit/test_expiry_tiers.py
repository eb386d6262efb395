"""Tiered warnings for long-lived tokens (14 d, 3 d, 1 d, then the lead time), once per
tier per expiry, remembered across restarts; refusals told once; when the app asks a
provider again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tokenmgr.core import expiry
from tokenmgr.core.entries import Entry, ProviderCheck
from tokenmgr.core.probe.schedule import due_for_check

T0 = datetime(2026, 10, 1, tzinfo=UTC)
EXP = T0 + timedelta(days=90)  # a 90-day personal access token
LEAD = timedelta(minutes=10)


def pat(expires: datetime = EXP, issued: datetime = T0, name: str = "gh") -> Entry:
    return Entry(name=name, expires_at=expires, issued_at=issued, created_at=issued)


def walk(entries: list[Entry], home: Path, times: list[datetime]) -> list[str]:
    """Run the keeper's rule at each time with the notified-state file, as restarts do."""
    told: list[str] = []
    for at in times:
        log = expiry.NotifiedLog(home)  # a fresh one each time: a restart
        due = expiry.due_warnings(entries, log.keys(), LEAD, at)
        log.add(due, at)
        told += [w.tier or "lead" for w in due]
    return told


def test_each_tier_fires_once_and_not_again_after_a_restart(tmp_path: Path) -> None:
    e = pat()
    days = [EXP - timedelta(days=d) for d in (20, 14, 13, 10, 3, 2.5, 1, 0.5)]
    minutes = [EXP - timedelta(minutes=m) for m in (11, 10, 5)] + [EXP + timedelta(hours=1)]
    assert walk([e], tmp_path, days + minutes) == ["14d", "3d", "1d", "lead"]
    assert walk([e], tmp_path, days + minutes) == []  # all remembered


def test_only_the_nearest_tier_after_time_away(tmp_path: Path) -> None:
    assert walk([pat()], tmp_path, [EXP - timedelta(hours=20)]) == ["1d"]
    assert walk([pat()], tmp_path, [EXP - timedelta(hours=19), EXP - timedelta(minutes=5)]) == [
        "lead"
    ]
    # Away until after it expired: one notice, that it has.
    (w,) = expiry.due_warnings([pat()], set(), LEAD, EXP + timedelta(days=1))
    assert w.expired and w.tier == ""


def test_short_lived_tokens_get_only_the_tiers_their_lifetime_fits(tmp_path: Path) -> None:
    hour = pat(T0 + timedelta(hours=1))
    assert walk([hour], tmp_path / "a", [T0, T0 + timedelta(minutes=55)]) == ["lead"]
    week = pat(T0 + timedelta(days=7))
    at = [T0 + timedelta(days=d) for d in (0, 5, 6.5)]
    assert walk([week], tmp_path / "b", at) == ["1d"]  # the tier that fits its last quarter


def test_a_new_expiry_is_warned_about_again(tmp_path: Path) -> None:
    assert walk([pat()], tmp_path, [EXP - timedelta(days=2)]) == ["3d"]
    later = pat(EXP + timedelta(days=90))
    assert walk([later], tmp_path, [EXP + timedelta(days=80)]) == ["14d"]


def test_the_lead_tier_keeps_the_key_older_releases_wrote(tmp_path: Path) -> None:
    e = pat()
    w = expiry.ExpiryWarning("gh", EXP, False, False)
    assert w.key == "gh@2026-12-30T00:00:00Z"
    expiry.NotifiedLog(tmp_path).add([w], EXP - timedelta(minutes=5))
    assert walk([e], tmp_path, [EXP - timedelta(minutes=5)]) == []


def refused(e: Entry, since: datetime) -> Entry:
    e.provider_check = ProviderCheck(
        provider="GitHub", kind="github", verdict="refused", reason="revoked or expired",
        checked_at=since, since=since, token_issued_at=e.issued_at,
    )
    return e


def test_a_refusal_is_told_once_and_replaces_the_expiry_tiers(tmp_path: Path) -> None:
    e = refused(pat(), EXP - timedelta(days=20))
    at = EXP - timedelta(days=2)
    assert expiry.due_warnings([e], set(), LEAD, at) == []
    (w,) = expiry.due_provider_refusals([e], set(), at)
    assert (w.name, w.provider, w.reason) == ("gh", "GitHub", "revoked or expired")
    log = expiry.NotifiedLog(tmp_path)
    log.add([w], at)
    assert expiry.due_provider_refusals([e], expiry.NotifiedLog(tmp_path).keys(), at) == []
    # A new token: the refusal was about the old one.
    e.issued_at = at
    assert expiry.due_provider_refusals([e], set(), at) == []
    # A refusal older than the record is kept is not told (it was, or it is stale).
    old = refused(pat(name="old"), at - timedelta(days=31))
    assert expiry.due_provider_refusals([old], set(), at) == []


def test_when_the_app_asks_again() -> None:
    now = T0 + timedelta(days=10)
    fresh = pat(name="fresh")
    fresh.provider_check = ProviderCheck(
        provider="GitHub", kind="github", verdict="accepted",
        checked_at=now - timedelta(hours=3), attempted_at=now - timedelta(hours=3),
    )
    stale = pat(name="stale")
    stale.provider_check = replace(
        fresh.provider_check, checked_at=now - timedelta(days=2),
        attempted_at=now - timedelta(days=2),
    )
    failed = pat(name="failed")
    failed.provider_check = replace(
        fresh.provider_check, attempted_at=now - timedelta(minutes=61), problem="offline"
    )
    limited = pat(name="limited")
    limited.provider_check = replace(
        stale.provider_check, problem="rate limited", retry_after=now + timedelta(minutes=5)
    )
    never = pat(name="never")
    entries = [fresh, stale, failed, limited, never]
    assert due_for_check(entries, now, {}) == ["failed", "never", "stale"]
    # What the app holds back: an entry with no provider for the run, one skipped while
    # the desktop was offline for an hour.
    hold = {"never": datetime.max.replace(tzinfo=UTC), "stale": now + timedelta(hours=1)}
    assert due_for_check(entries, now, hold) == ["failed"]
    assert due_for_check(entries, now + timedelta(minutes=10), hold) == ["failed", "limited"]
    assert due_for_check(entries, now + timedelta(hours=2), hold) == [
        "failed", "limited", "stale",
    ]
