"""A logging filter that scrubs secrets from every record.

Installed once on the root logger's handlers. It masks JWT shapes,
`Authorization:` values, `*_token=` / `code=` / `client_secret=` / verifier
parameters, JSON fields with those names, and every value the vault has read
or written in this process (registered with `register_secret`).
"""

from __future__ import annotations

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
    # Authorization / Proxy-Authorization header values.
    re.compile(
        r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|basic|token|dpop)\s+)?[^\s'\",}]+"
    ),
    # form / query parameters and JSON fields that carry secrets
    re.compile(
        r"(?i)((?:[a-z_]*_token|code|client_secret|code_verifier|password|device_code|"
        r"assertion|secret|token)['\"]?\s*[=:]\s*['\"]?)[^\s&'\",}]+"
    ),
]

_lock = threading.Lock()
_registered: set[str] = set()
_registered_re: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Mask this exact value wherever it appears in later log records."""
    global _registered_re
    if not value or len(value) < _MIN_REGISTERED_LEN:
        return
    with _lock:
        if value in _registered:
            return
        _registered.add(value)
        ordered = sorted(_registered, key=len, reverse=True)
        _registered_re = re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str) -> str:
    pattern = _registered_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
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
