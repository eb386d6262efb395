"""Decoding for display (explicitly unverified): from pasted text to a `TokenReport`.

`inspect(text)` never raises on bad input: everything becomes a report whose
`kind` is `jws`, `jwe`, `opaque` or `malformed` (with a `reason`).

Duplicate JSON member names are refused as malformed (RFC 7515 §5.2 allows a
parser to reject them, and it removes any doubt about which value is shown).
Numbers must be finite, strings valid Unicode, nesting at most 32 levels.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tokenmgr.core.jwt_inspect import times
from tokenmgr.core.jwt_inspect.model import (
    DEFAULT_LEEWAY,
    KIND_JWE,
    KIND_JWS,
    KIND_MALFORMED,
    KIND_OPAQUE,
    MAX_DEPTH,
    MAX_INPUT,
    SIG_INVALID,
    SIG_UNVERIFIABLE,
    SIG_UNVERIFIED,
    Malformed,
    TokenReport,
)
from tokenmgr.core.jwt_inspect.times import short
from tokenmgr.core.rules import LINE_BREAK, TOO_LONG

IGNORED_KEY_HEADERS = ("jku", "x5u", "jwk", "x5c")

_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")
_PREFIX_RE = re.compile(r"(?i)^(?:authorization\s*:\s*)?(?:bearer\s+)?")
_JWT_CHARS_RE = re.compile(r"[A-Za-z0-9_.-]+")
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


# ------------------------------------------------------------------- JSON


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Malformed(f"duplicate member {short(key)!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise Malformed(f"{name} is not a JSON number")


def _check_tree(value: Any) -> None:
    """Depth ≤ MAX_DEPTH, finite numbers, strings that are valid Unicode (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise Malformed(f"nested deeper than {MAX_DEPTH} levels")
            children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            for k, v in children:
                if isinstance(k, str):
                    _check_text(k)
                stack.append((v, depth + 1))
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise Malformed("a number is out of range")


def _check_text(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed("a string holds a lone surrogate (not valid Unicode)") from None


def _json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("is not UTF-8 text") from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except Malformed:
        raise
    except RecursionError:
        raise Malformed(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as e:
        raise Malformed(f"is not JSON ({e.msg} at character {e.pos})") from None
    except ValueError as e:  # e.g. an integer with more than 4300 digits
        raise Malformed(f"is not usable JSON ({short(str(e), 80)})") from None
    _check_tree(value)
    return value


def b64url_decode(segment: str) -> bytes:
    """Strict base64url without padding (RFC 7515 §2); Malformed otherwise."""
    if not _B64URL_RE.fullmatch(segment):
        bad = next(c for c in segment if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise Malformed(f"is not base64url (RFC 7515 §2): it holds {bad!r}")
    if len(segment) % 4 == 1:
        raise Malformed("is not base64url: its length is impossible (truncated?)")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise Malformed("is not base64url") from None


def _part(segment: str, what: str) -> Any:
    try:
        return _json(b64url_decode(segment))
    except Malformed as e:
        raise Malformed(f"the {what} {e}") from None


# ------------------------------------------------------------------ input


def _normalise(text: str | bytes) -> tuple[str, list[str]]:
    """The token without surrounding space and `Bearer `; notes on what was changed."""
    if isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > MAX_INPUT:
            raise Malformed(TOO_LONG)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("the input is binary data, not text: not a token") from None
    if len(text) > MAX_INPUT or len(text.encode("utf-8", "surrogatepass")) > MAX_INPUT:
        raise Malformed(TOO_LONG)
    s = _PREFIX_RE.sub("", text.strip(), count=1).strip()
    if not s:
        raise Malformed("the input is empty")
    notes: list[str] = []
    if s.startswith("eyJ") and any(c.isspace() for c in s):
        # A JWT wrapped over several lines (mail, logs, RFC text): JWTs hold no spaces.
        joined = "".join(s.split())
        if _JWT_CHARS_RE.fullmatch(joined):
            s = joined
            notes.append("line breaks or spaces inside the token were removed")
    if "\r" in s or "\n" in s:
        raise Malformed(LINE_BREAK)
    for i, c in enumerate(s):
        if not ("!" <= c <= "~"):
            what = (
                "a space"
                if c.isspace()
                else ("a control character" if c < " " or c == "\x7f" else "non-ASCII text")
            )
            raise Malformed(f"not a token: it holds {what} at position {i}")
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
        head = b64url_decode(parts[0])
        if head.lstrip().startswith(b"{"):
            return True
        _json(head)  # JSON, just not an object: a broken JWT rather than an opaque token
        return True
    except Malformed:
        return False


def _opaque_hint(s: str) -> str:
    for prefix, what in _OPAQUE_HINTS:
        if s.startswith(prefix):
            return f"not a JWT: probably {what}; only its issuer can say what it grants"
    return "not a JWT: an opaque token that only its issuer can interpret"


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


# --------------------------------------------------------------- inspect


def inspect(
    text: str | bytes, *, now: datetime | None = None, leeway: int = DEFAULT_LEEWAY
) -> TokenReport:
    """Decode WITHOUT verifying; never raises on bad input."""
    now = now or datetime.now(UTC)
    try:
        s, notes = _normalise(text)
    except Malformed as e:
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
            raise Malformed(f"a JWT has 3 segments (JWS) or 5 (JWE), this has {len(parts)}")
        header = _header(parts[0])
        if not isinstance(header.get("alg"), str) or not header["alg"]:
            raise Malformed("the header names no algorithm (alg)")
        if len(parts) == 5:
            return _jwe(parts, header, now, leeway, s)
        claims = _claims(parts[1], header)
        try:
            b64url_decode(parts[2])
        except Malformed as e:
            raise Malformed(f"the signature {e}") from None
        exp = times.numeric_date(claims, "exp")
        iat = times.numeric_date(claims, "iat")
        nbf = times.numeric_date(claims, "nbf")
    except Malformed as e:
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
        status=times.status(now, leeway, exp, iat, nbf),
        signature=SIG_UNVERIFIED,
        warnings=tuple(warnings),
        segments=3,
        leeway=leeway,
        checked_at=now,
        token=s,
    )


def _header(segment: str) -> dict[str, Any]:
    h = _part(segment, "header")
    if not isinstance(h, dict):
        raise Malformed(f"the header is JSON {type(h).__name__}, not an object")
    return h


def _jwe(
    parts: list[str], header: dict[str, Any], now: datetime, leeway: int, s: str
) -> TokenReport:
    if not isinstance(header.get("enc"), str):
        raise Malformed("a 5-segment JWE header must name its encryption (enc)")
    for i, what in ((1, "encrypted key"), (2, "IV"), (3, "ciphertext"), (4, "tag")):
        try:
            b64url_decode(parts[i])
        except Malformed as e:
            raise Malformed(f"the JWE {what} {e}") from None
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


def _claims(segment: str, header: Mapping[str, Any]) -> dict[str, Any]:
    if header.get("b64") is False:
        raise Malformed("the header asks for an unencoded payload (RFC 7797): not a JWT")
    if segment == "":
        raise Malformed("the payload is empty (detached): not a JWT")
    c = _part(segment, "payload")
    if not isinstance(c, dict):
        raise Malformed(f"the claims are JSON {type(c).__name__}, not an object")
    return c
