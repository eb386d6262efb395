"""The Secret Service's encrypted session: `dh-ietf1024-sha256-aes128-cbc-pkcs7`.

What the specification prescribes, and libsecret and secretstorage implement: a
Diffie-Hellman exchange in the second Oakley group (RFC 2409 §6.2), HKDF-SHA256
with no salt and no info over the shared secret for a 16-byte key, then each
secret AES-128-CBC encrypted with PKCS#7 padding under a fresh IV.

Written here rather than taken from secretstorage (whose `dhcrypto` the tests use
as an independent implementation to check this one against): its import and its
full-size private exponent cost more than the rest of a `tokenmgr get`. The
private exponent here is 256 random bits: the group gives about 80-bit security,
and an exponent of at least twice the group's strength in bits keeps the exponent
from ever being the weak link (RFC 7919 §5.2 sizes its groups' exponents so); a
1024-bit exponent costs four times as much in `pow()`, twice per session.
cryptography (HMAC, AES) is imported when a session is opened, not before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ALGORITHM = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
# The second Oakley group (RFC 2409 §6.2), generator 2: the one the specification names.
PRIME = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)
GENERATOR = 2
PRIVATE_BITS = 256


class SessionKeyError(ValueError):
    """The peer's public value or an encrypted secret is not what the algorithm allows."""


@dataclass
class Exchange:
    """Our half of the key exchange: a private exponent and the public value to send."""

    private: int = field(
        default_factory=lambda: int.from_bytes(os.urandom(PRIVATE_BITS // 8), "big")
        | 1 << (PRIVATE_BITS - 1),
        repr=False,
    )

    @property
    def public(self) -> bytes:
        return pow(GENERATOR, self.private, PRIME).to_bytes(128, "big")

    def key(self, server_public: bytes) -> bytes:
        """The session's AES key from the service's public value."""
        server = int.from_bytes(server_public, "big")
        # 1 and p-1 (and anything outside the group) would make the shared secret public.
        if not 1 < server < PRIME - 1:
            raise SessionKeyError("the Secret Service sent an invalid session key")
        shared = pow(server, self.private, PRIME).to_bytes(128, "big")
        return hkdf_sha256_16(shared)


def hkdf_sha256_16(secret: bytes) -> bytes:
    """HKDF-SHA256 (RFC 5869), null salt, empty info, 16 bytes."""
    from cryptography.hazmat.primitives import hashes, hmac

    extract = hmac.HMAC(b"\x00" * 32, hashes.SHA256())
    extract.update(secret)
    expand = hmac.HMAC(extract.finalize(), hashes.SHA256())
    expand.update(b"\x01")
    return expand.finalize()[:16]


def _aes_cbc(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def encrypt(key: bytes, secret: bytes) -> tuple[bytes, bytes]:
    """(iv, ciphertext) of `secret` under the session key."""
    pad = 16 - len(secret) % 16
    iv = os.urandom(16)
    return iv, _aes_cbc(key, iv, secret + bytes((pad,)) * pad, encrypt=True)


def decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """The secret the service sent; SessionKeyError when it is malformed."""
    if len(iv) != 16 or not ciphertext or len(ciphertext) % 16:
        raise SessionKeyError("the Secret Service sent a malformed encrypted secret")
    padded = _aes_cbc(key, iv, ciphertext, encrypt=False)
    pad = padded[-1]
    if not 1 <= pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
        raise SessionKeyError("the Secret Service sent a malformed encrypted secret (padding)")
    return padded[:-pad]
