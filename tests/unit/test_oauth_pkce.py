"""PKCE S256 (RFC 7636), state and nonce entropy, constant-time comparison."""

from __future__ import annotations

import re

from tokenmgr.core.oauth import pkce


def test_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_43_to_128_unreserved_chars_and_fresh() -> None:
    values = {pkce.new_verifier() for _ in range(50)}
    assert len(values) == 50
    for v in values:
        assert 43 <= len(v) <= 128
        assert re.fullmatch(r"[A-Za-z0-9._~-]+", v)


def test_state_and_nonce_have_at_least_128_bits() -> None:
    for make in (pkce.new_state, pkce.new_nonce):
        values = {make() for _ in range(50)}
        assert len(values) == 50
        # base64url without padding: 6 bits per character
        assert all(len(v) * 6 >= 128 for v in values)


def test_same_is_exact_and_rejects_none() -> None:
    s = pkce.new_state()
    assert pkce.same(s, s)
    assert not pkce.same(s, s[:-1])
    assert not pkce.same(s, s + "x")
    assert not pkce.same(None, s)
    assert not pkce.same(s, None)
    assert not pkce.same(s.upper(), s.lower()) or s.upper() == s.lower()
