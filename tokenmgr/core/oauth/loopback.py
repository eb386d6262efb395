"""The loopback redirect listener (RFC 8252 §7.3) for the authorization code flow.

Listens on `127.0.0.1` (never `localhost`), port 0 unless pinned. Each callback
is checked in order: right path; `state` equal to ours (constant time); an `iss`
parameter, when present or required by the metadata (RFC 9207), equal to the
issuer. A callback failing a check gets an error page and the listener keeps
waiting: the attempt is not used up and that callback's code is never used.
The first valid callback ends it: the person sees "you can close this tab",
and the socket is closed. An `error` callback with the right state ends the
sign-in with that error.

Each connection is served on its own (daemon) thread, with an idle timeout, an
overall deadline and a size cap on its request line and headers, so idle or
dripping connections never hold up the real redirect, the sign-in's deadline or
Cancel. The outcome is decided under a lock before the page is written: a
browser that hangs up early does not lose the sign-in.
"""

from __future__ import annotations

import contextlib
import errno
import html
import logging
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tokenmgr.core.errors import AuthError, UsageError
from tokenmgr.core.oauth.pkce import same
from tokenmgr.core.redact import register_secret, server_text

log = logging.getLogger("tokenmgr.oauth.loopback")

HOST = "127.0.0.1"
CALLBACK_PATH = "/callback"
MAX_REQUEST_HEAD = 8 * 1024  # request line + headers; a redirect needs far less
IDLE_TIMEOUT = 5.0  # seconds a connection may stay silent
REQUEST_DEADLINE = 10.0  # seconds a connection has to send its whole request head
POLL_INTERVAL = 0.25  # how often wait() looks at its deadline and at cancel

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:4em auto;color:#222}}</style>
</head><body><h1>{title}</h1><p>{text}</p></body></html>
"""


class SignInTimeout(AuthError):
    """No valid redirect arrived in time (the person closed the browser?)."""


class SignInCancelled(AuthError):
    """The person (or the app) cancelled the sign-in."""


class ProviderRefused(AuthError):
    """The provider answered with an `error` (RFC 6749 §4.1.2.1): `error` and
    `description` are its words, as it sent them."""

    def __init__(self, message: str, error: str = "", description: str = "") -> None:
        super().__init__(message)
        self.error = error
        self.description = description


@dataclass
class Callback:
    code: str = field(repr=False)
    state: str
    iss: str | None


class _HeadTooLarge(Exception):
    """The request line and headers exceed MAX_REQUEST_HEAD."""


class _HeadReader:
    """The handler's `rfile`: reads the request head straight from the socket, at most
    `cap` bytes, each read waiting at most IDLE_TIMEOUT and all of them ending by
    `deadline` (a client dripping a byte a second never trips a per-read timeout)."""

    def __init__(self, sock: socket.socket, cap: int, deadline: float) -> None:
        self._sock = sock
        self._cap = cap
        self._deadline = deadline
        self._received = 0
        self._buf = bytearray()

    def _recv(self) -> bool:
        if self._received >= self._cap:
            raise _HeadTooLarge
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request head took too long")
        self._sock.settimeout(min(left, IDLE_TIMEOUT))
        data = self._sock.recv(min(4096, self._cap - self._received))
        if not data:
            return False
        self._received += len(data)
        self._buf += data
        return True

    def readline(self, limit: int = -1) -> bytes:
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0 and (limit < 0 or nl < limit):
                n = nl + 1
                break
            if 0 <= limit <= len(self._buf):
                n = limit
                break
            if not self._recv():
                n = len(self._buf)
                break
        line = bytes(self._buf[:n])
        del self._buf[:n]
        return line

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and self._recv():
            pass
        n = len(self._buf) if n < 0 else min(n, len(self._buf))
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def close(self) -> None:
        self._buf.clear()


class _Server(ThreadingHTTPServer):
    allow_reuse_address = False
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        self.reading: set[socket.socket] = set()  # connections still sending their request
        self.reading_lock = threading.Lock()
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # No traceback on stderr: it would bypass the redaction filter (the request
        # line holds the code), and a browser hanging up is not worth one.
        exc = sys.exc_info()[1]
        log.debug("loopback: a connection failed (%s)", type(exc).__name__ if exc else "error")

    def hang_up_readers(self) -> None:
        """End the connections that have not sent a whole request (the listener closes)."""
        with self.reading_lock:
            pending = list(self.reading)
            self.reading.clear()
        for sock in pending:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    listener: LoopbackListener
    timeout = IDLE_TIMEOUT  # a connection that never sends its request must not stall the sign-in
    # Defaults for pages sent before a request line was parsed (431).
    requestline = ""
    request_version = "HTTP/1.0"
    command = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # the request line holds the code; we log our own, redacted

    def setup(self) -> None:
        super().setup()
        deadline = time.monotonic() + REQUEST_DEADLINE
        reader: Any = _HeadReader(self.connection, MAX_REQUEST_HEAD, deadline)
        self.rfile = reader
        with self.server.reading_lock:
            self.server.reading.add(self.connection)

    def finish(self) -> None:
        with self.server.reading_lock:
            self.server.reading.discard(self.connection)
        super().finish()

    def handle(self) -> None:
        try:
            super().handle()
        except _HeadTooLarge:
            log.debug("loopback: a request head over %d bytes, refused", MAX_REQUEST_HEAD)
            self.close_connection = True
            try:
                self.connection.settimeout(IDLE_TIMEOUT)
                self.send_error(431, "Request header fields too large")
            except OSError:
                pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        with self.server.reading_lock:
            self.server.reading.discard(self.connection)  # it may now have its answer
        self.connection.settimeout(IDLE_TIMEOUT)
        return ok

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
        self.listener.check(self.path, self._page, host=self.headers.get("Host", ""))


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
        self._lock = threading.Lock()
        self._outcome: Callback | AuthError | None = None
        self._done = threading.Event()
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
        self.server.hang_up_readers()

    def check(
        self, raw_path: str, page: Any, *, host: str | None = None
    ) -> Callback | AuthError | None:
        """Judge one request; answer it with a page; the outcome, or None to keep waiting.

        `host` is the request's Host header (None when the caller captured the redirect
        URL itself, e.g. the embedded browser's navigation hook). The outcome is decided
        (and, when final, recorded) before the page is written; a failed write (the
        browser hung up) does not change it.
        """
        with self._lock:
            if host is not None and host != f"{HOST}:{self.port}":
                # Not a browser following our redirect URI: a page reached through another
                # name (DNS rebinding) is refused, and the sign-in goes on.
                log.debug("loopback: a request for another Host, refused")
                outcome: Callback | AuthError | None = None
                answer = (400, "Wrong address", "This listener answers only its own address.")
            else:
                outcome, answer = self._judge(raw_path)
            if outcome is not None:
                self._used = True
                self._outcome = outcome
        try:
            page(*answer)
        except OSError as e:
            log.debug("loopback: could not send the page (%s)", type(e).__name__)
        finally:
            if outcome is not None:
                self._done.set()
        return outcome

    def _judge(self, raw_path: str) -> tuple[Callback | AuthError | None, tuple[int, str, str]]:
        """The outcome of one request and the page (status, title, text) that answers it."""
        answer: tuple[int, str, str] = (0, "", "")

        def page(status: int, title: str, text: str) -> None:
            nonlocal answer
            answer = (status, title, text)

        return self._decide(raw_path, page), answer

    def _decide(self, raw_path: str, page: Any) -> Callback | AuthError | None:
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
            err = server_text(q.get("error", ""), 100)
            desc = server_text(q.get("error_description", ""))
            page(200, "Sign-in failed", f"The provider said: {err} {desc}. You can close this tab.")
            suffix = f" ({desc})" if desc else ""
            return ProviderRefused(
                f"the provider ended the sign-in: {err}{suffix}",
                q.get("error", ""),
                q.get("error_description", ""),
            )
        if not code:
            page(400, "Sign-in not accepted", "The answer holds no code; still waiting.")
            return None
        page(200, "Signed in", "tokenmgr has your sign-in. You can close this tab.")
        assert state is not None
        return Callback(code=code, state=state, iss=iss)

    def wait(self, timeout: float, cancel: threading.Event | None = None) -> Callback:
        """Serve requests until a valid callback arrives, `timeout` seconds pass, or
        `cancel` is set (checked at least every 0.25 s; the GUI's Cancel button)."""
        deadline = time.monotonic() + timeout
        serving = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name="tokenmgr-loopback",
            daemon=True,
        )
        serving.start()
        try:
            while not self._done.is_set():
                if cancel is not None and cancel.is_set():
                    raise SignInCancelled("the sign-in was cancelled: nothing was stored")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SignInTimeout(
                        f"no sign-in completed within {timeout:g} s (was the browser closed?); "
                        "nothing was stored"
                    )
                self._done.wait(min(left, POLL_INTERVAL))
            with self._lock:
                outcome = self._outcome
            if isinstance(outcome, Callback):
                return outcome
            assert outcome is not None
            raise outcome
        finally:
            self.server.shutdown()
            serving.join(5)
            self.close()
