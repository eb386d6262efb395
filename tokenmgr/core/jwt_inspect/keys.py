"""Which key may verify which algorithm, and the signature check itself.

Algorithms come from an allow-list per JWK key type (RSA: RS*/PS*, EC: ES* on
the matching curve, OKP: EdDSA): never `none`, never HMAC. tokenmgr holds no
shared secrets, and HMAC "keyed" with a public key is the classic forgery
(RFC 8725 §2.1, §3.1). PyJWT / cryptography are imported only to check a
signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenmgr.core.jwt_inspect.model import Malformed
from tokenmgr.core.jwt_inspect.parsing import b64url_decode

RSA_ALGS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_ALG_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
OKP_ALGS = frozenset({"EdDSA"})
OKP_CURVES = frozenset({"Ed25519", "Ed448"})
MIN_RSA_BITS = 2048
ALLOWED_ALGS = RSA_ALGS | frozenset(EC_ALG_CURVES) | OKP_ALGS
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
