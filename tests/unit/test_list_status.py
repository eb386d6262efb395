"""`list`'s status check (core.usecases) without building Entries gives what
`Entry.from_dict(...).status()` gives: the same status, and for a tampered entry the same
error, field by field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import format_time, now_utc
from tokenmgr.core.usecases.listing import _checked_status

NOW = now_utc().replace(microsecond=0)


def _time(offset: timedelta) -> str | None:
    return format_time(NOW + offset)


times = st.one_of(
    st.sampled_from([None, "", "not a time", 17, "2026-02-30T00:00:00Z", "2026-12-31"]),
    st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)).map(_time),
)

items = st.fixed_dictionaries(
    {"name": st.sampled_from(["ok", "a.b@c+d", "-bad", "", "x" * 65, "has space"])},
    optional={
        "kind": st.sampled_from(["static", "oauth2", "other", None]),
        "env_var": st.sampled_from(["", "GOOD_TOKEN", "1BAD", "BAD-VAR", None]),
        "scheme": st.sampled_from(["Bearer", "token", "bad scheme", "", None]),
        "expires_at": times,
        "issued_at": times,
        "created_at": times,
        "updated_at": times,
        "tags": st.sampled_from([[], ["a"], None, 3, "ab"]),
        "secrets": st.sampled_from(
            [[], ["access"], None, 3, ["access", "refresh"], ["access", "client_secret"]]
        ),
        "oauth": st.sampled_from(
            [None, {}, {"issuer": "https://x"}, "junk", {"flow": "client-credentials"}]
        ),
        "note": st.sampled_from(["", "n", None]),
        "state": st.sampled_from([None, "sign_in_needed"]),
    },
)


def _outcome(fn: Any) -> tuple[str, str]:
    try:
        return "ok", str(fn())
    except Exception as e:
        return type(e).__name__, str(e)


@settings(max_examples=400, deadline=None)
@given(items)
def test_same_status_and_same_errors_as_entry(item: dict[str, Any]) -> None:
    status = _checked_status
    expected = _outcome(lambda: Entry.from_dict(dict(item)).status(NOW))
    assert _outcome(lambda: status(item, NOW)) == expected


def test_status_boundaries() -> None:
    status = _checked_status
    day = timedelta(days=1)
    cases = [
        ({}, "unknown"),
        ({"expires_at": _time(-day)}, "expired"),
        ({"expires_at": _time(timedelta(0))}, "expired"),
        # Issued now, 7 days to go: the 1-day tier fits in its last quarter.
        ({"issued_at": _time(timedelta(0)), "expires_at": _time(6 * day)}, "valid"),
        ({"issued_at": _time(-6 * day), "expires_at": _time(day)}, "expiring"),
        # one-hour token: the lead time (10 min, shorter than its last quarter)
        ({"issued_at": _time(timedelta(minutes=-49)), "expires_at": _time(timedelta(minutes=11))},
         "valid"),
        ({"issued_at": _time(timedelta(minutes=-50)), "expires_at": _time(timedelta(minutes=10))},
         "expiring"),
        # a 5-minute token: its last quarter (75 s), not the lead time
        ({"issued_at": _time(timedelta(minutes=-3)), "expires_at": _time(timedelta(minutes=2))},
         "valid"),
        ({"issued_at": _time(timedelta(seconds=-240)), "expires_at": _time(timedelta(seconds=60))},
         "expiring"),
        # an OAuth entry that renews itself is never "expiring", only expired
        ({"kind": "oauth2", "oauth": {}, "secrets": ["access", "refresh"],
          "issued_at": _time(-day), "expires_at": _time(timedelta(minutes=1))}, "valid"),
        ({"kind": "oauth2", "oauth": {}, "secrets": ["access", "refresh"],
          "state": "sign_in_needed",
          "issued_at": _time(-day), "expires_at": _time(timedelta(minutes=1))}, "expiring"),
        ({"kind": "oauth2", "oauth": {}, "secrets": ["access"],
          "issued_at": _time(-day), "expires_at": _time(timedelta(minutes=1))}, "expiring"),
    ]  # fmt: skip
    for extra, want in cases:
        item = {"name": "t", **extra}
        assert status(item, NOW) == want == Entry.from_dict(dict(item)).status(NOW)
