"""How to read each provider's answer: a `Reply` in, an `Answer` out.

Verdicts: ACCEPTED (the provider took the token), REFUSED (it said the token is no
good: 401, `active: false`, `revoked: true`) and UNKNOWN (it could not be asked or
did not say: offline, a rate limit, a failing server, a redirect). A rate limit is
never a refusal: GitHub answers 403 or 429 with `X-RateLimit-Remaining: 0` or
`Retry-After`, and the token may be fine.

Every reader is pure (the reply and the time in, the answer out), so each provider's
documented answers are tested without a network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from tokenmgr.core.probe.http import Reply
from tokenmgr.core.redact import server_text
from tokenmgr.core.rules import VERDICT_ACCEPTED, VERDICT_REFUSED

UNKNOWN = "unknown"
# Waiting at least this long after a rate limit that names no time (GitHub's advice
# for its secondary limits is a minute; a background check waits longer anyway).
DEFAULT_RETRY = timedelta(minutes=1)
MAX_SCOPES = 100


@dataclass(frozen=True)
class Answer:
    """What one probe learned. `reason`: for REFUSED, why in a few words; for UNKNOWN,
    why the provider could not be asked, as a sentence."""

    verdict: str
    expires_at: datetime | None = None
    no_expiry: bool = False
    scopes: tuple[str, ...] | None = None
    account: str = ""
    reason: str = ""
    retry_after: datetime | None = None


def unknown(reason: str, retry_after: datetime | None = None) -> Answer:
    return Answer(UNKNOWN, reason=reason, retry_after=retry_after)


# ------------------------------------------------------------------ common rules


def _retry_at(reply: Reply, now: datetime) -> datetime:
    """When to ask again after a rate limit: `Retry-After` (seconds or an HTTP date),
    else the limit's reset time (`X-RateLimit-Reset`, `RateLimit-Reset`: epoch
    seconds), else a minute from now."""
    value = reply.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 7 * 86400))
    if value:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None and when.tzinfo is not None:
            return max(now, when.astimezone(UTC))
    for name in ("X-RateLimit-Reset", "RateLimit-Reset"):
        reset = reply.headers.get(name, "").strip()
        if reset.isdigit():
            epoch = int(reset)
            if epoch > 10**9:  # an epoch time, not a count of seconds
                return max(now, datetime.fromtimestamp(min(epoch, 2**33), UTC))
            return now + timedelta(seconds=epoch)
    return now + DEFAULT_RETRY


def _message(reply: Reply) -> str:
    body = reply.json()
    if isinstance(body, dict):
        for key in ("message", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return ""


def rate_limited(reply: Reply) -> bool:
    """429, or 403 with the marks of a rate limit (GitHub's primary and secondary
    limits), as opposed to a 403 about the token itself."""
    if reply.status == 429:
        return True
    if reply.status != 403:
        return False
    h = reply.headers
    if h.get("X-RateLimit-Remaining", "").strip() == "0" or h.get("Retry-After"):
        return True
    return "rate limit" in _message(reply).lower()


def common(reply: Reply, now: datetime, who: str) -> Answer | None:
    """The answers every provider gives alike: rate limits, redirects, server errors."""
    if rate_limited(reply):
        when = _retry_at(reply, now)
        return unknown(f"{who} is rate-limiting requests (HTTP {reply.status})", when)
    if 300 <= reply.status < 400:
        return unknown(
            f"{who} answered with a redirect (HTTP {reply.status}), which tokenmgr does "
            "not follow with a token"
        )
    if reply.status >= 500:
        return unknown(f"{who} failed (HTTP {reply.status}); try again later")
    return None


def _scopes(values: Any) -> tuple[str, ...] | None:
    """A list of scope names from a list, or a comma or space separated string."""
    if isinstance(values, str):
        items = re.split(r"[,\s]+", values)
    elif isinstance(values, list):
        items = [v for v in values if isinstance(v, str)]
    else:
        return None
    return tuple(server_text(s, 100) for s in items if s.strip())[:MAX_SCOPES]


# ------------------------------------------------------------------------ GitHub

# `GitHub-Authentication-Token-Expiration`: "2021-10-07 19:07:53 UTC" for classic
# tokens, "2023-04-26 12:00:00 +0200" for others (a numeric offset, sometimes followed
# by a zone name); tolerated also with a `T` and a `Z`.
_GITHUB_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\s*"
    r"(UTC|GMT|Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Za-z]{1,6})?"
)


def parse_github_time(text: str) -> datetime | None:
    """The expiry GitHub puts in its header, as UTC; None when unreadable."""
    m = _GITHUB_TIME.fullmatch(text.strip())
    if m is None:
        return None
    date, clock, zone = m.groups()
    if clock.count(":") == 1:
        clock += ":00"
    offset = "+00:00" if zone in (None, "UTC", "GMT", "Z") else zone
    if ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    try:
        return datetime.fromisoformat(f"{date}T{clock}{offset}").astimezone(UTC)
    except ValueError:
        return None


def read_github(reply: Reply, now: datetime, *, pat: bool) -> Answer:
    """Any authenticated answer of GitHub's API: the token's expiry in
    `GitHub-Authentication-Token-Expiration`, a classic token's scopes in
    `X-OAuth-Scopes`, the user in the body. 401 (`Bad credentials`) is a refusal; a
    403 that is no rate limit means the token authenticated but may not read this."""
    who = "GitHub"
    found = common(reply, now, who)
    if found is not None:
        return found
    if reply.status == 401:
        return Answer(VERDICT_REFUSED, reason="revoked or expired")
    if not (200 <= reply.status < 300 or reply.status == 403):
        return unknown(f"{who} answered HTTP {reply.status}")
    header = reply.headers.get("GitHub-Authentication-Token-Expiration")
    expires = parse_github_time(header) if header else None
    if header and expires is None:
        return unknown(f"{who} sent an expiry tokenmgr cannot read")
    scopes = reply.headers.get("X-OAuth-Scopes")
    body = reply.json() if reply.status != 403 else None
    login = body.get("login") if isinstance(body, dict) else None
    return Answer(
        VERDICT_ACCEPTED,
        expires_at=expires,
        # Personal access tokens with no expiry come without the header.
        no_expiry=expires is None and pat,
        scopes=_scopes(scopes) if scopes is not None else None,
        account=server_text(login, 100) if isinstance(login, str) else "",
    )


# ------------------------------------------------------------------------ GitLab


def gitlab_date(text: str) -> datetime | None:
    """GitLab's date-only `expires_at`: the token stops working at the start of that
    day in UTC (GitLab documents expiry "at midnight UTC"), whatever the local zone."""
    try:
        day = datetime.strptime(text.strip()[:10], "%Y-%m-%d")
    except ValueError:
        return None
    if len(text.strip()) > 10:
        # A full time (some versions and the token-info API): taken as written.
        try:
            return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None
    return day.replace(tzinfo=UTC)


def read_gitlab(reply: Reply, now: datetime) -> Answer:
    """`GET /api/v4/personal_access_tokens/self`: `active`, `revoked`, `expires_at` (a
    date), `scopes`, `name`. 401 is a refusal; a 403 means the token authenticated
    but lacks the scope to describe itself."""
    who = "GitLab"
    found = common(reply, now, who)
    if found is not None:
        return found
    if reply.status == 401:
        return Answer(VERDICT_REFUSED, reason="revoked or expired")
    if reply.status == 403:
        return Answer(VERDICT_ACCEPTED)
    if reply.status == 404:
        return unknown(f"{who} has no personal_access_tokens/self here (GitLab 15.5 or later)")
    body = reply.json()
    if not (200 <= reply.status < 300) or not isinstance(body, dict):
        return unknown(f"{who} answered HTTP {reply.status} without a token's description")
    raw = body.get("expires_at")
    expires = gitlab_date(raw) if isinstance(raw, str) else None
    if isinstance(raw, str) and expires is None:
        return unknown(f"{who} sent an expiry tokenmgr cannot read")
    scopes = _scopes(body.get("scopes"))
    if body.get("revoked") is True:
        return Answer(VERDICT_REFUSED, expires_at=expires, scopes=scopes, reason="revoked")
    if body.get("active") is False:
        return Answer(VERDICT_REFUSED, expires_at=expires, scopes=scopes, reason="expired")
    name = body.get("name")
    return Answer(
        VERDICT_ACCEPTED,
        expires_at=expires,
        no_expiry=raw is None and "expires_at" in body,
        scopes=scopes,
        account=server_text(name, 100) if isinstance(name, str) else "",
    )


def read_gitlab_oauth(reply: Reply, now: datetime) -> Answer:
    """`GET /oauth/token/info` (an OAuth access token): `scope` (a list), `expires_in`
    (seconds, or null)."""
    who = "GitLab"
    found = common(reply, now, who)
    if found is not None:
        return found
    if reply.status == 401:
        return Answer(VERDICT_REFUSED, reason="revoked or expired")
    body = reply.json()
    if not (200 <= reply.status < 300) or not isinstance(body, dict):
        return unknown(f"{who} answered HTTP {reply.status} without the token's details")
    seconds = body.get("expires_in", body.get("expires_in_seconds"))
    expires = None
    if isinstance(seconds, int) and not isinstance(seconds, bool) and seconds >= 0:
        expires = now + timedelta(seconds=min(seconds, 100 * 365 * 86400))
    return Answer(
        VERDICT_ACCEPTED,
        expires_at=expires,
        no_expiry="expires_in" in body and body["expires_in"] is None,
        scopes=_scopes(body.get("scope", body.get("scopes"))),
    )


# ----------------------------------------------------------- RFC 7662 introspection


def read_introspection(reply: Reply, now: datetime) -> Answer:
    """An RFC 7662 answer: `active` (required), `exp`, `scope`, `username`/`sub`. An
    error from the endpoint is about tokenmgr's request (its client was refused, or the
    server does not introspect this kind of token), never about the token."""
    who = "the introspection endpoint"
    found = common(reply, now, who)
    if found is not None:
        return found
    body = reply.json()
    if reply.status != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        if error == "unsupported_token_type":
            return unknown(f"{who} does not introspect this kind of token (e.g. JWTs)")
        if error == "invalid_client" or reply.status == 401:
            return unknown(f"{who} refused tokenmgr's client authentication")
        detail = f" ({server_text(error, 100)})" if isinstance(error, str) else ""
        return unknown(f"{who} answered HTTP {reply.status}{detail}")
    active = body.get("active")
    if active is not True:
        if active is False:
            return Answer(VERDICT_REFUSED, reason="not active (revoked or expired)")
        return unknown(f"{who} did not say whether the token is active")
    exp = body.get("exp")
    expires = None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            expires = datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError):
            return unknown(f"{who} sent an expiry tokenmgr cannot read")
    who_is = body.get("username", body.get("sub"))
    return Answer(
        VERDICT_ACCEPTED,
        expires_at=expires,
        scopes=_scopes(body.get("scope")) if "scope" in body else None,
        account=server_text(who_is, 100) if isinstance(who_is, str) else "",
    )


# ------------------------------------------------------------------- check URL


def read_status(reply: Reply, now: datetime) -> Answer:
    """Any HTTP API: 2xx accepted, 401 refused; nothing about expiry."""
    who = "the check URL"
    found = common(reply, now, who)
    if found is not None:
        return found
    if 200 <= reply.status < 300:
        return Answer(VERDICT_ACCEPTED)
    if reply.status == 401:
        return Answer(VERDICT_REFUSED, reason=f"HTTP 401: {_short(reply)}")
    return unknown(f"{who} answered HTTP {reply.status}, neither 2xx nor 401")


def _short(reply: Reply) -> str:
    message = _message(reply)
    return server_text(message, 80) if message else "unauthorized"


Reader = Callable[[Reply, datetime], Answer]
