"""Entry (non-secret metadata), OAuthConfig, and TokenSet (secrets, masked in repr).

Only `Entry` and `OAuthConfig` are ever written to the index file. `TokenSet`
holds the secret strings and exists only in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

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


def _hosts_from_index(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("hosts is not a list")
    from tokenmgr.core.hosts import normalize

    return normalize(str(h) for h in value)


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


@dataclass
class OAuthConfig:
    """How to (re)obtain tokens for an oauth2 entry. No secrets in here."""

    issuer: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    device_url: str | None = None
    revocation_url: str | None = None
    # RFC 7662: where the provider answers whether a token is still active.
    introspection_url: str | None = None
    client_id: str = ""
    scopes: list[str] = field(default_factory=list)
    audience: str | None = None
    resource: str | None = None
    extra_params: dict[str, str] = field(default_factory=dict)
    # The preset's placeholder values (tenant, domain, ...): what "sign in again" repeats.
    preset_params: dict[str, str] = field(default_factory=dict)
    flow: str = "code"
    browser: str = "system"
    redirect_port: int = 0
    preset: str | None = None
    # OAuth additions: "" (Basic when a secret exists), client_secret_basic, client_secret_post.
    token_endpoint_auth: str = ""
    # "rfc7009", or "github" (DELETE /applications/{client_id}/token).
    revocation_style: str = "rfc7009"
    # Other `iss` values the provider's ID tokens may carry (e.g. Google's bare host).
    id_token_issuers: list[str] = field(default_factory=list)
    # The redirect URI of the last code-flow sign-in, resent on refresh when the
    # provider wants it (GitLab).
    redirect_uri: str | None = None
    resend_redirect_uri: bool = False
    # The `iss` the provider puts on its authorization responses when no discovery
    # document names the issuer (GitHub); a present but different `iss` is refused
    # (RFC 9207).
    authorization_response_iss: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    URL_FIELDS = (
        "issuer",
        "authorize_url",
        "token_url",
        "device_url",
        "revocation_url",
        "introspection_url",
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OAuthConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        cfg = cls(**known)
        cfg.check_urls()
        return cfg

    def check_urls(self) -> None:
        """Every endpoint https (http only on loopback): the index is plain text, and an
        edited URL must not decide where a refresh token is sent."""
        from tokenmgr.core.oauth.http import check_url

        for name in self.URL_FIELDS:
            url = getattr(self, name)
            if url is not None:
                check_url(url, name)


# What a provider said of a token (core/probe), and where an expiry came from.
VERDICT_ACCEPTED = "accepted"
VERDICT_REFUSED = "refused"
EXPIRY_FROM_TOKEN = "token"
EXPIRY_FROM_PROVIDER = "provider"
EXPIRY_FROM_TYPED = "typed"


@dataclass
class ProviderCheck:
    """The last answer of an entry's provider about its token, kept in the index: no
    secret, only what the provider said and when. Written by core/probe.

    `verdict` and the fields after it up to `checked_at` are the last *known* state (an
    answer that said accepted or refused); an attempt that could not check (offline,
    rate-limited, a failing server) only sets `attempted_at`, `problem` and
    `retry_after`, so the known state stays, with its age.
    """

    provider: str  # who was asked, for people: "GitHub", "gitlab.example.com", ...
    kind: str  # which prober: core/probe/providers.py
    verdict: str | None = None  # VERDICT_ACCEPTED / VERDICT_REFUSED; None: never known
    reason: str = ""  # a refusal's reason in a few words ("revoked", "revoked or expired")
    expires_at: datetime | None = None
    no_expiry: bool = False  # the provider said the token has no expiry
    scopes: list[str] | None = None  # None: the provider does not say
    account: str = ""  # who the token acts as, when the provider says
    token_type: str = ""  # e.g. "fine-grained personal access token"
    checked_at: datetime | None = None  # when the verdict was given
    since: datetime | None = None  # when the verdict first became what it is
    token_issued_at: datetime | None = None  # the entry's `issued_at` when it was asked
    attempted_at: datetime | None = None  # the last attempt, answered or not
    problem: str = ""  # why the last attempt could not check ("" when it answered)
    retry_after: datetime | None = None  # not asked again before (a rate limit)

    _TIMES: ClassVar[tuple[str, ...]] = (
        "expires_at",
        "checked_at",
        "since",
        "token_issued_at",
        "attempted_at",
        "retry_after",
    )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in self._TIMES:
            out[name] = format_time(getattr(self, name))
        return out

    @classmethod
    def from_dict(cls, data: object) -> ProviderCheck | None:
        """From the index; None for anything that is not a check (shown as never asked)."""
        if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
            return None
        kwargs: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name not in data:
                continue
            value = data[name]
            if name in cls._TIMES:
                kwargs[name] = parse_time_or_none(value)
            elif name == "scopes":
                ok = value is None or (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)
                )
                kwargs[name] = list(value) if ok and value is not None else None
            elif name == "no_expiry":
                kwargs[name] = value is True
            elif name == "verdict":
                ok = value in (VERDICT_ACCEPTED, VERDICT_REFUSED)
                kwargs[name] = value if ok else None
            elif isinstance(value, str):
                kwargs[name] = value
        if not isinstance(kwargs.get("kind"), str):
            return None
        return cls(**kwargs)


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


def _check_url(value: object) -> str | None:
    """A check URL read back from the index: https (http only on loopback)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("check_url is not text")
    from tokenmgr.core.oauth.http import check_url

    return check_url(value, "the check URL")


@dataclass
class Entry:
    """One token's metadata as kept in the index."""

    name: str
    kind: str = "static"
    service: str = ""
    env_var: str = ""
    scheme: str = "Bearer"
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=now_utc)
    updated_at: datetime = field(default_factory=now_utc)
    # Which SECRET_FIELDS exist in the store, so nothing has to be probed.
    secrets: list[str] = field(default_factory=list)
    oauth: OAuthConfig | None = None
    # Non-secret parts of the access token's inspection report.
    report: dict[str, Any] | None = None
    # e.g. "sign_in_needed" after a refused refresh.
    state: str | None = None
    # What it serves to credential helpers (git, kubectl, docker): `host[:port][/prefix]`
    # (core/hosts.py), and the user name those helpers send with it ("" for the provider's
    # convention).
    hosts: list[str] = field(default_factory=list)
    username: str = ""
    # A host that refused the token (git's `erase`), until a new token or an accepted use.
    refused_by: str | None = None
    refused_at: datetime | None = None
    # Any HTTP API that answers 2xx for a good token and 401 for a bad one (a bound
    # setting: the token is sent there).
    check_url: str | None = None
    # What the token's provider last said about it (no secrets): core/probe.
    provider_check: ProviderCheck | None = None

    def __post_init__(self) -> None:
        if not self.env_var:
            self.env_var = default_env_var(self.name)

    @property
    def since(self) -> datetime:
        """When its token was issued (or, unknown that, when the entry was added): where
        its lifetime starts for `warning_points`."""
        return self.issued_at or self.created_at

    def renews_itself(self) -> bool:
        """Can the app get a new access token without the person (no sign-in page)?"""
        flow = self.oauth.flow if self.oauth is not None else None
        return renews(self.kind, flow, self.secrets, self.state)

    def status(self, at: datetime | None = None, lead: timedelta = DEFAULT_LEAD) -> str:
        if self.refused():
            return STATUS_EXPIRED  # it no longer works, whatever its expiry says
        return status_at(
            self.expires_at, self.since, at or now_utc(), lead, renewable=self.renews_itself()
        )

    def warning_window(self, lead: timedelta = DEFAULT_LEAD) -> timedelta:
        return warning_window(self.expires_at, self.since, lead)

    def refused(self) -> bool:
        """Did the provider refuse the token the entry holds now?"""
        check = self.provider_check
        return check is not None and refused_now(
            check.verdict, check.token_issued_at, self.issued_at
        )

    def checked_now(self) -> bool:
        """Is the provider's last answer about the token the entry holds now (not one a
        refresh or a new token has since replaced)?"""
        check = self.provider_check
        return check is not None and same_time(check.token_issued_at, self.issued_at)

    def expiry_source(self) -> str | None:
        """Where `expires_at` came from: "token" (a JWT's own `exp`), "provider" (its
        provider said so: a check, or an OAuth token response), "typed", or None."""
        check = self.provider_check
        return expiry_source(
            self.expires_at,
            self.kind,
            (self.report or {}).get("expires_at"),
            check.expires_at if check is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "service": self.service,
            "env_var": self.env_var,
            "scheme": self.scheme,
            "expires_at": format_time(self.expires_at),
            "issued_at": format_time(self.issued_at),
            "note": self.note,
            "tags": list(self.tags),
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
            "secrets": list(self.secrets),
            "oauth": self.oauth.to_dict() if self.oauth else None,
            "report": self.report,
            "state": self.state,
            "hosts": list(self.hosts),
            "username": self.username,
            "refused_by": self.refused_by,
            "refused_at": format_time(self.refused_at),
            "check_url": self.check_url,
            "provider_check": self.provider_check.to_dict() if self.provider_check else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """Build from the index; fields that reach shell or header text are re-validated
        so a tampered index cannot inject (it is reported as corrupted instead)."""
        oauth = data.get("oauth")
        validate_name(str(data["name"]))
        if data.get("env_var"):
            validate_env_var(str(data["env_var"]))
        validate_scheme(str(data.get("scheme", "Bearer")))
        if data.get("kind", "static") not in KINDS:
            raise ValueError(f"unknown kind {data.get('kind')!r}")
        return cls(
            name=str(data["name"]),
            kind=str(data.get("kind", "static")),
            service=str(data.get("service", "")),
            env_var=str(data.get("env_var", "")),
            scheme=str(data.get("scheme", "Bearer")),
            expires_at=parse_time(data.get("expires_at")),
            issued_at=parse_time(data.get("issued_at")),
            note=str(data.get("note", "")),
            tags=[str(t) for t in data.get("tags", [])],
            created_at=parse_time(data.get("created_at")) or now_utc(),
            updated_at=parse_time(data.get("updated_at")) or now_utc(),
            secrets=[str(s) for s in data.get("secrets", [])],
            oauth=OAuthConfig.from_dict(oauth) if isinstance(oauth, dict) else None,
            report=data.get("report"),
            state=data.get("state"),
            hosts=_hosts_from_index(data.get("hosts", [])),
            username=validate_username(str(data.get("username", ""))),
            refused_by=str(data["refused_by"]) if data.get("refused_by") else None,
            refused_at=parse_time(data.get("refused_at")),
            check_url=_check_url(data.get("check_url")),
            provider_check=ProviderCheck.from_dict(data.get("provider_check")),
        )


class TokenSet:
    """The secret values of one entry. `repr` and `str` never show them."""

    __slots__ = ("access", "refresh", "id", "client_secret", "binding")

    def __init__(
        self,
        access: str | None = None,
        refresh: str | None = None,
        id: str | None = None,  # noqa: A002 - mirrors the OAuth field name
        client_secret: str | None = None,
        binding: str | None = None,
    ) -> None:
        self.access = access
        self.refresh = refresh
        self.id = id
        self.client_secret = client_secret
        self.binding = binding

    def fields(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}=<{len(v)} chars>" for k, v in self.fields().items())
        return f"TokenSet({shown})"

    __str__ = __repr__
