"""Signature verification under the rules of RFC 8725.

- keys only from the configured issuer's discovery `jwks_uri`, an explicit
  JWKS URL, or a key the user gives for this one check (`keys.GivenKey`: a
  shared secret for HMAC, or a public key); the token's `jku`, `x5u`, `jwk` and
  `x5c` headers are ignored;
- algorithms from an allow-list per key type (see `keys`), never `none`, HMAC
  only with a given shared secret (an HS256 token checked against public keys
  is "unverifiable": only the secret's holder can check it);
- `iss` must equal the configured issuer, `aud` must hold the audience asked for.

A key source is *pinned* when the user chose it: an explicit JWKS URL, an
explicit issuer, the issuer of an OAuth entry in the vault (`pinned_issuers`),
or a key the user gave.
Keys found only because the token names its own `iss` still give a verdict,
labelled `pinned: false`: anyone can mint a token whose `iss` is their own
server, so such a verdict says the token is self-consistent, not trustworthy.
`failures(report)` lists what stops a verified report from being accepted
(signature, pinning, validity window).

`verify` is a pipeline of small checks; each either adds to the verification
details or stops with a verdict (`_Stop`). The JWKS cache (and with it the
network code) is imported only when a token gets as far as needing keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tokenmgr.core.jwt_inspect.keys import (
    ALLOWED_ALGS,
    GIVEN_PUBLIC_KEY,
    GIVEN_SECRET,
    HMAC_ALGS,
    MAX_CANDIDATES,
    GivenKey,
    hmac_matches,
    key_mismatch,
    signature_matches,
)
from tokenmgr.core.jwt_inspect.model import (
    DEFAULT_LEEWAY,
    KIND_JWE,
    KIND_MALFORMED,
    KIND_OPAQUE,
    SIG_INVALID,
    SIG_UNVERIFIABLE,
    SIG_VERIFIED,
    STATUS_EXPIRED,
    STATUS_NOT_YET_VALID,
    TokenReport,
)
from tokenmgr.core.jwt_inspect.parsing import inspect
from tokenmgr.core.jwt_inspect.times import phrase, short
from tokenmgr.core.redact import printable
from tokenmgr.core.rules import format_time

if TYPE_CHECKING:
    from tokenmgr.core.jwks import JWKSCache, KeySet


class _Stop(Exception):
    """Internal: verification ends here with this verdict (and these extra details)."""

    def __init__(self, signature: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.signature = signature
        self.reason = reason
        self.extra = extra


# Key sources: how the JWKS URL was found. Only the last is not pinned.
SOURCE_JWKS_URL = "jwks_url"  # given explicitly
SOURCE_ISSUER = "issuer"  # the discovery document of an explicitly given issuer
SOURCE_VAULT = "vault_issuer"  # the discovery document of a vault OAuth entry's issuer
SOURCE_TOKEN_ISS = "token_iss"  # the discovery document of the issuer the token names
SOURCE_SECRET = GIVEN_SECRET  # a shared secret the user gave for this check
SOURCE_PUBLIC_KEY = GIVEN_PUBLIC_KEY  # a public key the user gave for this check
PINNED_SOURCES = frozenset(
    {SOURCE_JWKS_URL, SOURCE_ISSUER, SOURCE_VAULT, SOURCE_SECRET, SOURCE_PUBLIC_KEY}
)

# What `failures` reports.
FAIL_SIGNATURE = "signature"
FAIL_NOT_PINNED = "not_pinned"
FAIL_EXPIRED = "expired"
FAIL_NOT_YET_VALID = "not_yet_valid"


@dataclass(frozen=True)
class KeySource:
    """Where the keys for a token come from: a JWKS URL, and how it was found."""

    kind: str  # one of the SOURCE_* values
    jwks_uri: str
    issuer: str | None = None

    @property
    def pinned(self) -> bool:
        return self.kind in PINNED_SOURCES


@dataclass(frozen=True)
class Failure:
    """One reason a verified-or-not report is not accepted: `what` is a FAIL_* value."""

    what: str
    message: str


def _result(report: TokenReport, signature: str, reason: str, **details: Any) -> TokenReport:
    verification = {"result": signature, "reason": reason, **details}
    return dataclasses.replace(report, signature=signature, verification=verification)


def verify(
    report_or_text: TokenReport | str | bytes,
    *,
    issuer: str | None = None,
    jwks_url: str | None = None,
    audience: str | None = None,
    pinned_issuers: Mapping[str, str] | None = None,
    cache: JWKSCache | None = None,
    now: datetime | None = None,
    leeway: int = DEFAULT_LEEWAY,
    key: GivenKey | None = None,
) -> TokenReport:
    """Check the signature against the issuer's published keys; never raises on bad tokens.

    Key source, in order: `key` (given by the user for this check: nothing is fetched),
    else `jwks_url` (explicit), else `issuer`'s discovery document,
    else the discovery document of the issuer the token names in `iss` (https, or
    http on loopback only). With `issuer` given, the token's `iss` must equal it.
    `pinned_issuers` maps issuers the user trusts (a vault OAuth entry's issuer) to
    what pins them (the entry's name): a token whose `iss` is one of them is pinned.

    Raises UsageError when `issuer` or `jwks_url` is not https (http only on loopback).
    """
    _check_pins(issuer, jwks_url)
    report = (
        report_or_text
        if isinstance(report_or_text, TokenReport)
        else inspect(report_or_text, now=now, leeway=leeway)
    )
    details: dict[str, Any] = {}
    keyset: KeySet | None = None
    try:
        _check_kind(report)
        header = report.header or {}
        claims = report.claims or {}
        alg = _check_header(header, details, key)
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        details["kid"] = kid
        if key is not None:
            _check_issuer(claims, issuer, details)
            _check_given_key(report.token, alg, kid, key, details)
        else:
            keyset = _keys(claims, kid, issuer, jwks_url, pinned_issuers or {}, cache, details)
            _check_signature(report.token, alg, kid, keyset, details)
        _check_audience(claims, audience, details)
    except _Stop as stop:
        return _result(report, stop.signature, stop.reason, **details, **stop.extra)
    return _result(report, SIG_VERIFIED, _verified_reason(report, keyset, details), **details)


# ------------------------------------------------------------------ steps


def _check_pins(issuer: str | None, jwks_url: str | None) -> None:
    """An explicit key source is https (plain http only on loopback, for local servers)."""
    from tokenmgr.core.oauth.http import check_url

    if issuer is not None:
        check_url(issuer, "the issuer")
    if jwks_url:
        check_url(jwks_url, "the JWKS URL")


def _check_kind(report: TokenReport) -> None:
    """Only a well-formed JWS has a signature to check."""
    if report.kind == KIND_MALFORMED:
        raise _Stop(SIG_INVALID, f"the token is malformed: {report.reason}")
    if report.kind == KIND_JWE:
        raise _Stop(SIG_UNVERIFIABLE, "an encrypted token (JWE) has no signature to check")
    if report.kind == KIND_OPAQUE:
        raise _Stop(
            SIG_UNVERIFIABLE,
            "an opaque token has no signature; only its issuer "
            "can tell whether it is valid (e.g. token introspection)",
        )


def _check_header(
    header: Mapping[str, Any], details: dict[str, Any], key: GivenKey | None
) -> str:
    """The token's algorithm, if it is on the allow-list for the key source and nothing
    critical is unknown."""
    alg = header.get("alg")
    details["alg"] = alg
    if alg == "none":
        raise _Stop(SIG_INVALID, "alg none is never accepted")
    hmac = isinstance(alg, str) and alg in HMAC_ALGS
    if hmac and key is None:
        raise _Stop(
            SIG_UNVERIFIABLE,
            f"{alg} is signed with a shared secret (HMAC): only that secret can check it, "
            "not an issuer's public keys",
            needs_secret=True,
        )
    if not isinstance(alg, str) or not (hmac or alg in ALLOWED_ALGS):
        allowed = ", ".join(sorted(ALLOWED_ALGS))
        raise _Stop(
            SIG_INVALID,
            f"algorithm {alg!r} is not allowed (allowed: {allowed}; HS256, HS384 and HS512 "
            "only with the shared secret)",
        )
    if key is not None:  # a public key is never used as an HMAC secret, nor a secret for RS256
        why = key.usable_for(alg)
        if why is not None:
            raise _Stop(SIG_UNVERIFIABLE, why)
    crit = header.get("crit")
    if crit is not None:
        raise _Stop(
            SIG_INVALID,
            f"the header marks extensions critical ({crit!r}) that "
            "tokenmgr does not understand (RFC 7515 §4.1.11)",
        )
    return alg


def _check_issuer(claims: Mapping[str, Any], issuer: str | None, details: dict[str, Any]) -> None:
    if issuer is not None and claims.get("iss") != issuer:
        details["issuer"] = issuer
        raise _Stop(
            SIG_INVALID,
            f"the token's issuer {claims.get('iss')!r} is not the expected issuer {issuer!r}",
        )


def _check_given_key(
    token: str, alg: str, kid: str | None, key: GivenKey, details: dict[str, Any]
) -> None:
    """The signature checks out with the key the user gave (nothing is fetched)."""
    details.update(key_source=key.kind, pinned=True)
    if key.kind == GIVEN_SECRET:
        if not hmac_matches(token, alg, key.secret):
            raise _Stop(SIG_INVALID, "the signature does not match the secret given")
        if len(key.secret) < HMAC_ALGS[alg][1]:
            details["weak_secret"] = True
        return
    candidates = [k for k in key.keys if key_mismatch(k, alg) is None]
    named = [k for k in candidates if kid is not None and k.get("kid") == kid]
    for k in (named or candidates)[:MAX_CANDIDATES]:
        if signature_matches(token, alg, k):
            if k.get("kid") is not None:
                details["kid"] = k["kid"]
            return
    raise _Stop(SIG_INVALID, "the signature does not match the key given")


def _keys(
    claims: Mapping[str, Any],
    kid: str | None,
    issuer: str | None,
    jwks_url: str | None,
    pinned_issuers: Mapping[str, str],
    cache: JWKSCache | None,
    details: dict[str, Any],
) -> KeySet:
    """The key set to check against: never chosen by the token's own headers."""
    from tokenmgr.core import jwks

    _check_issuer(claims, issuer, details)  # refused before any fetch
    cache = cache or jwks.default_cache()
    try:
        source = _key_source(claims, issuer, jwks_url, pinned_issuers, cache, details)
        url = source.jwks_uri
        keyset = cache.get_for_kid(url, kid) if kid else cache.get(url)
    except jwks.JWKSError as e:
        why = {"cause": e.cause, "host": e.host} if e.cause else {}
        raise _Stop(
            SIG_UNVERIFIABLE, f"keys could not be fetched: {e}", keys_unavailable=True, **why
        ) from None
    details["stale"] = keyset.stale
    details["keys_fetched_at"] = format_time(keyset.fetched_at_utc)
    if keyset.stale:
        details["stale_reason"] = keyset.error
    return keyset


def _key_source(
    claims: Mapping[str, Any],
    issuer: str | None,
    jwks_url: str | None,
    pinned_issuers: Mapping[str, str],
    cache: JWKSCache,
    details: dict[str, Any],
) -> KeySource:
    """`jwks_url`, else `issuer`'s discovery, else the discovery of the token's `iss`
    (pinned when a vault entry names that issuer).

    Raises JWKSError when discovery fails (the keys are unavailable)."""
    if jwks_url:
        details.update(key_source=SOURCE_JWKS_URL, pinned=True, jwks_uri=jwks_url)
        return KeySource(SOURCE_JWKS_URL, jwks_url)
    if issuer is not None:
        kind, use_issuer = SOURCE_ISSUER, issuer
    else:
        use_issuer = _token_iss(claims)
        kind = SOURCE_VAULT if use_issuer in pinned_issuers else SOURCE_TOKEN_ISS
    source = KeySource(kind, "", use_issuer)
    details.update(issuer=use_issuer, key_source=kind, pinned=source.pinned)
    if kind == SOURCE_VAULT:
        details["pinned_by"] = pinned_issuers[use_issuer]
    url = cache.jwks_uri(use_issuer)  # https, or plain http on loopback only
    details["jwks_uri"] = url
    return dataclasses.replace(source, jwks_uri=url)


def _token_iss(claims: Mapping[str, Any]) -> str:
    """The token's own `iss`, when it is a URL keys may be fetched from."""
    from tokenmgr.core import jwks

    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise _Stop(
            SIG_UNVERIFIABLE, "the token names no issuer (iss): give --issuer URL or --jwks URL"
        )
    try:
        jwks.check_url(iss, "token's issuer (iss)")
    except jwks.JWKSError as e:
        raise _Stop(SIG_UNVERIFIABLE, f"{e}; give --issuer URL or --jwks URL") from None
    return iss


def _check_signature(
    token: str, alg: str, kid: str | None, keyset: KeySet, details: dict[str, Any]
) -> None:
    """The signature verifies with the key named by `kid`, or one of the matching keys."""
    if kid is not None:
        key = keyset.find(kid)
        if key is None:
            raise _Stop(SIG_UNVERIFIABLE, f"the issuer publishes no key with kid {short(kid)!r}")
        mismatch = key_mismatch(key, alg)
        if mismatch is not None:
            raise _Stop(SIG_INVALID, f"key {short(kid)!r}: {mismatch}")
        candidates = [key]
    else:
        candidates = [k for k in keyset.keys if key_mismatch(k, alg) is None][:MAX_CANDIDATES]
        if not candidates:
            raise _Stop(SIG_UNVERIFIABLE, f"the issuer publishes no key for {alg}")
    for key in candidates:
        if signature_matches(token, alg, key):
            details["kid"] = key.get("kid", kid)
            return
    raise _Stop(SIG_INVALID, "the signature does not match the key")


def _check_audience(
    claims: Mapping[str, Any], audience: str | None, details: dict[str, Any]
) -> None:
    if audience is None:
        return
    aud = claims.get("aud")
    auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    details["audience"] = audience
    if audience not in auds:
        raise _Stop(
            SIG_INVALID,
            f"the signature is good but the audience {aud!r} does not include {audience!r}",
        )


def _verified_reason(report: TokenReport, keyset: KeySet | None, details: Mapping[str, Any]) -> str:
    reason = "signature verified"
    if report.status == STATUS_EXPIRED:
        reason += " (but the token has expired)"
    elif report.status == STATUS_NOT_YET_VALID:
        reason += " (but the token is not yet valid)"
    if keyset is not None and keyset.stale:
        reason += " with stale keys (the last refresh failed)"
    if details.get("weak_secret"):
        alg = str(details.get("alg"))
        size = HMAC_ALGS[alg][1] if alg in HMAC_ALGS else 32
        reason += (
            f"; the secret is shorter than {size} bytes, less than {alg} needs "
            "(RFC 7518 §3.2): anyone may guess it"
        )
    return reason


# ---------------------------------------------------------------- verdict


def failures(report: TokenReport) -> list[Failure]:
    """Why a verified report is not accepted: empty only when the signature verified
    with keys from a pinned source and the token is inside its validity window
    (the report's leeway applies). Messages are one line each, printable."""
    out: list[Failure] = []
    v = report.verification or {}
    if report.signature != SIG_VERIFIED:
        reason = v.get("reason") or "the token was not checked"
        out.append(Failure(FAIL_SIGNATURE, f"not verified ({report.signature}): {reason}"))
    elif not report.pinned:
        out.append(Failure(FAIL_NOT_PINNED, _not_pinned_message(v)))
    if report.status == STATUS_EXPIRED and report.expires_at is not None:
        ago = phrase("exp", report.expires_at, report.checked_at)
        out.append(
            Failure(
                FAIL_EXPIRED,
                f"not valid: the token has expired ({ago}, at "
                f"{format_time(report.expires_at)}; leeway {report.leeway} s)",
            )
        )
    elif report.status == STATUS_NOT_YET_VALID and report.not_before is not None:
        when = phrase("nbf", report.not_before, report.checked_at)
        out.append(
            Failure(
                FAIL_NOT_YET_VALID,
                f"not valid: the token is not yet valid ({when}, from "
                f"{format_time(report.not_before)}; leeway {report.leeway} s)",
            )
        )
    return out


def _not_pinned_message(v: Mapping[str, Any]) -> str:
    iss = printable(v.get("issuer") or "", 200)
    return (
        f"not trusted: the issuer {iss!r} is not pinned: its keys were found only because "
        "the token names it in iss, and anyone can mint a token naming their own server; "
        f"pin it with --issuer {iss} (or --jwks URL, or sign in to that issuer with "
        "`tokenmgr login`)"
    )
