"""One request to a provider, carrying a token: nothing more.

- The URL must be https (plain http only to a loopback address): `oauth.http.check_url`.
- Exactly one request: no retry, and a redirect is an answer, never followed (the
  token would go with it to wherever it points).
- The answer is capped in size and in time (a server dripping a byte at a time cannot
  hold a check), and the token never reaches a log line unredacted: it is registered
  with the redaction filter before anything is sent.
- Certificates are checked against the CA bundle a user with a private CA would name:
  `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE` (requests' own variables), else
  `SSL_CERT_FILE` / `SSL_CERT_DIR` (OpenSSL's), else requests' bundled CAs.
- `~/.netrc` is never consulted: it would replace the token's Authorization header
  with the password it holds for that host.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenmgr import __version__
from tokenmgr.core.redact import printable, register_secret

log = logging.getLogger("tokenmgr.probe.http")

MAX_ANSWER_BYTES = 256 * 1024  # a token's description, not a download
TIMEOUT = (5.0, 10.0)  # connect, each read
TOTAL_TIMEOUT = 15.0  # the whole answer
USER_AGENT = f"tokenmgr/{__version__}"


class Unreachable(Exception):
    """No answer: the request could not be made or its answer not read. `str()` is a
    sentence for people, with no secret in it."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive (requests' own mapping)
    body: bytes = field(repr=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        import json

        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None


def ca_bundle(env: Mapping[str, str]) -> str | bool:
    """What to check certificates against, from the environment the user gave."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        value = env.get(name)
        if value:
            return value
    return True


def host_of(url: str) -> str:
    """`host[:port]` of a URL, for messages."""
    parts = urllib.parse.urlsplit(url)
    return printable(parts.netloc.rsplit("@", 1)[-1], 100)


class _HeaderAuth:
    """Sets the request's credential header. Given as `auth`, so requests does not look
    the host up in ~/.netrc (which it does only when a request has no auth)."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = dict(headers)

    def __call__(self, request: Any) -> Any:
        request.headers.update(self.headers)
        return request


def send(
    method: str,
    url: str,
    *,
    credentials: Mapping[str, str],
    secrets: tuple[str, ...],
    data: Mapping[str, str] | None = None,
    env: Mapping[str, str],
    timeout: tuple[float, float] | None = None,
    total_timeout: float | None = None,
    max_bytes: int | None = None,
) -> Reply:
    """Send one request and read its answer. `credentials` are the headers that carry
    the token (and client credentials); every value in `secrets` is registered with the
    redaction filter first. Raises Unreachable when there is no answer."""
    import requests
    import urllib3

    from tokenmgr.core.errors import UsageError
    from tokenmgr.core.oauth.http import BodyLimitExceeded, check_url, read_body

    timeout = timeout or TIMEOUT
    total_timeout = total_timeout or TOTAL_TIMEOUT
    max_bytes = max_bytes or MAX_ANSWER_BYTES
    for value in secrets:
        register_secret(value)
    try:
        check_url(url, "the probe URL")
    except UsageError as e:
        raise Unreachable(str(e)) from None
    where = host_of(url)
    log.debug("probe: %s %s", method, url)
    session = requests.Session()
    try:
        try:
            r = session.request(
                method,
                url,
                data=dict(data) if data is not None else None,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                auth=_HeaderAuth(credentials),
                timeout=timeout,
                allow_redirects=False,
                stream=True,
                verify=ca_bundle(env),
            )
        except requests.exceptions.SSLError:
            raise Unreachable(
                f"the certificate of {where} is not trusted (for a private CA, point "
                "REQUESTS_CA_BUNDLE or SSL_CERT_FILE at its bundle)"
            ) from None
        except requests.exceptions.Timeout:
            raise Unreachable(f"{where} did not answer in time") from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError):
            raise Unreachable(f"could not connect to {where}") from None
        except (ValueError, UnicodeError):
            raise Unreachable(f"{where} is not a valid address") from None
        try:
            body = read_body(r, max_bytes=max_bytes, deadline=time.monotonic() + total_timeout)
        except BodyLimitExceeded as e:
            if e.kind == "size":
                raise Unreachable(f"{where} sent an over-long answer") from None
            raise Unreachable(f"{where} took too long to send its answer") from None
        except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError):
            raise Unreachable(f"{where} did not answer in time") from None
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError):
            raise Unreachable(f"the connection to {where} broke") from None
        finally:
            r.close()
    finally:
        session.close()
    reply = Reply(status=r.status_code, headers=r.headers, body=body)
    log.debug("probe: -> HTTP %s %s (%d bytes)", reply.status, reply.content_type, len(body))
    return reply
