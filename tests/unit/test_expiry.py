"""Expiry care decided from the index: background refresh candidates, warnings once per
expiry time, remembered across restarts."""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest

from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.expiry import NotifiedLog, due_for_refresh, due_warnings, renews_itself
from tokenmgr.core.rules import now_utc

NOW = now_utc()
LEAD = timedelta(minutes=10)


def static(name: str, left: timedelta | None) -> Entry:
    """A static token stored a day ago (as `Vault.add` records it)."""
    day = NOW - timedelta(days=1)
    return Entry(name=name, expires_at=None if left is None else NOW + left, secrets=["access"],
                 issued_at=day, created_at=day, updated_at=day)


def oauth(name: str, left: timedelta, secrets: list[str], flow: str = "code") -> Entry:
    return Entry(
        name=name,
        kind="oauth2",
        expires_at=NOW + left,
        issued_at=NOW + left - timedelta(hours=1),
        secrets=secrets,
        oauth=OAuthConfig(issuer="https://as", client_id="c", token_url="https://as/t", flow=flow),
    )


def test_who_renews_itself() -> None:
    assert renews_itself(oauth("a", timedelta(hours=1), ["access", "refresh"]))
    assert not renews_itself(oauth("b", timedelta(hours=1), ["access"]))
    cc = oauth("c", timedelta(hours=1), ["access", "client_secret"], flow="client-credentials")
    assert renews_itself(cc)
    needs = oauth("d", timedelta(hours=1), ["access", "refresh"])
    needs.state = "sign_in_needed"
    assert not renews_itself(needs)
    assert not renews_itself(static("e", timedelta(hours=1)))


def test_due_for_refresh_uses_the_refresh_margin() -> None:
    entries = [
        oauth("soon", timedelta(seconds=30), ["access", "refresh"]),
        oauth("later", timedelta(minutes=30), ["access", "refresh"]),
        oauth("expired", timedelta(seconds=-5), ["access", "refresh"]),
        oauth("no-rt", timedelta(seconds=30), ["access"]),
    ]
    assert [e.name for e in due_for_refresh(entries, NOW)] == ["soon", "expired"]


def test_warnings_within_the_lead_time_once_per_expiry() -> None:
    entries = [
        static("soon", timedelta(minutes=5)),
        static("gone", timedelta(minutes=-1)),
        static("far", timedelta(hours=2)),
        static("never", None),
        oauth("renews", timedelta(minutes=1), ["access", "refresh"]),
        oauth("no-rt", timedelta(minutes=2), ["access"]),
    ]
    got = due_warnings(entries, set(), LEAD, NOW)
    assert [(w.name, w.expired, w.sign_in) for w in got] == [
        ("soon", False, False),
        ("gone", True, False),
        ("no-rt", False, True),
    ]
    assert due_warnings(entries, {w.key for w in got}, LEAD, NOW) == []
    # A new token (a new expiry) is warned about again.
    entries[0].expires_at = NOW + timedelta(minutes=8)
    again = due_warnings(entries, {w.key for w in got}, LEAD, NOW)
    assert [w.name for w in again] == ["soon"]


def test_the_log_survives_a_restart_and_is_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    w = due_warnings([static("soon", timedelta(minutes=5))], set(), LEAD, NOW)
    NotifiedLog(home).add(w, NOW)
    assert NotifiedLog(home).keys() == {w[0].key}
    assert (home / "notified.json").stat().st_mode & 0o777 == 0o600
    data = json.loads((home / "notified.json").read_text())
    assert data["schema"] == 1 and "soon@" in next(iter(data["notified"]))


def test_old_records_are_pruned_and_a_broken_file_is_ignored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old = due_warnings([static("old", timedelta(days=-40))], set(), LEAD, NOW)
    log = NotifiedLog(home)
    log.add(old, NOW)
    new = due_warnings([static("new", timedelta(minutes=1))], set(), LEAD, NOW)
    log.add(new, NOW)
    assert NotifiedLog(home).keys() == {new[0].key}
    (home / "notified.json").write_text("{not json")
    os.chmod(home / "notified.json", 0o600)
    assert NotifiedLog(home).keys() == set()



def test_no_file_yet_is_not_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="tokenmgr.expiry"):
        assert NotifiedLog(tmp_path / "home").keys() == set()
    assert "unreadable" not in caplog.text
