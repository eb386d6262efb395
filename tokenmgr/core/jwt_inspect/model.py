"""The vocabulary of the JWT inspector: kinds, statuses, verdicts, and `TokenReport`.

Everything here is plain data; nothing imports PyJWT, cryptography or requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokenmgr.core.rules import MAX_TOKEN_BYTES, format_time

MAX_INPUT = MAX_TOKEN_BYTES  # the one limit on a token given by the user (core.entries)
MAX_DEPTH = 32
DEFAULT_LEEWAY = 60

KIND_JWS = "jws"
KIND_JWE = "jwe"
KIND_OPAQUE = "opaque"
KIND_MALFORMED = "malformed"

STATUS_VALID = "valid"
STATUS_EXPIRING = "expiring"
STATUS_EXPIRED = "expired"
STATUS_NOT_YET_VALID = "not_yet_valid"
STATUS_NO_EXPIRY = "no_expiry"

SIG_UNVERIFIED = "unverified"
SIG_VERIFIED = "verified"
SIG_INVALID = "invalid"
SIG_UNVERIFIABLE = "unverifiable"


class Malformed(Exception):
    """Internal: the reason a JWT-looking input does not decode."""


@dataclass
class TokenReport:
    """What a token says. `token` (the normalised input) is never serialised."""

    kind: str
    header: dict[str, Any] | None = None
    claims: dict[str, Any] | None = None
    expires_at: datetime | None = None
    issued_at: datetime | None = None
    not_before: datetime | None = None
    status: str = STATUS_NO_EXPIRY
    signature: str = SIG_UNVERIFIED
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    verification: dict[str, Any] | None = None
    segments: int = 0
    leeway: int = DEFAULT_LEEWAY
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    token: str = field(default="", repr=False, compare=False)

    @property
    def expires_in(self) -> float | None:
        """Seconds until `exp` (negative once past), at `checked_at`."""
        if self.expires_at is None:
            return None
        return (self.expires_at - self.checked_at).total_seconds()

    @property
    def keys_unavailable(self) -> bool:
        """True when verification failed because keys could not be fetched."""
        return bool(self.verification and self.verification.get("keys_unavailable"))

    @property
    def pinned(self) -> bool | None:
        """Whether the keys came from a source the user chose (`--jwks`, `--issuer`, a vault
        OAuth entry's issuer) rather than from the token's own `iss`; None before `verify`."""
        if self.verification is None:
            return None
        return bool(self.verification.get("pinned", False))

    def to_json(self) -> dict[str, Any]:
        """`decode --json`: kind, header, claims, expires_at, status, signature, …"""
        expires_in = self.expires_in
        return {
            "kind": self.kind,
            "header": self.header,
            "claims": self.claims,
            "expires_at": format_time(self.expires_at),
            "status": self.status,
            "signature": self.signature,
            "pinned": self.pinned,
            "issued_at": format_time(self.issued_at),
            "not_before": format_time(self.not_before),
            "expires_in": None if expires_in is None else int(expires_in),
            "reason": self.reason,
            "warnings": list(self.warnings),
            "verification": self.verification,
            "segments": self.segments,
            "leeway": self.leeway,
            "checked_at": format_time(self.checked_at),
        }
