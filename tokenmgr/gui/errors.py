"""The one place that turns errors into the sentences the app shows (UI.md "Words").

Core errors already say what happened and what to do; here they become
sentences (capitalised, ending in a full stop, CLI-only hints reworded).
Anything else is an internal error: a plain sentence for the user, the
details in the (redacted) log, never a traceback or a class name on screen.
"""

from __future__ import annotations

import logging
import re

from tokenmgr.core.errors import (
    AlreadyExists,
    AuthError,
    IndexCorrupted,
    InvalidSecret,
    NetworkError,
    NotFound,
    SignInRequired,
    StorageUnavailable,
    TokenMalformed,
    TokenMgrError,
    UsageError,
)
from tokenmgr.core.redact import printable

log = logging.getLogger("tokenmgr.gui")

INTERNAL = (
    "Something went wrong inside Token Manager. The details were written to the log; "
    "try again, and report it if it keeps happening."
)

# CLI wording that means nothing in a window.
_REWORDS = [
    (re.compile(r" \(see `tokenmgr list`\)"), ""),
    (
        re.compile(r"use --force to replace its token \(it was kept as it is\)"),
        "choose another name",
    ),
    (re.compile(r" with TOKENMGR_STORE=file"), ""),
    (re.compile(r"set TOKENMGR_PASSPHRASE or type one"), "type one"),
    # "sign in again with `tokenmgr login NAME ...`": in the app, "Sign in again" is a button.
    (re.compile(r" with `tokenmgr login [^`]*`"), ""),
]


def sentence(text: str) -> str:
    """'cannot read x' → 'Cannot read x.'"""
    text = printable(text.strip(), 600)
    if not text:
        return INTERNAL
    text = text[0].upper() + text[1:]
    if text[-1] not in ".!?)" or text[-1] == ")" and not text.endswith(".)"):
        text += "."
    return text


def describe(exc: BaseException) -> str:
    """What to show for `exc`: one or two sentences."""
    if isinstance(exc, TokenMgrError):
        text = str(exc)
        for pattern, repl in _REWORDS:
            text = pattern.sub(repl, text)
        # Core messages hold no secret by design (errors.py); redact() here would also
        # mangle innocent words ("the secret: no keyring" reads as a secret field).
        return sentence(text)
    if isinstance(exc, OSError):
        what = exc.strerror or "an input/output error"
        where = f" ({exc.filename})" if exc.filename else ""
        return sentence(f"a file could not be read or written{where}: {what}")
    log.error("internal error", exc_info=(type(exc), exc, exc.__traceback__))
    return INTERNAL


def title(exc: BaseException) -> str:
    """A short heading for a dialog about `exc`."""
    if isinstance(exc, StorageUnavailable):
        return "The secret store is unavailable"
    if isinstance(exc, SignInRequired):
        return "Sign-in needed"
    if isinstance(exc, NetworkError):
        return "The server could not be reached"
    if isinstance(exc, AuthError):
        return "Sign-in or refresh failed"
    if isinstance(exc, NotFound):
        return "No such token"
    if isinstance(exc, AlreadyExists):
        return "The name is taken"
    if isinstance(exc, IndexCorrupted):
        return "The token list cannot be read"
    if isinstance(exc, InvalidSecret | TokenMalformed):
        return "The token was refused"
    if isinstance(exc, UsageError):
        return "That cannot be done"
    return "Something went wrong"
