"""An in-memory keyring backend for unit tests (never used by the app).

`fail_after_sets` makes the N+1-th `set_password` raise, to test that a
failed write leaves the old value readable.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.fail_after_sets: int | None = None
        self.sets = 0
        self.gets = 0
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            from keyring.errors import KeyringLocked

            raise KeyringLocked("Failed to unlock the collection!")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        self.gets += 1
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        if self.fail_after_sets is not None and self.sets >= self.fail_after_sets:
            raise KeyringError("injected failure")
        self.sets += 1
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if (service, username) not in self.items:
            raise PasswordDeleteError("No such password!")
        del self.items[(service, username)]
