"""Entry (non-secret metadata), OAuthConfig, and TokenSet (secrets, masked in repr).

Only `Entry` and `OAuthConfig` are ever written to the index file. `TokenSet`
holds the secret strings and exists only in memory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from tokenmgr.core.rules import (
    DEFAULT_LEAD,
    KINDS,
    SECRET_FIELDS,
    STATUS_EXPIRED,
    VERDICT_ACCEPTED,
    VERDICT_REFUSED,
    default_env_var,
    expiry_source,
    format_time,
    now_utc,
    parse_time,
    parse_time_or_none,
    refused_now,
    renews,
    same_time,
    status_at,
    validate_env_var,
    validate_name,
    validate_scheme,
    validate_username,
    warning_window,
)


def _hosts_from_index(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("hosts is not a list")
    from tokenmgr.core.hosts import normalize

    return normalize(str(h) for h in value)


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
