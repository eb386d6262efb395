"""The JWT inspector: published RFC examples, times and statuses, bad input, verification.

Verification runs against a real local JWKS/discovery server (tests/support/jwt_helpers.py),
never a mock of the HTTP layer, so the safety rules (no `jku`, no HMAC with a public key,
no `none`) are checked end to end.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.jwt_helpers import (
    RFC7515_A1,
    RFC7515_A2,
    RFC7515_A2_JWK,
    RFC7515_A3,
    RFC7515_A3_JWK,
    RFC7519_3_1,
    RFC_CLAIMS,
    Keys,
    KeyServer,
    a1_is_authentic,
    b64u,
    b64u_json,
    hs256_with_public_key,
    raw_token,
    serve,
    sign,
)
from tokenmgr.core import jwt_inspect
from tokenmgr.core.jwks import JWKSCache
from tokenmgr.core.jwt_inspect import inspect, render_text, summary, verify
from tokenmgr.core.jwt_inspect.parsing import b64url_decode

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
T = int(NOW.timestamp())
RFC_EXP = datetime(2011, 3, 22, 18, 43, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def issuer(keys: Keys) -> Iterator[KeyServer]:
    yield from serve(keys.jwks(), issuer_path="/realms/test")


def claims_for(server: KeyServer, **extra: Any) -> dict[str, Any]:
    return {
        "iss": server.issuer,
        "sub": "alice",
        "aud": "api",
        "iat": T - 60,
        "exp": T + 3600,
        **extra,
    }


# ----------------------------------------------------------- RFC examples


def test_rfc7519_example_decodes_to_its_published_claims() -> None:
    r = inspect(RFC7519_3_1, now=NOW)
    assert r.kind == "jws"
    assert r.header == {"typ": "JWT", "alg": "HS256"}
    assert r.claims == RFC_CLAIMS
    assert r.expires_at == RFC_EXP
    assert r.status == "expired"
    assert r.signature == "unverified"
    doc = r.to_json()
    assert list(doc)[:6] == ["kind", "header", "claims", "expires_at", "status", "signature"]
    assert doc["expires_at"] == "2011-03-22T18:43:00Z"


@pytest.mark.parametrize(
    ("token", "alg"),
    [(RFC7515_A1, "HS256"), (RFC7515_A2, "RS256"), (RFC7515_A3, "ES256")],
    ids=["A.1", "A.2", "A.3"],
)
def test_rfc7515_examples_decode_to_their_published_claims(token: str, alg: str) -> None:
    r = inspect(token, now=NOW)
    assert r.kind == "jws"
    assert r.header is not None and r.header["alg"] == alg
    assert r.claims == RFC_CLAIMS
    assert r.expires_at == RFC_EXP


def test_rfc7515_a1_vector_is_authentic_but_hmac_is_never_verified_with_keys() -> None:
    """An HMAC token cannot be checked with an issuer's keys: it needs the shared secret,
    and says so ("unverifiable", not "invalid"), before any key is fetched."""
    assert a1_is_authentic()
    r = verify(RFC7515_A1, jwks_url="http://127.0.0.1:9/never", now=NOW)
    assert r.signature == "unverifiable"
    assert "shared secret (HMAC)" in r.verification["reason"]
    assert r.verification["needs_secret"] is True


@pytest.mark.parametrize(
    ("token", "jwk"),
    [(RFC7515_A2, RFC7515_A2_JWK), (RFC7515_A3, RFC7515_A3_JWK)],
    ids=["A.2-RS256", "A.3-ES256"],
)
def test_rfc7515_signatures_verify_with_the_published_keys(token: str, jwk: dict[str, Any]) -> None:
    with KeyServer() as server:
        server.set_json("/jwks", {"keys": [jwk]})
        r = verify(token, jwks_url=server.jwks_uri, cache=JWKSCache(), now=NOW)
    assert r.signature == "verified", r.verification
    assert r.verification["key_source"] == "jwks_url"
    assert r.verification["jwks_uri"] == server.jwks_uri
    assert r.status == "expired"  # genuine, but from 2011


@pytest.mark.parametrize("token", [RFC7515_A2, RFC7515_A3], ids=["A.2", "A.3"])
def test_rfc7515_examples_tampered_payload_is_invalid(token: str) -> None:
    h, _, s = token.split(".")
    forged = ".".join([h, b64u_json({**RFC_CLAIMS, "http://example.com/is_root": False}), s])
    with KeyServer() as server:
        server.set_json("/jwks", {"keys": [RFC7515_A2_JWK, RFC7515_A3_JWK]})
        r = verify(forged, jwks_url=server.jwks_uri, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"


# ------------------------------------------------------- times and status


def token_with(**claims: Any) -> str:
    return raw_token({"alg": "RS256", "typ": "JWT"}, claims)


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"iat": T - 3600, "exp": T + 3600}, "valid"),
        ({"iat": T - 3600, "exp": T + 599}, "expiring"),  # window: the 10-minute lead time
        ({"iat": T - 3600, "exp": T + 660}, "valid"),
        ({"iat": T - 224, "exp": T + 76}, "valid"),  # 5-minute token: its last quarter
        ({"iat": T - 226, "exp": T + 74}, "expiring"),
        ({"iat": T - 3600, "exp": T - 30}, "expiring"),  # expired, but within the leeway
        ({"iat": T - 3600, "exp": T - 61}, "expired"),
        ({"nbf": T + 600, "exp": T + 3600}, "not_yet_valid"),
        ({"nbf": T + 30, "exp": T + 30 * 86400}, "valid"),  # nbf within the leeway
        ({"sub": "x"}, "no_expiry"),
        ({"exp": T + 6 * 86400}, "valid"),  # lifetime unknown: the lead time
        ({"exp": T + 500}, "expiring"),
    ],
)
def test_status(claims: dict[str, Any], status: str) -> None:
    assert inspect(token_with(**claims), now=NOW).status == status


def test_leeway_is_a_parameter_and_visible() -> None:
    tok = token_with(exp=T - 30)
    assert inspect(tok, now=NOW, leeway=0).status == "expired"
    r = inspect(tok, now=NOW, leeway=60)
    assert r.to_json()["leeway"] == 60
    assert "leeway 60 s" in render_text(r)


def test_times_are_utc_and_relative() -> None:
    r = inspect(token_with(iat=T - 120, nbf=T - 120, exp=T + 270), now=NOW)
    assert r.issued_at == NOW - timedelta(seconds=120)
    assert r.not_before == NOW - timedelta(seconds=120)
    assert r.expires_at == NOW + timedelta(seconds=270)
    assert r.to_json()["expires_in"] == 270
    text = render_text(r)
    assert "expires in 4 min" in text
    assert "2026-11-26 12:04:30 UTC" in text
    assert "2 min ago" in text


def test_float_exp_is_a_numeric_date() -> None:
    r = inspect(token_with(exp=T + 3600.5), now=NOW)
    assert r.kind == "jws"
    assert r.expires_at == NOW + timedelta(seconds=3600.5)


@pytest.mark.parametrize(
    "exp",
    ["1700000000", True, None, [1], {"t": 1}, 10**30, -(10**30), 1e300],
)
def test_exp_that_is_not_a_usable_numeric_date_is_malformed(exp: Any) -> None:
    r = inspect(token_with(exp=exp), now=NOW)
    assert r.kind == "malformed"
    assert "exp" in (r.reason or "")
    assert r.claims is not None  # still shown, so the user sees what is wrong


# ------------------------------------------------------------- bad input


def test_bearer_prefix_and_whitespace_are_accepted() -> None:
    for text in (
        f"  Bearer {RFC7519_3_1}\n",
        f"bearer\t{RFC7519_3_1}",
        f"Authorization: Bearer {RFC7519_3_1}\r\n",
    ):
        r = inspect(text, now=NOW)
        assert r.kind == "jws" and r.claims == RFC_CLAIMS


def test_a_jwt_wrapped_over_lines_is_joined_with_a_warning() -> None:
    wrapped = "\n".join(RFC7515_A2[i : i + 64] for i in range(0, len(RFC7515_A2), 64))
    r = inspect(wrapped + "\n", now=NOW)
    assert r.kind == "jws" and r.claims == RFC_CLAIMS
    assert r.token == RFC7515_A2
    assert any("line breaks" in w for w in r.warnings)
    assert inspect("eyJ a b ü", now=NOW).kind == "malformed"


JWE = ".".join(
    [
        b64u_json({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k1"}),
        b64u(b"k" * 256),
        b64u(b"i" * 12),
        b64u(b"secret ciphertext"),
        b64u(b"t" * 16),
    ]
)


@pytest.mark.parametrize(
    ("text", "kind", "reason_part"),
    [
        ("", "malformed", "empty"),
        ("   \n\t ", "malformed", "empty"),
        (b"\x00\xff\xfe\x80garbage\x01", "malformed", "binary"),
        ("x" * (1024 * 1024), "malformed", "64 KiB"),
        (b"y" * (1024 * 1024), "malformed", "64 KiB"),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "opaque", "GitHub"),
        ("just some words", "malformed", "space"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJ", "malformed", "3 segments"),
        ("eyJhbGciOiJIUzI1NiJ9.e30.sig.x", "malformed", "this has 4"),
        (raw_token([1, 2], {"a": 1}), "malformed", "header is JSON list"),
        (raw_token("alg", {"a": 1}), "malformed", "header is JSON str"),
        (raw_token({"typ": "JWT"}, {"a": 1}), "malformed", "no algorithm"),
        (raw_token({"alg": "RS256"}, [1]), "malformed", "claims are JSON list"),
        (
            b64u_json({"alg": "RS256"}) + "." + b64u(b"\xff\xfe{}") + ".c2ln",
            "malformed",
            "not UTF-8",
        ),
        (b64u_json({"alg": "RS256"}) + "." + b64u(b"not json") + ".c2ln", "malformed", "not JSON"),
        (b64u(b'{"alg":"RS256","alg":"none"}') + ".e30.c2ln", "malformed", "duplicate"),
        (
            b64u_json({"alg": "RS256"}) + "." + b64u(b'{"sub":"a","sub":"b"}') + ".c2ln",
            "malformed",
            "duplicate",
        ),
        (
            b64u_json({"alg": "RS256"}) + "." + b64u(b'{"n":' + b"9" * 5000 + b"}") + ".c2ln",
            "malformed",
            "payload",
        ),
        (b64u_json({"alg": "RS256"}) + "." + b64u(b'{"n":NaN}') + ".c2ln", "malformed", "NaN"),
        (
            b64u_json({"alg": "RS256"}) + "." + b64u(b'{"n":1e999}') + ".c2ln",
            "malformed",
            "out of range",
        ),
        (
            b64u_json({"alg": "RS256"}) + "." + b64u(b'{"s":"\\ud800"}') + ".c2ln",
            "malformed",
            "surrogate",
        ),
        (
            b64u_json({"alg": "RS256"})
            + "."
            + b64u(b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}")
            + ".c2ln",
            "malformed",
            "nested",
        ),
        (
            b64u_json({"alg": "RS256"})
            + "."
            + b64u(b'{"a":' + b"[" * 40 + b"]" * 40 + b"}")
            + ".c2ln",
            "malformed",
            "nested deeper than 32",
        ),
        ("eyJhbGciOiJSUzI1NiJ9.e30=.c2ln", "malformed", "base64url"),
        ("eyJhbGciOiJSUzI1NiJ9.e+30.c2ln", "malformed", "base64url"),
        ("eyJhbGciOiJSUzI1NiJ9.e3012.c2ln", "malformed", "impossible"),
        ("eyJhbGciOiJSUzI1NiJ9..c2ln", "malformed", "detached"),
        (JWE, "jwe", "encrypted"),
    ],
)
def test_bad_input_gets_a_clear_verdict(text: str | bytes, kind: str, reason_part: str) -> None:
    r = inspect(text, now=NOW)
    assert r.kind == kind
    assert reason_part in (r.reason or ""), r.reason
    # Every report serialises and renders, whatever went in.
    json.dumps(r.to_json(), allow_nan=False)
    json.dumps(summary(r), allow_nan=False)
    assert render_text(r).endswith("\n")


def test_jwe_shows_the_header_but_never_the_payload() -> None:
    r = inspect(JWE, now=NOW)
    assert r.kind == "jwe"
    assert r.header == {"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "k1"}
    assert r.claims is None
    assert r.signature == "unverifiable"
    assert r.segments == 5
    assert "secret ciphertext" not in json.dumps(r.to_json())


def test_malformed_input_keeps_what_did_decode() -> None:
    r = inspect(raw_token({"alg": "RS256", "kid": "k"}, [1, 2]), now=NOW)
    assert r.kind == "malformed"
    assert r.header == {"alg": "RS256", "kid": "k"}


def test_claims_keep_their_json_types() -> None:
    claims = {
        "s": "x",
        "i": 2**70,
        "f": 1.5,
        "b": False,
        "n": None,
        "l": [1, "a"],
        "o": {"k": {"k2": []}},
    }
    r = inspect(raw_token({"alg": "ES256"}, claims), now=NOW)
    assert r.claims == claims
    assert json.loads(json.dumps(r.to_json()))["claims"] == claims


def test_terminal_control_characters_in_claims_are_escaped_in_text() -> None:
    r = inspect(raw_token({"alg": "ES256"}, {"name": "evil\x1b[2J\x07", "x": ["\u202e"]}), now=NOW)
    text = render_text(r)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\u001b[2J" in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("alice", "alice"),
        ("42", '"42"'),
        (42, "42"),
        ("true", '"true"'),
        ("", '""'),
        (" x", '" x"'),
    ],
)
def test_text_output_keeps_strings_and_numbers_apart(value: Any, shown: str) -> None:
    text = render_text(inspect(raw_token({"alg": "ES256"}, {"v": value}), now=NOW))
    assert f"  v  {shown}\n" in text


def test_alg_none_decodes_with_a_warning() -> None:
    tok = b64u_json({"alg": "none"}) + "." + b64u_json({"sub": "x"}) + "."
    r = inspect(tok, now=NOW)
    assert r.kind == "jws"
    assert any("none" in w for w in r.warnings)


def test_summary_keeps_every_claim_in_token_order_less_what_looks_secret() -> None:
    """The index's report shows every claim without reading the token, in token order; it
    leaves out what looks like a secret or a nested token, and over-long values, and names
    them. Never the signature or the token."""
    inner = raw_token({"alg": "RS256"}, {"sub": "upstream"})
    tok = raw_token(
        {"alg": "RS256", "kid": "k", "x5c": ["M" * 3000], "jwk": {"kty": "RSA"}},
        {
            "sub": "alice",
            "email": "alice@example.com",
            "roles": ["admin", "dev"],
            "address": {"city": "Paris", "zip": ["75001"]},
            "exp": T,
            "nonce": "n0nce",
            "idp_access_token": "opaque-upstream-value",
            "act": {"sub": "svc", "via": f"Bearer {inner}"},
            "gh": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "groups": [f"group-{i:04}" for i in range(400)],
            "iss": "https://i",
        },
        signature=b"SIGNATURE-BYTES",
    )
    s = summary(inspect(tok, now=NOW))
    assert s["v"] == jwt_inspect.SUMMARY_VERSION
    assert list(s["header"]) == ["alg", "kid", "jwk"]
    assert list(s["claims"]) == ["sub", "email", "roles", "address", "exp", "iss"]
    assert s["claims"]["address"] == {"city": "Paris", "zip": ["75001"]}
    assert s["left_out"] == {
        "header": ["x5c"],
        "claims": ["nonce", "idp_access_token", "act", "gh", "groups"],
    }
    dumped = json.dumps(s)
    for secret in (tok.split(".")[2], "n0nce", "opaque-upstream-value", inner, "ghp_16C7e4"):
        assert secret not in dumped


def test_summary_stays_within_its_budget() -> None:
    claims = {f"c{i:03}": "v" * 1500 for i in range(30)}
    s = summary(inspect(raw_token({"alg": "RS256"}, claims), now=NOW))
    kept = json.dumps(s["header"]) + json.dumps(s["claims"])
    assert len(kept) <= jwt_inspect.SUMMARY_MAX_TOTAL + 200
    assert list(s["claims"]) + s["left_out"]["claims"] == list(claims)  # in order, all named


def test_inspect_imports_neither_pyjwt_nor_requests() -> None:
    import subprocess

    code = (
        "import sys; from tokenmgr.core.jwt_inspect import inspect; "
        f"inspect({RFC7515_A2!r}); "
        "print(sorted(m for m in ('jwt', 'requests', 'cryptography') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------ verification


@pytest.mark.parametrize(
    ("alg", "kid"),
    [
        ("RS256", "rsa"),
        ("RS512", "rsa"),
        ("PS256", "rsa"),
        ("PS384", "rsa"),
        ("ES256", "ec256"),
        ("ES384", "ec384"),
        ("EdDSA", "ed"),
    ],
)
def test_verified_with_keys_from_the_issuer(
    keys: Keys, issuer: KeyServer, alg: str, kid: str
) -> None:
    tok = sign(claims_for(issuer), keys.private(kid), alg, kid)
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "verified", r.verification
    v = r.verification
    assert v["alg"] == alg and v["kid"] == kid
    assert v["key_source"] == "issuer" and v["jwks_uri"] == issuer.jwks_uri
    assert v["stale"] is False


def test_verified_without_kid_tries_the_matching_keys(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.ec256, "ES256", None)
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "verified"
    assert r.verification["kid"] == "ec256"


def test_issuer_from_the_token_iss_on_loopback(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa")
    r = verify(tok, cache=JWKSCache(), now=NOW)
    assert r.signature == "verified"
    assert r.verification["key_source"] == "token_iss"
    assert r.verification["issuer"] == issuer.issuer


@pytest.mark.parametrize(
    "iss", ["http://example.com", "ftp://127.0.0.1/x", "joe", "http://user:pw@127.0.0.1/"]
)
def test_token_iss_must_be_https_or_loopback_http(keys: Keys, iss: str) -> None:
    tok = sign({"iss": iss, "exp": T + 600}, keys.rsa, "RS256", "rsa")
    cache = JWKSCache()
    r = verify(tok, cache=cache, now=NOW)
    assert r.signature == "unverifiable"
    assert cache.fetch_count == 0
    assert not r.keys_unavailable


def test_tampered_payload_is_invalid(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa")
    h, _, s = tok.split(".")
    forged = f"{h}.{b64u_json(claims_for(issuer, sub='root'))}.{s}"
    assert verify(forged, issuer=issuer.issuer, cache=JWKSCache(), now=NOW).signature == "invalid"


def test_tampered_signature_is_invalid(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.ec256, "ES256", "ec256")
    h, p, s = tok.split(".")
    sig = bytearray(b64url_decode(s))
    sig[5] ^= 1
    r = verify(f"{h}.{p}.{b64u(bytes(sig))}", issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"


def test_alg_none_is_invalid(issuer: KeyServer) -> None:
    tok = b64u_json({"alg": "none", "kid": "rsa"}) + "." + b64u_json(claims_for(issuer)) + "."
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"
    assert "none" in r.verification["reason"]
    assert issuer.count("/jwks") == 0


@pytest.mark.parametrize("kid", ["rsa", None])
def test_hs256_signed_with_the_public_key_is_never_verified(
    keys: Keys, issuer: KeyServer, kid: str | None
) -> None:
    """CVE-2022-29217 / CVE-2017-11424 shape: HMAC keyed with the issuer's RSA public key."""
    forged = hs256_with_public_key(claims_for(issuer), keys.rsa_public_pem(), kid)
    r = verify(forged, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "unverifiable"  # never verified: only the secret could check it
    assert "HMAC" in r.verification["reason"]
    assert issuer.count("/jwks") == 0
    assert jwt_inspect.failures(r)[0].what == "signature"


def test_jku_header_is_never_contacted(keys: Keys, issuer: KeyServer) -> None:
    attacker = Keys.generate()
    with KeyServer() as evil:
        evil.set_json("/jwks", attacker.jwks())
        tok = sign(
            claims_for(issuer),
            attacker.rsa,
            "RS256",
            "rsa",
            jku=evil.jwks_uri,
            x5u=evil.base + "/cert.pem",
        )
        for kwargs in ({"issuer": issuer.issuer}, {}):
            r = verify(tok, cache=JWKSCache(), now=NOW, **kwargs)
            assert r.signature == "invalid"
        assert evil.requests == []
    assert any("jku" in w for w in inspect(tok, now=NOW).warnings)


def test_embedded_jwk_header_is_ignored(keys: Keys, issuer: KeyServer) -> None:
    from jwt.algorithms import RSAAlgorithm

    attacker = Keys.generate()
    jwk = RSAAlgorithm.to_jwk(attacker.rsa.public_key(), as_dict=True)
    tok = sign(claims_for(issuer), attacker.rsa, "RS256", None, jwk=jwk)
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"


def test_key_type_and_curve_must_match_the_algorithm(keys: Keys, issuer: KeyServer) -> None:
    # ES256 token naming the P-384 key: wrong curve for the algorithm.
    tok = sign(claims_for(issuer), keys.ec256, "ES256", "ec384")
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid" and "P-256" in r.verification["reason"]
    # ES256 token naming the RSA key.
    tok = sign(claims_for(issuer), keys.ec256, "ES256", "rsa")
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid" and "RSA key" in r.verification["reason"]


def test_key_alg_member_pins_the_algorithm(keys: Keys) -> None:
    jwks = keys.jwks()
    jwks["keys"][0]["alg"] = "RS512"
    with KeyServer() as server:
        server.serve_issuer(jwks)
        tok = sign(claims_for(server), keys.rsa, "RS256", "rsa")
        r = verify(tok, issuer=server.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid" and "RS512" in r.verification["reason"]


@pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits")
def test_short_rsa_keys_are_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    jwk = RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True)
    with KeyServer() as server:
        server.set_json("/jwks", {"keys": [{**jwk, "kid": "weak"}]})
        tok = sign({"sub": "x"}, weak, "RS256", "weak")
        r = verify(tok, jwks_url=server.jwks_uri, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid" and "2048" in r.verification["reason"]


@pytest.mark.parametrize("alg", ["HS1", "RS1", "ES256K", "none ", "", "ES521"])
def test_algorithms_outside_the_allow_list_are_invalid(issuer: KeyServer, alg: str) -> None:
    tok = raw_token({"alg": alg, "kid": "rsa"}, claims_for(issuer))
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"


def test_explicit_issuer_must_match_the_token_iss(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer, iss="https://other.example"), keys.rsa, "RS256", "rsa")
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "invalid"
    assert "issuer" in r.verification["reason"]


def test_audience(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer, aud=["api", "other"]), keys.rsa, "RS256", "rsa")
    cache = JWKSCache()
    assert verify(tok, issuer=issuer.issuer, audience="api", cache=cache).signature == "verified"
    r = verify(tok, issuer=issuer.issuer, audience="admin", cache=cache, now=NOW)
    assert r.signature == "invalid" and "audience" in r.verification["reason"]


def test_crit_header_is_invalid(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa", crit=["exp"])
    assert verify(tok, issuer=issuer.issuer, cache=JWKSCache()).signature == "invalid"


def test_unknown_kid_is_unverifiable(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "gone")
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "unverifiable"
    assert not r.keys_unavailable


def test_unreachable_issuer_is_unverifiable_keys_unavailable(keys: Keys) -> None:
    with KeyServer() as server:
        dead = server.issuer
    tok = sign({"iss": dead, "exp": T + 600}, keys.rsa, "RS256", "rsa")
    r = verify(tok, issuer=dead, cache=JWKSCache(), now=NOW)
    assert r.signature == "unverifiable"
    assert r.keys_unavailable


def test_expired_but_genuine_token_is_verified_and_says_so(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer, exp=T - 7200, iat=T - 9000), keys.rsa, "RS256", "rsa")
    r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)
    assert r.signature == "verified" and r.status == "expired"
    assert "expired" in r.verification["reason"]


@pytest.mark.parametrize("text", ["", "ghp_abc", JWE, "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_verify_never_fetches_for_what_is_not_a_jws(text: str) -> None:
    cache = JWKSCache()
    r = verify(text, issuer="http://127.0.0.1:9", cache=cache)
    assert r.signature in ("invalid", "unverifiable")
    assert cache.fetch_count == 0


def test_verify_uses_the_token_text_not_a_re_encoding(keys: Keys, issuer: KeyServer) -> None:
    # Whitespace in the payload JSON: a verifier that re-serialised the claims would fail.
    header = b64u(b'{ "alg" : "RS256", "kid": "rsa" }')
    payload = b64u(json.dumps(claims_for(issuer), indent=3).encode())
    import jwt as pyjwt

    algo = pyjwt.get_algorithm_by_name("RS256")
    sig = algo.sign(f"{header}.{payload}".encode(), keys.rsa)
    r = verify(f"{header}.{payload}.{b64u(sig)}", issuer=issuer.issuer, cache=JWKSCache())
    assert r.signature == "verified"


def test_render_text_of_a_verified_token_names_the_key_source(
    keys: Keys, issuer: KeyServer
) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa")
    text = render_text(verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW))
    assert "verified (RS256, kid 'rsa'" in text and issuer.jwks_uri in text


def test_verification_is_fast_enough_to_be_interactive(keys: Keys, issuer: KeyServer) -> None:
    """Not a timing assertion: just that a cached verify does no network I/O."""
    cache = JWKSCache()
    tok = sign(claims_for(issuer), keys.ec256, "ES256", "ec256")
    verify(tok, issuer=issuer.issuer, cache=cache)
    before = len(issuer.requests)
    for _ in range(20):
        assert verify(tok, issuer=issuer.issuer, cache=cache).signature == "verified"
    assert len(issuer.requests) == before


def test_the_package_keeps_its_public_names() -> None:
    """vault.py, oauth/flows.py and cli.py use these through `jwt_inspect.NAME`."""
    for name in (
        "inspect",
        "verify",
        "render_text",
        "summary",
        "TokenReport",
        "MAX_INPUT",
        "DEFAULT_LEEWAY",
        "KIND_JWS",
        "KIND_JWE",
        "KIND_OPAQUE",
        "KIND_MALFORMED",
        "STATUS_VALID",
        "STATUS_EXPIRING",
        "STATUS_EXPIRED",
        "STATUS_NOT_YET_VALID",
        "STATUS_NO_EXPIRY",
        "SIG_UNVERIFIED",
        "SIG_VERIFIED",
        "SIG_INVALID",
        "SIG_UNVERIFIABLE",
        "ALLOWED_ALGS",
    ):
        assert hasattr(jwt_inspect, name), name
    assert jwt_inspect.MAX_INPUT == 64 * 1024
    assert "none" not in jwt_inspect.ALLOWED_ALGS
    assert not any(a.startswith("HS") for a in jwt_inspect.ALLOWED_ALGS)


# ---------------------------------------------------------------- pinning


def test_key_sources_say_whether_they_are_pinned(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa")
    cases = [
        ({"jwks_url": issuer.jwks_uri}, "jwks_url", True),
        ({"issuer": issuer.issuer}, "issuer", True),
        ({"pinned_issuers": {issuer.issuer: "corp"}}, "vault_issuer", True),
        ({"pinned_issuers": {issuer.issuer + "/": "corp"}}, "token_iss", False),
        ({}, "token_iss", False),
    ]
    for kwargs, source, pinned in cases:
        r = verify(tok, cache=JWKSCache(), now=NOW, **kwargs)
        assert r.signature == "verified", (kwargs, r.verification)
        assert r.verification["key_source"] == source, kwargs
        assert r.verification["pinned"] is pinned and r.pinned is pinned, kwargs
        assert r.to_json()["pinned"] is pinned
    r = verify(tok, pinned_issuers={issuer.issuer: "corp"}, cache=JWKSCache(), now=NOW)
    assert r.verification["pinned_by"] == "corp"
    assert inspect(tok, now=NOW).pinned is None


def test_failures_of_a_pinned_valid_token_are_none(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer), keys.rsa, "RS256", "rsa")
    assert jwt_inspect.failures(verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW)) == []


def test_failures_name_what_failed(keys: Keys, issuer: KeyServer) -> None:
    cache = JWKSCache()

    def whats(**claims: Any) -> list[str]:
        tok = sign(claims_for(issuer, **claims), keys.rsa, "RS256", "rsa")
        return [f.what for f in jwt_inspect.failures(verify(tok, cache=cache, now=NOW))]

    assert whats() == ["not_pinned"]
    assert whats(exp=T - 3600, iat=T - 7200) == ["not_pinned", "expired"]
    assert whats(nbf=T + 600) == ["not_pinned", "not_yet_valid"]
    tok = sign(claims_for(issuer, exp=T - 3600, iat=T - 7200), keys.rsa, "RS256", "rsa")
    h, p, _ = tok.split(".")
    bad = verify(f"{h}.{p}.{b64u(b'x' * 256)}", issuer=issuer.issuer, cache=cache, now=NOW)
    found = jwt_inspect.failures(bad)
    assert [f.what for f in found] == ["signature", "expired"]
    assert found[0].message.startswith("not verified (invalid): ")
    assert "2026-11-26T11:00:00Z" in found[1].message and "leeway 60 s" in found[1].message


def test_the_not_pinned_message_shows_the_issuer_printably() -> None:
    import dataclasses

    odd = "https://id.example/\u202e\x1b[2J"
    report = dataclasses.replace(
        inspect(token_with(iss=odd, exp=T + 3600), now=NOW),
        signature="verified",
        verification={
            "result": "verified",
            "key_source": "token_iss",
            "pinned": False,
            "issuer": odd,
        },
    )
    (failure,) = jwt_inspect.failures(report)
    assert failure.what == "not_pinned"
    assert "\x1b" not in failure.message and "\u202e" not in failure.message
    assert "--issuer https://id.example/" in failure.message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"issuer": "http://example.com"},
        {"jwks_url": "http://example.com/jwks"},
        {"issuer": "https://u:p@id.example"},
        {"jwks_url": "ftp://127.0.0.1/jwks"},
    ],
)
def test_an_explicit_source_that_is_not_https_is_a_usage_error(kwargs: dict[str, str]) -> None:
    from tokenmgr.core.errors import UsageError

    cache = JWKSCache()
    with pytest.raises(UsageError):
        verify(RFC7515_A2, cache=cache, now=NOW, **kwargs)
    assert cache.fetch_count == 0


def test_an_issuer_mismatch_is_refused_before_any_fetch(keys: Keys, issuer: KeyServer) -> None:
    tok = sign(claims_for(issuer, iss="https://other.example"), keys.rsa, "RS256", "rsa")
    for extra in ({}, {"jwks_url": issuer.jwks_uri}):  # --jwks does not lift the iss check
        r = verify(tok, issuer=issuer.issuer, cache=JWKSCache(), now=NOW, **extra)
        assert r.signature == "invalid", extra
        assert "not the expected issuer" in r.verification["reason"]
        assert r.pinned is False
    assert issuer.requests == []
