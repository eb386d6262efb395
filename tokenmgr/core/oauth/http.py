"""A small HTTP client for authorization servers, over `requests`.

GET redirects are followed by hand (at most MAX_REDIRECTS), each target passing
the same `check_url` as the first URL (https, or http on loopback only); POSTs
follow none. Timeouts on every call (per read, and a total deadline on the body, so a server
dripping a byte at a time cannot hold a sign-in forever), a `User-Agent`,
responses bounded in size, no redirects
on POST, token responses parsed as JSON or (GitHub without `Accept`) as a form,
and every request and response logged at DEBUG through the redaction filter
(each secret that passes through is registered with `register_secret` first).
`requests` is imported only when a request is made.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenmgr import __version__
from tokenmgr.core.errors import AuthError, NetworkError, UsageError
from tokenmgr.core.redact import printable, register_secret, server_text

log = logging.getLogger("tokenmgr.oauth.http")

USER_AGENT = f"tokenmgr/{__version__}"
MAX_RESPONSE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = (10.0, 30.0)  # connect, read
DEFAULT_TOTAL_TIMEOUT = 30.0  # seconds the whole body may take to arrive
MAX_REDIRECTS = 3  # GET only
# Form fields whose values are secrets (registered before anything is logged).
SECRET_FIELDS = (
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "device_code",
    "token",
    "assertion",
    "password",
)


class OAuthError(AuthError):
    """The server answered with an RFC 6749 §5.2 error (`error`, `error_description`)."""

    def __init__(self, error: str, description: str = "", status: int = 0, where: str = "") -> None:
        self.error = error
        self.description = description
        self.status = status
        text = f"{where or 'the authorization server'} refused the request: "
        text += server_text(error, 100)
        if description:
            text += f" ({server_text(description)})"
        super().__init__(text)


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes = field(repr=False)  # token responses: never in a repr or traceback
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def valid_host(host: str) -> bool:
    """A host name a connection can be made to: an IP literal, or labels that are not
    empty and at most 63 characters (IDNA), with no whitespace or control characters."""
    if not host or any(c.isspace() or not c.isprintable() for c in host):
        return False
    if ":" in host:  # IPv6 literal (urlsplit drops the brackets)
        import ipaddress

        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def shown(url: str) -> str:
    """A URL (or any server-derived text) for a message: printable, bounded, quoted."""
    return repr(printable(url, 200))


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def is_loopback_host(host: str | None) -> bool:
    """The loopback names RFC 8252 redirects use: 127.0.0.1, ::1 (and localhost)."""
    return (host or "").strip("[]").lower() in LOOPBACK_HOSTS


def check_url(url: str, what: str, *, allow_http: bool = False) -> str:
    """An absolute https URL (http only for loopback hosts, or anywhere with
    `allow_http`: a URL the user typed), without fragment or userinfo."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise UsageError(f"{what} {shown(url)} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(
            f"{what} {shown(url)} is not an absolute http(s) URL, e.g. https://id.example.com"
        )
    if not valid_host(host):
        raise UsageError(f"{what} {shown(url)} has an invalid host name")
    if parts.scheme == "http" and not allow_http and not is_loopback_host(host):
        raise UsageError(f"{what} {shown(url)} must use https (plain http only for 127.0.0.1)")
    if parts.fragment or "@" in parts.netloc:
        raise UsageError(f"{what} {shown(url)} must not hold a #fragment or user:password@")
    return url


def _where(what: str, at: str) -> str:
    """`what` and the URL it is at, the URL once (some callers name a server by its URL)."""
    return at if what == at else f"{what} ({at})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: `requests` and `urllib3` keep the socket's error as an
    argument, a `reason`, or the cause."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack += [item.__context__, item.__cause__, getattr(item, "reason", None), *item.args]


def _why(exc: BaseException) -> tuple[str, str]:
    """(cause, detail) of a failed connection; the causes NetworkError documents."""
    import errno
    import socket
    import ssl

    causes = list(_causes(exc))
    names = {type(c).__name__ for c in causes}
    if any(isinstance(c, socket.gaierror) for c in causes) or "NameResolutionError" in names:
        return "dns", ""
    for c in causes:
        if isinstance(c, ssl.SSLCertVerificationError):
            return "certificate", str(c.verify_message or c.reason or "")
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "refused", ""
    for c in causes:
        if isinstance(c, ssl.SSLError):
            return "tls", str(c.reason or "").replace("_", " ").lower()
    if any(isinstance(c, TimeoutError) for c in causes) or {"ConnectTimeout", "ReadTimeout",
                                                             "TimeoutError"} & names:
        return "timeout", ""
    if any(isinstance(c, OSError) and c.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)
           for c in causes):
        return "no_route", ""
    if any(isinstance(c, ConnectionResetError | ConnectionAbortedError | BrokenPipeError)
           for c in causes) or "RemoteDisconnected" in names:
        return "reset", ""
    return "connection", ""


def connection_failure(
    exc: BaseException, url: str, what: str, *, answering: bool = False
) -> NetworkError:
    """A NetworkError saying in words why a request to `url` failed: the host name not
    found (DNS) told apart from a refused connection, an untrusted certificate, a
    timeout, no route; `answering` when it failed while the answer came in."""
    at = printable(url, 200)
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or at
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        host, port = at, 0
    host = printable(host, 100)
    cause, detail = _why(exc)
    detail = printable(detail, 120)
    where = _where(what, at)
    if cause == "timeout":
        text = f"{where} did not answer in time"
    elif cause == "reset" and answering:
        text = f"the connection to {where} broke before the answer was complete"
    else:
        reason = {
            "dns": f"the host name {host} was not found (DNS); check the address and your "
            "network",
            "refused": f"{host} refused the connection on port {port}; nothing is listening "
            "there (is the server running?)",
            "certificate": f"the TLS certificate of {host} is not trusted"
            + (f" ({detail})" if detail else ""),
            "tls": f"the TLS handshake with {host} failed" + (f" ({detail})" if detail else ""),
            "no_route": f"there is no network route to {host} (are you offline?)",
            "reset": f"{host} closed the connection without answering",
            "connection": f"the connection to {host} failed",
        }[cause]
        text = f"could not reach {where}: {reason}"
    return NetworkError(text, cause=cause, host=host)


class BodyLimitExceeded(Exception):
    """A streamed body grew past its size cap (`kind` "size") or its deadline ("time")."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _pieces(r: Any, chunk_size: int) -> Iterator[bytes]:
    read1 = getattr(r.raw, "read1", None)
    if read1 is None:  # urllib3 1.x: each chunk waits for chunk_size bytes
        yield from r.iter_content(min(chunk_size, 1024))
        return
    while True:
        data = read1(chunk_size, decode_content=True)
        if not data:
            return
        yield data


def read_body(r: Any, *, max_bytes: int, deadline: float, chunk_size: int = 65536) -> bytes:
    """The body of a streamed `requests` response: at most `max_bytes` bytes, all of it
    by `deadline` (a `time.monotonic()` time), else `BodyLimitExceeded`.

    Each read returns what one receive brought, so a server dripping a byte at a time
    overshoots the deadline by at most one read timeout. Transport errors are
    `requests` or `urllib3` exceptions (or OSError), for the caller to word.
    """
    body = bytearray()
    for piece in _pieces(r, chunk_size):
        body += piece
        if len(body) > max_bytes:
            raise BodyLimitExceeded("size")
        if time.monotonic() > deadline:
            raise BodyLimitExceeded("time")
    return bytes(body)


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urllib.parse.urlsplit(url)
        return parts.scheme, (parts.hostname or ""), parts.port
    except ValueError:
        return "", url, None


def register_fields(data: Mapping[str, Any]) -> None:
    for k, v in data.items():
        if k in SECRET_FIELDS and isinstance(v, str):
            register_secret(v)


def _log_form(data: Mapping[str, str] | None) -> str:
    if not data:
        return ""
    register_fields(data)
    return urllib.parse.urlencode(data)



def _as_is(request: Any) -> Any:
    """A request's authentication that adds nothing (see `Http._send`)."""
    return request


class Http:
    """The one place tokenmgr talks HTTP to authorization servers."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_RESPONSE_BYTES,
        session: Any = None,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        user_agent: str = USER_AGENT,
        redirect_check: Callable[[str, str], str] | None = None,
    ) -> None:
        """`redirect_check(first_url, target)` vets each GET redirect (raising to refuse);
        the default is `check_url` on the target."""
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self.user_agent = user_agent
        self.redirect_check = redirect_check
        self._session = session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers["User-Agent"] = self.user_agent
        return self._session

    def request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        auth: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        what: str = "the authorization server",
    ) -> Response:
        import requests
        import urllib3

        hdrs = {"Accept": "application/json"}
        hdrs.update(headers or {})
        if auth is not None:
            register_secret(auth[1])
        log.debug("%s %s %s", method, url, _log_form(data) if data else "")
        at = printable(url, 200)  # for messages
        current = url
        origin = _origin(url)
        hops = 0
        while True:
            r = self._send(
                method,
                current,
                data=data,
                json_body=json_body,
                auth=auth if _origin(current) == origin else None,
                headers=hdrs,
                what=what,
            )
            if method != "GET" or not r.is_redirect:
                break
            location = urllib.parse.urljoin(current, r.headers.get("Location", ""))
            r.close()
            hops += 1
            if hops > MAX_REDIRECTS:
                raise NetworkError(f"{what} redirected more than {MAX_REDIRECTS} times ({at})")
            try:
                if self.redirect_check is not None:
                    self.redirect_check(url, location)
                else:
                    check_url(location, "the redirect target")
            except UsageError as e:
                raise NetworkError(
                    f"{what} at {at} sent a redirect tokenmgr refuses: {e}"
                ) from None
            log.debug("-> redirected to %s", location)
            current = location
        try:
            body = read_body(
                r, max_bytes=self.max_bytes, deadline=time.monotonic() + self.total_timeout
            )
        except BodyLimitExceeded as e:
            if e.kind == "size":
                raise NetworkError(
                    f"{what} sent an over-long answer (more than {self.max_bytes} bytes)"
                ) from None
            raise NetworkError(
                f"{what} took over {self.total_timeout:g} s to send its answer ({at}); gave up"
            ) from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as e:
            raise connection_failure(e, current, what, answering=True) from None
        finally:
            r.close()
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        resp = Response(
            status=r.status_code,
            content_type=ctype,
            body=body,
            url=str(r.url),
            headers=r.headers,  # case-insensitive
        )
        parsed = parse_body(resp)
        if parsed is not None:
            register_fields(parsed)
        log.debug("-> HTTP %s %s %s", resp.status, ctype, resp.text[:4000])
        return resp

    def _send(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None,
        json_body: Mapping[str, Any] | None,
        auth: tuple[str, str] | None,
        headers: Mapping[str, str],
        what: str,
    ) -> Any:
        """One request, no redirects followed; the streamed `requests` response."""
        import requests
        import urllib3

        at = printable(url, 200)  # for messages
        try:
            return self.session.request(
                method,
                url,
                data=dict(data) if data is not None else None,
                json=dict(json_body) if json_body is not None else None,
                # Without client authentication requests would add the user's ~/.netrc
                # password for this host: as a second client authentication, and as a
                # password sent where it was never meant to go.
                auth=auth if auth is not None else _as_is,
                headers=dict(headers),
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
        except (
            requests.exceptions.InvalidURL,
            urllib3.exceptions.LocationValueError,
            UnicodeError,
        ):
            raise NetworkError(
                f"could not reach {_where(what, at)}: it is not a valid address (invalid host name)"
            ) from None
        except (
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,
            ValueError,
            OSError,
        ) as e:
            raise connection_failure(e, url, what) from None

    def get_json(self, url: str, *, what: str) -> tuple[int, dict[str, Any] | None]:
        resp = self.request("GET", url, what=what)
        return resp.status, parse_body(resp)


def parse_body(resp: Response) -> dict[str, Any] | None:
    """JSON object, or a form-encoded body (GitHub); None when it is neither."""
    if not resp.body:
        return None
    if resp.content_type in ("application/x-www-form-urlencoded", "text/plain"):
        try:
            text = resp.body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if resp.content_type == "application/x-www-form-urlencoded" or (
            "=" in text and not text.lstrip().startswith(("{", "<"))
        ):
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
            if pairs:
                return dict(pairs)
    try:
        value = json.loads(resp.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def describe(resp: Response) -> str:
    """A short, secret-free description of an unexpected answer."""
    if resp.content_type == "text/html" or resp.body.lstrip()[:1] == b"<":
        kind = "an HTML page"
    elif not resp.body:
        kind = "an empty body"
    elif resp.content_type:
        kind = f"a {printable(resp.content_type, 60)} body"
    else:
        kind = "an untyped body"
    return f"HTTP {resp.status} with {kind}"
