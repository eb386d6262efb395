"""JWKS cache and discovery against a real local HTTP server (requests are counted).

Time is a fake clock handed to the cache, so TTL and cooldown tests never sleep.
"""

from __future__ import annotations

import functools
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.jwt_helpers import Keys, KeyServer, Route, sign
from tokenmgr.core import jwks
from tokenmgr.core.jwks import DiscoveryError, JWKSCache, JWKSError
from tokenmgr.core.jwt_inspect import verify


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def server(keys: Keys) -> Iterator[KeyServer]:
    with KeyServer("/tenant") as s:
        s.serve_issuer(keys.jwks())
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


def token(keys: Keys, server: KeyServer, kid: str = "ec256") -> str:
    return sign({"iss": server.issuer, "sub": "x"}, keys.private(kid), "ES256", kid)


# ---------------------------------------------------------------- discovery


def test_discovery_requires_the_exact_issuer(server: KeyServer, clock: Clock) -> None:
    cache = JWKSCache(clock=clock)
    assert cache.jwks_uri(server.issuer) == server.jwks_uri
    for other in (server.issuer + "/", server.issuer.upper(), server.base):
        with pytest.raises(DiscoveryError):
            cache.discover(other)


def test_discovery_document_naming_another_issuer_is_refused(keys: Keys, server: KeyServer) -> None:
    server.serve_issuer(keys.jwks(), issuer="https://evil.example/tenant")
    with pytest.raises(DiscoveryError, match="mismatch"):
        JWKSCache().discover(server.issuer)
    r = verify(token(keys, server), issuer=server.issuer, cache=JWKSCache())
    assert r.signature == "unverifiable" and r.keys_unavailable
    assert server.count("/jwks") == 0


def test_rfc8414_path_insertion_when_there_is_no_oidc_document(
    keys: Keys, server: KeyServer
) -> None:
    del server.routes["/tenant/.well-known/openid-configuration"]
    server.set_json(
        "/.well-known/oauth-authorization-server/tenant",
        {"issuer": server.issuer, "jwks_uri": server.jwks_uri},
    )
    r = verify(token(keys, server), issuer=server.issuer, cache=JWKSCache())
    assert r.signature == "verified"
    assert server.count("/tenant/.well-known/openid-configuration") == 1
    assert server.count("/.well-known/oauth-authorization-server/tenant") == 1


def test_discovery_without_jwks_uri(server: KeyServer) -> None:
    server.set_json("/tenant/.well-known/openid-configuration", {"issuer": server.issuer})
    with pytest.raises(DiscoveryError, match="jwks_uri"):
        JWKSCache().discover(server.issuer)


def test_discovery_is_cached_and_failures_are_not_hammered(server: KeyServer, clock: Clock) -> None:
    cache = JWKSCache(clock=clock)
    for _ in range(5):
        cache.discover(server.issuer)
    assert server.count("/tenant/.well-known/openid-configuration") == 1
    missing = server.base + "/nothing"
    for _ in range(5):
        with pytest.raises(DiscoveryError):
            cache.discover(missing)
    assert server.count("/nothing/.well-known/openid-configuration") == 1
    clock.t += 31
    with pytest.raises(DiscoveryError):
        cache.discover(missing)
    assert server.count("/nothing/.well-known/openid-configuration") == 2


@pytest.mark.parametrize(
    "url", ["http://example.com/", "ftp://127.0.0.1/", "https://u:p@id.example/", "nonsense"]
)
def test_urls_must_be_https_or_loopback_http(url: str) -> None:
    with pytest.raises(JWKSError):
        jwks.check_url(url, "issuer")


@pytest.mark.parametrize(
    "url",
    ["https://id.example/x", "http://127.0.0.1:8080/", "http://[::1]:9/", "http://localhost/"],
)
def test_accepted_urls(url: str) -> None:
    assert jwks.check_url(url, "issuer") == url


# -------------------------------------------------------------------- cache


def test_ttl(server: KeyServer, clock: Clock) -> None:
    cache = JWKSCache(clock=clock, ttl=300)
    for _ in range(10):
        cache.get(server.jwks_uri)
    assert server.count("/jwks") == 1
    clock.t += 299
    cache.get(server.jwks_uri)
    assert server.count("/jwks") == 1
    clock.t += 2
    cache.get(server.jwks_uri)
    assert server.count("/jwks") == 2


def test_cache_control_max_age_is_honoured_within_bounds(
    keys: Keys, server: KeyServer, clock: Clock
) -> None:
    server.set_json("/jwks", keys.jwks(), headers={"Cache-Control": "public, max-age=3600"})
    cache = JWKSCache(clock=clock)
    cache.get(server.jwks_uri)
    clock.t += 3000
    cache.get(server.jwks_uri)
    assert server.count("/jwks") == 1
    server.set_json("/jwks", keys.jwks(), headers={"Cache-Control": "max-age=1"})
    clock.t += 700
    cache.get(server.jwks_uri)  # refetched; now cached for the 60 s floor, not 1 s
    clock.t += 30
    cache.get(server.jwks_uri)
    assert server.count("/jwks") == 2


def test_100_tokens_with_random_unknown_kids_cost_exactly_one_fetch(
    keys: Keys, server: KeyServer, clock: Clock
) -> None:
    cache = JWKSCache(clock=clock)
    results = set()
    for _ in range(100):
        kid = secrets.token_urlsafe(8)
        forged = sign({"iss": server.issuer}, keys.ec256, "ES256", kid)
        results.add(verify(forged, issuer=server.issuer, cache=cache).signature)
    assert results == {"unverifiable"}
    # The first token needs the key set (one fetch); every later unknown kid falls in
    # the refetch cooldown, so a stream of forged kids cannot amplify requests.
    assert server.count("/jwks") == 1
    assert cache.fetch_count == 2  # that fetch and the discovery document, nothing else
    assert server.count("/tenant/.well-known/openid-configuration") == 1


def test_unknown_kid_refetches_once_per_cooldown(
    keys: Keys, server: KeyServer, clock: Clock
) -> None:
    """Key rotation: a new kid appears after the key set was cached."""
    cache = JWKSCache(clock=clock)
    old = {"keys": [k for k in keys.jwks()["keys"] if k["kid"] != "ed"]}
    server.set_json("/jwks", old)
    tok = sign({"iss": server.issuer}, keys.ed, "EdDSA", "ed")
    assert verify(tok, issuer=server.issuer, cache=cache).signature == "unverifiable"
    server.set_json("/jwks", keys.jwks())  # the issuer rotates the new key in
    clock.t += 10
    assert verify(tok, issuer=server.issuer, cache=cache).signature == "unverifiable"
    assert server.count("/jwks") == 1  # within the 30 s cooldown: no refetch
    clock.t += 21
    assert verify(tok, issuer=server.issuer, cache=cache).signature == "verified"
    assert server.count("/jwks") == 2
    for _ in range(20):
        verify(sign({"iss": server.issuer}, keys.ed, "EdDSA", "nope"), cache=cache)
    assert server.count("/jwks") == 2


def test_stale_keys_are_kept_and_labelled_when_a_refresh_fails(
    keys: Keys, server: KeyServer, clock: Clock
) -> None:
    cache = JWKSCache(clock=clock, ttl=300)
    tok = token(keys, server)
    fresh = verify(tok, issuer=server.issuer, cache=cache)
    assert fresh.signature == "verified" and fresh.verification["stale"] is False
    server.routes["/jwks"] = Route(500, b"oops")
    clock.t += 301
    stale = verify(tok, issuer=server.issuer, cache=cache)
    assert stale.signature == "verified"
    assert stale.verification["stale"] is True
    assert "500" in stale.verification["stale_reason"]
    assert "stale" in stale.verification["reason"]
    # Failing server: retried only after the cooldown.
    n = server.count("/jwks")
    for _ in range(5):
        verify(tok, issuer=server.issuer, cache=cache)
    assert server.count("/jwks") == n
    server.set_json("/jwks", keys.jwks())
    clock.t += 31
    again = verify(tok, issuer=server.issuer, cache=cache)
    assert again.verification["stale"] is False


def test_no_keys_at_all_when_the_first_fetch_fails(server: KeyServer, clock: Clock) -> None:
    server.routes["/jwks"] = Route(503, b"")
    cache = JWKSCache(clock=clock)
    for _ in range(3):
        with pytest.raises(JWKSError, match="503"):
            cache.get(server.jwks_uri)
    assert server.count("/jwks") == 1


# ---------------------------------------------------------------- transport


def test_explicit_user_agent_and_accept(server: KeyServer) -> None:
    JWKSCache().get(server.jwks_uri)
    path, headers = server.requests[-1]
    assert path == "/jwks"
    assert headers["User-Agent"].startswith("tokenmgr/")
    assert "application/json" in headers["Accept"]


@pytest.mark.parametrize("content_length", [True, False])
def test_response_size_is_capped(server: KeyServer, content_length: bool) -> None:
    big = json.dumps({"keys": [], "pad": "x" * (2 * 1024 * 1024)}).encode()
    server.routes["/jwks"] = Route(body=big, content_length=content_length)
    with pytest.raises(JWKSError, match="limit|more than"):
        JWKSCache().get(server.jwks_uri)


def test_timeouts(server: KeyServer) -> None:
    server.routes["/slow"] = Route(body=b'{"keys": []}', delay=2.0)
    fetch = functools.partial(jwks.http_fetch_json, timeout=(1.0, 0.2))
    with pytest.raises(JWKSError, match="in time"):
        JWKSCache(fetcher=fetch).get(server.base + "/slow")


def test_redirects_are_bounded(server: KeyServer) -> None:
    for i in range(6):
        server.routes[f"/r{i}"] = Route(302, b"", headers={"Location": f"/r{i + 1}"})
    with pytest.raises(JWKSError, match="redirected"):
        JWKSCache().get(server.base + "/r0")


@pytest.mark.parametrize(
    "doc",
    [[], {"keys": "no"}, {"nokeys": []}, "text", None],
)
def test_not_a_key_set(server: KeyServer, doc: Any) -> None:
    server.set_json("/jwks", doc)
    with pytest.raises(JWKSError, match="JWK Set"):
        JWKSCache().get(server.jwks_uri)


def test_not_json(server: KeyServer) -> None:
    server.routes["/jwks"] = Route(body=b"<html>login</html>")
    with pytest.raises(JWKSError, match="JSON"):
        JWKSCache().get(server.jwks_uri)


def test_private_members_and_symmetric_keys_are_dropped(server: KeyServer) -> None:
    server.set_json(
        "/jwks",
        {
            "keys": [
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
                {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "private", "kid": "e"},
                {"kty": "RSA", "n": 5, "e": "AQAB", "kid": "bad"},
                "junk",
            ]
        },
    )
    ks = JWKSCache().get(server.jwks_uri)
    assert ks.keys == ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "e"},)


def test_an_hmac_key_in_the_jwks_is_never_used(server: KeyServer) -> None:
    """Even a JWKS that publishes an oct key cannot make an HS256 token verify."""
    import hashlib
    import hmac

    from tests.support.jwt_helpers import b64u, b64u_json

    secret = b"shared"
    server.set_json(
        "/jwks", {"keys": [{"kty": "oct", "kid": "h", "k": b64u(secret), "alg": "HS256"}]}
    )
    si = f"{b64u_json({'alg': 'HS256', 'kid': 'h'})}.{b64u_json({'iss': server.issuer})}"
    mac = hmac.new(secret, si.encode(), hashlib.sha256).digest()
    r = verify(f"{si}.{b64u(mac)}", jwks_url=server.jwks_uri, cache=JWKSCache())
    assert r.signature == "unverifiable" and r.verification["needs_secret"]
    assert server.count("/jwks") == 0


def test_importing_the_cli_does_not_import_requests_or_pyjwt() -> None:
    code = (
        "import sys, tokenmgr.cli, tokenmgr.core.jwks, tokenmgr.core.jwt_inspect; "
        "print(sorted(m for m in ('requests', 'jwt', 'cryptography', 'PySide6') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_body_dripping_forever_hits_the_total_deadline() -> None:
    import time

    from tests.support.net_helpers import dripping_server

    with dripping_server() as base_url:
        started = time.monotonic()
        with pytest.raises(JWKSError, match=r"1\.5 s"):
            jwks.http_fetch_json(base_url + "/jwks", timeout=(1.0, 1.0), total_timeout=1.5)
        assert time.monotonic() - started < 10


@pytest.mark.parametrize("url", ["https://a..b/jwks", "https://exa mple.com/jwks"])
def test_an_invalid_host_name_is_a_jwks_error(url: str) -> None:
    with pytest.raises(JWKSError, match="invalid host name"):
        jwks.check_url(url, "JWKS URL")


def test_an_unparseable_host_is_a_jwks_error_not_a_crash() -> None:
    with pytest.raises(JWKSError, match="a..b"):
        jwks.http_fetch_json("https://a..b/jwks")


# ------------------------------------------------------------------ redirects


@pytest.mark.parametrize(
    ("origin", "target", "ok"),
    [
        ("https://id.example.com/jwks", "https://keys.example.com/jwks", True),
        ("https://id.example.com/jwks", "http://keys.example.com/jwks", False),
        ("https://id.example.com/jwks", "http://127.0.0.1:9/jwks", False),
        ("http://keys.internal/jwks", "http://keys.internal/v2/jwks", False),  # explicit http
        ("http://127.0.0.1:9/jwks", "http://127.0.0.1:9/v2/jwks", True),
        ("http://127.0.0.1:9/jwks", "https://keys.example.com/jwks", True),
        ("http://127.0.0.1:9/jwks", "http://keys.example.com/jwks", False),
        ("https://id.example.com/jwks", "https://u:p@keys.example.com/jwks", False),
        ("https://id.example.com/jwks", "ftp://keys.example.com/jwks", False),
        ("https://id.example.com/jwks", "https://a..b/jwks", False),
    ],
)
def test_redirect_targets_must_be_https_unless_all_on_loopback(
    origin: str, target: str, ok: bool
) -> None:
    if ok:
        assert jwks.check_redirect(origin, target) == target
    else:
        with pytest.raises(JWKSError):
            jwks.check_redirect(origin, target)


@pytest.mark.parametrize("target", ["http://keys.example.com/jwks", "https://u:p@x.example/j"])
def test_a_refused_redirect_is_never_followed(server: KeyServer, target: str) -> None:
    server.routes["/moved"] = Route(302, b"", headers={"Location": target})
    with pytest.raises(JWKSError, match="redirect|user name"):
        jwks.http_fetch_json(server.base + "/moved")
    assert server.count("/moved") == 1


def test_a_loopback_redirect_from_a_loopback_url_is_followed(server: KeyServer) -> None:
    server.routes["/moved"] = Route(302, b"", headers={"Location": "/jwks"})
    assert "keys" in jwks.http_fetch_json(server.base + "/moved").document
