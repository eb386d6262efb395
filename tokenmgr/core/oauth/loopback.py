"""The loopback redirect listener (RFC 8252 §7.3) for the authorization code flow.

Listens on `127.0.0.1` (never `localhost`), port 0 unless pinned. Each callback
is checked in order: right path; `state` equal to ours (constant time); an `iss`
parameter, when present or required by the metadata (RFC 9207), equal to the
issuer. A callback failing a check gets an error page and the listener keeps
waiting: the attempt is not used up and that callback's code is never used.
The first valid callback ends it: the person sees "you can close this tab",
and the socket is closed. An `error` callback with the right state ends the
sign-in with that error.
"""

from __future__ import annotations

import errno
import html
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from tokenmgr.core.errors import AuthError, UsageError
from tokenmgr.core.oauth.pkce import same
from tokenmgr.core.redact import register_secret

log = logging.getLogger("tokenmgr.oauth.loopback")

HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:4em auto;color:#222}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


class SignInTimeout(AuthError):
    """No valid redirect arrived in time (the person closed the browser?)."""


class SignInCancelled(AuthError):
    """The person (or the app) cancelled the sign-in."""


@dataclass
class Callback:
    code: str
    state: str
    iss: str | None


class _Server(HTTPServer):
    allow_reuse_address = False
    outcome: Any = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    listener: LoopbackListener
    timeout = 5.0  # a connection that never sends its request must not stall the sign-in

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # the request line holds the code; we log our own, redacted

    def _page(self, status: int, title: str, text: str) -> None:
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.close_connection = True
        self.server.outcome = self.listener.check(self.path, self._page)


class LoopbackListener:
    """One sign-in's redirect listener. Use as a context manager."""

    def __init__(
        self,
        *,
        state: str,
        issuer: str | None,
        iss_required: bool,
        port: int = 0,
        path: str = CALLBACK_PATH,
    ) -> None:
        self.state = state
        self.issuer = issuer
        self.iss_required = iss_required
        self.path = path
        self._used = False
        handler = type("Handler", (_Handler,), {"listener": self})
        try:
            self.server = _Server((HOST, port), handler)
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                raise UsageError(
                    f"port {port} on {HOST} is taken (or not allowed): pick another --port, "
                    "or leave --port out to use a free one; nothing was stored"
                ) from None
            raise AuthError(
                f"cannot listen on {HOST}:{port} for the sign-in ({e.strerror})"
            ) from None
        self.port = int(self.server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.server_close()

    def check(self, raw_path: str, page: Any) -> Callback | AuthError | None:
        """Judge one request; answer it with a page; the outcome, or None to keep waiting."""
        parts = urllib.parse.urlsplit(raw_path)
        if parts.path != self.path or self._used:
            page(404, "Not found", "This is tokenmgr's sign-in listener; nothing here.")
            return None
        q = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        code, state, iss = q.get("code"), q.get("state"), q.get("iss")
        register_secret(code)
        if not same(state, self.state):
            log.debug("loopback: callback with a wrong or missing state, ignored")
            page(
                400,
                "Sign-in not accepted",
                "This answer does not belong to the sign-in tokenmgr started (state mismatch). "
                "tokenmgr is still waiting: start again from the sign-in link.",
            )
            return None
        if iss is not None or self.iss_required:
            if iss is None:
                log.debug("loopback: callback without the iss the server advertises, ignored")
                page(
                    400,
                    "Sign-in not accepted",
                    "The answer lacks the issuer (iss) the server promised (RFC 9207). "
                    "tokenmgr is still waiting.",
                )
                return None
            if self.issuer is not None and not same(iss, self.issuer):
                log.debug("loopback: callback from another issuer (mix-up), ignored")
                page(
                    400,
                    "Sign-in not accepted",
                    "The answer comes from another issuer than the one tokenmgr signs in to "
                    "(possible mix-up attack); its code was not used. tokenmgr is still waiting.",
                )
                return None
        if "error" in q:
            self._used = True
            err = q.get("error", "")[:100]
            desc = q.get("error_description", "")[:300]
            page(200, "Sign-in failed", f"The provider said: {err} {desc}. You can close this tab.")
            suffix = f" ({desc})" if desc else ""
            return AuthError(f"the provider ended the sign-in: {err}{suffix}")
        if not code:
            page(400, "Sign-in not accepted", "The answer holds no code; still waiting.")
            return None
        self._used = True
        page(200, "Signed in", "tokenmgr has your sign-in. You can close this tab.")
        assert state is not None
        return Callback(code=code, state=state, iss=iss)

    def wait(self, timeout: float, cancel: threading.Event | None = None) -> Callback:
        """Serve requests until a valid callback arrives, `timeout` seconds pass, or
        `cancel` is set (checked at least every 0.25 s; the GUI's Cancel button)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise SignInCancelled("the sign-in was cancelled: nothing was stored")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SignInTimeout(
                        f"no sign-in completed within {timeout:g} s (was the browser closed?); "
                        "nothing was stored"
                    )
                self.server.timeout = min(left, 0.25 if cancel is not None else 1.0)
                self.server.outcome = None
                try:
                    self.server.handle_request()
                except TimeoutError:
                    continue
                outcome = self.server.outcome
                if isinstance(outcome, Callback):
                    return outcome
                if isinstance(outcome, AuthError):
                    raise outcome
        finally:
            self.close()
