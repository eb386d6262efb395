"""One model of "expiring soon" (core/entries.warning_points): the list's status, the
notifications (core/expiry) and `list --json` agree; short-lived tokens get a share of
their lifetime, long-lived ones tiers; no notice for a token stored a moment ago; an
expired token handed out by the command line comes with a warning."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cli import CliRunner
from tokenmgr.core.entries import Entry, OAuthConfig
from tokenmgr.core.expiry import due_warnings
from tokenmgr.core.rules import (
    DEFAULT_LEAD,
    STATUS_EXPIRED,
    STATUS_EXPIRING,
    due_point,
    status_at,
    warning_points,
)
from tokenmgr.core.usecases import handout

T0 = datetime(2026, 10, 1, tzinfo=UTC)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


def points(lifetime: timedelta, lead: timedelta = DEFAULT_LEAD) -> list[tuple[str, timedelta]]:
    return list(warning_points(T0 + lifetime, T0, lead))


def test_warning_points_by_lifetime() -> None:
    # Short lifetimes: the last quarter when it is shorter than the lead time.
    assert points(5 * MIN) == [("", timedelta(seconds=75))]
    assert points(20 * MIN) == [("", 5 * MIN)]
    assert points(HOUR) == [("", 10 * MIN)]
    # Tiers only where they fit in the last quarter: a day-long token has none.
    assert points(DAY) == [("", 10 * MIN)]
    assert points(7 * DAY) == [("1d", DAY), ("", 10 * MIN)]
    assert points(30 * DAY) == [("3d", 3 * DAY), ("1d", DAY), ("", 10 * MIN)]
    assert points(90 * DAY) == [("14d", 14 * DAY), ("3d", 3 * DAY), ("1d", DAY), ("", 10 * MIN)]
    # The lead time is the person's: a longer one swallows the tiers it covers.
    assert points(90 * DAY, 2 * DAY) == [("14d", 14 * DAY), ("3d", 3 * DAY), ("", 2 * DAY)]
    # Unknown lifetime: the lead time alone.
    assert warning_points(T0, None) == (("", DEFAULT_LEAD),)


lifetimes = st.timedeltas(min_value=timedelta(seconds=1), max_value=400 * DAY)
leads = st.integers(min_value=0, max_value=24 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=500, deadline=None)
@given(lifetimes, leads, st.floats(min_value=0, max_value=1.2))
def test_expiring_starts_exactly_at_the_first_warning(
    lifetime: timedelta, lead: timedelta, at: float
) -> None:
    """The list turns amber when the first notice is due, and is amber while any is."""
    expires, now = T0 + lifetime, T0 + lifetime * at
    status = status_at(expires, T0, now, lead)
    due = due_point(expires, T0, now, lead)
    if status == STATUS_EXPIRED:
        assert due == ""
    else:
        assert (status == STATUS_EXPIRING) == (due is not None)


def static(expires: datetime, issued: datetime, stored: datetime | None = None) -> Entry:
    return Entry(name="t", expires_at=expires, issued_at=issued, created_at=stored or issued,
                 updated_at=stored or issued, secrets=["access"])


def test_a_five_minute_token_just_added_is_neither_expiring_nor_notified() -> None:
    """The reported case: green "in 5 min" in the list, silent tray, a notification at
    once. Now: not expiring and no notice at birth; both at its last 75 s."""
    e = static(T0 + 5 * MIN, T0)
    lead = timedelta(minutes=10)
    for at in (T0, T0 + 30 * timedelta(seconds=1), T0 + 3 * MIN):
        assert e.status(at, lead) == "valid"
        assert due_warnings([e], set(), lead, at) == []
    at = T0 + 5 * MIN - timedelta(seconds=75)
    assert e.status(at, lead) == STATUS_EXPIRING
    (w,) = due_warnings([e], set(), lead, at)
    assert (w.name, w.expired, w.tier) == ("t", False, "")


def test_no_notice_for_a_token_stored_in_the_last_minute() -> None:
    # Pasted with 30 s left of a day: expiring at once, and the person saw it.
    stored = T0 + DAY - timedelta(seconds=30)
    e = static(T0 + DAY, T0, stored=stored)
    assert e.status(stored) == STATUS_EXPIRING
    assert due_warnings([e], set(), DEFAULT_LEAD, stored) == []
    assert due_warnings([e], set(), DEFAULT_LEAD, stored + timedelta(seconds=59)) == []
    (w,) = due_warnings([e], set(), DEFAULT_LEAD, stored + MIN)
    assert w.expired  # a minute later it has expired: that is said once
    # An index written by a clock ahead of ours does not silence it.
    ahead = static(T0 + DAY, T0, stored=T0 + DAY + HOUR)
    assert len(due_warnings([ahead], set(), DEFAULT_LEAD, T0 + DAY - MIN)) == 1


def test_long_lived_tokens_are_told_in_tiers_and_turn_expiring_with_the_first() -> None:
    e = static(T0 + 90 * DAY, T0)
    told, seen = [], set()
    for left in (20 * DAY, 14 * DAY, 10 * DAY, 3 * DAY, DAY, HOUR, 10 * MIN, -MIN):
        at = T0 + 90 * DAY - left
        due = due_warnings([e], seen, DEFAULT_LEAD, at)
        seen |= {w.key for w in due}
        told.append((e.status(at), [w.tier for w in due]))
    assert told == [
        ("valid", []), (STATUS_EXPIRING, ["14d"]), (STATUS_EXPIRING, []),
        (STATUS_EXPIRING, ["3d"]), (STATUS_EXPIRING, ["1d"]), (STATUS_EXPIRING, []),
        (STATUS_EXPIRING, [""]), (STATUS_EXPIRED, []),
    ]  # fmt: skip


def test_a_token_that_renews_itself_is_never_expiring_nor_notified() -> None:
    cfg = OAuthConfig(issuer="https://as.example", client_id="c")
    e = Entry(name="o", kind="oauth2", oauth=cfg, secrets=["access", "refresh"],
              expires_at=T0 + HOUR, issued_at=T0, created_at=T0, updated_at=T0)
    at = T0 + HOUR - MIN
    assert e.status(at) == "valid" and due_warnings([e], set(), DEFAULT_LEAD, at) == []
    assert e.status(T0 + 2 * HOUR) == STATUS_EXPIRED
    e.state = "sign_in_needed"  # only a new sign-in renews it now: told like any other
    assert e.status(at) == STATUS_EXPIRING
    assert [w.sign_in for w in due_warnings([e], set(), DEFAULT_LEAD, at)] == [True]


# ------------------------------------------------------------ the command line


def _jwt(claims: dict[str, object]) -> str:
    def seg(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'RS256', 'typ': 'JWT'})}.{seg(claims)}.c2ln"


def test_list_json_follows_the_model_with_the_default_lead_time(cli: CliRunner) -> None:
    now = int(time.time())
    cli("add", "five-min", stdin=_jwt({"iat": now, "exp": now + 300}))
    cli("add", "hour-old", stdin=_jwt({"iat": now - 3300, "exp": now + 300}))
    cli("add", "pat", stdin=_jwt({"iat": now - 80 * 86400, "exp": now + 10 * 86400}))
    cli("add", "new-pat", stdin=_jwt({"iat": now, "exp": now + 10 * 86400}))
    rows = {r["name"]: r["status"] for r in json.loads(cli("list", "--json").out)}
    assert rows == {
        "five-min": "valid",  # 5 min left of 5: not its last quarter
        "hour-old": "expiring",  # 5 min left of an hour: within the 10-minute lead time
        "pat": "expiring",  # 10 days left of 90: inside its 14-day tier
        "new-pat": "valid",  # 10 days left of 10: no tier fits, the lead time is far
    }


def test_get_of_an_expired_token_warns_and_still_hands_it_out(cli: CliRunner) -> None:
    cli("add", "old-key", "--expires-at", "2001-01-01T00:00:00Z", stdin="sk_live_abcdefgh")
    r = cli("get", "old-key")
    assert r.status == 0 and r.out == "sk_live_abcdefgh\n"
    assert r.err.startswith("tokenmgr: warning: old-key expired ")
    assert "(2001-01-01T00:00:00Z)" in r.err and "tokenmgr add old-key --force" in r.err
    assert "sk_live_abcdefgh" not in r.err
    r = cli("export", "old-key")
    assert r.status == 0 and "old-key expired" in r.err
    cli("add", "fresh", stdin="sk_live_ijklmnop")
    assert cli("get", "fresh").err == ""


def test_expired_note_words() -> None:
    now = T0 + 3 * DAY
    e = static(T0, T0 - DAY)
    e.name = "ci"
    assert handout.expired_note(e, now) == (
        "ci expired 3 days ago (2026-10-01T00:00:00Z) and was handed out anyway; "
        "store a new one (`tokenmgr add ci --force`)"
    )
    assert handout.expired_note(e, T0 - MIN) is None
