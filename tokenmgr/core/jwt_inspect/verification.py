"""Signature verification under the rules of RFC 8725.

- keys only from the configured issuer's discovery `jwks_uri` or an explicit
  JWKS URL (the token's `jku`, `x5u`, `jwk` and `x5c` headers are ignored);
- algorithms from an allow-list per key type (see `keys`), never `none`, never HMAC;
- `iss` must equal the configured issuer, `aud` must hold the audience asked for.

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

from tokenmgr.core.entries import format_time
from tokenmgr.core.jwt_inspect.keys import (
    ALLOWED_ALGS,
    MAX_CANDIDATES,
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
from tokenmgr.core.jwt_inspect.times import short

if TYPE_CHECKING:
    from tokenmgr.core.jwks import JWKSCache, KeySet


class _Stop(Exception):
    """Internal: verification ends here with this verdict (and these extra details)."""

    def __init__(self, signature: str, reason: str, **extra: Any) -> None:
        super().__init__(reason)
        self.signature = signature
        self.reason = reason
        self.extra = extra


@dataclass(frozen=True)
class KeySource:
    """Where the keys for a token come from: a JWKS URL, and how it was found."""

    kind: str  # "jwks_url", "issuer" (given) or "token_iss" (named by the token)
    jwks_uri: str
    issuer: str | None = None


def _result(report: TokenReport, signature: str, reason: str, **details: Any) -> TokenReport:
    verification = {"result": signature, "reason": reason, **details}
    return dataclasses.replace(report, signature=signature, verification=verification)


def verify(
    report_or_text: TokenReport | str | bytes,
    *,
    issuer: str | None = None,
    jwks_url: str | None = None,
    audience: str | None = None,
    cache: JWKSCache | None = None,
    now: datetime | None = None,
    leeway: int = DEFAULT_LEEWAY,
) -> TokenReport:
    """Check the signature against the issuer's published keys; never raises on bad tokens.

    Key source, in order: `jwks_url` (explicit), else `issuer`'s discovery document,
    else the discovery document of the issuer the token names in `iss` (https, or
    http on loopback only). With `issuer` given, the token's `iss` must equal it.
    """
    report = (
        report_or_text
        if isinstance(report_or_text, TokenReport)
        else inspect(report_or_text, now=now, leeway=leeway)
    )
    details: dict[str, Any] = {}
    try:
        _check_kind(report)
        header = report.header or {}
        claims = report.claims or {}
        alg = _check_header(header, details)
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        details["kid"] = kid
        keyset = _keys(claims, kid, issuer, jwks_url, cache, details)
        _check_signature(report.token, alg, kid, keyset, details)
        _check_audience(claims, audience, details)
    except _Stop as stop:
        return _result(report, stop.signature, stop.reason, **details, **stop.extra)
    return _result(report, SIG_VERIFIED, _verified_reason(report, keyset), **details)


# ------------------------------------------------------------------ steps


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


def _check_header(header: Mapping[str, Any], details: dict[str, Any]) -> str:
    """The token's algorithm, if it is on the allow-list and nothing critical is unknown."""
    alg = header.get("alg")
    details["alg"] = alg
    if alg == "none":
        raise _Stop(SIG_INVALID, "alg none is never accepted")
    if isinstance(alg, str) and alg.startswith("HS"):
        raise _Stop(
            SIG_INVALID,
            f"{alg} (HMAC) is refused: tokenmgr verifies only with an issuer's public keys, "
            "and HMAC keyed with a public key is a known forgery (RFC 8725 §2.1, §3.1)",
        )
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        allowed = ", ".join(sorted(ALLOWED_ALGS))
        raise _Stop(SIG_INVALID, f"algorithm {alg!r} is not allowed (allowed: {allowed})")
    crit = header.get("crit")
    if crit is not None:
        raise _Stop(
            SIG_INVALID,
            f"the header marks extensions critical ({crit!r}) that "
            "tokenmgr does not understand (RFC 7515 §4.1.11)",
        )
    return alg


def _keys(
    claims: Mapping[str, Any],
    kid: str | None,
    issuer: str | None,
    jwks_url: str | None,
    cache: JWKSCache | None,
    details: dict[str, Any],
) -> KeySet:
    """The key set to check against: never chosen by the token's own headers."""
    from tokenmgr.core import jwks

    cache = cache or jwks.default_cache()
    try:
        source = _key_source(claims, issuer, jwks_url, cache, details)
        if issuer is not None and claims.get("iss") != issuer:
            raise _Stop(
                SIG_INVALID,
                f"the token's issuer {claims.get('iss')!r} is not the expected issuer {issuer!r}",
            )
        url = source.jwks_uri
        keyset = cache.get_for_kid(url, kid) if kid else cache.get(url)
    except jwks.JWKSError as e:
        raise _Stop(
            SIG_UNVERIFIABLE, f"keys could not be fetched: {e}", keys_unavailable=True
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
    cache: JWKSCache,
    details: dict[str, Any],
) -> KeySource:
    """`jwks_url`, else `issuer`'s discovery, else the discovery of the token's `iss`.

    Raises JWKSError when discovery fails (the keys are unavailable)."""
    from tokenmgr.core import jwks

    if jwks_url:
        jwks.check_url(jwks_url, "JWKS URL", allow_http=True)
        details["key_source"] = "jwks_url"
        details["jwks_uri"] = jwks_url
        return KeySource("jwks_url", jwks_url)
    if issuer is not None:
        kind, use_issuer, allow_http = "issuer", issuer, True
    else:
        kind, use_issuer, allow_http = "token_iss", _token_iss(claims), False
    details["issuer"] = use_issuer
    details["key_source"] = kind
    url = cache.jwks_uri(use_issuer, allow_http=allow_http)
    details["jwks_uri"] = url
    return KeySource(kind, url, use_issuer)


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


def _verified_reason(report: TokenReport, keyset: KeySet) -> str:
    reason = "signature verified"
    if report.status == STATUS_EXPIRED:
        reason += " (but the token has expired)"
    elif report.status == STATUS_NOT_YET_VALID:
        reason += " (but the token is not valid yet)"
    if keyset.stale:
        reason += " with stale keys (the last refresh failed)"
    return reason
