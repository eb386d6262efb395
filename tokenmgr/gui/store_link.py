"""The window's side of the secret store: it starts the store's set-up, takes the store
once it answers (the commands act on it from then on, the vault file's Lock appears),
lets it go while the vault file is locked or the store screen shows, and says what a
command that needed the store must wait for. Whether the store is ready is this
object's state; the window and the keeper follow `ready_changed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal, Slot

from tokenmgr.core.usecases import handout

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.actions import Actions
    from tokenmgr.gui.entry_commands import EntryCommands
    from tokenmgr.gui.lock import VaultLock
    from tokenmgr.gui.settings import Settings
    from tokenmgr.gui.status_bar import Banner, StatusBar
    from tokenmgr.gui.store_setup import StoreSetup
    from tokenmgr.gui.vault_view import VaultView


class Window(Protocol):
    """What of the main window this works with (gui/main_window.py)."""

    vault: Vault
    smoke_test: bool
    settings: Settings
    store_setup: StoreSetup
    vault_lock: VaultLock
    commands: EntryCommands
    pages: VaultView
    banner: Banner
    status_bar: StatusBar
    action_table: Actions
    warned: SignalInstance

    def save_settings(self) -> None: ...

    def raise_window(self) -> None: ...

    def isVisible(self) -> bool: ...  # noqa: N802 - Qt's name

    def isMinimized(self) -> bool: ...  # noqa: N802

    def setWindowTitle(self, title: str) -> None: ...  # noqa: N802


class StoreLink(QObject):
    ready_changed = Signal(bool)

    def __init__(self, window: Window, parent: QObject) -> None:
        super().__init__(parent)
        self._window = window
        self.ready = False
        self.kind = ""  # "keyring" or "file", once the store answered
        window.store_setup.opened.connect(self.use_vault)
        window.store_setup.screen_shown.connect(self._on_store_setup_screen_shown)
        window.vault_lock.locked_changed.connect(self._on_vault_lock_locked_changed)
        window.vault_lock.unlock_refused.connect(self._on_vault_lock_unlock_refused)
        window.commands.store_needed.connect(self._on_commands_store_needed)
        window.commands.unlock_needed.connect(self._on_commands_unlock_needed)

    def start(self, *, after: SignalInstance | None = None) -> None:
        """Open the secret store (in a worker, once `after` fires when given); the list is
        drawn from the index meanwhile."""
        if not self._window.smoke_test:
            self._window.store_setup.start(after=after)

    @Slot(object, str)
    def use_vault(self, vault: Vault, kind: str) -> None:
        """The store answered: act on `vault` ("keyring" or "file") from now on."""
        w = self._window
        handout.with_refresh(vault)
        vault.warn = w.warned.emit
        w.vault = vault
        self.kind = kind
        w.commands.set_vault(vault, ready=True, kind=kind)
        w.banner.setVisible(False)
        w.pages.show_main()
        self._set_ready(True)
        if kind == "file" and w.settings.store != "file":
            w.settings.store = w.store_setup.chosen = "file"
            w.save_settings()
        w.action_table["lock"].setVisible(kind == "file")
        if w.vault_lock.locked:
            w.vault_lock.set_locked(False)  # what waited for the passphrase runs now
        else:
            w.pages.focus_body()
        w.vault_lock.arm_idle(w.settings.lock_idle_min)

    def _set_ready(self, ready: bool) -> None:
        w = self._window
        self.ready = ready
        w.vault_lock.set_lockable(ready and self.kind == "file")
        if not ready:
            w.commands.set_vault(w.vault, ready=False, kind=self.kind)
        self.ready_changed.emit(ready)

    @Slot()
    def _on_commands_store_needed(self) -> None:
        w = self._window
        if not w.isVisible():
            w.raise_window()  # e.g. a tray copy while the vault file is locked
        if not w.pages.showing_main():
            w.status_bar.show_status("Set up the secret store first.")
        else:
            w.status_bar.show_status("The secret store is not ready yet; try again in a moment.")

    @Slot()
    def _on_commands_unlock_needed(self) -> None:
        w = self._window
        if not w.isVisible() or w.isMinimized():
            w.raise_window()  # e.g. a copy from the tray
        w.vault_lock.ask_passphrase(str(w.store_setup.vault_path()))

    @Slot(bool)
    def _on_vault_lock_locked_changed(self, locked: bool) -> None:
        w = self._window
        w.status_bar.set_locked(locked)
        # Qt adds the application's name: "Locked — Token Manager".
        w.setWindowTitle("Locked" if locked else "Token Manager")
        w.commands.set_locked(locked)  # what holds a secret lets go of it
        if locked:
            self._set_ready(False)  # the keeper pauses: a refresh would need the key

    @Slot()
    def _on_vault_lock_unlock_refused(self) -> None:
        self._window.commands.unlock_refused()
        self._window.status_bar.show_status("Still locked.")

    @Slot()
    def _on_store_setup_screen_shown(self) -> None:
        w = self._window
        page = w.store_setup.page
        if page is not None:
            w.pages.show_store_screen(page)
            self._set_ready(False)
