"""What a report looks like: the terminal text of `decode`, and the index's summary.

Every string that came from the token is shown printable: control characters,
bidi overrides and look-alike values ('42' as a string) are JSON-quoted.
"""

from __future__ import annotations

import json
from typing import Any

from tokenmgr.core.entries import format_time
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

# Claims kept in the index's cached report (non-secret, useful to show and sort).
SUMMARY_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nbf", "scope", "scp", "azp", "client_id")
SUMMARY_HEADER = ("alg", "kid", "typ", "cty", "enc")

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
    if report.signature == SIG_VERIFIED:
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
