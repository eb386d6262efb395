"""The one place that turns errors into the sentences the app shows.

Core errors already say what happened and what to do; here they become
sentences (capitalised, ending in a full stop, CLI-only hints reworded).
Anything else is an internal error: a plain sentence for the user, the
details in the (redacted) log, never a traceback or a class name on screen.

Where a message is shown in a line of its own (the status bar, a badge, an
inline error) it is shown `brief`: URLs in parentheses dropped, cut at a clause
end; the whole sentence goes in the widget's tooltip. A failed connection is
named by its cause (`unreachable`): a host name that does not exist (DNS) reads
differently from a server that refused the connection.
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


BRIEF = 150  # characters a one-line message may take before it is cut

# Why a connection failed (core.errors.NetworkError.cause), in a few words.
_CAUSES = {
    "dns": "the host name {host} was not found (DNS)",
    "refused": "{host} refused the connection",
    "certificate": "the TLS certificate of {host} is not trusted",
    "tls": "the TLS connection to {host} failed",
    "timeout": "{host} did not answer in time",
    "no_route": "{host} cannot be reached (offline?)",
    "reset": "{host} closed the connection",
    "connection": "the connection to {host} failed",
}
_URL_ASIDE = re.compile(r" ?\((?:https?|wss?)://[^()\s]*\)")


def unreachable(cause: str, host: str | None) -> str:
    """Why a connection failed, in a few words: 'the host name x was not found (DNS)'."""
    words = _CAUSES.get(cause, _CAUSES["connection"])
    return words.format(host=printable(host or "the server", 100))


def brief(text: str, limit: int = BRIEF) -> str:
    """`text` for one line: URLs in parentheses left out (they stay in the full text, the
    tooltip), and cut at the last clause end (". ", "; ") within `limit`, or at a word
    with "…"; never inside parentheses it opened."""
    short = _URL_ASIDE.sub("", text)
    if len(short) <= limit:
        return short
    head = short[:limit]
    cut = max(head.rfind(". "), head.rfind("; "))
    if cut > limit // 3:
        head = head[:cut]
        end = "."
    else:
        space = head.rfind(" ", 0, limit - 1)
        head = head[: space if space > limit // 3 else limit - 1]
        end = "…"
    # An aside opened and not closed in what is kept: left out when it came late, else
    # closed after the cut.
    depth, opened = 0, -1
    for i, c in enumerate(head):
        if c == "(":
            if depth == 0:
                opened = i
            depth += 1
        elif c == ")" and depth:
            depth -= 1
    if depth and opened > limit // 2:
        head, depth = head[:opened], 0
    if depth:
        return head.rstrip(" ,;:.") + "…" + ")" * depth
    return head.rstrip(" ,;:.") + end


def inline(exc: TokenMgrError) -> str:
    """An error shown under the field it is about, before anything is saved: the CLI's
    words, less its ': nothing was stored'."""
    return sentence(str(exc).removesuffix(": nothing was stored"))


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
