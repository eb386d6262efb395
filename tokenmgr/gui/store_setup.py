"""Where the secrets are kept: probe the keyring, or create or unlock the vault file.

The store is chosen by TOKENMGR_STORE, else the remembered choice, else the
keyring. The keyring is probed in a worker while the list is already drawn
from the index. Where no secure keyring answers and there are no entries yet,
the store screen (gui/first_run.py) takes the list's place and offers the
encrypted vault file; with entries, the window keeps its list and shows the
problem in a banner with "Try again". The use cases (probe, create, unlock)
are core's (`core.usecases`); this only runs them and says what came of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

from tokenmgr.core.errors import StorageUnavailable
from tokenmgr.core.usecases import storage
from tokenmgr.gui import tasks as jobs
from tokenmgr.gui.errors import describe

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from tokenmgr.core.stores import SecretStore
    from tokenmgr.gui.first_run import StoreSetupPage
    from tokenmgr.gui.tasks import Tasks


@dataclass
class _Probe:
    tried: str  # which keyring backend, in words
    error: Exception | None


class StoreSetup(QObject):
    opened = Signal(object, str)  # a Vault whose store answered; "keyring" or "file"
    screen_shown = Signal()  # the store screen (`page`) replaces the list until opened
    failed = Signal(str)  # the keyring did not answer (a sentence): keep the list, say so
    status_reported = Signal(str)
    unlock_failed = Signal(str)  # `unlock_again`: a sentence (a wrong passphrase, say)

    def __init__(
        self,
        home: Path,
        env: Mapping[str, str],
        tasks: Tasks,
        has_entries: Callable[[], bool],
        *,
        chosen: str = "",
        passphrase: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._home = home
        self._env = env
        self._tasks = tasks
        self._has_entries = has_entries
        self.chosen = chosen  # the remembered choice: "keyring", "file" or ""
        self._passphrase = passphrase  # given at start (TOKENMGR_PASSPHRASE): tried once
        self._page: StoreSetupPage | None = None

    @property
    def page(self) -> StoreSetupPage | None:
        """The store screen, once it was needed."""
        return self._page

    def vault_path(self) -> Path:
        from tokenmgr.core.stores.vault_file import VAULT_NAME

        return self._home / VAULT_NAME

    def start(self, *, after: SignalInstance | None = None) -> None:
        """Pick the store and open it: check the keyring in a worker (once `after` fires,
        when given), or ask for the vault file's passphrase (unless one was given at
        start)."""
        from tokenmgr.gui import first_run

        choice = self._env.get("TOKENMGR_STORE") or self.chosen or "keyring"
        if choice != "file":
            if after is None:
                self.probe_keyring()
            else:
                after.connect(self.probe_keyring)
        elif not self.vault_path().exists():
            self.show_screen(first_run.MODE_CREATE)
        elif self._passphrase:
            phrase, self._passphrase = self._passphrase, None
            self._unlock(phrase, quiet=True)
        else:
            self.show_screen(first_run.MODE_UNLOCK)

    def probe_keyring(self) -> None:
        from tokenmgr.core.stores import open_keyring_store
        from tokenmgr.core.vault import Vault

        store = open_keyring_store(self._home, self._env)
        vault = Vault(home=self._home, store=jobs.SerializedStore(store), env=self._env)

        def probe() -> _Probe:  # in the worker: resolving the backend may block
            try:
                storage.probe_store(vault)
            except Exception as e:
                return _Probe(_backend_words(store), e)
            return _Probe("", None)

        def done(result: _Probe) -> None:
            if result.error is None:
                self.opened.emit(vault, "keyring")
            else:
                self._keyring_failed(result)

        self._tasks.run("Checking the keyring…", probe, done)

    def show_screen(self, mode: str, *, tried: str = "", problem: str = "") -> None:
        page = self._ensure_page()
        page.set_mode(mode, tried=tried, problem=problem, where=str(self.vault_path()))
        self.screen_shown.emit()

    def _keyring_failed(self, result: _Probe) -> None:
        from tokenmgr.gui import first_run

        assert result.error is not None
        problem = describe(result.error)
        if not self._has_entries() and isinstance(result.error, StorageUnavailable):
            self.show_screen(first_run.MODE_NO_KEYRING, tried=result.tried, problem=problem)
        else:
            self.failed.emit(problem)
        self.status_reported.emit(problem)

    def _ensure_page(self) -> StoreSetupPage:
        if self._page is None:
            from tokenmgr.gui.first_run import StoreSetupPage

            self._page = StoreSetupPage()
            self._page.retry_requested.connect(self._on_page_retry_requested)
            self._page.create_requested.connect(self._on_page_create_requested)
            self._page.unlock_requested.connect(self._on_page_unlock_requested)
        return self._page

    def _open_file(self, store: SecretStore, status: str) -> None:
        from tokenmgr.core.vault import Vault

        vault = Vault(home=self._home, store=jobs.SerializedStore(store), env=self._env)
        self.opened.emit(vault, "file")
        self.status_reported.emit(status)

    def _unlock(self, passphrase: str, *, quiet: bool = False) -> None:
        from tokenmgr.gui import first_run

        home = self._home

        def failed(exc: BaseException) -> None:
            if quiet:  # the passphrase given at start: now ask
                self.show_screen(first_run.MODE_UNLOCK)
            self._ensure_page().set_error(describe(exc))

        self._tasks.run(
            "Unlocking the vault file…",
            lambda: storage.unlock_vault_file(home, passphrase),
            lambda store: self._open_file(store, "The vault file is unlocked."),
            failed,
        )

    def unlock_again(self, passphrase: str) -> None:
        """Open the locked vault file again with its passphrase (a new store: the old one
        dropped its key); `opened` as at start, or `unlock_failed`."""
        home = self._home
        self._tasks.run(
            "Unlocking the vault file…",
            lambda: storage.unlock_vault_file(home, passphrase),
            lambda store: self._open_file(store, "Unlocked the vault file."),
            lambda exc: self.unlock_failed.emit(describe(exc)),
        )

    @Slot()
    def _on_page_retry_requested(self) -> None:
        self._ensure_page().set_busy(True, "Checking the keyring…")
        self.probe_keyring()

    @Slot(str)
    def _on_page_create_requested(self, passphrase: str) -> None:
        home = self._home
        self._tasks.run(
            "Creating the vault file…",
            lambda: storage.create_vault_file(home, passphrase),
            lambda store: self._open_file(
                store, "Created the encrypted vault file; tokens you add are kept in it."
            ),
            lambda e: self._ensure_page().set_error(describe(e)),
        )

    @Slot(str)
    def _on_page_unlock_requested(self, passphrase: str) -> None:
        self._unlock(passphrase)


def _backend_words(store: SecretStore) -> str:
    """Which keyring was tried, in words, for the store screen."""
    try:
        info = store.info()
    except Exception:
        return "the system keyring"
    return f"the keyring backend {info.backend}"
