"""Each provider's documented answers → the right verdict, expiry and scopes (no network:
the readers are pure). The same answers are served over HTTPS in test_probe_cli.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from requests.structures import CaseInsensitiveDict

from tokenmgr.core.probe import answers
from tokenmgr.core.probe.answers import UNKNOWN
from tokenmgr.core.probe.http import Reply

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def reply(status: int, body: object = None, **headers: str) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    h = CaseInsensitiveDict({k.replace("_", "-"): v for k, v in headers.items()})
    h.setdefault("Content-Type", "application/json; charset=utf-8")
    return Reply(status, h, data)


# ------------------------------------------------------------------------ GitHub


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2021-10-07 19:07:53 UTC", datetime(2021, 10, 7, 19, 7, 53, tzinfo=UTC)),
        ("2027-01-31 12:00:00 +0200", datetime(2027, 1, 31, 10, 0, tzinfo=UTC)),
        ("2027-01-31 12:00:00 -0700", datetime(2027, 1, 31, 19, 0, tzinfo=UTC)),
        ("2027-01-31 12:00:00 -0700 MST", datetime(2027, 1, 31, 19, 0, tzinfo=UTC)),
        ("2027-01-31 12:00 +05:30", datetime(2027, 1, 31, 6, 30, tzinfo=UTC)),
        ("2027-01-31T12:00:00Z", datetime(2027, 1, 31, 12, 0, tzinfo=UTC)),
    ],
)
def test_github_expiry_header_in_utc_and_offset_forms(header: str, expected: datetime) -> None:
    assert answers.parse_github_time(header) == expected


@pytest.mark.parametrize("header", ["", "tomorrow", "2027-13-40 00:00:00 UTC", "2027-01-31"])
def test_github_expiry_header_unreadable(header: str) -> None:
    assert answers.parse_github_time(header) is None


def test_github_classic_token_with_expiry_and_scopes() -> None:
    a = answers.read_github(
        reply(
            200,
            {"login": "octocat"},
            GitHub_Authentication_Token_Expiration="2027-01-31 19:07:53 UTC",
            X_OAuth_Scopes="repo, read:org",
        ),
        NOW,
        pat=True,
    )
    assert a.verdict == "accepted"
    assert a.expires_at == datetime(2027, 1, 31, 19, 7, 53, tzinfo=UTC)
    assert a.scopes == ("repo", "read:org") and a.account == "octocat" and not a.no_expiry


def test_github_fine_grained_token_has_no_scopes_header() -> None:
    a = answers.read_github(
        reply(
            200, {"login": "o"}, GitHub_Authentication_Token_Expiration="2027-01-31 12:00:00 +0200"
        ),
        NOW,
        pat=True,
    )
    assert a.verdict == "accepted" and a.scopes is None
    assert a.expires_at == datetime(2027, 1, 31, 10, 0, tzinfo=UTC)


def test_github_personal_token_without_the_header_has_no_expiry() -> None:
    a = answers.read_github(reply(200, {"login": "o"}, X_OAuth_Scopes=""), NOW, pat=True)
    assert a.verdict == "accepted" and a.no_expiry and a.expires_at is None
    assert a.scopes == ()  # a classic token with no scopes at all
    # An OAuth app token without the header: GitHub does not say (not "no expiry").
    assert not answers.read_github(reply(200, {}), NOW, pat=False).no_expiry


def test_github_401_is_refused() -> None:
    body = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    a = answers.read_github(reply(401, body), NOW, pat=True)
    assert a.verdict == "refused" and a.reason == "revoked or expired"


@pytest.mark.parametrize(
    ("status", "headers", "body", "retry"),
    [
        (403, {"X_RateLimit_Remaining": "0", "X_RateLimit_Reset": "1796227200"}, None,
         datetime(2026, 12, 2, 16, 0, tzinfo=UTC)),
        (429, {"Retry_After": "120"}, None, NOW + timedelta(seconds=120)),
        (403, {"Retry_After": "60", "X_RateLimit_Remaining": "4990"}, None,
         NOW + timedelta(seconds=60)),
        (403, {}, {"message": "You have exceeded a secondary rate limit."},
         NOW + timedelta(minutes=1)),
        (429, {"Retry_After": "Wed, 02 Dec 2026 13:00:00 GMT"}, None,
         datetime(2026, 12, 2, 13, 0, tzinfo=UTC)),
    ],
)
def test_rate_limits_are_couldnt_check_not_refused(
    status: int, headers: dict[str, str], body: object, retry: datetime
) -> None:
    a = answers.read_github(reply(status, body, **headers), NOW, pat=True)
    assert a.verdict == UNKNOWN
    assert "rate-limiting" in a.reason
    assert a.retry_after == retry


def test_github_403_that_is_no_rate_limit_means_the_token_authenticated() -> None:
    a = answers.read_github(
        reply(403, {"message": "Resource not accessible by integration"},
              GitHub_Authentication_Token_Expiration="2027-01-31 19:07:53 UTC"),
        NOW,
        pat=False,
    )
    assert a.verdict == "accepted" and a.expires_at is not None


@pytest.mark.parametrize(("status", "word"), [(502, "failed"), (301, "redirect"), (404, "404")])
def test_github_other_answers_are_couldnt_check(status: int, word: str) -> None:
    a = answers.read_github(reply(status, {"message": "x"}), NOW, pat=True)
    assert a.verdict == UNKNOWN and word in a.reason


def test_github_unreadable_expiry_is_not_taken_as_no_expiry() -> None:
    a = answers.read_github(
        reply(200, {}, GitHub_Authentication_Token_Expiration="soon"), NOW, pat=True
    )
    assert a.verdict == UNKNOWN


# ------------------------------------------------------------------------ GitLab


def _gitlab(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": 4, "name": "ci", "revoked": False, "scopes": ["api", "read_user"],
        "user_id": 24, "active": True, "expires_at": "2027-01-31",
    }
    return {**base, **fields}


def test_gitlab_date_only_expiry_is_midnight_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: a local reading is a day off
    time.tzset()
    try:
        a = answers.read_gitlab(reply(200, _gitlab()), NOW)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert a.expires_at == datetime(2027, 1, 31, 0, 0, tzinfo=UTC)
    assert a.verdict == "accepted" and a.scopes == ("api", "read_user") and a.account == "ci"


def test_gitlab_no_expiry_revoked_inactive_and_401() -> None:
    a = answers.read_gitlab(reply(200, _gitlab(expires_at=None)), NOW)
    assert a.verdict == "accepted" and a.no_expiry and a.expires_at is None
    a = answers.read_gitlab(reply(200, _gitlab(revoked=True, active=False)), NOW)
    assert (a.verdict, a.reason) == ("refused", "revoked")
    a = answers.read_gitlab(reply(200, _gitlab(active=False, expires_at="2026-11-01")), NOW)
    assert (a.verdict, a.reason) == ("refused", "expired")
    a = answers.read_gitlab(reply(401, {"message": "401 Unauthorized"}), NOW)
    assert a.verdict == "refused"


def test_gitlab_rate_limit_and_old_versions() -> None:
    a = answers.read_gitlab(reply(429, b"Retry later\n", Retry_After="60"), NOW)
    assert a.verdict == UNKNOWN and a.retry_after == NOW + timedelta(seconds=60)
    a = answers.read_gitlab(reply(404, {"error": "404 Not Found"}), NOW)
    assert a.verdict == UNKNOWN and "15.5" in a.reason


def test_gitlab_oauth_token_info() -> None:
    body = {"resource_owner_id": 1, "scope": ["api"], "expires_in": 7200,
            "application": {"uid": "x"}, "created_at": 1}
    a = answers.read_gitlab_oauth(reply(200, body), NOW)
    assert a.verdict == "accepted" and a.expires_at == NOW + timedelta(hours=2)
    assert a.scopes == ("api",)
    assert answers.read_gitlab_oauth(reply(401, {}), NOW).verdict == "refused"


# ------------------------------------------------------------------ introspection


def test_introspection_active_and_not() -> None:
    a = answers.read_introspection(
        reply(200, {"active": True, "exp": 1796227200, "scope": "openid api:read",
                    "client_id": "c", "sub": "alice"}),
        NOW,
    )
    assert a.verdict == "accepted"
    assert a.expires_at == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert a.scopes == ("openid", "api:read") and a.account == "alice"
    a = answers.read_introspection(reply(200, {"active": False}), NOW)
    assert a.verdict == "refused"


@pytest.mark.parametrize(
    ("status", "body", "word"),
    [
        (401, {"error": "invalid_client"}, "client authentication"),
        (400, {"error": "invalid_client"}, "client authentication"),
        (400, {"error": "unsupported_token_type"}, "does not introspect"),
        (200, {"exp": 1}, "did not say"),
        (200, {"active": "yes"}, "did not say"),
    ],
)
def test_introspection_errors_are_about_the_request_not_the_token(
    status: int, body: object, word: str
) -> None:
    a = answers.read_introspection(reply(status, body), NOW)
    assert a.verdict == UNKNOWN and word in a.reason


# ------------------------------------------------------------------- check URL


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(200, "accepted"), (204, "accepted"), (401, "refused"), (403, UNKNOWN), (404, UNKNOWN),
     (500, UNKNOWN), (302, UNKNOWN), (429, UNKNOWN)],
)
def test_check_url_2xx_accepted_401_refused(status: int, verdict: str) -> None:
    assert answers.read_status(reply(status, {"error": "x"}), NOW).verdict == verdict


def test_server_text_is_printable_and_bounded() -> None:
    a = answers.read_github(
        reply(200, {"login": "evil\x1b[31m" + "x" * 500}, X_OAuth_Scopes="repo,\u202eadmin"),
        NOW,
        pat=True,
    )
    assert "\x1b" not in a.account and len(a.account) <= 100
    assert a.scopes is not None and all(s.isprintable() for s in a.scopes)
