"""Explain a token: decode a JWT (unverified, for display), time it, and verify it.

`inspect(text)` never raises on bad input: everything becomes a `TokenReport`
whose `kind` is `jws`, `jwe`, `opaque` or `malformed` (with a `reason`).
Decoding for display is explicitly unverified; `verify(report)` checks the
signature under the rules of RFC 8725 (keys only from a configured source,
an algorithm allow-list per key type, never `none`, never HMAC), and says
whether the key source was *pinned* by the user; `failures(report)` says what
stops a report from being accepted (signature, pinning, validity window).

The package, along its seams:

- `model`: kinds, statuses, verdicts, `TokenReport`;
- `parsing`: strict base64url/JSON decoding and `inspect`;
- `times`: NumericDate claims, the validity status, relative times;
- `keys`: which key may verify which algorithm, and the signature check;
- `verification`: `verify`, a pipeline of small checks;
- `render`: `render_text` for the terminal, `summary` for the index.

PyJWT / cryptography and `requests` are imported only when verifying.
"""

from __future__ import annotations

from tokenmgr.core.jwt_inspect.keys import (
    ALLOWED_ALGS,
    EC_ALG_CURVES,
    MIN_RSA_BITS,
    OKP_ALGS,
    OKP_CURVES,
    RSA_ALGS,
)
from tokenmgr.core.jwt_inspect.model import (
    DEFAULT_LEEWAY,
    KIND_JWE,
    KIND_JWS,
    KIND_MALFORMED,
    KIND_OPAQUE,
    MAX_DEPTH,
    MAX_INPUT,
    SIG_INVALID,
    SIG_UNVERIFIABLE,
    SIG_UNVERIFIED,
    SIG_VERIFIED,
    STATUS_EXPIRED,
    STATUS_EXPIRING,
    STATUS_NO_EXPIRY,
    STATUS_NOT_YET_VALID,
    STATUS_VALID,
    TokenReport,
)
from tokenmgr.core.jwt_inspect.parsing import IGNORED_KEY_HEADERS, inspect
from tokenmgr.core.jwt_inspect.render import (
    SUMMARY_MAX_TOTAL,
    SUMMARY_MAX_VALUE,
    SUMMARY_VERSION,
    render_text,
    summary,
)
from tokenmgr.core.jwt_inspect.times import relative
from tokenmgr.core.jwt_inspect.verification import (
    FAIL_EXPIRED,
    FAIL_NOT_PINNED,
    FAIL_NOT_YET_VALID,
    FAIL_SIGNATURE,
    PINNED_SOURCES,
    SOURCE_ISSUER,
    SOURCE_JWKS_URL,
    SOURCE_TOKEN_ISS,
    SOURCE_VAULT,
    Failure,
    KeySource,
    failures,
    verify,
)

__all__ = [
    "ALLOWED_ALGS",
    "DEFAULT_LEEWAY",
    "EC_ALG_CURVES",
    "FAIL_EXPIRED",
    "FAIL_NOT_PINNED",
    "FAIL_NOT_YET_VALID",
    "FAIL_SIGNATURE",
    "IGNORED_KEY_HEADERS",
    "KIND_JWE",
    "KIND_JWS",
    "KIND_MALFORMED",
    "KIND_OPAQUE",
    "MAX_DEPTH",
    "MAX_INPUT",
    "MIN_RSA_BITS",
    "OKP_ALGS",
    "OKP_CURVES",
    "PINNED_SOURCES",
    "RSA_ALGS",
    "SIG_INVALID",
    "SIG_UNVERIFIABLE",
    "SIG_UNVERIFIED",
    "SIG_VERIFIED",
    "SOURCE_ISSUER",
    "SOURCE_JWKS_URL",
    "SOURCE_TOKEN_ISS",
    "SOURCE_VAULT",
    "STATUS_EXPIRED",
    "STATUS_EXPIRING",
    "STATUS_NOT_YET_VALID",
    "STATUS_NO_EXPIRY",
    "STATUS_VALID",
    "SUMMARY_MAX_TOTAL",
    "SUMMARY_MAX_VALUE",
    "SUMMARY_VERSION",
    "Failure",
    "KeySource",
    "TokenReport",
    "failures",
    "inspect",
    "relative",
    "render_text",
    "summary",
    "verify",
]
