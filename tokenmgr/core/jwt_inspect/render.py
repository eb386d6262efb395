"""What a report looks like: the terminal text of `decode`, and the index's summary.

Every string that came from the token is shown printable: control characters,
bidi overrides and look-alike values ('42' as a string) are JSON-quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tokenmgr.core.jwt_inspect.model import (
    KIND_JWE,
    KIND_JWS,
    KIND_MALFORMED,
    KIND_OPAQUE,
    SIG_INVALID,
    SIG_UNVERIFIABLE,
    SIG_UNVERIFIED,
    SIG_VERIFIED,
    TokenReport,
)
from tokenmgr.core.jwt_inspect.times import when
from tokenmgr.core.rules import format_time, looks_like_token

# The index's cached report keeps every header and claim member, in token order, except:
# a value holding something token-shaped (a JWT or a known provider prefix: an upstream
# provider's token nested in this one), a member whose name says it is a secret or a
# one-time sign-in value, and values too long to be worth a line in the index (certificate
# chains, long group lists). What was left out is named under "left_out"; the token itself
# (in the keyring) still has it all.
SUMMARY_VERSION = 2
SUMMARY_MAX_VALUE = 2048  # characters of JSON per member
SUMMARY_MAX_TOTAL = 16 * 1024  # characters of JSON for the header and claims together
_SECRET_NAME = re.compile(
    r"(?i)(?:^|[_-])(?:token|secret|password|passwd|api[_-]?key|private[_-]?key|credential"
    r"|nonce)s?$"
)

_KINDS = {
    KIND_JWS: "JWS (signed JWT)",
    KIND_JWE: "JWE (encrypted JWT)",
    KIND_OPAQUE: "opaque (not a JWT)",
    KIND_MALFORMED: "malformed",
}
_NO_SIGNATURE = {
    KIND_MALFORMED: "invalid (the token does not decode)",
    KIND_JWE: "unverifiable (an encrypted token: no signature to check)",
    KIND_OPAQUE: "unverifiable (not a signed token)",
}
_SOURCES = {
    "jwks_url": "the JWKS URL given",
    "issuer": "the given issuer's discovery document",
    "vault_issuer": "the discovery document of the issuer of vault entry",
    "token_iss": "the discovery document of the token's iss",
    "secret": "the shared secret given",
    "public_key": "the public key given",
}
_VERDICTS = {
    SIG_UNVERIFIED: "unverified (decoded only; --verify checks it against the issuer's keys)",
    SIG_VERIFIED: "verified",
    SIG_INVALID: "INVALID",
    SIG_UNVERIFIABLE: "unverifiable",
}


def show(value: Any) -> str:
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


def render_text(report: TokenReport) -> str:
    """Human output: kind, header, claims table with times, status and signature verdict."""
    lines = [f"Token:      {_KINDS.get(report.kind, report.kind)}"]
    if report.reason:
        lines.append(f"Note:       {show(report.reason)}")
    if report.header is not None:
        lines.append("Header:")
        lines += _table([(show(k), show(v)) for k, v in report.header.items()])
    if report.claims is not None:
        lines.append("Claims:")
        lines += _claim_rows(report)
    if report.kind == KIND_JWS:
        lines.append(f"Status:     {_status_line(report)}")
    lines.append(f"Signature:  {_signature_line(report)}")
    for w in report.warnings:
        lines.append(f"Warning:    {show(w)}")
    return "\n".join(lines) + "\n"


def _claim_rows(report: TokenReport) -> list[str]:
    now = report.checked_at
    times = {"exp": report.expires_at, "iat": report.issued_at, "nbf": report.not_before}
    rows = []
    for k, v in (report.claims or {}).items():
        at = times.get(k)
        shown = show(v)
        if at is not None:
            shown = f"{shown}  ({when(k, at, now)})"
        rows.append((show(k), shown))
    return _table(rows) if rows else ["  (none)"]


def _status_line(report: TokenReport) -> str:
    status = report.status.replace("_", " ")
    if report.expires_at is not None:
        status += f" ({when('exp', report.expires_at, report.checked_at).rsplit(' · ', 1)[1]}"
        status += f"; leeway {report.leeway} s)"
    return status


def _signature_line(report: TokenReport) -> str:
    verdict = _VERDICTS.get(report.signature, report.signature)
    v = report.verification or {}
    if report.signature == SIG_VERIFIED and v.get("key_source") in ("secret", "public_key"):
        verdict += f" ({v.get('alg')}; with {_SOURCES[str(v['key_source'])]}, pinned)"
        if v.get("weak_secret"):
            verdict += f" — a WEAK secret: {str(v.get('reason')).split('; ', 1)[-1]}"
    elif report.signature == SIG_VERIFIED:
        source = _SOURCES.get(str(v.get("key_source")), str(v.get("key_source")))
        if v.get("pinned_by"):
            source += f" {show(v['pinned_by'])}"
        verdict += f" ({v.get('alg')}, kid {v.get('kid')!r}; key from {show(v.get('jwks_uri'))}"
        verdict += f", {source}"
        verdict += ", pinned)" if report.pinned else ") — NOT PINNED: the token chose its issuer"
        if v.get("stale"):
            verdict += " — with STALE keys: the last refresh failed"
    elif v.get("reason") and report.signature != SIG_UNVERIFIED:
        verdict += f": {v['reason']}"
    elif report.kind in _NO_SIGNATURE:
        verdict = _NO_SIGNATURE[report.kind]
    return verdict


def summary(report: TokenReport) -> dict[str, Any]:
    """Non-secret parts for the index: no signature, no raw token; the header and claims
    in token order less what `_kept` leaves out (named under "left_out")."""
    left_out: dict[str, list[str]] = {}
    budget = [SUMMARY_MAX_TOTAL]
    header = _kept(report.header or {}, "header", left_out, budget)
    claims = _kept(report.claims or {}, "claims", left_out, budget)
    out: dict[str, Any] = {
        "v": SUMMARY_VERSION,
        "kind": report.kind,
        "header": header,
        "claims": claims,
        "expires_at": format_time(report.expires_at),
        "issued_at": format_time(report.issued_at),
        "not_before": format_time(report.not_before),
        "signature": report.signature,
        "reason": report.reason,
        "checked_at": format_time(report.checked_at),
    }
    if left_out:
        out["left_out"] = left_out
    return out


def _kept(
    members: Mapping[str, Any], part: str, left_out: dict[str, list[str]], budget: list[int]
) -> dict[str, Any]:
    """`members` in order, less secret-looking, token-holding or over-long ones (their
    names go to `left_out[part]`); `budget` is what the index may still take."""
    kept: dict[str, Any] = {}
    for name, value in members.items():
        size = len(json.dumps(value, ensure_ascii=False)) + len(name)
        if (
            _SECRET_NAME.search(name)
            or _holds_token(value)
            or size > SUMMARY_MAX_VALUE
            or size > budget[0]
        ):
            left_out.setdefault(part, []).append(name)
            continue
        budget[0] -= size
        kept[name] = value
    return kept


def _holds_token(value: Any) -> bool:
    """Whether a string anywhere in `value` (keys included) looks like a token."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(looks_like_token(word) for word in item.split()):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
