"""Entry metadata: names, env vars, status windows, masking of secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tokenmgr.core.entries import Entry, TokenSet
from tokenmgr.core.errors import InvalidSecret, UsageError
from tokenmgr.core.rules import (
    default_env_var,
    parse_time,
    validate_env_var,
    validate_name,
    validate_secret,
)


@pytest.mark.parametrize(
    ("name", "var"),
    [
        ("github", "GITHUB_TOKEN"),
        ("my-api.key", "MY_API_KEY_TOKEN"),
        ("slack_token", "SLACK_TOKEN"),
        ("9lives", "_9LIVES_TOKEN"),
    ],
)
def test_default_env_var(name: str, var: str) -> None:
    assert default_env_var(name) == var
    assert Entry(name=name).env_var == var


@pytest.mark.parametrize("bad", ["", "-x", "a b", "a/b", "x" * 65, "a:b", "ü"])
def test_invalid_names_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError):
        validate_name(bad)


@pytest.mark.parametrize("bad", ["1ABC", "A-B", "A B", "", "A=B", "$X"])
def test_invalid_env_vars(bad: str) -> None:
    with pytest.raises(UsageError) as e:
        validate_env_var(bad)
    assert "environment variable" in str(e.value)


@pytest.mark.parametrize("bad", ["", "a\nb", "a\r", "a\x00b", "\ud800"])
def test_invalid_secrets(bad: str) -> None:
    with pytest.raises(InvalidSecret):
        validate_secret(bad)


def test_status_windows() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    e = Entry(name="a", created_at=now - timedelta(days=30))
    assert e.status(now) == "unknown"
    e.expires_at = now - timedelta(seconds=1)
    assert e.status(now) == "expired"
    # A one-hour token is "expiring" within the lead time (10 minutes by default).
    e.issued_at = now - timedelta(minutes=49)
    e.expires_at = now + timedelta(minutes=11)
    assert e.status(now) == "valid"
    assert e.status(now, lead=timedelta(minutes=12)) == "expiring"
    e.expires_at = now + timedelta(minutes=10)
    assert e.status(now) == "expiring"
    # No issue time: the lifetime runs from when the entry was added.
    e.issued_at = None
    e.expires_at = now + timedelta(days=6)
    assert e.status(now) == "valid"
    e.expires_at = now + timedelta(days=3)
    assert e.status(now) == "expiring"  # a 33-day token: its 3-day tier


def test_roundtrip_dict() -> None:
    e = Entry(name="x", service="S", expires_at=parse_time("2030-01-02T03:04:05Z"), tags=["a"])
    again = Entry.from_dict(e.to_dict())
    assert again.to_dict() == e.to_dict()
    assert again.expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_parse_time_forms() -> None:
    assert parse_time("2030-01-02") == datetime(2030, 1, 2, tzinfo=UTC)
    assert parse_time("2030-01-02T01:00:00+01:00") == datetime(2030, 1, 2, tzinfo=UTC)
    with pytest.raises(UsageError):
        parse_time("next tuesday")


def test_tokenset_repr_hides_values() -> None:
    ts = TokenSet(access="SECRET-ACCESS", refresh="SECRET-REFRESH")
    assert "SECRET" not in repr(ts) and "SECRET" not in str(ts)
    assert "access=<13 chars>" in repr(ts)
