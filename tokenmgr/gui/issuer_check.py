"""The OAuth page's "Check" of an issuer: discovery in a worker, and what it found in
one sentence ("✔ Found its sign-in, token and device endpoints; it offers
offline_access.") or why it failed.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from tokenmgr.gui.errors import describe

if TYPE_CHECKING:
    from tokenmgr.gui.tasks import Tasks


def discover_issuer(issuer: str) -> Any:
    """Worker: the issuer's metadata (raises a TokenMgrError saying what is wrong)."""
    from tokenmgr.core.oauth.discovery import check_issuer, discover
    from tokenmgr.core.oauth.http import Http

    check_issuer(issuer)
    return discover(Http(), issuer)


class IssuerCheck(QObject):
    # ok, what it says, and where its token endpoint is ("" when it failed)
    finished = Signal(bool, str, str)

    def __init__(self, tasks: Tasks | None, parent: QObject) -> None:
        super().__init__(parent)
        self._tasks = tasks  # None: nothing runs (a page drawn without workers)

    def start(self, issuer: str) -> None:
        if self._tasks is None:
            return
        self._tasks.run(
            f"Checking {urllib.parse.urlsplit(issuer).hostname or 'the issuer'}",
            lambda: discover_issuer(issuer),
            on_done=self._on_discovered,
            on_error=self._on_failed,
        )

    def _on_discovered(self, meta: Any) -> None:
        found = [
            ("sign-in", meta.authorization_endpoint),
            ("token", meta.token_endpoint),
            ("device", meta.device_authorization_endpoint),
            ("revocation", meta.revocation_endpoint),
        ]
        names = [what for what, url in found if url]
        text = "✔ Found its " + ", ".join(names[:-1]) + (" and " if len(names) > 1 else "")
        text += names[-1] + " endpoints"
        if "offline_access" in meta.scopes_supported:
            text += "; it offers offline_access"
        text += "."
        token = meta.token_endpoint or ""
        self.finished.emit(True, text, _host_path(token) if token else "")

    def _on_failed(self, exc: BaseException) -> None:
        self.finished.emit(False, describe(exc), "")


def _host_path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.hostname or ''}{parts.path}"
