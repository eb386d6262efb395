"""PKCE (RFC 7636, S256 only), `state` and `nonce` values, and their comparison."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from tokenmgr.core.redact import register_secret

# 64 random bytes → 86 base64url characters (RFC 7636 allows 43-128).
_VERIFIER_BYTES = 64
# 32 random bytes = 256 bits for state and nonce (at least 128 are needed).
_STATE_BYTES = 32


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_verifier() -> str:
    verifier = _b64url(secrets.token_bytes(_VERIFIER_BYTES))
    register_secret(verifier)
    return verifier


def challenge(verifier: str) -> str:
    """The S256 code challenge: BASE64URL(SHA256(ASCII(verifier)))."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    return _b64url(secrets.token_bytes(_STATE_BYTES))


def new_nonce() -> str:
    return _b64url(secrets.token_bytes(_STATE_BYTES))


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two strings; None never matches."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
