"""A small HTTP client for authorization servers, over `requests`.

Timeouts on every call, a `User-Agent`, responses bounded in size, no redirects
on POST, token responses parsed as JSON or (GitHub without `Accept`) as a form,
and every request and response logged at DEBUG through the redaction filter
(each secret that passes through is registered with `register_secret` first).
`requests` is imported only when a request is made.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tokenmgr import __version__
from tokenmgr.core.errors import AuthError, NetworkError, UsageError
from tokenmgr.core.redact import redact, register_secret

log = logging.getLogger("tokenmgr.oauth.http")

USER_AGENT = f"tokenmgr/{__version__}"
MAX_RESPONSE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = (10.0, 30.0)  # connect, read
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
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
        text = f"{where or 'the authorization server'} refused the request: {error}"
        if description:
            text += f" ({redact(description)[:300]})"
        super().__init__(text)


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def check_url(url: str, what: str) -> str:
    """An absolute https URL (http only for loopback hosts), without fragment or userinfo."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise UsageError(f"{what} {url!r} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(
            f"{what} {url!r} is not an absolute http(s) URL, e.g. https://id.example.com"
        )
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise UsageError(f"{what} {url!r} must use https (plain http only for 127.0.0.1)")
    if parts.fragment or "@" in parts.netloc:
        raise UsageError(f"{what} {url!r} must not hold a #fragment or user:password@")
    return url


def register_fields(data: Mapping[str, Any]) -> None:
    for k, v in data.items():
        if k in SECRET_FIELDS and isinstance(v, str):
            register_secret(v)


def _log_form(data: Mapping[str, str] | None) -> str:
    if not data:
        return ""
    register_fields(data)
    return urllib.parse.urlencode(data)


class Http:
    """The one place tokenmgr talks HTTP to authorization servers."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_bytes: int = MAX_RESPONSE_BYTES,
        session: Any = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._session = session

    @property
    def session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers["User-Agent"] = USER_AGENT
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

        hdrs = {"Accept": "application/json"}
        hdrs.update(headers or {})
        if auth is not None:
            register_secret(auth[1])
        log.debug("%s %s %s", method, url, _log_form(data) if data else "")
        try:
            r = self.session.request(
                method,
                url,
                data=dict(data) if data is not None else None,
                json=dict(json_body) if json_body is not None else None,
                auth=auth,
                headers=hdrs,
                timeout=self.timeout,
                allow_redirects=(method == "GET"),
                stream=True,
            )
        except requests.exceptions.Timeout:
            raise NetworkError(f"{what} did not answer in time ({url})") from None
        except requests.exceptions.RequestException as e:
            raise NetworkError(f"could not reach {what} at {url} ({type(e).__name__})") from None
        try:
            chunks: list[bytes] = []
            size = 0
            for chunk in r.iter_content(65536):
                size += len(chunk)
                if size > self.max_bytes:
                    raise NetworkError(
                        f"{what} sent an over-long answer (over {self.max_bytes} bytes)"
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as e:
            raise NetworkError(f"the connection to {what} broke ({type(e).__name__})") from None
        finally:
            r.close()
        body = b"".join(chunks)
        ctype = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        resp = Response(status=r.status_code, content_type=ctype, body=body, url=str(r.url))
        parsed = parse_body(resp)
        if parsed is not None:
            register_fields(parsed)
        log.debug("-> HTTP %s %s %s", resp.status, ctype, resp.text[:4000])
        return resp

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
        kind = f"a {resp.content_type} body"
    else:
        kind = "an untyped body"
    return f"HTTP {resp.status} with {kind}"
