"""Which key may verify which algorithm, and the signature check itself.

Algorithms come from an allow-list per JWK key type (RSA: RS*/PS*, EC: ES* on
the matching curve, OKP: EdDSA): never `none`, and never HMAC with a public
key, the classic forgery (RFC 8725 §2.1, §3.1). HMAC (HS256/384/512) is
checked only with a shared secret the user gives for that one check
(`GivenKey.shared_secret`); a public key the user gives (`GivenKey.public_key`:
PEM, certificate, JWK or JWK Set) goes through the same allow-list as an
issuer's keys. A given key is never stored; the secret is registered with the
redaction filter and kept out of `repr`. PyJWT / cryptography are imported
only to check a signature or read a key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tokenmgr.core.errors import UsageError
from tokenmgr.core.jwt_inspect.model import Malformed
from tokenmgr.core.jwt_inspect.parsing import b64url_decode

RSA_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALG_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
OKP_ALGS = frozenset({"EdDSA"})
OKP_CURVES = frozenset({"Ed25519", "Ed448"})
MIN_RSA_BITS = 2048
ALLOWED_ALGS = RSA_ALGS | frozenset(EC_ALG_CURVES) | OKP_ALGS
# HMAC: only with a shared secret the user gives; the hash, and its size in bytes (the
# least key size RFC 7518 §3.2 allows).
HMAC_ALGS = {"HS256": ("sha256", 32), "HS384": ("sha384", 48), "HS512": ("sha512", 64)}
# At most this many keys are tried for a token without a kid.
MAX_CANDIDATES = 16


def key_mismatch(key: Mapping[str, Any], alg: str) -> str | None:
    """None if `key` may verify `alg`, else why not."""
    kty = key.get("kty")
    if key.get("use") not in (None, "sig"):
        return f"key use is {key.get('use')!r}, not sig"
    ops = key.get("key_ops")
    if isinstance(ops, list) and "verify" not in ops:
        return "key_ops does not allow verify"
    if "alg" in key and key["alg"] != alg:
        return f"the key is for {key['alg']}, the token says {alg}"
    if kty == "RSA":
        if alg not in RSA_ALGS:
            return f"an RSA key cannot verify {alg}"
        bits = rsa_bits(key.get("n"))
        if bits < MIN_RSA_BITS:
            return f"the RSA key has {bits} bits; at least {MIN_RSA_BITS} (RFC 7518 §3.3)"
        return None
    if kty == "EC":
        want = EC_ALG_CURVES.get(alg)
        if want is None:
            return f"an EC key cannot verify {alg}"
        return None if key.get("crv") == want else f"{alg} needs curve {want}"
    if kty == "OKP":
        if alg not in OKP_ALGS:
            return f"an OKP key cannot verify {alg}"
        return None if key.get("crv") in OKP_CURVES else "unsupported OKP curve"
    return f"key type {kty!r} is not accepted"


def rsa_bits(n: Any) -> int:
    """The size of an RSA modulus given as base64url (0 when it does not decode)."""
    try:
        return int.from_bytes(b64url_decode(n), "big").bit_length() if isinstance(n, str) else 0
    except Malformed:
        return 0


def signature_matches(token: str, alg: str, key: Mapping[str, Any]) -> bool:
    """Whether the compact JWS `token` (as given, never re-encoded) is signed by `key`."""
    from jwt.algorithms import get_default_algorithms
    from jwt.exceptions import InvalidKeyError

    algorithm = get_default_algorithms()[alg]
    signing_input, _, sig = token.rpartition(".")
    try:
        public_key = algorithm.from_jwk(dict(key))
        return bool(algorithm.verify(signing_input.encode("ascii"), public_key, b64url_decode(sig)))
    except (InvalidKeyError, Malformed, ValueError, TypeError):
        return False


def hmac_matches(token: str, alg: str, secret: bytes) -> bool:
    """Whether the compact JWS `token` carries the HMAC of its signing input under `secret`
    (compared in constant time)."""
    import hashlib
    import hmac

    digest_name, _size = HMAC_ALGS[alg]
    signing_input, _, sig = token.rpartition(".")
    try:
        given = b64url_decode(sig)
    except Malformed:
        return False
    mac = hmac.new(secret, signing_input.encode("ascii"), getattr(hashlib, digest_name))
    return hmac.compare_digest(mac.digest(), given)


# What a given key is: a shared secret (HMAC) or public keys.
GIVEN_SECRET = "secret"
GIVEN_PUBLIC_KEY = "public_key"


@dataclass(frozen=True)
class GivenKey:
    """A key the user gave for one check, never stored: a shared secret for HMAC, or
    public keys as JWKs (public members only)."""

    kind: str  # GIVEN_SECRET or GIVEN_PUBLIC_KEY
    secret: bytes = field(default=b"", repr=False)
    keys: tuple[dict[str, Any], ...] = ()

    @classmethod
    def shared_secret(cls, text: str, *, base64url: bool = False) -> GivenKey:
        """The secret as typed (UTF-8), or decoded from base64url when the issuer
        hands it out encoded (jwt.io's "secret base64 encoded")."""
        from tokenmgr.core.redact import register_secret

        if not text:
            raise UsageError("give the shared secret the token was signed with")
        register_secret(text)
        if not base64url:
            return cls(GIVEN_SECRET, secret=text.encode("utf-8"))
        try:
            raw = b64url_decode(text.strip().rstrip("=").replace("+", "-").replace("/", "_"))
        except Malformed:
            raise UsageError(
                "the secret is not base64 (clear the base64 box to use it as typed)"
            ) from None
        if not raw:
            raise UsageError("the secret decodes to nothing: give the shared secret")
        return cls(GIVEN_SECRET, secret=raw)

    @classmethod
    def public_key(cls, text: str) -> GivenKey:
        """A PEM public key or certificate, a JWK, or a JWK Set; never a private key."""
        text = text.strip()
        if not text:
            raise UsageError("paste the public key (PEM) the token was signed for")
        if "PRIVATE KEY" in text:
            raise UsageError(
                "that is a private key: paste the public key instead (checking a signature "
                "never needs the private key)"
            )
        keys = _jwks_from_json(text) if text.startswith("{") else (_jwk_from_pem(text),)
        if not keys:
            raise UsageError("the key set holds no public signing key (RSA, EC or OKP)")
        return cls(GIVEN_PUBLIC_KEY, keys=keys)

    def usable_for(self, alg: str) -> str | None:
        """None when this key may check `alg`, else why not (a sentence part)."""
        if self.kind == GIVEN_SECRET:
            if alg in HMAC_ALGS:
                return None
            return f"a shared secret cannot check {alg}: give the public key or a JWKS URL"
        if alg in HMAC_ALGS:
            return (
                f"a public key cannot check {alg} (HMAC): give the shared secret; a public key "
                "used as an HMAC secret is a known forgery (RFC 8725 §2.1)"
            )
        reasons = [key_mismatch(k, alg) for k in self.keys]
        if any(r is None for r in reasons):
            return None
        return f"the key given cannot check this token: {reasons[0]}"


def _jwk_from_pem(text: str) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

    data = text.encode("utf-8", "replace")
    public: object
    try:
        if "BEGIN CERTIFICATE" in text:
            public = x509.load_pem_x509_certificate(data).public_key()
        else:
            public = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UsageError(
            "that is not a PEM public key: paste it whole, from -----BEGIN PUBLIC KEY----- "
            "to -----END PUBLIC KEY----- (a certificate, a JWK or a JWK Set also work)"
        ) from None
    jwk: Any
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        jwk = OKPAlgorithm.to_jwk(public, as_dict=True)
    else:
        raise UsageError("that key type cannot sign a JWT: give an RSA, EC or Ed25519 key")
    return {k: v for k, v in dict(jwk).items() if k in ("kty", "n", "e", "crv", "x", "y")}


def _jwks_from_json(text: str) -> tuple[dict[str, Any], ...]:
    from tokenmgr.core.jwks import JWKSError, public_keys

    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError("that is not a JWK or JWK Set: it is not valid JSON") from None
    if not isinstance(doc, dict):
        raise UsageError("that is not a JWK or JWK Set (not a JSON object)")
    items = doc.get("keys") if "keys" in doc else [doc]
    if isinstance(items, list) and any(isinstance(k, dict) and "d" in k for k in items):
        raise UsageError(
            "that JWK holds a private key: paste the public key instead (checking a signature "
            "never needs the private key)"
        )
    try:
        return public_keys({"keys": items}, "the key set given")
    except JWKSError as e:
        raise UsageError(str(e)) from None
