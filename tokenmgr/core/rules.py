"""The rules an entry's fields keep, and the expiry status rule, without the data model.

What a name, an environment variable, a scheme, a user name and a token may be; how
times are read and written; and "expiring soon", the one rule the list, the tray,
the notifications and `list --json` share. `entries.py` builds the data model on
these; `list` reads the index with them alone, without building entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from tokenmgr.core.errors import InvalidSecret, UsageError

KINDS = ("static", "oauth2")
# Secret fields an entry may hold in the secret store.
# "binding" is not secret (a digest of where the others may be sent, oauth/binding.py),
# but it lives beside them in the store, where editing the index cannot reach it.
SECRET_FIELDS = ("access", "refresh", "id", "client_secret", "binding")

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
ENV_VAR_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SCHEME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")  # an RFC 9110 token

# Status names shared by `list --json` and the GUI.
STATUS_VALID = "valid"
STATUS_EXPIRING = "expiring"
STATUS_EXPIRED = "expired"
STATUS_UNKNOWN = "unknown"

# "Expiring soon", one rule for the list, the tray and its tooltip, the notifications
# and `list --json`. A token is expiring from the lead time before its end (the app's
# "Warn before a token expires" setting; the command line, which has no settings, uses
# the default), but never for more than the last quarter of its lifetime: a 5-minute
# token is not "expiring" from birth. A long-lived token is told about earlier, in tiers
# (14, 3 and 1 day ahead), each one that fits in that last quarter, so a 90-day token
# turns "expiring" two weeks ahead and a 1-day token only at the lead time.
DEFAULT_LEAD = timedelta(minutes=10)
EXPIRING_SHARE = 4  # at most the last 1/4 of the lifetime is "expiring"
TIERS: tuple[tuple[str, timedelta], ...] = (
    ("14d", timedelta(days=14)),
    ("3d", timedelta(days=3)),
    ("1d", timedelta(days=1)),
)
LEAD_TIER = ""  # the name of the last warning point: the lead time (or the quarter)


def now_utc() -> datetime:
    return datetime.now(UTC)


def warning_points(
    expires_at: datetime | None, since: datetime | None, lead: timedelta = DEFAULT_LEAD
) -> tuple[tuple[str, timedelta], ...]:
    """When, before `expires_at`, a token is told about, widest first, as (tier name, how
    long ahead): the tiers that fit in the last quarter of its lifetime (from `since`, when
    it was issued or stored) and are longer than the lead time, then (LEAD_TIER, the lead
    time or the last quarter when that is shorter). The first is where "expiring" starts.
    An unknown lifetime (no `since`) gets the lead time alone."""
    lead = max(lead, timedelta(0))
    if expires_at is None or since is None or since >= expires_at:
        return ((LEAD_TIER, lead),)
    share = (expires_at - since) / EXPIRING_SHARE
    base = min(lead, share)
    early = tuple((name, ahead) for name, ahead in TIERS if base < ahead <= share)
    return (*early, (LEAD_TIER, base))


def warning_window(
    expires_at: datetime | None, since: datetime | None, lead: timedelta = DEFAULT_LEAD
) -> timedelta:
    """How long before its end a token counts as expiring (see `warning_points`)."""
    return warning_points(expires_at, since, lead)[0][1]


def due_point(
    expires_at: datetime | None, since: datetime | None, now: datetime,
    lead: timedelta = DEFAULT_LEAD,
) -> str | None:
    """The nearest warning point reached at `now` (a tier name, or LEAD_TIER within the
    lead time and after the end); None before the first."""
    if expires_at is None:
        return None
    remaining = expires_at - now
    for name, ahead in reversed(warning_points(expires_at, since, lead)):
        if remaining <= ahead:
            return name
    return None


def renews(kind: str, flow: str | None, secrets: Iterable[str], state: str | None) -> bool:
    """Can the app get a new access token without the person (no sign-in page)? An entry
    that can is never "expiring": it is renewed before it ends."""
    if kind != "oauth2" or flow is None or state == "sign_in_needed":
        return False
    needed = "client_secret" if flow == "client-credentials" else "refresh"
    return needed in secrets


def status_at(
    expires_at: datetime | None,
    since: datetime | None,
    now: datetime,
    lead: timedelta = DEFAULT_LEAD,
    *,
    renewable: bool = False,
) -> str:
    """The status rule, the one place it lives: `list`, the window, the tray, and the
    notifications' first warning (`warning_points`). `since` is when the token was issued
    (or, unknown that, stored); `renewable`: the app renews it before it ends."""
    if expires_at is None:
        return STATUS_UNKNOWN
    remaining = expires_at - now
    if remaining <= timedelta(0):
        return STATUS_EXPIRED
    if renewable:
        return STATUS_VALID
    # Every warning point lies in the last quarter of the lifetime: before it, no need
    # to work out which.
    if since is not None and remaining > (expires_at - since) / EXPIRING_SHARE > timedelta(0):
        return STATUS_VALID
    return STATUS_EXPIRING if remaining <= warning_window(expires_at, since, lead) else STATUS_VALID


# What a pasted token looks like: a JWT, or a provider's well-known secret prefix.
_TOKEN_SHAPE = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"
    r"|(?:gh[pousr]_|github_pat_|glpat-|gl(?:oas|dt|rt|ptt)-|xox[abposre]-|xapp-"
    r"|sk_live_|sk_test_|rk_live_|rk_test_|sk-proj-|sk-ant-|ya29\.|AKIA|ASIA|npm_|pypi-)"
    r"[A-Za-z0-9._-]{12,}"
)


def looks_like_token(text: str) -> bool:
    """True for a JWT shape or a known token prefix followed by a token's worth of text."""
    return _TOKEN_SHAPE.fullmatch(text.strip()) is not None


def validate_name(name: str) -> str:
    if looks_like_token(name):
        # Never echoed: it is most likely the token itself, pasted in the wrong place.
        raise UsageError(
            "the name looks like a token (not shown): give the entry a short name, e.g. "
            "`github-ci`, and pass the token on stdin or at the prompt"
        )
    if not NAME_RE.fullmatch(name):
        shown = repr(name) if len(name) <= 64 else "(not shown, over 64 characters)"
        raise UsageError(
            f"invalid name {shown}: use 1-64 letters, digits or . _ @ + -, "
            "starting with a letter or digit"
        )
    return name


def validate_env_var(var: str) -> str:
    if not ENV_VAR_RE.fullmatch(var):
        raise UsageError(
            f"invalid environment variable name {var!r}: use letters, digits and _, "
            "not starting with a digit (e.g. GITHUB_TOKEN)"
        )
    return var


def validate_scheme(scheme: str) -> str:
    if not SCHEME_RE.fullmatch(scheme):
        raise UsageError(f"invalid scheme {scheme!r}: use a single word such as Bearer or token")
    return scheme


def validate_username(username: str) -> str:
    """The user name credential helpers send with the token: printable, one line, no
    colon (git and HTTP Basic would split it there)."""
    if len(username) > 256 or not username.isprintable() or ":" in username:
        raise UsageError(
            "invalid user name: use up to 256 printable characters without a colon "
            "(e.g. x-access-token, oauth2 or your account name)"
        )
    return username




def default_env_var(name: str) -> str:
    """NAME upper-cased, non-alphanumerics → `_`, plus `_TOKEN` unless it already ends so."""
    var = re.sub(r"[^A-Za-z0-9]", "_", name).upper()
    if var[:1].isdigit():
        var = "_" + var
    if not var.endswith("_TOKEN") and var != "TOKEN":
        var += "_TOKEN"
    return var


# What any face says about a token with a line break: `add`, `decode`, the add dialog
# and Paste & decode all use these words.
LINE_BREAK = "the token holds a line break (CR or LF); a token is a single line"

# The most a token given by the user may be, in UTF-8 bytes: `add` (stdin or prompt), the
# app's add dialog and `decode` all stop here. Web servers refuse headers far shorter
# (8-16 KiB is usual), so nothing usable is turned away.
MAX_TOKEN_BYTES = 64 * 1024
MAX_TOKEN_WORDS = "64 KiB"
TOO_LONG = f"the token is over {MAX_TOKEN_WORDS}, the most tokenmgr takes"


def validate_secret(value: str) -> str:
    """Refuse values no backend or rendering can carry safely."""
    if value == "":
        raise InvalidSecret("the token is empty: nothing was stored")
    if "\r" in value or "\n" in value:
        raise InvalidSecret(f"{LINE_BREAK}: nothing was stored")
    if "\x00" in value:
        raise InvalidSecret("the token holds a NUL character: nothing was stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidSecret(
            "the token is not valid text (lone surrogate): nothing was stored"
        ) from None
    return value


def validate_token(value: str) -> str:
    """A token the user gives (`add`, the add dialog): `validate_secret`, and at most
    MAX_TOKEN_BYTES of UTF-8."""
    validate_secret(value)
    if len(value) > MAX_TOKEN_BYTES or len(value.encode("utf-8")) > MAX_TOKEN_BYTES:
        raise InvalidSecret(f"{TOO_LONG}: nothing was stored")
    return value


# Copied from devtools or Postman, a header value comes with its scheme in front, and
# sometimes with the header's name: `Bearer eyJ…`, `Authorization: Bearer eyJ…`.
_PASTED_PREFIX = re.compile(
    r"\s*(?P<header>authorization\s*:\s*)?(?P<scheme>[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64})[ \t]+",
    re.IGNORECASE,
)
# Schemes recognised after a pasted `Authorization:` even when the entry uses another.
KNOWN_SCHEMES = ("Bearer", "token", "Basic", "Bot", "ApiKey", "DPoP", "OAuth", "SSWS")


def strip_pasted_scheme(token: str, scheme: str = "Bearer") -> tuple[str, str | None]:
    """The token without a pasted `Bearer ` / `Authorization: Bearer ` in front (any case;
    the entry's own scheme too, e.g. `token `), and a sentence saying what was removed
    (None when nothing was).

    Only a prefix is removed, never text inside the token; a prefix with nothing after
    it is refused (InvalidSecret) rather than leaving an empty token.
    """
    m = _PASTED_PREFIX.match(token)
    if m is None:
        return token, None
    word = m.group("scheme")
    ours = {scheme.lower(), "bearer"}
    if m.group("header"):
        if word.lower() not in ours | {s.lower() for s in KNOWN_SCHEMES}:
            return token, None
    elif word.lower() not in ours:
        return token, None
    removed = " ".join(m.group(0).split())
    rest = token[m.end() :]
    if not rest.strip():
        raise InvalidSecret(
            f"only {removed!r} was given, with no token after it: nothing was stored"
        )
    note = f"removed {removed!r} pasted in front of the token (the header adds the scheme)"
    if word.lower() not in ours:
        note += f"; the pasted header used {word!r}, this entry uses {scheme!r}"
    return rest, note


def parse_time(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp; naive times are taken as UTC."""
    if text is None or text == "":
        return None
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(s)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise UsageError(
            f"invalid time {text!r}: use ISO 8601, e.g. 2026-12-31T23:59:00Z or 2026-12-31"
        ) from None


def parse_time_or_none(text: object) -> datetime | None:
    """`parse_time` for text read back from the index: None when it is not a time."""
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text)
    except UsageError:
        return None


def same_time(a: datetime | None, b: datetime | None) -> bool:
    """The same time as the index keeps times (to the second): a time just set in
    memory equals the one read back."""
    return format_time(a) == format_time(b)


def format_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


VERDICT_ACCEPTED = "accepted"
VERDICT_REFUSED = "refused"
EXPIRY_FROM_TOKEN = "token"
EXPIRY_FROM_PROVIDER = "provider"
EXPIRY_FROM_TYPED = "typed"


def expiry_source(
    expires_at: datetime | None,
    kind: str,
    token_exp: object,
    provider_exp: datetime | None,
) -> str | None:
    """Where an entry's expiry came from (`Entry.expiry_source`), from its parts: the
    expiry, its kind, the `expires_at` of its token's report and of its provider check."""
    if expires_at is None:
        return None
    if parse_time_or_none(token_exp) == expires_at:
        return EXPIRY_FROM_TOKEN
    if provider_exp == expires_at or kind == "oauth2":
        return EXPIRY_FROM_PROVIDER  # an OAuth token response's `expires_in` is too
    return EXPIRY_FROM_TYPED


def refused_now(
    verdict: object, token_issued_at: datetime | None, issued_at: datetime | None
) -> bool:
    """A refusal counts for the token it was about only (not one stored since)."""
    return verdict == VERDICT_REFUSED and same_time(token_issued_at, issued_at)
