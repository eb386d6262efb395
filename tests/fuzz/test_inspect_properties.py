"""Property tests (hypothesis) over the token parser, in the normal suite.

The long fuzz run is tests/fuzz/fuzz_inspect.py (standalone); these properties run
about 500 examples each so the suite stays fast.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.fuzz_inspect import Corpus, b64u, b64u_json, check, mutate
from tokenmgr.core.jwt_inspect import inspect, verify

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
claims_strategy = st.dictionaries(
    st.text(max_size=10).filter(lambda k: k not in ("exp", "iat", "nbf")), json_values, max_size=6
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus()


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_get_a_verdict(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_gets_a_verdict(text: str) -> None:
    check(text)


@SETTINGS
@given(
    st.lists(st.text(alphabet="ABCDEFabcdef0123456789-_eyJ", max_size=60), min_size=1, max_size=6)
)
def test_any_dotted_base64url_gets_a_verdict(segments: list[str]) -> None:
    check(".".join(segments))


@SETTINGS
@given(json_values, json_values)
def test_any_json_header_and_payload_get_a_verdict(header: Any, claims: Any) -> None:
    check(f"{b64u_json(header)}.{b64u_json(claims)}.c2ln")


@SETTINGS
@given(
    claims_strategy,
    st.sampled_from(["RS256", "ES256", "EdDSA", "PS384"]),
    st.integers(min_value=0, max_value=2**33),
)
def test_claims_round_trip_with_their_json_types(
    claims: dict[str, Any], alg: str, exp: int
) -> None:
    claims = {**claims, "exp": exp}
    report = inspect(f"{b64u_json({'alg': alg})}.{b64u_json(claims)}.{b64u(b'sig')}")
    assert report.kind == "jws"
    assert report.claims == claims
    assert report.expires_at is not None and int(report.expires_at.timestamp()) == exp
    assert json.loads(json.dumps(report.to_json()))["claims"] == claims


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=7))
def test_mutated_genuine_tokens_never_verify_unless_unchanged(
    corpus: Corpus, rnd: Any, which: int
) -> None:
    seed = corpus.genuine[which]
    check(mutate(rnd, seed), corpus, corpus.cache())


def test_the_genuine_seeds_do_verify(corpus: Corpus) -> None:
    """Guards the property above: it must be able to say "verified" at all."""
    cache = corpus.cache()
    for token in corpus.genuine:
        r = verify(token, jwks_url="https://keys.fuzz.test/jwks", cache=cache)
        assert r.signature == "verified", r.verification
