"""What every user operation needs, and how it says what happened.

The operations live in gui/entry_commands.py (copy, add, edit, rename, delete, refresh),
gui/signin_commands.py (sign in again, the add dialog's sign-in), gui/token_checks.py
(reveal, verify, check with the provider, the ID token, paste & decode) and
gui/env_commands.py (.env import and export). They share this: the vault and whether
its store answered, the vault file's lock and what waits for it to open, the one open
dialog, and the signals (`status_reported`, `error_reported`, …) through which the
window hears what happened. Nothing here draws.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeGuard, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QWidget
from shiboken6 import isValid

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.gui.errors import describe

if TYPE_CHECKING:
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.details import DetailsPane
    from tokenmgr.gui.settings import Settings
    from tokenmgr.gui.tasks import Tasks
    from tokenmgr.gui.token_list import TokenList

_Q = TypeVar("_Q", bound=QObject)

STILL_LOCKED = "The vault file is still locked: nothing was saved."


class CommandContext(QObject):
    status_reported = Signal(str)  # what just happened, for the status bar
    error_reported = Signal(str, bool)  # a sentence; True when the secret store failed
    store_needed = Signal()  # asked for the store before it was ready
    unlock_needed = Signal()  # asked for a secret while the vault file is locked
    window_needed = Signal()  # a sign-in again (from the tray, say) needs the window
    entries_changed = Signal(str)  # the index changed; the entry to select ("" for none)
    token_copied = Signal(str, str)  # entry name, format ("header", ...)
    signed_in = Signal(str)  # entry name
    dialog_opened = Signal(QDialog)  # one at a time; closing it deletes it
    setup_copied = Signal(str, str)  # tool ("git", "kubectl", "docker"), what was copied
    settings_changed = Signal()  # the settings hold something new (to save)

    def __init__(
        self,
        window: QWidget,
        vault: Vault,
        tokens: TokenList,
        details: DetailsPane,
        tasks: Tasks,
        settings: Settings,
        env: Mapping[str, str],
        clipboard: Clipboard | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window  # the dialogs' parent
        self.tokens = tokens
        self.details = details
        self.tasks = tasks
        self.settings = settings
        self.env = env
        self.clipboard = clipboard
        self._vault = vault  # drawn from its index until its store answers
        self._store_ready = False
        self._store_kind = ""
        self._locked = False
        # What was asked while locked: (run it once unlocked, what to do if not unlocked).
        self._waiting: list[tuple[Callable[[], object], Callable[[], object] | None]] = []
        self._dialog: QDialog | None = None
        tasks.task_failed.connect(lambda _what, exc: self.report_error(exc))  # no on_error

    # ------------------------------------------------------------ the store

    def set_vault(self, vault: Vault, *, ready: bool, kind: str = "") -> None:
        """The vault to act on; `ready` once its store ("keyring" or "file") answered.
        Until then the commands that need the store say so instead."""
        self._vault, self._store_ready, self._store_kind = vault, ready, kind

    @property
    def vault(self) -> Vault:
        """The vault, for what needs its index only (`need_store` for its secrets)."""
        return self._vault

    @property
    def store_ready(self) -> bool:
        return self._store_ready

    @property
    def store_kind(self) -> str:
        """"keyring" or "file" once the store answered, else ""."""
        return self._store_kind

    @property
    def locked(self) -> bool:
        return self._locked

    def set_locked(self, locked: bool) -> None:
        """Locked: what holds a secret lets go of it (an open dialog that may hold one, a
        pasted token or an import's values, is closed; a reveal lapses; a copied token
        leaves the clipboard; the store drops its key), and whatever needs a secret asks
        for the passphrase first (`unlock_needed`), then goes on. Unlocked: what waited
        runs now."""
        self._locked = locked
        if locked:
            self._let_go()
        else:
            waiting, self._waiting = self._waiting, []
            for retry, _gave_up in waiting:
                retry()

    def _let_go(self) -> None:
        from tokenmgr.gui.tasks import SerializedStore

        if self._dialog is not None:
            self._dialog.reject()
        self.details.conceal()
        if self.clipboard is not None:
            self.clipboard.clear()  # where a clipboard manager took it too
        # In a worker, behind any store call in flight (the store serialises its calls).
        store = self._vault.store
        if isinstance(store, SerializedStore):
            self.tasks.run("Locking the vault file…", store.lock)

    def unlock_refused(self) -> None:
        """The person closed the passphrase dialog: what waited for it is given up."""
        waiting, self._waiting = self._waiting, []
        for _retry, gave_up in waiting:
            if gave_up is not None:
                gave_up()

    def need_store(
        self,
        retry: Callable[[], object] | None = None,
        gave_up: Callable[[], object] | None = None,
    ) -> Vault | None:
        """The vault when its store is ready; else None, and whoever shows it is told.
        While the vault file is locked, the passphrase is asked (`unlock_needed`) and
        `retry` runs once it is unlocked (`gave_up` if the person does not unlock)."""
        if self._locked:
            if retry is not None:
                self._waiting.append((retry, gave_up))
            self.unlock_needed.emit()
            return None
        if self._store_ready:
            return self._vault
        self.store_needed.emit()
        return None

    def report_error(self, exc: BaseException) -> None:
        """Say what went wrong (`error_reported`), marking a failure of the secret store."""
        self.error_reported.emit(describe(exc), isinstance(exc, StorageUnavailable))

    # -------------------------------------------------------------- dialogs

    @property
    def dialog(self) -> QDialog | None:
        """The open dialog, if any."""
        return self._dialog

    def open_dialog(self, dialog: QDialog) -> None:
        """Open `dialog` window-modal; it is deleted when it closes."""
        self._dialog = dialog
        dialog.setModal(True)
        dialog.finished.connect(lambda _result: self._on_dialog_finished(dialog))
        dialog.open()
        self.dialog_opened.emit(dialog)

    def _on_dialog_finished(self, dialog: QDialog) -> None:
        if self._dialog is dialog:
            self._dialog = None
        dialog.deleteLater()


def alive(obj: _Q | None) -> TypeGuard[_Q]:
    """Whether a Qt object still exists (a dialog may be closed and deleted meanwhile)."""
    return obj is not None and bool(isValid(obj))
