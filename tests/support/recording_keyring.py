"""A keyring backend that records every call in $TOKENMGR_TEST_KEYRING_LOG (for
subprocess tests that prove a path reads no secret). Never used by the app."""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend


class RecordingKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _record(self, what: str) -> None:
        path = os.environ.get("TOKENMGR_TEST_KEYRING_LOG")
        if path:
            with open(path, "a", encoding="utf-8") as f:
                f.write(what + "\n")

    def get_password(self, service: str, username: str) -> str | None:
        self._record(f"get {username}")
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._record(f"set {username}")

    def delete_password(self, service: str, username: str) -> None:
        self._record(f"delete {username}")
