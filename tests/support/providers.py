"""Local stand-ins for the providers a token is asked about, served over HTTPS.

`TestCA` makes a private certificate authority and a server certificate for
127.0.0.1 and localhost; tests trust it the way a user with a private CA does, by
naming its bundle in `REQUESTS_CA_BUNDLE` or `SSL_CERT_FILE`.

Each stand-in answers as its provider documents (quirks and faults only when a test
asks for them by name) and records every request it gets, headers included, so a
test can say exactly what reached it:

- `GitHubStandIn`: `GET /api/v3/user` (Enterprise Server's path), `Authorization:
  Bearer|token TOKEN`; a token with an expiry gets `GitHub-Authentication-Token-
  Expiration` (`2027-01-31 19:07:53 UTC` for classic tokens, `... +0200` style offsets
  for fine-grained ones), a classic token `X-OAuth-Scopes`; an unknown token 401 with
  `{"message": "Bad credentials", ...}`; faults: "rate-limit-403" (403,
  `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset`), "rate-limit-429" (429,
  `Retry-After`), "secondary-rate-limit" (403, `Retry-After`), "fail" (502), "slow"
  (the answer never ends), "redirect" (301 to another host).
- `GitLabStandIn`: `GET /api/v4/personal_access_tokens/self` with `PRIVATE-TOKEN`;
  `expires_at` a date (or null), `scopes`, `active`, `revoked`; an unknown token 401
  `{"message": "401 Unauthorized"}`; faults as above ("rate-limit-429" with GitLab's
  `RateLimit-*` headers).
- `CheckUrlStandIn`: any path; 200 for a known token, 401 otherwise.
- `TrapServer`: answers nothing useful and records everything: a token must never
  reach it.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------ certificates


class TestCA:
    """A private CA (written to `bundle`) and a server certificate it signed."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path) -> None:
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        directory.mkdir(parents=True, exist_ok=True)
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tokenmgr test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.bundle = directory / "ca.pem"
        self.bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.cert = directory / "server.pem"
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key = directory / "server.key"
        self.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


# ------------------------------------------------------------------- the servers


@dataclass
class Seen:
    """One request a stand-in received (headers as sent; tests may read the token)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    endless: bool = False  # send the headers, then a byte at a time forever


class StandIn:
    """An HTTPS server on 127.0.0.1, port 0, answering with `respond(seen)`."""

    def __init__(self, ca: TestCA | None, respond: Callable[[Seen], Answer]) -> None:
        self.respond = respond
        self.requests: list[Seen] = []
        self._stop = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers.items()), body)
                stand_in.requests.append(seen)
                answer = stand_in.respond(seen)
                data = (
                    answer.body
                    if isinstance(answer.body, bytes)
                    else json.dumps(answer.body).encode()
                    if answer.body is not None
                    else b""
                )
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                if answer.endless:
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    try:
                        while not stand_in._stop.wait(0.2):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                if "Content-Type" not in answer.headers:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle
            do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.tls = ca is not None
        if ca is not None:
            self.server.socket = ca.server_context().wrap_socket(
                self.server.socket, server_side=True
            )
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.hostport}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bearer(seen: Seen) -> str | None:
    value = seen.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token if scheme.lower() in ("bearer", "token") and token else None


def _common_fault(fault: str | None, other: str = "https://127.0.0.1:9/") -> Answer | None:
    if fault == "fail":
        return Answer(502, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"})
    if fault == "slow":
        return Answer(200, endless=True)
    if fault == "redirect":
        return Answer(301, b"", {"Location": other})
    return None


# ------------------------------------------------------------------------ GitHub


@dataclass
class GitHubToken:
    login: str = "octocat"
    expires: str | None = None  # the header's text, as GitHub writes it
    scopes: str | None = None  # X-OAuth-Scopes (classic tokens); None: not sent
    fault: str | None = None


class GitHubStandIn(StandIn):
    """GitHub Enterprise Server's REST API, `/api/v3/user`."""

    def __init__(self, ca: TestCA) -> None:
        self.tokens: dict[str, GitHubToken] = {}
        self.trap_url = "https://127.0.0.1:9/"
        super().__init__(ca, self._answer)

    def _answer(self, seen: Seen) -> Answer:
        common = {"X-GitHub-Media-Type": "github.v3; format=json"}
        if seen.path != "/api/v3/user":
            return Answer(404, {"message": "Not Found", "status": "404"}, common)
        token = _bearer(seen)
        info = self.tokens.get(token or "")
        if info is None:
            return Answer(
                401,
                {
                    "message": "Bad credentials",
                    "documentation_url": "https://docs.github.com/rest",
                    "status": "401",
                },
                common,
            )
        fault = _common_fault(info.fault, self.trap_url)
        if fault is not None:
            return fault
        reset = str(int(time.time()) + 1800)
        if info.fault == "rate-limit-403":
            return Answer(
                403,
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
                },
                {
                    **common,
                    "X-RateLimit-Limit": "5000",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Used": "5000",
                    "X-RateLimit-Reset": reset,
                },
            )
        if info.fault == "rate-limit-429":
            return Answer(
                429,
                {"message": "API rate limit exceeded"},
                {**common, "Retry-After": "120", "X-RateLimit-Remaining": "0"},
            )
        if info.fault == "secondary-rate-limit":
            return Answer(
                403,
                {"message": "You have exceeded a secondary rate limit. Please wait a few "
                 "minutes before you try again."},
                {**common, "Retry-After": "60", "X-RateLimit-Remaining": "4990"},
            )
        headers = {**common, "X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999"}
        if info.expires is not None:
            headers["GitHub-Authentication-Token-Expiration"] = info.expires
        if info.scopes is not None:
            headers["X-OAuth-Scopes"] = info.scopes
            headers["X-Accepted-OAuth-Scopes"] = ""
        return Answer(200, {"login": info.login, "id": 1, "type": "User"}, headers)


# ------------------------------------------------------------------------ GitLab


@dataclass
class GitLabToken:
    name: str = "ci"
    expires_at: str | None = None  # a date, as GitLab writes it
    scopes: list[str] = field(default_factory=lambda: ["api"])
    active: bool = True
    revoked: bool = False
    fault: str | None = None


class GitLabStandIn(StandIn):
    """A GitLab instance's `GET /api/v4/personal_access_tokens/self`."""

    def __init__(self, ca: TestCA) -> None:
        self.tokens: dict[str, GitLabToken] = {}
        super().__init__(ca, self._answer)

    def _answer(self, seen: Seen) -> Answer:
        if seen.path != "/api/v4/personal_access_tokens/self":
            return Answer(404, {"error": "404 Not Found"})
        token = seen.headers.get("PRIVATE-TOKEN") or _bearer(seen)
        info = self.tokens.get(token or "")
        if info is None:
            return Answer(401, {"message": "401 Unauthorized"})
        fault = _common_fault(info.fault)
        if fault is not None:
            return fault
        if info.fault == "rate-limit-429":
            reset = str(int(time.time()) + 60)
            return Answer(
                429,
                b"Retry later\n",
                {
                    "Content-Type": "text/plain",
                    "Retry-After": "60",
                    "RateLimit-Limit": "600",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": reset,
                },
            )
        return Answer(
            200,
            {
                "id": 4,
                "name": info.name,
                "revoked": info.revoked,
                "created_at": "2026-07-23T14:31:47.729Z",
                "description": "",
                "scopes": info.scopes,
                "user_id": 24,
                "last_used_at": "2026-11-30T17:58:37.550Z",
                "active": info.active,
                "expires_at": info.expires_at,
            },
        )


# ------------------------------------------------------------- any API, and a trap


class CheckUrlStandIn(StandIn):
    """An API that answers 200 to the tokens it knows and 401 to the rest."""

    def __init__(self, ca: TestCA | None) -> None:
        self.tokens: set[str] = set()
        self.fault: str | None = None
        super().__init__(ca, self._answer)

    def _answer(self, seen: Seen) -> Answer:
        fault = _common_fault(self.fault)
        if fault is not None:
            return fault
        if _bearer(seen) in self.tokens:
            return Answer(200, {"ok": True})
        return Answer(401, {"error": "invalid_token"}, {"WWW-Authenticate": "Bearer"})


class TrapServer(StandIn):
    """Records whatever reaches it; answers 200 so a leak would look like success."""

    def __init__(self, ca: TestCA | None) -> None:
        super().__init__(ca, lambda seen: Answer(200, {"ok": True}))


def iter_tokens_seen(servers: list[StandIn]) -> Iterator[str]:
    """Every header value and body the servers received, for leak checks."""
    for server in servers:
        for seen in server.requests:
            yield from seen.headers.values()
            yield seen.body.decode("utf-8", "replace")


class TrapProxy:
    """An HTTP proxy on 127.0.0.1 that refuses everything (403) and records where each
    request wanted to go (`CONNECT api.github.com:443`). The test session routes all
    requests through it (`HTTPS_PROXY`, `HTTP_PROXY`; loopback exempt in `NO_PROXY`),
    so no test reaches the internet, and a test can see where a token would have gone."""

    def __init__(self) -> None:
        import socketserver

        self.targets: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    line = self.rfile.readline(65536).decode("latin-1").strip()
                    while self.rfile.readline(65536) not in (b"\r\n", b"\n", b""):
                        pass
                    method, _, rest = line.partition(" ")
                    proxy.targets.append(rest.rsplit(" ", 1)[0] if method else "")
                    self.wfile.write(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                except OSError:
                    pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def hosts(self) -> list[str]:
        """`host:port` of every CONNECT (https) and the host of every plain request."""
        return list(self.targets)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
