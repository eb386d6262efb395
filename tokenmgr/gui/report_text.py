"""The words a token and its report are shown in: claim glosses, the signature badge,
expiry lines, the one-line summary under the add dialog's paste field.

No Qt here. The details pane, the report view, "Paste & decode" and the add
dialog all draw these words; keeping them apart from the widgets lets each of
those import them without importing the others, and lets them be read and
tested without a display.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tokenmgr.core.entries import Entry
from tokenmgr.core.redact import printable
from tokenmgr.core.rules import parse_time
from tokenmgr.gui.timewords import countdown, local_utc, relative

if TYPE_CHECKING:
    from tokenmgr.core.jwt_inspect import TokenReport

# Registered claims (RFC 7519, OpenID Connect Core, RFC 8693, RFC 9068, RFC 7800) in words.
GLOSSES = {
    "exp": "expires",
    "iat": "issued",
    "nbf": "not valid before",
    "iss": "issued by",
    "sub": "who the token is about",
    "aud": "meant for",
    "azp": "requested by",
    "scope": "what it may do",
    "scp": "what it may do",
    "jti": "token id",
    "client_id": "the app it was issued to",
    "auth_time": "when the user signed in",
    "nonce": "ties it to one sign-in",
    "acr": "how strongly the user signed in",
    "amr": "how the user signed in",
    "sid": "the sign-in session",
    "at_hash": "ties it to its access token",
    "c_hash": "ties it to its authorization code",
    "email": "the user's e-mail address",
    "email_verified": "the provider checked the e-mail address",
    "name": "the user's name",
    "given_name": "first name",
    "family_name": "last name",
    "preferred_username": "the user's login name",
    "updated_at": "when the user's profile changed",
    "roles": "roles it grants",
    "groups": "groups the user is in",
    "entitlements": "what it is entitled to",
    "act": "who acts for the subject",
    "may_act": "who may act for the subject",
    "cnf": "the key it is bound to",
}
# NumericDate claims besides exp, iat and nbf (shown as times).
TIME_CLAIMS = ("auth_time", "updated_at")
HEADER_GLOSSES = {
    "alg": "signing algorithm",
    "kid": "which of the issuer's keys",
    "typ": "token type",
    "cty": "content type",
    "enc": "encryption",
}
KIND_WORDS = {
    "jws": "signed JWT",
    "jwe": "encrypted JWT",
    "opaque": "opaque token (not a JWT)",
    "malformed": "malformed token",
}
ACCESS_TITLE = "Access token"
ACCESS_SUBTITLE = "what APIs accept"
ID_TITLE = "ID token"
ID_SUBTITLE = "tells this app who signed in; not for APIs"
COUNTDOWN_WITHIN = 86400  # a live countdown when the token expires within a day
# The key sources the user chose (core.jwt_inspect.PINNED_SOURCES; a test keeps them equal
# without importing the inspector here).
PINNED_SOURCES = frozenset({"jwks_url", "issuer", "vault_issuer", "secret", "public_key"})

Row = tuple[str, str, str]  # what, its value, what it means


@dataclass
class ReportData:
    """A report without the token: from a full inspection or the index's summary."""

    kind: str
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    not_before: datetime | None = None
    signature: str = "unverified"
    verification: dict[str, Any] | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    full: bool = False
    # From the index's summary: members it left out ("header"/"claims" → names), and
    # whether it is an older summary that kept only a few claims.
    left_out: dict[str, list[str]] = field(default_factory=dict)
    partial: bool = False

    @classmethod
    def from_report(cls, report: TokenReport) -> ReportData:
        return cls(
            kind=report.kind,
            header=dict(report.header or {}),
            claims=dict(report.claims or {}),
            expires_at=report.expires_at,
            issued_at=report.issued_at,
            not_before=report.not_before,
            signature=report.signature,
            verification=dict(report.verification) if report.verification else None,
            reason=report.reason,
            warnings=tuple(report.warnings),
            full=True,
        )

    @classmethod
    def from_summary(cls, data: dict[str, Any] | None) -> ReportData | None:
        """From the summary the index keeps (`Entry.report`); None when there is none."""
        if not isinstance(data, dict) or "kind" not in data:
            return None

        def when(key: str) -> datetime | None:
            try:
                return parse_time(data.get(key))
            except Exception:
                return None

        left_out = data.get("left_out")
        return cls(
            kind=str(data.get("kind")),
            header=dict(data.get("header") or {}),
            claims=dict(data.get("claims") or {}),
            expires_at=when("expires_at"),
            issued_at=when("issued_at"),
            not_before=when("not_before"),
            signature=str(data.get("signature") or "unverified"),
            reason=data.get("reason"),
            left_out={
                str(k): [str(n) for n in v]
                for k, v in (left_out.items() if isinstance(left_out, dict) else ())
                if isinstance(v, list)
            },
            # Summaries before every claim was kept: more claims may exist.
            partial=not isinstance(data.get("v"), int) and data.get("kind") == "jws",
        )


def json_text(value: Any) -> str:
    """`value` as indented JSON (jwt.io's view), every character printable: what a
    terminal or a label would mangle (controls, bidi overrides) is written as a \\u
    escape, so the text is still the same JSON."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c == "\n" or c.isprintable():
            out.append(c)
        elif ord(c) > 0xFFFF:  # a surrogate pair in JSON
            v = ord(c) - 0x10000
            out.append(f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04x}")
        else:
            out.append(f"\\u{ord(c):04x}")
    return "".join(out)


def left_out_line(data: ReportData) -> str:
    """What the token list's report does not show, and how to see it ("" for nothing)."""
    if data.full:
        return ""
    if data.partial:
        return "The token list keeps only some claims of this token; Reveal shows them all."
    names = [*data.left_out.get("header", []), *data.left_out.get("claims", [])]
    if not names:
        return ""
    shown = ", ".join(show_value(n, 40) for n in names[:6]) + (", …" if len(names) > 6 else "")
    what = "claim" if not data.left_out.get("header") else "field"
    what += "" if len(names) == 1 else "s"
    return (
        f"Reveal shows {len(names)} more {what}: {shown}. The token list leaves out values "
        "that look secret, hold a token or are long."
    )


def show_value(value: Any, limit: int = 400) -> str:
    """A claim's value as plain, printable text of at most `limit` characters."""
    if isinstance(value, str):
        return printable(value, limit)
    return printable(json.dumps(value, ensure_ascii=False), limit)


def kind_line(data: ReportData) -> str:
    """'signed JWT · RS256 · kid k1'."""
    parts = [KIND_WORDS.get(data.kind, data.kind)]
    if data.header.get("alg"):
        parts.append(show_value(data.header["alg"], 40))
    if data.header.get("kid"):
        parts.append(f"kid {show_value(data.header['kid'], 40)}")
    return " · ".join(parts)


def pinned(data: ReportData) -> bool:
    return bool(data.verification and data.verification.get("key_source") in PINNED_SOURCES)


def badge(data: ReportData) -> tuple[str, str]:
    """(mark, words) of the signature verdict; never a bare tick for an unpinned key."""
    v = data.verification or {}
    reason = show_value(v.get("reason") or data.reason or "", 300)
    if data.kind in ("opaque", "jwe", "malformed"):
        why = {
            "opaque": "an opaque token has no signature",
            "jwe": "an encrypted token has no signature to check",
            "malformed": "the token does not decode",
        }[data.kind]
        return "?", f"Can't verify ({why})"
    if data.signature == "verified":
        stale = " — with stale keys" if v.get("stale") else ""
        if v.get("key_source") == "secret":
            weak = " — a weak secret, anyone may guess it" if v.get("weak_secret") else ""
            return "✔", f"Signature verified with the secret you gave{weak}"
        if v.get("key_source") == "public_key":
            return "✔", "Signature verified with the public key you gave"
        if v.get("key_source") == "jwks_url":
            return "✔", f"Signature verified with the keys at the JWKS URL you gave{stale}"
        if pinned(data):
            return "✔", f"Signature verified (pinned issuer){stale}"
        return "⚠", f"Verified, issuer not pinned (keys found through the token's own iss){stale}"
    if data.signature == "invalid":
        return "✖", f"Invalid signature: {reason}" if reason else "Invalid signature"
    if data.signature == "unverifiable":
        return "?", f"Can't verify ({reason})" if reason else "Can't verify"
    return "–", "Signature not checked"


def expiry_line(expires_at: datetime | None, now: datetime) -> str:
    """'Expires in 3 h 12 min 05 s' within a day, else 'Expires in 29 days' or 'Expired …'."""
    if expires_at is None:
        return "No expiry known"
    delta = (expires_at - now).total_seconds()
    if delta <= 0:
        return f"Expired {relative(expires_at, now)}"
    if delta < COUNTDOWN_WITHIN:
        return f"Expires in {countdown(delta)}"
    return f"Expires {relative(expires_at, now)}"


def one_line(data: ReportData, now: datetime) -> str:
    """What the add dialog shows under the paste field: kind, subject, issuer, expiry."""
    if data.kind == "malformed":
        return f"Malformed: {show_value(data.reason or 'it does not decode', 200)}"
    kind = kind_line(data)
    parts = [kind[0].upper() + kind[1:]]
    if data.kind == "opaque" and data.reason:
        parts.append(show_value(data.reason, 120))
    if "sub" in data.claims:
        parts.append(f"subject {show_value(data.claims['sub'], 60)}")
    if "iss" in data.claims:
        parts.append(f"issued by {show_value(data.claims['iss'], 80)}")
    if data.expires_at is not None:
        verb = "expires" if data.expires_at > now else "expired"
        parts.append(f"{verb} {relative(data.expires_at, now)}")
    elif data.kind in ("jws", "jwe"):
        parts.append("no expiry")
    return " · ".join(parts)


def time_claim(at: datetime, now: datetime) -> str:
    """A time claim's value: local and UTC, then relative."""
    return f"{local_utc(at)} · {relative(at, now)}"


def claim_rows(data: ReportData, now: datetime) -> list[Row]:
    """(claim, value, gloss) for each claim; times in words at `now`."""
    times = {"exp": data.expires_at, "iat": data.issued_at, "nbf": data.not_before}
    rows: list[Row] = []
    for key, value in data.claims.items():
        at = times.get(key)
        if at is None and key in TIME_CLAIMS and type(value) in (int, float):
            try:
                at = datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                at = None
        shown = time_claim(at, now) if at is not None else show_value(value)
        rows.append((show_value(key, 60), shown, GLOSSES.get(key, "")))
    return rows


def header_rows(data: ReportData) -> list[Row]:
    """(header field, value, gloss) for each field of the JOSE header."""
    return [
        (show_value(k, 60), show_value(v), HEADER_GLOSSES.get(k, ""))
        for k, v in data.header.items()
    ]


def needs_sign_in(entry: Entry, now: datetime) -> bool:
    """An OAuth entry only a new sign-in can renew (refused, or expired without a way)."""
    from tokenmgr.core.expiry import renews_itself

    if entry.kind != "oauth2":
        return False
    if entry.state == "sign_in_needed":
        return True
    expired = entry.expires_at is not None and entry.expires_at <= now
    return expired and not renews_itself(entry)


def sign_in_line(entry: Entry, now: datetime) -> str:
    """Why the entry needs a new sign-in, or "" when it does not."""
    if entry.state == "sign_in_needed":
        return "⚠ Sign-in needed: the provider refused the refresh token."
    if needs_sign_in(entry, now):
        return "⚠ Expired, and there is no refresh token: sign in again to renew it."
    return ""
