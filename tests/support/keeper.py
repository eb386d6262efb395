"""Stand-ins for the tests of the background keeper (gui/keeper.py): a notifier that
records what the keeper asks to show, and a keeper over the vault of a CLI environment."""

from __future__ import annotations

from typing import Any

from tests.support.oauth import vault_of


class RecordingNotifier:
    """Stands in for gui/notify.Notifier where a test looks at what the keeper asks to
    show (the real daemon path is tested in tests/gui/test_notify.py and test_keeper.py)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QObject, Signal

        class _S(QObject):
            action_invoked = Signal(str, str)

        self._s = _S()
        self.action_invoked = self._s.action_invoked
        self.calls: list[tuple[str, str, str]] = []

    def notify(self, entry: str, summary: str, body: str, **kw: Any) -> None:
        self.calls.append((entry, summary, body))


def keeper_for(env: dict[str, str], notifier: Any, lead: int = 10) -> Any:
    from tokenmgr.gui.keeper import Keeper
    from tokenmgr.gui.tasks import Tasks

    vault = vault_of(env)
    tasks = Tasks()
    return Keeper(vault, tasks, notifier, vault.list_entries, lambda: lead)
