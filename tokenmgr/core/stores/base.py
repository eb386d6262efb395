"""What every secret store is: the `SecretStore` protocol, what a store says about
itself (`StoreInfo`), and how the vault file asks for its passphrase."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoreInfo:
    kind: str  # "keyring" | "file" | "memory"
    backend: str  # human name of the backend
    secure: bool
    location: str | None = None  # the vault file's path
    # The keyring service this home's items are under (what `keyring get` and
    # `secret-tool` are given), and the Secret Service session algorithm once a
    # session was opened (None when not known: not opened yet, or another backend).
    namespace: str | None = None
    session: str | None = None


class SecretStore(Protocol):
    """Where secret values live. Keys are (entry name, field)."""

    def info(self) -> StoreInfo: ...

    def check(self) -> None:
        """Raise StorageUnavailable if the store cannot be used (cheap; no secret read)."""

    def probe(self, *, protect: bool = True) -> None:
        """Prove the store answers and is unlocked, before anything is written anywhere;
        with `protect`, also that secrets can travel to it protected (the Secret Service's
        encrypted session)."""

    def get(self, name: str, field: str) -> str | None: ...

    def set(self, name: str, field: str, value: str) -> None: ...

    def delete(self, name: str, field: str) -> None:
        """Remove a value; a missing value is not an error."""


PassphraseSource = Callable[[bool], str]
"""Gives the vault file's passphrase; called with `new=True` when the vault is being
created (a source that asks a person should ask twice then)."""


def item_key(name: str, field: str) -> str:
    """One value's key inside a store: the keyring username, the vault file's map key."""
    return f"{name}/{field}"
