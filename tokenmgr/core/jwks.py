"""JWKS cache: an issuer's public signing keys, fetched carefully and kept sensibly.

Keys come from exactly two places: the `jwks_uri` of the configured issuer's
discovery document (OpenID Connect Discovery, then RFC 8414 with path
insertion), or a JWKS URL the user names explicitly. Nothing in a token
(`jku`, `x5u`, `jwk`, `x5c`) ever decides where keys come from.

- A key set is fresh for a TTL (the response's `Cache-Control: max-age`,
  clamped, else 5 minutes).
- A token with a `kid` the key set lacks may force a refetch, but at most one
  fetch per cooldown (30 s) per URL, so a stream of forged `kid`s cannot turn
  us into a request amplifier.
- When a fetch fails, the last good key set is kept and labelled `stale`.
- Every request has an explicit User-Agent, timeouts, a bounded number of
  redirects and a bounded response size (the body is streamed and capped).
  Redirects are followed by hand, each target checked: https, or plain http
  on loopback when the original URL was plain http on loopback.

`requests` is imported only when something is actually fetched.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from tokenmgr import __version__
from tokenmgr.core.errors import NetworkError, UsageError
from tokenmgr.core.oauth.discovery import well_known_urls
from tokenmgr.core.oauth.http import check_url as _check_url
from tokenmgr.core.oauth.http import is_loopback_host, shown
from tokenmgr.core.redact import printable

USER_AGENT = f"tokenmgr/{__version__} (JWT inspector; +https://github.com/tokenmgr)"
DEFAULT_TTL = 300.0
MIN_TTL = 60.0
MAX_TTL = 24 * 3600.0
REFETCH_COOLDOWN = 30.0
MAX_RESPONSE_BYTES = 512 * 1024
MAX_REDIRECTS = 3
# (connect, read) seconds
TIMEOUT = (5.0, 10.0)
TOTAL_TIMEOUT = 30.0  # seconds the whole body may take to arrive


Fetcher = Callable[[str], "FetchResult"]


class JWKSError(NetworkError):
    """Keys could not be obtained: unreachable, refused, too big, not a key set."""


class DiscoveryError(JWKSError):
    """The issuer's discovery document is missing, malformed, or names another issuer."""


@dataclass(frozen=True)
class FetchResult:
    """A fetched JSON document and how long it may be cached."""

    url: str
    document: Any
    max_age: float | None = None


@dataclass(frozen=True)
class KeySet:
    """The public keys published at one JWKS URL, as fetched (public members only)."""

    url: str
    keys: tuple[dict[str, Any], ...]
    fetched_at: float  # the cache clock (monotonic)
    fetched_at_utc: datetime
    expires: float  # cache clock time after which it is refetched
    stale: bool = False
    error: str | None = None  # why a refresh failed, when stale

    def find(self, kid: str) -> dict[str, Any] | None:
        for key in self.keys:
            if key.get("kid") == kid:
                return key
        return None


@dataclass
class _Slot:
    keyset: KeySet | None = None
    last_attempt: float | None = None
    last_error: str | None = None


def check_url(url: str, what: str, *, allow_http: bool = False) -> str:
    """`oauth.http.check_url` (https, http only on loopback unless `allow_http`, a valid
    host, no userinfo), refusing with JWKSError."""
    try:
        return _check_url(url, f"the {what}", allow_http=allow_http)
    except UsageError as e:
        raise JWKSError(str(e)) from None


def check_redirect(origin: str, target: str) -> str:
    """A redirect target from a fetch of `origin`: https (no userinfo, a valid host), or
    plain http on a loopback host when `origin` itself was plain http on loopback."""
    try:
        _check_url(target, "the redirect target")  # http(s), valid host, no userinfo
    except UsageError as e:
        raise JWKSError(f"{printable(origin, 200)} sent a redirect that is refused: {e}") from None
    parts = urlsplit(origin)
    loopback_http = parts.scheme == "http" and is_loopback_host(parts.hostname)
    if urlsplit(target).scheme != "https" and not loopback_http:
        raise JWKSError(
            f"{printable(origin, 200)} redirected to the plain-http URL {shown(target)}: "
            "refused (https only)"
        )
    return target


_MAX_AGE_RE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,9})\"?\s*(?:,|$)", re.I)


def _max_age(cache_control: str | None) -> float | None:
    if not cache_control:
        return None
    if re.search(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", cache_control, re.I):
        return 0.0
    m = _MAX_AGE_RE.search(cache_control)
    return float(m.group(1)) if m else None


def http_fetch_json(
    url: str,
    *,
    timeout: tuple[float, float] = TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
    user_agent: str = USER_AGENT,
    total_timeout: float = TOTAL_TIMEOUT,
) -> FetchResult:
    """GET a JSON document through `oauth.http.Http` (User-Agent, per-read and total
    timeouts, a size cap, few redirects, each checked by `check_redirect`)."""
    from tokenmgr.core.oauth.http import Http

    at = printable(url, 200)  # for messages
    http = Http(
        timeout=timeout,
        max_bytes=max_bytes,
        total_timeout=total_timeout,
        user_agent=user_agent,
        redirect_check=check_redirect,
    )
    try:
        resp = http.request("GET", url, what=at)
    except JWKSError:
        raise
    except NetworkError as e:
        raise JWKSError(str(e), cause=e.cause, host=e.host) from None
    finally:
        http.close()
    if resp.status != 200:
        raise JWKSError(f"{at} answered HTTP {resp.status}")
    try:
        document = json.loads(resp.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JWKSError(f"{at} did not answer with JSON") from None
    return FetchResult(
        url=url, document=document, max_age=_max_age(resp.headers.get("Cache-Control"))
    )


# Public members per key type: private parts (d, p, q, ...) and oct keys are never used.
_PUBLIC_MEMBERS = {
    "RSA": ("kty", "n", "e"),
    "EC": ("kty", "crv", "x", "y"),
    "OKP": ("kty", "crv", "x"),
}
_META_MEMBERS = ("kid", "use", "alg", "key_ops")


def public_keys(document: Any, url: str) -> tuple[dict[str, Any], ...]:
    """The usable public signing keys of a JWKS document (RFC 7517 §5)."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JWKSError(f'{printable(url, 200)} is not a JWK Set (no "keys" array)')
    out: list[dict[str, Any]] = []
    for item in document["keys"]:
        if not isinstance(item, dict):
            continue
        kty = item.get("kty")
        members = _PUBLIC_MEMBERS.get(kty) if isinstance(kty, str) else None
        if members is None:
            continue  # "oct" (shared secrets) and unknown key types are ignored
        if not all(isinstance(item.get(m), str) for m in members):
            continue
        key = {m: item[m] for m in members}
        for m in _META_MEMBERS:
            if m in item:
                key[m] = item[m]
        out.append(key)
    return tuple(out)


@dataclass
class JWKSCache:
    """Per-URL JWKS cache with TTL, refetch cooldown and stale keys. Thread-safe."""

    ttl: float = DEFAULT_TTL
    cooldown: float = REFETCH_COOLDOWN
    clock: Callable[[], float] = time.monotonic
    fetcher: Fetcher = field(default=http_fetch_json)
    fetch_count: int = 0
    _slots: dict[str, _Slot] = field(default_factory=dict)
    _discovery: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    _discovery_failed: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # ------------------------------------------------------------ discovery

    def discover(self, issuer: str, *, allow_http: bool = False) -> dict[str, Any]:
        """The issuer's metadata; its `issuer` must equal `issuer` exactly."""
        check_url(issuer, "issuer", allow_http=allow_http)
        with self._lock:
            now = self.clock()
            cached = self._discovery.get(issuer)
            if cached is not None and now < cached[0]:
                return cached[1]
            failed = self._discovery_failed.get(issuer)
            if failed is not None and now - failed[0] < self.cooldown:
                raise DiscoveryError(failed[1])
            try:
                return self._discover(issuer, now, allow_http)
            except JWKSError as e:
                self._discovery_failed[issuer] = (now, str(e))
                raise

    def _discover(self, issuer: str, now: float, allow_http: bool) -> dict[str, Any]:
        errors: list[JWKSError] = []
        for url, _ in well_known_urls(issuer):
            try:
                result = self._fetch(url)
            except JWKSError as e:  # 404, unreachable, not JSON: try the next location
                errors.append(e)
                continue
            doc = result.document
            if not isinstance(doc, dict):
                raise DiscoveryError(
                    f"{printable(url, 200)} is not a discovery document (not a JSON object)"
                )
            if doc.get("issuer") != issuer:
                raise DiscoveryError(
                    f"issuer mismatch: {printable(url, 200)} names the issuer "
                    f"{shown(str(doc.get('issuer')))}, not {shown(issuer)} (refusing its keys)"
                )
            jwks_uri = doc.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not jwks_uri:
                raise DiscoveryError(
                    f"{printable(url, 200)} names no jwks_uri: the issuer publishes no keys"
                )
            issuer_http = urlsplit(issuer).scheme == "http"
            check_url(jwks_uri, "jwks_uri", allow_http=allow_http or issuer_http)
            self._discovery[issuer] = (now + self._ttl_for(result.max_age), doc)
            return doc
        first = errors[0] if errors else None
        if first is not None and first.cause and all(
            (e.cause, e.host) == (first.cause, first.host) for e in errors
        ):
            # Both locations failed alike (the host is unknown, refuses, ...): say it once.
            raise DiscoveryError(str(first), cause=first.cause, host=first.host)
        said = list(dict.fromkeys(str(e) for e in errors))
        raise DiscoveryError(
            f"no discovery document for {printable(issuer, 200)} ({'; '.join(said) or 'no answer'})"
        )

    def jwks_uri(self, issuer: str, *, allow_http: bool = False) -> str:
        return str(self.discover(issuer, allow_http=allow_http)["jwks_uri"])

    # ----------------------------------------------------------------- keys

    def get(self, url: str) -> KeySet:
        """The key set at `url`: cached while fresh, else fetched (stale if that fails)."""
        with self._lock:
            slot = self._slots.setdefault(url, _Slot())
            now = self.clock()
            if slot.keyset is not None and now < slot.keyset.expires:
                return slot.keyset
            return self._refresh(url, slot, now)

    def get_for_kid(self, url: str, kid: str) -> KeySet:
        """The key set, refetched once if it lacks `kid` and the cooldown allows it."""
        with self._lock:
            keyset = self.get(url)
            if keyset.find(kid) is not None:
                return keyset
            slot = self._slots[url]
            now = self.clock()
            if slot.last_attempt is not None and now - slot.last_attempt < self.cooldown:
                return keyset
            return self._refresh(url, slot, now)

    def _refresh(self, url: str, slot: _Slot, now: float) -> KeySet:
        if slot.last_attempt is not None and now - slot.last_attempt < self.cooldown:
            # A fetch failed moments ago: do not hammer the server.
            if slot.keyset is not None:
                return slot.keyset
            raise JWKSError(slot.last_error or f"cannot fetch keys from {url}")
        slot.last_attempt = now
        try:
            result = self._fetch(url)
            keys = public_keys(result.document, url)
        except JWKSError as e:
            slot.last_error = str(e)
            if slot.keyset is not None:
                # Keep the last good keys, labelled; retry after the cooldown.
                slot.keyset = replace(
                    slot.keyset, stale=True, error=str(e), expires=now + self.cooldown
                )
                return slot.keyset
            raise
        slot.last_error = None
        slot.keyset = KeySet(
            url=url,
            keys=keys,
            fetched_at=now,
            fetched_at_utc=datetime.now(UTC),
            expires=now + self._ttl_for(result.max_age),
        )
        return slot.keyset

    def _fetch(self, url: str) -> FetchResult:
        self.fetch_count += 1
        return self.fetcher(url)

    def _ttl_for(self, max_age: float | None) -> float:
        if max_age is None:
            return self.ttl
        return min(MAX_TTL, max(MIN_TTL, max_age))


_default: JWKSCache | None = None
_default_lock = threading.Lock()


def default_cache() -> JWKSCache:
    """The process-wide cache (the GUI verifies many tokens against few issuers)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = JWKSCache()
        return _default
