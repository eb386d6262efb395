"""Long values on backends with a size limit: a wrapper any `SecretStore` can take.

A value over the limit is split into chunks, stored as fields `FIELD#GEN.I` of the
same entry, and the field itself holds a manifest (generation, count, digest).
New chunks are written under a fresh generation and only the manifest write
switches readers over, so a write that fails part-way leaves the old value
readable; the old generation's chunks go once the new manifest is in place.

The Windows Credential Manager refuses credential blobs over 2,560 bytes
(UTF-16): that is the limit the keyring store gets there. Tests lower it to run
the chunked path everywhere.
"""

from __future__ import annotations

import base64
import contextlib

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.stores.base import SecretStore, StoreInfo

WINDOWS_MAX_VALUE_BYTES = 2560
# A stored token never holds LF (validate_secret refuses it), so a value that
# starts with one is unambiguously a manifest.
MANIFEST_MAGIC = "\ntmchunks1\n"
MIN_VALUE_BYTES = 128  # room for the manifest itself


def utf16_size(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass"))


def split_chunks(value: str, max_bytes: int) -> list[str]:
    """Split on code-point boundaries so each chunk's UTF-16 size is ≤ max_bytes."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for ch in value:
        n = 4 if ord(ch) > 0xFFFF else 2
        if size + n > max_bytes and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        chunks.append("".join(current))
    return chunks


def chunk_field(field: str, gen: str, i: int) -> str:
    return f"{field}#{gen}.{i}"


def parse_manifest(manifest: str) -> tuple[str, int, str]:
    """(generation, chunk count, digest) of a manifest value."""
    try:
        gen, count, digest = manifest[len(MANIFEST_MAGIC) :].split("\n")
        return gen, int(count), digest
    except ValueError:
        raise StorageUnavailable(
            "a long secret's chunk manifest is damaged; store the token again"
        ) from None


def digest(value: str) -> str:
    import hashlib  # only chunked values need it; importing it loads OpenSSL

    raw = hashlib.sha256(value.encode("utf-8")).digest()[:16]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class ChunkedStore:
    """`inner` with values over `max_value_bytes` (UTF-16) split into chunks."""

    def __init__(self, inner: SecretStore, max_value_bytes: int) -> None:
        if max_value_bytes < MIN_VALUE_BYTES:
            raise ValueError(f"max_value_bytes must be at least {MIN_VALUE_BYTES}")
        self.inner = inner
        self.max_value_bytes = max_value_bytes

    def info(self) -> StoreInfo:
        return self.inner.info()

    def check(self) -> None:
        self.inner.check()

    def probe(self, *, protect: bool = True) -> None:
        self.inner.probe(protect=protect)

    def get(self, name: str, field: str) -> str | None:
        value = self.inner.get(name, field)
        if value is None or not value.startswith(MANIFEST_MAGIC):
            return value
        gen, count, expected = parse_manifest(value)
        parts = []
        for i in range(count):
            part = self.inner.get(name, chunk_field(field, gen, i))
            if part is None:
                raise StorageUnavailable(
                    f"chunk {i + 1} of {count} of a long secret is missing from the "
                    f"{self.info().kind} store; store the token again"
                )
            parts.append(part)
        whole = "".join(parts)
        if digest(whole) != expected:
            raise StorageUnavailable(
                f"a long secret in the {self.info().kind} store does not match its manifest; "
                "store the token again"
            )
        return whole

    def set(self, name: str, field: str, value: str) -> None:
        old = self.inner.get(name, field)
        if utf16_size(value) <= self.max_value_bytes:
            self.inner.set(name, field, value)
        else:
            import secrets  # here, not at the top: it loads hmac and OpenSSL

            gen = secrets.token_hex(4)
            chunks = split_chunks(value, self.max_value_bytes)
            written = 0
            try:
                for i, part in enumerate(chunks):
                    self.inner.set(name, chunk_field(field, gen, i), part)
                    written += 1
                manifest = f"{MANIFEST_MAGIC}{gen}\n{len(chunks)}\n{digest(value)}"
                self.inner.set(name, field, manifest)
            except BaseException:
                for i in range(written):  # best effort: the old value is whole either way
                    with contextlib.suppress(Exception):
                        self.inner.delete(name, chunk_field(field, gen, i))
                raise
        if old is not None and old.startswith(MANIFEST_MAGIC):
            self._delete_chunks(name, field, old)

    def delete(self, name: str, field: str) -> None:
        old = self.inner.get(name, field)
        # The manifest goes first: if that fails, the value is still whole and readable.
        self.inner.delete(name, field)
        if old is not None and old.startswith(MANIFEST_MAGIC):
            self._delete_chunks(name, field, old)

    def _delete_chunks(self, name: str, field: str, manifest: str) -> None:
        with contextlib.suppress(StorageUnavailable):
            gen, count, _ = parse_manifest(manifest)
            for i in range(count):
                self.inner.delete(name, chunk_field(field, gen, i))
