"""Explain a token: decode a JWT (unverified, for display), time it, and verify it.

`inspect(text)` never raises on bad input: everything becomes a `TokenReport`
whose `kind` is `jws`, `jwe`, `opaque` or `malformed` (with a `reason`).
Decoding for display is explicitly unverified; `verify(report)` checks the
signature under the rules of RFC 8725:

- keys only from the configured issuer's discovery `jwks_uri` or an explicit
  JWKS URL (the token's `jku`, `x5u`, `jwk` and `x5c` headers are ignored);
- algorithms from an allow-list per key type (RSA: RS*/PS*, EC: ES* on the
  matching curve, OKP: EdDSA), never `none`, never HMAC: tokenmgr holds no
  shared secrets, and HMAC "keyed" with a public key is the classic forgery;
- `iss` must equal the configured issuer, `aud` must hold the audience asked for.

Duplicate JSON member names are refused as malformed (RFC 7515 §5.2 allows a
parser to reject them, and it removes any doubt about which value is shown).
Numbers must be finite, strings valid Unicode, nesting at most 32 levels.
PyJWT / cryptography and `requests` are imported only when verifying.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tokenmgr.core.entries import MAX_WARNING_WINDOW, MIN_WARNING_WINDOW, format_time

if TYPE_CHECKING:
    from tokenmgr.core.jwks import JWKSCache, KeySet

MAX_INPUT = 64 * 1024
MAX_DEPTH = 32
DEFAULT_LEEWAY = 60

KIND_JWS = "jws"
KIND_JWE = "jwe"
KIND_OPAQUE = "opaque"
KIND_MALFORMED = "malformed"

STATUS_VALID = "valid"
STATUS_EXPIRING = "expiring"
STATUS_EXPIRED = "expired"
STATUS_NOT_YET_VALID = "not_yet_valid"
STATUS_NO_EXPIRY = "no_expiry"

SIG_UNVERIFIED = "unverified"
SIG_VERIFIED = "verified"
SIG_INVALID = "invalid"
SIG_UNVERIFIABLE = "unverifiable"

# Algorithm allow-list per JWK key type; EC algorithms are tied to their curve.
RSA_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALG_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
OKP_ALGS = frozenset({"EdDSA"})
OKP_CURVES = frozenset({"Ed25519", "Ed448"})
MIN_RSA_BITS = 2048
ALLOWED_ALGS = RSA_ALGS | frozenset(EC_ALG_CURVES) | OKP_ALGS
IGNORED_KEY_HEADERS = ("jku", "x5u", "jwk", "x5c")
# Claims kept in the index's cached report (non-secret, useful to show and sort).
SUMMARY_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "scope", "scp", "azp", "client_id")
SUMMARY_HEADER = ("alg", "kid", "typ", "cty", "enc")

_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_PREFIX_RE = re.compile(r"(?i)^(?:authorization\s*:\s*)?(?:bearer\s+)?")
# Well-known opaque token prefixes, only to say what a non-JWT probably is.
_OPAQUE_HINTS = (
    ("github_pat_", "a GitHub fine-grained personal access token"),
    ("ghp_", "a GitHub personal access token"),
    ("gho_", "a GitHub OAuth access token"),
    ("ghs_", "a GitHub App installation token"),
    ("ghu_", "a GitHub App user token"),
    ("glpat-", "a GitLab personal access token"),
    ("xoxb-", "a Slack bot token"),
    ("xoxp-", "a Slack user token"),
    ("ya29.", "a Google OAuth access token"),
    ("sk-", "an API secret key (OpenAI/Stripe style)"),
    ("AKIA", "an AWS access key id"),
)


class _Malformed(Exception):
    """Internal: the reason a JWT-looking input does not decode."""


@dataclass
class TokenReport:
    """What a token says. `token` (the normalised input) is never serialised."""

    kind: str
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    not_before: datetime | None = None
    status: str = STATUS_NO_EXPIRY
    signature: str = SIG_UNVERIFIED
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    verification: dict[str, Any] | None = None
    segments: int = 0
    leeway: int = DEFAULT_LEEWAY
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    token: str = field(default="", repr=False, compare=False)

    @property
    def expires_in(self) -> float | None:
        """Seconds until `exp` (negative once past), at `checked_at`."""
        if self.expires_at is None:
            return None
        return (self.expires_at - self.checked_at).total_seconds()

    @property
    def keys_unavailable(self) -> bool:
        """True when verification failed because keys could not be fetched."""
        return bool(self.verification and self.verification.get("keys_unavailable"))

    def to_json(self) -> dict[str, Any]:
        """DESIGN §3 `decode --json`: kind, header, claims, expires_at, status, signature, …"""
        expires_in = self.expires_in
        return {
            "kind": self.kind,
            "header": self.header,
            "claims": self.claims,
            "expires_at": format_time(self.expires_at),
            "status": self.status,
            "signature": self.signature,
            "issued_at": format_time(self.issued_at),
            "not_before": format_time(self.not_before),
            "expires_in": None if expires_in is None else int(expires_in),
            "reason": self.reason,
            "warnings": list(self.warnings),
            "verification": self.verification,
            "segments": self.segments,
            "leeway": self.leeway,
            "checked_at": format_time(self.checked_at),
        }


# ----------------------------------------------------------------- decoding


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Malformed(f"duplicate member {_short(key)!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise _Malformed(f"{name} is not a JSON number")


def _check_tree(value: Any) -> None:
    """Depth ≤ MAX_DEPTH, finite numbers, strings that are valid Unicode (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise _Malformed(f"nested deeper than {MAX_DEPTH} levels")
            children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            for k, v in children:
                if isinstance(k, str):
                    _check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise _Malformed("a number is out of range")


def _check_text(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise _Malformed("a string holds a lone surrogate (not valid Unicode)") from None


def _json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Malformed("is not UTF-8 text") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except _Malformed:
        raise
    except RecursionError:
        raise _Malformed(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as e:
        raise _Malformed(f"is not JSON ({e.msg} at character {e.pos})") from None
    except ValueError as e:  # e.g. an integer with more than 4300 digits
        raise _Malformed(f"is not usable JSON ({_short(str(e), 80)})") from None
    _check_tree(value)
    return value


def _b64(segment: str) -> bytes:
    if not _B64URL_RE.fullmatch(segment):
        bad = next(c for c in segment if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise _Malformed(f"is not base64url (RFC 7515 §2): it holds {bad!r}")
    if len(segment) % 4 == 1:
        raise _Malformed("is not base64url: its length is impossible (truncated?)")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise _Malformed("is not base64url") from None


def _part(segment: str, what: str) -> Any:
    try:
        return _json(_b64(segment))
    except _Malformed as e:
        raise _Malformed(f"the {what} {e}") from None


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _numeric_date(claims: Mapping[str, Any], name: str) -> datetime | None:
    if name not in claims:
        return None
    v = claims[name]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise _Malformed(
            f"the {name} claim is {type(v).__name__} {_short(json.dumps(v), 30)}, "
            "not a NumericDate (seconds since 1970, RFC 7519 §2)"
        )
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=v)
    except (OverflowError, ValueError):
        raise _Malformed(f"the {name} claim {_short(str(v), 30)} is out of range") from None


_JWT_CHARS_RE = re.compile(r"[A-Za-z0-9_.-]+")


def _normalise(text: str | bytes) -> tuple[str, list[str]]:
    """The token without surrounding space and `Bearer `; notes on what was changed."""
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > MAX_INPUT:
            raise _Malformed(f"the input is over {MAX_INPUT // 1024} KiB: not a token")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Malformed("the input is binary data, not text: not a token") from None
    if len(text) > MAX_INPUT or len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT:
        raise _Malformed(f"the input is over {MAX_INPUT // 1024} KiB: not a token")
    s = _PREFIX_RE.sub("", text.strip(), count=1).strip()
    if not s:
        raise _Malformed("the input is empty")
    notes: list[str] = []
    if s.startswith("eyJ") and any(c.isspace() for c in s):
        # A JWT wrapped over several lines (mail, logs, RFC text): JWTs hold no spaces.
        joined = "".join(s.split())
        if _JWT_CHARS_RE.fullmatch(joined):
            s = joined
            notes.append("line breaks or spaces inside the token were removed")
    for i, c in enumerate(s):
        if not ("!" <= c <= "~"):
            what = (
                "a space"
                if c.isspace()
                else ("a control character" if c < " " or c == "\x7f" else "non-ASCII text")
            )
            raise _Malformed(f"not a token: it holds {what} at position {i}")
    return s, notes


def _looks_like_jwt(s: str) -> bool:
    if s.startswith("eyJ"):
        return True
    parts = s.split(".")
    if len(parts) not in (3, 5) or not _B64URL_RE.fullmatch(parts[0]):
        return False
    if not all(_B64URL_RE.fullmatch(p) for p in parts):
        return False
    try:
        head = _b64(parts[0])
        if head.lstrip().startswith(b"{"):
            return True
        _json(head)  # JSON, just not an object: a broken JWT rather than an opaque token
        return True
    except _Malformed:
        return False


def _opaque_hint(s: str) -> str:
    for prefix, what in _OPAQUE_HINTS:
        if s.startswith(prefix):
            return f"not a JWT: probably {what}; only its issuer can say what it grants"
    return "not a JWT: an opaque token that only its issuer can interpret"


def _window(exp: datetime, iat: datetime | None) -> timedelta:
    """A tenth of the lifetime between 60 s and 7 days (as `Entry.warning_window`)."""
    if iat is None or iat >= exp:
        return MAX_WARNING_WINDOW
    return max(MIN_WARNING_WINDOW, min(MAX_WARNING_WINDOW, (exp - iat) / 10))


def _status(
    now: datetime,
    leeway: int,
    exp: datetime | None,
    iat: datetime | None,
    nbf: datetime | None,
) -> str:
    slack = timedelta(seconds=leeway)
    if nbf is not None and now + slack < nbf:
        return STATUS_NOT_YET_VALID
    if exp is None:
        return STATUS_NO_EXPIRY
    if now >= exp + slack:
        return STATUS_EXPIRED
    if exp - now <= _window(exp, iat):
        return STATUS_EXPIRING  # includes "just expired, still within the leeway"
    return STATUS_VALID


def _warnings(header: Mapping[str, Any], claims: Mapping[str, Any] | None) -> list[str]:
    out: list[str] = []
    alg = header.get("alg")
    if alg == "none":
        out.append("alg is none: an unsecured token, it carries no signature at all")
    elif isinstance(alg, str) and alg.startswith("HS"):
        out.append(f"{alg} is signed with a shared secret: only its holder can verify it")
    for name in IGNORED_KEY_HEADERS:
        if name in header:
            out.append(f"header {name} is ignored: keys come only from the configured issuer")
    if "kid" in header and not isinstance(header["kid"], str):
        out.append("header kid is not a string: ignored")
    if claims is not None:
        iss = claims.get("iss")
        if "iss" in claims and not isinstance(iss, str):
            out.append("claim iss is not a string")
        aud = claims.get("aud")
        if aud is not None and not (
            isinstance(aud, str) or (isinstance(aud, list) and all(isinstance(a, str) for a in aud))
        ):
            out.append("claim aud is neither a string nor a list of strings")
    return out


def inspect(
    text: str | bytes, *, now: datetime | None = None, leeway: int = DEFAULT_LEEWAY
) -> TokenReport:
    """Decode WITHOUT verifying; never raises on bad input."""
    now = now or datetime.now(UTC)
    try:
        s, notes = _normalise(text)
    except _Malformed as e:
        return TokenReport(
            kind=KIND_MALFORMED,
            reason=str(e),
            signature=SIG_INVALID,
            leeway=leeway,
            checked_at=now,
        )
    report = _inspect(s, now, leeway)
    if notes:
        report.warnings = tuple(notes) + report.warnings
    return report


def _inspect(s: str, now: datetime, leeway: int) -> TokenReport:
    if not _looks_like_jwt(s):
        return TokenReport(
            kind=KIND_OPAQUE,
            reason=_opaque_hint(s),
            signature=SIG_UNVERIFIABLE,
            segments=len(s.split(".")),
            leeway=leeway,
            checked_at=now,
            token=s,
        )
    parts = s.split(".")
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    try:
        if len(parts) not in (3, 5):
            raise _Malformed(f"a JWT has 3 segments (JWS) or 5 (JWE), this has {len(parts)}")
        h = _part(parts[0], "header")
        if not isinstance(h, dict):
            raise _Malformed(f"the header is JSON {type(h).__name__}, not an object")
        header = h
        if not isinstance(header.get("alg"), str) or not header["alg"]:
            raise _Malformed("the header names no algorithm (alg)")
        if len(parts) == 5:
            if not isinstance(header.get("enc"), str):
                raise _Malformed("a 5-segment JWE header must name its encryption (enc)")
            for i, what in ((1, "encrypted key"), (2, "IV"), (3, "ciphertext"), (4, "tag")):
                try:
                    _b64(parts[i])
                except _Malformed as e:
                    raise _Malformed(f"the JWE {what} {e}") from None
            return TokenReport(
                kind=KIND_JWE,
                header=header,
                reason="an encrypted token (JWE): the header is shown, the claims are for its "
                "recipient only",
                signature=SIG_UNVERIFIABLE,
                warnings=tuple(_warnings(header, None)),
                segments=5,
                leeway=leeway,
                checked_at=now,
                token=s,
            )
        if header.get("b64") is False:
            raise _Malformed("the header asks for an unencoded payload (RFC 7797): not a JWT")
        if parts[1] == "":
            raise _Malformed("the payload is empty (detached): not a JWT")
        c = _part(parts[1], "payload")
        if not isinstance(c, dict):
            raise _Malformed(f"the claims are JSON {type(c).__name__}, not an object")
        claims = c
        try:
            _b64(parts[2])
        except _Malformed as e:
            raise _Malformed(f"the signature {e}") from None
        exp = _numeric_date(claims, "exp")
        iat = _numeric_date(claims, "iat")
        nbf = _numeric_date(claims, "nbf")
    except _Malformed as e:
        return TokenReport(
            kind=KIND_MALFORMED,
            header=header,
            claims=claims,
            reason=str(e),
            signature=SIG_INVALID,
            segments=len(parts),
            leeway=leeway,
            checked_at=now,
            token=s,
        )
    warnings = _warnings(header, claims)
    if parts[2] == "" and header.get("alg") != "none":
        warnings.append("the signature segment is empty")
    return TokenReport(
        kind=KIND_JWS,
        header=header,
        claims=claims,
        expires_at=exp,
        issued_at=iat,
        not_before=nbf,
        status=_status(now, leeway, exp, iat, nbf),
        signature=SIG_UNVERIFIED,
        warnings=tuple(warnings),
        segments=3,
        leeway=leeway,
        checked_at=now,
        token=s,
    )


# ------------------------------------------------------------- verification


def _result(report: TokenReport, signature: str, reason: str, **details: Any) -> TokenReport:
    verification = {"result": signature, "reason": reason, **details}
    return dataclasses.replace(report, signature=signature, verification=verification)


def _key_matches(key: Mapping[str, Any], alg: str) -> str | None:
    """None if `key` may verify `alg`, else why not."""
    kty = key.get("kty")
    if key.get("use") not in (None, "sig"):
        return f"key use is {key.get('use')!r}, not sig"
    ops = key.get("key_ops")
    if isinstance(ops, list) and "verify" not in ops:
        return "key_ops does not allow verify"
    if "alg" in key and key["alg"] != alg:
        return f"the key is for {key['alg']}, the token says {alg}"
    if kty == "RSA":
        if alg not in RSA_ALGS:
            return f"an RSA key cannot verify {alg}"
        bits = _rsa_bits(key.get("n"))
        if bits < MIN_RSA_BITS:
            return f"the RSA key has {bits} bits; at least {MIN_RSA_BITS} (RFC 7518 §3.3)"
        return None
    if kty == "EC":
        want = EC_ALG_CURVES.get(alg)
        if want is None:
            return f"an EC key cannot verify {alg}"
        return None if key.get("crv") == want else f"{alg} needs curve {want}"
    if kty == "OKP":
        if alg not in OKP_ALGS:
            return f"an OKP key cannot verify {alg}"
        return None if key.get("crv") in OKP_CURVES else "unsupported OKP curve"
    return f"key type {kty!r} is not accepted"


def _rsa_bits(n: Any) -> int:
    try:
        return int.from_bytes(_b64(n), "big").bit_length() if isinstance(n, str) else 0
    except _Malformed:
        return 0


def _check_signature(token: str, alg: str, key: Mapping[str, Any]) -> bool:
    from jwt.algorithms import get_default_algorithms
    from jwt.exceptions import InvalidKeyError

    algorithm = get_default_algorithms()[alg]
    signing_input, _, sig = token.rpartition(".")
    try:
        public_key = algorithm.from_jwk(dict(key))
        return bool(algorithm.verify(signing_input.encode("ascii"), public_key, _b64(sig)))
    except (InvalidKeyError, _Malformed, ValueError, TypeError):
        return False


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
    from tokenmgr.core import jwks

    report = (
        report_or_text
        if isinstance(report_or_text, TokenReport)
        else inspect(report_or_text, now=now, leeway=leeway)
    )
    if report.kind == KIND_MALFORMED:
        return _result(report, SIG_INVALID, f"the token is malformed: {report.reason}")
    if report.kind == KIND_JWE:
        return _result(
            report, SIG_UNVERIFIABLE, "an encrypted token (JWE) has no signature to check"
        )
    if report.kind == KIND_OPAQUE:
        return _result(
            report,
            SIG_UNVERIFIABLE,
            "an opaque token has no signature; only its issuer "
            "can tell whether it is valid (e.g. token introspection)",
        )
    header = report.header or {}
    claims = report.claims or {}
    alg = header.get("alg")
    details: dict[str, Any] = {"alg": alg}
    if alg == "none":
        return _result(report, SIG_INVALID, "alg none is never accepted", **details)
    if isinstance(alg, str) and alg.startswith("HS"):
        return _result(
            report,
            SIG_INVALID,
            f"{alg} (HMAC) is refused: tokenmgr verifies only with an issuer's public keys, "
            "and HMAC keyed with a public key is a known forgery (RFC 8725 §2.1, §3.1)",
            **details,
        )
    if alg not in ALLOWED_ALGS:
        allowed = ", ".join(sorted(ALLOWED_ALGS))
        return _result(
            report,
            SIG_INVALID,
            f"algorithm {alg!r} is not allowed (allowed: {allowed})",
            **details,
        )
    crit = header.get("crit")
    if crit is not None:
        return _result(
            report,
            SIG_INVALID,
            f"the header marks extensions critical ({crit!r}) that "
            "tokenmgr does not understand (RFC 7515 §4.1.11)",
            **details,
        )
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    details["kid"] = kid
    iss = claims.get("iss")
    cache = cache or jwks.default_cache()

    # Where the keys come from: never from the token itself.
    try:
        if jwks_url:
            jwks.check_url(jwks_url, "JWKS URL", allow_http=True)
            url = jwks_url
            details["key_source"] = "jwks_url"
            details["jwks_uri"] = url
        else:
            use_issuer = issuer
            explicit = issuer is not None
            if use_issuer is None:
                if not isinstance(iss, str) or not iss:
                    return _result(
                        report,
                        SIG_UNVERIFIABLE,
                        "the token names no issuer (iss): give --issuer URL or --jwks URL",
                        **details,
                    )
                try:
                    jwks.check_url(iss, "token's issuer (iss)")
                except jwks.JWKSError as e:
                    return _result(
                        report,
                        SIG_UNVERIFIABLE,
                        f"{e}; give --issuer URL or --jwks URL",
                        **details,
                    )
                use_issuer = iss
            details["issuer"] = use_issuer
            details["key_source"] = "issuer" if explicit else "token_iss"
            url = cache.jwks_uri(use_issuer, allow_http=explicit)
            details["jwks_uri"] = url
        if issuer is not None and iss != issuer:
            return _result(
                report,
                SIG_INVALID,
                f"the token's issuer {iss!r} is not the expected issuer {issuer!r}",
                **details,
            )
        keyset: KeySet = cache.get_for_kid(url, kid) if kid else cache.get(url)
    except jwks.JWKSError as e:
        return _result(
            report,
            SIG_UNVERIFIABLE,
            f"keys could not be fetched: {e}",
            keys_unavailable=True,
            **details,
        )
    details["stale"] = keyset.stale
    details["keys_fetched_at"] = format_time(keyset.fetched_at_utc)
    if keyset.stale:
        details["stale_reason"] = keyset.error

    if kid is not None:
        key = keyset.find(kid)
        if key is None:
            return _result(
                report,
                SIG_UNVERIFIABLE,
                f"the issuer publishes no key with kid {_short(kid)!r}",
                **details,
            )
        candidates = [key]
    else:
        candidates = [k for k in keyset.keys if _key_matches(k, alg) is None][:16]
        if not candidates:
            return _result(
                report, SIG_UNVERIFIABLE, f"the issuer publishes no key for {alg}", **details
            )
    mismatch = _key_matches(candidates[0], alg) if kid is not None else None
    if mismatch is not None:
        return _result(report, SIG_INVALID, f"key {_short(str(kid))!r}: {mismatch}", **details)
    for key in candidates:
        if _check_signature(report.token, alg, key):
            details["kid"] = key.get("kid", kid)
            break
    else:
        return _result(report, SIG_INVALID, "the signature does not match the key", **details)

    if audience is not None:
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        details["audience"] = audience
        if audience not in auds:
            return _result(
                report,
                SIG_INVALID,
                f"the signature is good but the audience {aud!r} does not include {audience!r}",
                **details,
            )
    reason = "signature verified"
    if report.status == STATUS_EXPIRED:
        reason += " (but the token has expired)"
    elif report.status == STATUS_NOT_YET_VALID:
        reason += " (but the token is not valid yet)"
    if keyset.stale:
        reason += " with stale keys (the last refresh failed)"
    return _result(report, SIG_VERIFIED, reason, **details)


# ---------------------------------------------------------------- rendering


def relative(seconds: float) -> str:
    """'4 min' style magnitude of a duration."""
    s = abs(seconds)
    if s < 120:
        return f"{int(s)} s"
    if s < 120 * 60:
        return f"{int(s // 60)} min"
    if s < 48 * 3600:
        return f"{int(s // 3600)} h"
    if s < 730 * 86400:
        return f"{int(s // 86400)} days"
    return f"{int(s // (365.25 * 86400))} years"


def _when(name: str, at: datetime, now: datetime) -> str:
    delta = (at - now).total_seconds()
    rel = relative(delta)
    if name == "exp":
        phrase = f"expires in {rel}" if delta > 0 else f"expired {rel} ago"
    elif name == "nbf":
        phrase = f"valid in {rel}" if delta > 0 else f"valid since {rel} ago"
    else:
        phrase = f"in {rel} (issued in the future?)" if delta > 0 else f"{rel} ago"
    local = at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"{at.strftime('%Y-%m-%d %H:%M:%S')} UTC · {local} · {phrase}"


def _show(value: Any) -> str:
    """A claim value for a terminal: strings bare unless they hold control characters."""
    if isinstance(value, str):
        if value.isprintable() and value == value.strip() and not _looks_like_json(value):
            return value
        return json.dumps(value)
    shown = json.dumps(value, ensure_ascii=False)
    return shown if shown.isprintable() else json.dumps(value)


def _looks_like_json(s: str) -> bool:
    """'42', 'true', 'null', '' would read as another JSON type if shown bare."""
    if s == "":
        return True
    try:
        json.loads(s)
    except (ValueError, RecursionError):
        return False
    return True


def _table(rows: list[tuple[str, str]], indent: str = "  ") -> list[str]:
    width = max((len(k) for k, _ in rows), default=0)
    return [f"{indent}{k.ljust(width)}  {v}".rstrip() for k, v in rows]


_NO_SIGNATURE = {
    KIND_MALFORMED: "invalid (the token does not decode)",
    KIND_JWE: "unverifiable (an encrypted token: no signature to check)",
    KIND_OPAQUE: "unverifiable (not a signed token)",
}
_SOURCES = {
    "jwks_url": "the JWKS URL given",
    "issuer": "the given issuer's discovery document",
    "token_iss": "the discovery document of the token's iss",
}
_VERDICTS = {
    SIG_UNVERIFIED: "unverified (decoded only; --verify checks it against the issuer's keys)",
    SIG_VERIFIED: "verified",
    SIG_INVALID: "INVALID",
    SIG_UNVERIFIABLE: "unverifiable",
}


def render_text(report: TokenReport) -> str:
    """Human output: kind, header, claims table with times, status and signature verdict."""
    now = report.checked_at
    kinds = {
        KIND_JWS: "JWS (signed JWT)",
        KIND_JWE: "JWE (encrypted JWT)",
        KIND_OPAQUE: "opaque (not a JWT)",
        KIND_MALFORMED: "malformed",
    }
    lines = [f"Token:      {kinds.get(report.kind, report.kind)}"]
    if report.reason:
        lines.append(f"Note:       {_show(report.reason)}")
    if report.header is not None:
        lines.append("Header:")
        lines += _table([(_show(k), _show(v)) for k, v in report.header.items()])
    if report.claims is not None:
        lines.append("Claims:")
        rows = []
        times = {"exp": report.expires_at, "iat": report.issued_at, "nbf": report.not_before}
        for k, v in report.claims.items():
            at = times.get(k)
            shown = _show(v)
            if at is not None:
                shown = f"{shown}  ({_when(k, at, now)})"
            rows.append((_show(k), shown))
        lines += _table(rows) if rows else ["  (none)"]
    if report.kind == KIND_JWS:
        status = report.status.replace("_", " ")
        if report.expires_at is not None:
            status += f" ({_when('exp', report.expires_at, now).rsplit(' · ', 1)[1]}"
            status += f"; leeway {report.leeway} s)"
        lines.append(f"Status:     {status}")
    verdict = _VERDICTS.get(report.signature, report.signature)
    v = report.verification or {}
    if report.signature == SIG_VERIFIED:
        verdict += f" ({v.get('alg')}, kid {v.get('kid')!r}; key from {v.get('jwks_uri')}"
        verdict += f", {_SOURCES.get(str(v.get('key_source')), v.get('key_source'))})"
        if v.get("stale"):
            verdict += " — with STALE keys: the last refresh failed"
    elif v.get("reason") and report.signature != SIG_UNVERIFIED:
        verdict += f": {v['reason']}"
    elif report.kind in _NO_SIGNATURE:
        verdict = _NO_SIGNATURE[report.kind]
    lines.append(f"Signature:  {verdict}")
    for w in report.warnings:
        lines.append(f"Warning:    {_show(w)}")
    return "\n".join(lines) + "\n"


def summary(report: TokenReport) -> dict[str, Any]:
    """Non-secret parts for the index: no signature, no raw token, selected claims only."""
    header = report.header or {}
    claims = report.claims or {}
    return {
        "kind": report.kind,
        "header": {k: header[k] for k in SUMMARY_HEADER if k in header},
        "claims": {k: claims[k] for k in SUMMARY_CLAIMS if k in claims},
        "expires_at": format_time(report.expires_at),
        "issued_at": format_time(report.issued_at),
        "not_before": format_time(report.not_before),
        "signature": report.signature,
        "reason": report.reason,
        "checked_at": format_time(report.checked_at),
    }
