"""When a token is refreshed: expired, or less than min(60 s, a quarter of its lifetime) left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tokenmgr.core.entries import Entry
from tokenmgr.core.oauth.refresh import leeway, needs_refresh

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entry(lifetime: timedelta | None, issued: datetime = T0) -> Entry:
    return Entry(
        name="e",
        kind="oauth2",
        issued_at=issued,
        expires_at=None if lifetime is None else issued + lifetime,
    )


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [
        (timedelta(hours=1), timedelta(seconds=60)),
        (timedelta(seconds=240), timedelta(seconds=60)),
        (timedelta(seconds=100), timedelta(seconds=25)),
        (timedelta(seconds=4), timedelta(seconds=1)),
    ],
)
def test_leeway_is_min_of_60s_and_a_quarter(lifetime: timedelta, expected: timedelta) -> None:
    assert leeway(entry(lifetime)) == expected


def test_unknown_issue_time_uses_60s() -> None:
    e = entry(timedelta(hours=1))
    e.issued_at = None
    assert leeway(e) == timedelta(seconds=60)


def test_needs_refresh_boundaries() -> None:
    e = entry(timedelta(hours=1))
    end = T0 + timedelta(hours=1)
    assert not needs_refresh(e, at=T0)
    assert not needs_refresh(e, at=end - timedelta(seconds=61))
    assert needs_refresh(e, at=end - timedelta(seconds=59))
    assert needs_refresh(e, at=end)
    assert needs_refresh(e, at=end + timedelta(days=1))


def test_short_lifetime_uses_a_quarter() -> None:
    e = entry(timedelta(seconds=100))
    end = T0 + timedelta(seconds=100)
    assert not needs_refresh(e, at=end - timedelta(seconds=26))
    assert needs_refresh(e, at=end - timedelta(seconds=24))


def test_unknown_expiry_is_never_refreshed_proactively() -> None:
    assert not needs_refresh(entry(None), at=T0 + timedelta(days=365))
