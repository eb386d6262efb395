"""The HTTP wrapper: bounded answers, timeouts and refused connections are NetworkErrors,
User-Agent and Accept are sent, POSTs do not follow redirects."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tokenmgr import __version__
from tokenmgr.core.errors import NetworkError
from tokenmgr.core.oauth.http import Http

SEEN: dict[str, Any] = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        SEEN["ua"] = self.headers.get("User-Agent")
        SEEN["accept"] = self.headers.get("Accept")
        if self.path == "/big":
            self._send(200, b"x" * (2 * 1024 * 1024), {"Content-Type": "application/json"})
        elif self.path == "/slow":
            import time

            time.sleep(2)
            self._send(200, b"{}", {"Content-Type": "application/json"})
        else:
            self._send(200, b'{"ok": true}', {"Content-Type": "application/json"})

    def do_POST(self) -> None:  # noqa: N802
        SEEN["authorization"] = self.headers.get("Authorization")
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self._send(302, b"", {"Location": "/elsewhere"})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the timed-out client hangs up on /slow: expected, not worth a traceback


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_get_json_sends_user_agent_and_accept(base: str) -> None:
    status, body = Http().get_json(base + "/ok", what="test")
    assert status == 200 and body == {"ok": True}
    assert SEEN["ua"] == f"tokenmgr/{__version__}"
    assert SEEN["accept"] == "application/json"


def test_over_long_answers_are_refused(base: str) -> None:
    with pytest.raises(NetworkError) as info:
        Http(max_bytes=1024 * 1024).request("GET", base + "/big", what="the server")
    assert "over-long" in str(info.value)


def test_read_timeout_is_a_network_error(base: str) -> None:
    with pytest.raises(NetworkError) as info:
        Http(timeout=(2.0, 0.5)).request("GET", base + "/slow", what="the server")
    assert "did not answer in time" in str(info.value)


def test_refused_connection_is_a_network_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError) as info:
        Http().request("GET", f"http://127.0.0.1:{port}/", what="the discovery endpoint")
    assert "could not reach the discovery endpoint" in str(info.value)
    assert info.value.exit_status == 5


def test_post_does_not_follow_redirects(base: str) -> None:
    resp = Http().request("POST", base + "/token", data={"a": "b"}, what="the token endpoint")
    assert resp.status == 302


def test_a_request_without_client_authentication_sends_none_from_netrc(
    base: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public client's token request carries no Authorization: requests would add the
    user's ~/.netrc password for the host (a second client authentication, which the
    server refuses, and a password sent where it was never meant to go)."""
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netuser password netpass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    Http().request("POST", base + "/token", data={"grant_type": "refresh_token"},
                   what="the token endpoint")
    assert SEEN["authorization"] is None
    # Given client authentication is sent as given (a value no other test's text holds:
    # the request registers it for redaction for the rest of the process).
    Http().request("POST", base + "/token", data={}, auth=("cli-7f3a", "pw-netrc-7f3a"),
                   what="the token endpoint")
    assert SEEN["authorization"] == "Basic " + base64.b64encode(b"cli-7f3a:pw-netrc-7f3a").decode()


def test_a_body_dripping_forever_hits_the_total_deadline() -> None:
    import time

    from tests.support.net_helpers import dripping_server

    with dripping_server() as base_url:
        started = time.monotonic()
        with pytest.raises(NetworkError) as info:
            Http(timeout=(1.0, 1.0), total_timeout=1.5).request(
                "POST", base_url + "/token", data={"a": "b"}, what="the token endpoint"
            )
        assert time.monotonic() - started < 10
    assert "the token endpoint" in str(info.value)
    assert "1.5 s" in str(info.value)
    assert info.value.exit_status == 5


def test_the_total_deadline_defaults_to_30_seconds() -> None:
    assert Http().total_timeout == 30.0


@pytest.mark.parametrize("url", ["https://a..b/x", "https://" + "a" * 64 + ".example/x"])
def test_an_unparseable_host_is_a_network_error_not_a_crash(url: str) -> None:
    with pytest.raises(NetworkError) as info:
        Http().request("GET", url, what="the discovery endpoint")
    assert info.value.exit_status == 5
    assert "the discovery endpoint" in str(info.value)


@pytest.mark.parametrize("url", ["https://a..b", "https://a..b/jwks", "https://exa mple.com/"])
def test_check_url_refuses_an_invalid_host_name(url: str) -> None:
    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth.http import check_url

    with pytest.raises(UsageError, match="invalid host name"):
        check_url(url, "--issuer")


# ------------------------------------------------------------------ redirects


class RedirectHandler(BaseHTTPRequestHandler):
    """/to?u=URL redirects there; /hop/N redirects to /hop/N+1 up to 4; the rest is JSON."""

    hits: list[tuple[str, str]] = []

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        import urllib.parse

        type(self).hits.append((self.headers.get("Host", ""), self.path))
        parts = urllib.parse.urlsplit(self.path)
        if parts.path == "/to":
            target = urllib.parse.parse_qs(parts.query)["u"][0]
        elif parts.path.startswith("/hop/") and int(parts.path[5:]) < 4:
            target = f"/hop/{int(parts.path[5:]) + 1}"
        else:
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def redirector() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), RedirectHandler)
    RedirectHandler.hits = []
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_get_follows_a_few_checked_redirects(redirector: str) -> None:
    resp = Http().request("GET", redirector + "/hop/1", what="the discovery endpoint")
    assert resp.status == 200
    assert resp.url == redirector + "/hop/4"  # 3 redirects followed, then the answer


def test_more_than_3_redirects_are_refused(redirector: str) -> None:
    with pytest.raises(NetworkError, match="redirect"):
        Http().request("GET", redirector + "/hop/0?", what="the discovery endpoint")


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/doc",  # plain http off the loopback names check_url accepts
        "http://id.example.com/doc",  # https downgraded to http
        "https://user:pw@id.example.com/doc",  # userinfo
        "ftp://id.example.com/doc",
    ],
)
def test_a_redirect_failing_check_url_is_refused_before_it_is_followed(
    redirector: str, target: str
) -> None:
    import urllib.parse

    port = redirector.rsplit(":", 1)[1]
    url = redirector + "/to?u=" + urllib.parse.quote(target.format(port=port))
    with pytest.raises(NetworkError) as info:
        Http().request("GET", url, what="the discovery endpoint")
    assert info.value.exit_status == 5
    assert "redirect" in str(info.value)
    assert len(RedirectHandler.hits) == 1  # the target was never requested
