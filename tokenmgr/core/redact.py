"""A logging filter that scrubs secrets from every record.

Installed once on the root logger's handlers. It masks JWT shapes,
`Authorization:` values, `*_token=` / `code=` / `client_secret=` / verifier
parameters, JSON fields with those names, and every value the vault has read
or written in this process (registered with `register_secret`).
"""

from __future__ import annotations

import json
import logging
import re
import threading

MASK = "***"
_MIN_REGISTERED_LEN = 6  # short values would mask innocent text and leak little

_PATTERNS = [
    # JWS / JWE compact serialisations (base64url header starting with '{"' → "eyJ").
    re.compile(
        r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"
    ),
    # Authorization / Proxy-Authorization header values, whatever the scheme (Bearer,
    # Basic, SSWS, ApiKey, ...): the scheme word, if any, is kept; the credential is not.
    re.compile(
        r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?"
        r"(?:[!#$%&*+.^_`|~0-9a-z-]+\s+)?)[^\s'\",}]+"
    ),
    # form / query parameters and JSON fields that carry secrets
    re.compile(
        r"(?i)((?:[a-z_]*_token|code|client_secret|code_verifier|password|device_code|"
        r"assertion|secret|token|api_key|apikey)['\"]?\s*[=:]\s*['\"]?)[^\s&'\",}]+"
    ),
]

_lock = threading.Lock()
_registered: set[str] = set()
_ordered: list[str] | None = None  # longest first; rebuilt lazily after a registration


def _variants(value: str) -> set[str]:
    """The value as it may appear in a log line: raw, URL-encoded, JSON-escaped."""
    from urllib.parse import quote, quote_plus

    out = {value, quote(value, safe=""), quote_plus(value, safe="")}
    out.add(json.dumps(value)[1:-1])
    return {v for v in out if len(v) >= _MIN_REGISTERED_LEN}


def register_secret(value: str | None) -> None:
    """Mask this exact value (and its encoded forms) wherever it appears in later records."""
    global _ordered
    if not value or len(value) < _MIN_REGISTERED_LEN:
        return
    with _lock:
        if value in _registered:
            return
        _registered.update(_variants(value))
        _registered.add(value)
        _ordered = None


def forget_secret(value: str | None) -> None:
    """Stop masking a value registered before (and its encoded forms), dropping the
    references this module holds: for a secret the process lets go of (the vault file's
    passphrase once it is locked), which nothing will log again."""
    global _ordered
    if not value:
        return
    with _lock:
        forgotten = _variants(value) | {value}
        if forgotten & _registered:
            _registered.difference_update(forgotten)
            _ordered = None


def redact(text: str) -> str:
    global _ordered
    with _lock:
        if _ordered is None:
            _ordered = sorted(_registered, key=len, reverse=True)
        ordered = _ordered
    for v in ordered:
        if v in text:
            text = text.replace(v, MASK)
    for p in _PATTERNS:
        text = p.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the record's message (with its args merged in) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, redacted, so handlers do not format the raw one.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_installed = False


def install(level: int = logging.WARNING) -> None:
    """Log to stderr through the redaction filter (idempotent)."""
    global _installed
    root = logging.getLogger()
    if not _installed:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
        _installed = True
    root.setLevel(level)
    # Filters on handlers see records from every logger; also guard handlers others add.
    for h in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(RedactingFilter())


REPLACEMENT = "\ufffd"


def printable(text: object, limit: int = 300) -> str:
    """Server-derived text made safe to show on a terminal or in a dialog: every
    non-printable character (controls such as ESC, CR and LF, bidi and other format
    characters, unassigned code points) becomes U+FFFD, and text longer than `limit`
    characters is cut, ending in "…"."""
    s = text if isinstance(text, str) else str(text)
    if len(s) > limit:
        s = s[: max(limit - 1, 0)] + "…"
    return "".join(c if c.isprintable() else REPLACEMENT for c in s)


def server_text(text: object, limit: int = 300) -> str:
    """What a server said (an error code, its description), fit for stderr or a dialog:
    redacted (a server may echo what it was sent) and then made `printable`."""
    return printable(redact(text if isinstance(text, str) else str(text)), limit)
