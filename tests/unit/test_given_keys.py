"""Checking a signature with a key the user gives (Paste & decode): a shared secret for
HMAC, a public key (PEM, certificate, JWK, JWK Set), or a JWKS URL; an HMAC token said to
need its secret, never "invalid" for want of it. The allow-list holds: never `none`,
never a public key as an HMAC secret, never a secret for an asymmetric algorithm. What is
given is never stored, kept out of reprs and reports, and masked in logs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.support.jwt_helpers import (
    RFC7515_A1,
    RFC7515_A1_KEY,
    RFC7515_A2,
    RFC7515_A2_JWK,
    RFC7515_A3,
    RFC7515_A3_JWK,
    Keys,
    KeyServer,
    a1_is_authentic,
    b64u_json,
    hs256_with_public_key,
    sign,
)
from tokenmgr.core import jwt_inspect
from tokenmgr.core.errors import UsageError
from tokenmgr.core.jwt_inspect.keys import GivenKey
from tokenmgr.core.redact import MASK, RedactingFilter, redact
from tokenmgr.core.usecases import verify

SECRET = "correct-horse-battery-staple-0123456789"


def _pem(key: Any) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _claims() -> dict[str, Any]:
    return {"sub": "svc-42", "exp": int(time.time()) + 600}


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys.generate()


def test_an_hmac_token_needs_its_secret_and_says_so() -> None:
    r = jwt_inspect.verify(RFC7515_A1, jwks_url="http://127.0.0.1:9/never")
    assert r.signature == "unverifiable"
    assert r.verification is not None and r.verification["needs_secret"] is True
    assert "shared secret (HMAC)" in r.verification["reason"]
    assert "refused" not in r.verification["reason"]


def test_the_rfc_7515_a1_vector_verifies_with_its_published_key() -> None:
    assert a1_is_authentic()
    key = GivenKey.shared_secret(RFC7515_A1_KEY, base64url=True)
    r = jwt_inspect.verify(RFC7515_A1, key=key)
    assert r.signature == "verified" and r.pinned is True
    assert r.verification is not None and r.verification["key_source"] == "secret"
    # Without the base64 box the same text is a different secret: it does not match.
    r = jwt_inspect.verify(RFC7515_A1, key=GivenKey.shared_secret(RFC7515_A1_KEY))
    assert r.signature == "invalid" and "does not match the secret" in r.verification["reason"]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_with_the_right_secret_verifies_and_a_wrong_one_is_invalid(alg: str) -> None:
    import jwt as pyjwt

    tok = pyjwt.encode(_claims(), SECRET * 2, algorithm=alg)
    good = jwt_inspect.verify(tok, key=GivenKey.shared_secret(SECRET * 2))
    assert good.signature == "verified" and jwt_inspect.failures(good) == []
    bad = jwt_inspect.verify(tok, key=GivenKey.shared_secret(SECRET * 2 + "x"))
    assert bad.signature == "invalid"
    assert [f.what for f in jwt_inspect.failures(bad)] == ["signature"]


def test_a_short_secret_verifies_with_a_warning() -> None:
    import hashlib
    import hmac

    from tests.support.jwt_helpers import b64u

    si = f"{b64u_json({'alg': 'HS256'})}.{b64u_json(_claims())}"
    tok = f"{si}.{b64u(hmac.new(b'short', si.encode(), hashlib.sha256).digest())}"
    r = jwt_inspect.verify(tok, key=GivenKey.shared_secret("short"))
    assert r.signature == "verified" and r.verification["weak_secret"] is True
    assert "shorter than 32 bytes" in r.verification["reason"]
    assert "WEAK secret" in jwt_inspect.render_text(r)


@pytest.mark.parametrize(
    ("token", "jwk"), [(RFC7515_A2, RFC7515_A2_JWK), (RFC7515_A3, RFC7515_A3_JWK)]
)
def test_the_rfc_vectors_verify_with_their_jwk_and_jwk_set(token: str, jwk: dict[str, Any]) -> None:
    for given in (json.dumps(jwk), json.dumps({"keys": [jwk]})):
        r = jwt_inspect.verify(token, key=GivenKey.public_key(given))
        assert r.signature == "verified", r.verification
        assert r.verification["key_source"] == "public_key" and r.pinned is True


@pytest.mark.parametrize(("kid", "alg"), [("rsa", "RS256"), ("rsa", "PS384"),
                                          ("ec256", "ES256"), ("ed", "EdDSA")])
def test_a_pem_public_key_verifies_its_own_tokens_only(keys: Keys, kid: str, alg: str) -> None:
    tok = sign(_claims(), keys.private(kid), alg, "some-kid")  # a kid the PEM cannot name
    pem = _pem(keys.private(kid).public_key())
    assert jwt_inspect.verify(tok, key=GivenKey.public_key(pem)).signature == "verified"
    other = Keys.generate()
    r = jwt_inspect.verify(tok, key=GivenKey.public_key(_pem(other.private(kid).public_key())))
    assert r.signature == "invalid" and "does not match the key given" in r.verification["reason"]


def test_a_certificate_gives_its_public_key(keys: Keys) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "id.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(keys.rsa.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(keys.rsa, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    tok = sign(_claims(), keys.rsa, "RS256", None)
    assert jwt_inspect.verify(tok, key=GivenKey.public_key(pem)).signature == "verified"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the 1024-bit key
def test_the_allow_list_holds_for_given_keys(keys: Keys) -> None:
    """Never a public key as an HMAC secret (the classic forgery), never a secret for an
    asymmetric algorithm, a key type only for its algorithms, never `none`."""
    pem = keys.rsa_public_pem().decode()
    forged = hs256_with_public_key(_claims(), keys.rsa_public_pem(), None)
    r = jwt_inspect.verify(forged, key=GivenKey.public_key(pem))
    assert r.signature == "unverifiable" and "cannot check HS256" in r.verification["reason"]
    # Even the very bytes of the PEM given as a "secret" check only what HMAC can.
    rs = sign(_claims(), keys.rsa, "RS256", None)
    r = jwt_inspect.verify(rs, key=GivenKey.shared_secret(pem))
    assert r.signature == "unverifiable" and "shared secret cannot check RS256" in r.verification[
        "reason"]
    es = sign(_claims(), keys.ec256, "ES256", None)
    r = jwt_inspect.verify(es, key=GivenKey.public_key(pem))
    assert r.signature == "unverifiable" and "an RSA key cannot verify ES256" in r.verification[
        "reason"]
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    r = jwt_inspect.verify(sign(_claims(), small, "RS256", None),
                           key=GivenKey.public_key(_pem(small.public_key())))
    assert r.signature == "unverifiable" and "2048" in r.verification["reason"]
    none = b64u_json({"alg": "none"}) + "." + b64u_json(_claims()) + "."
    assert jwt_inspect.verify(none, key=GivenKey.shared_secret(SECRET)).signature == "invalid"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "paste the public key"),
        ("not a key", "not a PEM public key"),
        ("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "private key"),
        ('{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}', "private key"),
        ('{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', "no public signing key"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_bad_key_is_refused_in_a_sentence(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        GivenKey.public_key(text)


def test_a_given_secret_is_masked_in_logs_and_never_in_a_repr_or_report(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import jwt as pyjwt

    secret = "s3cret-only-in-this-test-" + str(time.time_ns())
    tok = pyjwt.encode(_claims(), secret, algorithm="HS256")
    key = GivenKey.shared_secret(secret)
    assert secret not in repr(key)
    report = verify.verify_given(jwt_inspect.inspect(tok), "secret", secret)
    assert report.signature == "verified"
    assert secret not in json.dumps(report.to_json()) and secret not in repr(report)
    assert redact(f"the secret is {secret}") == f"the secret is {MASK}"
    log = logging.getLogger("tokenmgr.test")
    handler = caplog.handler
    handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG):
        log.debug("verifying with %s", secret)
    assert secret not in caplog.text and MASK in caplog.text


def test_verify_given_with_a_jwks_url_and_the_issuer(keys: Keys) -> None:
    with KeyServer() as server:
        server.serve_issuer(keys.jwks())
        tok = sign({**_claims(), "iss": server.issuer}, keys.rsa, "RS256", "rsa")
        report = jwt_inspect.inspect(tok)
        r = verify.verify_given(report, "jwks_url", f"  {server.jwks_uri} ")
        assert r.signature == "verified" and r.verification["key_source"] == "jwks_url"
        r = verify.verify_given(report, "issuer")  # the token's own iss: not pinned
        assert r.signature == "verified" and r.pinned is False
    with pytest.raises(UsageError, match="https"):
        verify.verify_given(report, "jwks_url", "http://keys.example/jwks.json")
    with pytest.raises(UsageError, match="give the JWKS URL"):
        verify.verify_given(report, "jwks_url", " ")
    with pytest.raises(UsageError, match="give the shared secret"):
        verify.verify_given(report, "secret", "")
