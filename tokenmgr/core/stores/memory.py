"""A store that keeps values in this process only: for tests, and for code that
needs a `SecretStore` that can never persist anything."""

from __future__ import annotations

from tokenmgr.core.stores.base import StoreInfo


class MemoryStore:
    """Values in a dict; gone with the object."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def info(self) -> StoreInfo:
        # Nothing leaves the process, so nothing is kept in plaintext anywhere.
        return StoreInfo("memory", "in-process memory (nothing is kept)", True)

    def check(self) -> None:
        pass

    def probe(self, *, protect: bool = True) -> None:
        pass

    def get(self, name: str, field: str) -> str | None:
        return self.values.get((name, field))

    def set(self, name: str, field: str, value: str) -> None:
        self.values[(name, field)] = value

    def delete(self, name: str, field: str) -> None:
        self.values.pop((name, field), None)
