"""A failed connection is told in words, against real sockets on loopback: a host name
that does not exist (DNS) apart from a refused connection, an untrusted certificate, a
TLS failure, a timeout, a reset; the URL said once, no exception class names. The app
shows them brief, the whole text in a tooltip (gui/errors.py, no Qt needed here)."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tokenmgr.core.errors import NetworkError
from tokenmgr.core.jwks import JWKSCache, JWKSError
from tokenmgr.core.oauth.http import Http
from tokenmgr.gui.errors import brief, unreachable

CLASS_NAMES = ("ConnectionError", "MaxRetryError", "NewConnectionError", "SSLError", "gaierror",
               "ReadTimeout", "ConnectTimeout", "RemoteDisconnected", "ProtocolError")


class Listener:
    """A TCP server on 127.0.0.1 that does one thing with each connection: `hold` (accept,
    never answer), `close` (accept, close at once) or `tls` (a TLS handshake with a
    self-signed certificate, then an HTTP 200)."""

    def __init__(self, mode: str, tmp: Path | None = None) -> None:
        self.mode = mode
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.context: ssl.SSLContext | None = None
        if mode == "tls":
            assert tmp is not None
            self.context = _self_signed_context(tmp)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.mode == "hold":
                self.held.append(conn)
            elif self.mode == "close":
                conn.close()
            else:
                assert self.context is not None
                try:
                    with self.context.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(4096)
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                except (ssl.SSLError, OSError):
                    pass  # the client refused the certificate: that is the test

    def close(self) -> None:
        self.sock.close()
        for c in self.held:
            c.close()


def _self_signed_context(tmp: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return ctx


@pytest.fixture
def listener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Listener]:
    srv = Listener(request.param, tmp_path)
    yield srv
    srv.close()


def _closed_port() -> int:
    s = socket.create_server(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def _fail(url: str, **kw: float) -> NetworkError:
    http = Http(timeout=(kw.get("connect", 5.0), kw.get("read", 5.0)))
    with pytest.raises(NetworkError) as caught:
        http.request("GET", url, what="the discovery endpoint")
    http.close()
    return caught.value


def _said_once(e: NetworkError, url: str) -> str:
    text = str(e)
    assert text.count(url) == 1, text
    assert not any(name in text for name in CLASS_NAMES), text
    return text


def test_a_host_name_that_does_not_exist_is_a_dns_failure() -> None:
    url = "https://no-such-host.invalid/.well-known/openid-configuration"  # RFC 6761
    e = _fail(url)
    text = _said_once(e, url)
    assert e.cause == "dns" and e.host == "no-such-host.invalid"
    assert "the host name no-such-host.invalid was not found (DNS)" in text
    assert "refused" not in text


def test_a_closed_port_is_a_refused_connection() -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
    e = _fail(url)
    text = _said_once(e, url)
    assert e.cause == "refused" and e.host == "127.0.0.1"
    assert f"127.0.0.1 refused the connection on port {port}" in text
    assert "DNS" not in text


@pytest.mark.parametrize("listener", ["tls"], indirect=True)
def test_an_untrusted_certificate_is_named(listener: Listener) -> None:
    url = f"https://127.0.0.1:{listener.port}/jwks"
    e = _fail(url)
    text = _said_once(e, url)
    assert e.cause == "certificate"
    assert "the TLS certificate of 127.0.0.1 is not trusted" in text
    assert "self-signed" in text  # what OpenSSL found wrong with it


@pytest.mark.parametrize("listener", ["hold"], indirect=True)
def test_https_to_a_server_that_never_answers_is_a_timeout(listener: Listener) -> None:
    url = f"https://127.0.0.1:{listener.port}/token"
    e = _fail(url, read=0.5)
    text = _said_once(e, url)
    assert e.cause == "timeout" and "did not answer in time" in text


@pytest.mark.parametrize("listener", ["close"], indirect=True)
def test_a_connection_closed_without_an_answer_is_named(listener: Listener) -> None:
    url = f"http://127.0.0.1:{listener.port}/token"
    e = _fail(url)
    text = _said_once(e, url)
    assert e.cause == "reset" and "closed the connection without answering" in text


def test_tls_to_a_plain_port_is_a_tls_failure(tmp_path: Path) -> None:
    from tests.support.jwt_helpers import KeyServer

    with KeyServer() as plain:  # plain http on loopback
        url = plain.issuer.replace("http://", "https://") + "/jwks"
        e = _fail(url)
    text = _said_once(e, url)
    assert e.cause == "tls" and "the TLS handshake with 127.0.0.1 failed" in text


def test_discovery_failing_alike_at_both_locations_says_it_once() -> None:
    port = _closed_port()
    issuer = f"http://127.0.0.1:{port}"
    with pytest.raises(JWKSError) as caught:
        JWKSCache().discover(issuer)
    text = str(caught.value)
    assert text.count("could not reach") == 1 and text.count(issuer) == 1, text
    assert caught.value.cause == "refused"


@pytest.mark.parametrize(
    ("cause", "words"),
    [
        ("dns", "the host name id.example was not found (DNS)"),
        ("refused", "id.example refused the connection"),
        ("certificate", "the TLS certificate of id.example is not trusted"),
        ("timeout", "id.example did not answer in time"),
        ("no_route", "id.example cannot be reached (offline?)"),
        ("something new", "the connection to id.example failed"),
    ],
)
def test_the_app_names_each_cause_in_a_few_words(cause: str, words: str) -> None:
    assert unreachable(cause, "id.example") == words


def test_brief_drops_urls_in_parentheses_and_cuts_at_a_clause() -> None:
    full = (
        "Could not reach the authorization server (https://id.example/token?x=1): the host "
        "name id.example was not found (DNS); check the address and your network. Or try "
        "again later, when the network is back and the provider answers again."
    )
    short = brief(full)
    assert "https://" not in short and short.startswith("Could not reach the authorization")
    assert short.endswith("(DNS); check the address and your network.")
    assert len(short) <= 150 and brief(short) == short
    # An aside opened early is closed after the cut, never left open.
    long_aside = "Can't verify (" + "keys could not be fetched from the issuer " * 5 + ")"
    cut = brief(long_aside)
    assert cut.count("(") == cut.count(")") and cut.endswith("…)")
