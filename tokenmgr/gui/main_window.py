"""The main window: the token list on the left, the details on the right, the toolbar
above and the status bar below; the window's own events (close to the tray, hide,
geometry) and the store screen in the list's place while the store is set up.

It composes; the parts do the work: gui/actions.py (the action table),
gui/vault_view.py (the central widget's pages), gui/token_list.py (the list, its
filter and keys), gui/details.py (the pane), gui/entry_commands.py (every user
operation), gui/store_setup.py (probe, create, unlock), gui/store_link.py (taking the store
once it answers, letting it go on lock), gui/lock.py (the vault file's lock),
gui/reporting.py (where what happened is said), gui/status_bar.py and
gui/window_geometry.py (where the window is, remembered). The
window is drawn from the index alone: anything that touches the secret store or the
network runs in a worker.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QTableView

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import now_utc
from tokenmgr.gui import actions, window_geometry
from tokenmgr.gui.actions import Actions
from tokenmgr.gui.details import DetailsPane
from tokenmgr.gui.entry_commands import EntryCommands
from tokenmgr.gui.errors import describe
from tokenmgr.gui.index_watch import IndexWatcher
from tokenmgr.gui.lock import VaultLock
from tokenmgr.gui.reporting import Reporter
from tokenmgr.gui.settings import Settings, SettingsFile
from tokenmgr.gui.status_bar import StatusBar
from tokenmgr.gui.store_link import StoreLink
from tokenmgr.gui.store_setup import StoreSetup
from tokenmgr.gui.tasks import Tasks
from tokenmgr.gui.token_list import TokenList
from tokenmgr.gui.usage import UsageWatcher
from tokenmgr.gui.vault_view import VaultView

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtGui import QCloseEvent, QHideEvent
    from PySide6.QtWidgets import QDialog

    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.clipboard import Clipboard
    from tokenmgr.gui.signin import SignInController
    from tokenmgr.gui.welcome import Welcome


TRAY_NOTE = (
    "Token Manager keeps running in the tray; choose Quit (Ctrl+Q) from its menu to end it."
)


class MainWindow(QMainWindow):
    token_copied = Signal(str, str)  # entry name, what was copied ("header", ...)
    entries_loaded = Signal(list)  # list[Entry], after every index read
    store_ready_changed = Signal(bool)
    tray_note_requested = Signal(str)  # the first close into the tray: say so
    notice_requested = Signal(str)  # something to say while the window is hidden (tray)
    signed_in = Signal(str)  # entry name, after a sign-in from the window
    usage_loaded = Signal(dict)  # entry name → its latest access records (gui/usage.py)
    # What went wrong but stopped nothing (an access record not written), from any thread.
    warned = Signal(str)
    locked_changed = Signal(bool)  # the vault file was locked (True) or unlocked again

    def __init__(
        self,
        vault: Vault,
        settings: Settings,
        settings_file: SettingsFile,
        *,
        tasks: Tasks | None = None,
        clipboard: Clipboard | None = None,
        tray_available: bool = False,
        env: Mapping[str, str] | None = None,
        smoke_test: bool = False,
        passphrase: str | None = None,
    ) -> None:
        super().__init__()
        self.vault = vault
        vault.warn = self.warned.emit  # a worker may say it: the signal crosses threads
        self.env = os.environ if env is None else env
        self.settings = settings
        self.settings_file = settings_file
        self.tasks = tasks or Tasks(self)
        self.clipboard = clipboard
        self.tray_available = tray_available
        self.smoke_test = smoke_test
        self._quitting = False
        self._index_error: str | None = None
        self._context_menu: QMenu | None = None
        self.setWindowTitle("Token Manager")
        # The icon (an SVG: Qt's SVG plugin loads with it) once the event loop runs.
        QTimer.singleShot(0, self, self._on_icon_timer_timeout)

        self.action_table = Actions(self)
        self.token_list = TokenList()
        self.model = self.token_list.model
        self.model.set_lead(settings.lead())
        self.details = DetailsPane()
        self.status_bar = StatusBar()
        self.setStatusBar(self.status_bar)
        self.commands = EntryCommands(self, vault, self.token_list, self.details, self.tasks,
                                      settings, self.env, clipboard)
        self.store_setup = StoreSetup(
            vault.home, self.env, self.tasks, lambda: bool(self.model.rowCount()),
            chosen=settings.store, passphrase=passphrase, parent=self,
        )
        self.addToolBar(self.action_table.toolbar(self.token_list.filter_edit,
                                                  self.commands.add_entry,
                                                  self.token_list.status_button))
        self.pages = VaultView(self.token_list, self.details, self.action_table)
        self.banner, self.main_page = self.pages.banner, self.pages.main_page
        self.splitter = self.pages.splitter
        self.setCentralWidget(self.pages)
        self.reporter = Reporter(self, self.status_bar, self.banner)
        self.vault_lock = VaultLock(self)
        self.store = StoreLink(self, self)
        self.store.ready_changed.connect(self.store_ready_changed)
        self._connect()
        self.action_table["lock"].setVisible(False)  # until the vault file is in use

        self.watcher = IndexWatcher(vault.index.path, self)
        self.watcher.index_changed.connect(self.reload)
        self.usage = UsageWatcher(vault.home, self)
        self.usage.loaded.connect(self.details.set_usage)
        self.usage.loaded.connect(self.usage_loaded)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._on_ticker_timeout)
        self.ticker.start()
        self.reload()
        self._restore_geometry()

    # ================================================================ building

    def _connect(self) -> None:
        c, acts, tokens, details = self.commands, self.action_table, self.token_list, self.details
        checks, env_files = c.checks, c.env_files
        slots: dict[str, Callable[[], object]] = {
            "add": c.add_entry, "sign_in_new": c.sign_in_new, "copy_chosen": c.copy_chosen,
            "edit": c.edit_selected, "rename": c.rename_selected,
            "delete": c.delete_selected, "refresh": c.refresh_selected,
            "sign_in_again": self.sign_in_again, "paste_decode": checks.paste_decode,
            "import_env": env_files.import_env, "export_env": env_files.export_env,
            "lock": self.lock,
            "filter": tokens.focus_filter, "attention": tokens.toggle_attention,
            "preferences": self.show_preferences,
            "quit": self.quit_app,
            **{f"copy_{fmt}": functools.partial(c.copy_selected, fmt)
               for fmt in actions.COPY_FORMATS},
        }
        for name, slot in slots.items():
            acts.bind(name, slot)
        tokens.current_changed.connect(self._on_token_list_current_changed)
        tokens.activated.connect(self._on_token_list_activated)
        tokens.copy_requested.connect(c.copy_chosen)
        tokens.delete_requested.connect(c.delete_selected)
        tokens.dismissed.connect(self._on_token_list_dismissed)
        tokens.context_menu_requested.connect(self._on_token_list_context_menu_requested)
        details.reveal_requested.connect(checks.reveal)
        details.verify_requested.connect(checks.verify)
        details.id_token_requested.connect(checks.read_id_token)
        details.check_requested.connect(checks.check_provider)
        details.sign_in_requested.connect(self.sign_in_again)
        details.setup_copy_requested.connect(c.copy_setup)
        details.copy_requested.connect(self._on_details_copy_requested)
        report = self.reporter
        c.status_reported.connect(report.report)
        c.error_reported.connect(report.report_error)
        c.window_needed.connect(self.raise_window)
        c.entries_changed.connect(self._on_commands_entries_changed)
        c.token_copied.connect(self.token_copied)
        c.signed_in.connect(self.signed_in)
        c.settings_changed.connect(self.save_settings)
        setup = self.store_setup
        setup.failed.connect(self.banner.show_problem)
        setup.status_reported.connect(self.status_bar.show_status)
        setup.unlock_failed.connect(self.vault_lock.unlock_failed)
        self.banner.retry_requested.connect(self.start_store)
        lock = self.vault_lock
        lock.locked_changed.connect(self.locked_changed)
        lock.status_reported.connect(self.status_bar.show_status)
        lock.unlock_requested.connect(setup.unlock_again)
        self.tasks.busy_changed.connect(self.status_bar.set_busy)
        self.warned.connect(report.warn)
        report.notice_requested.connect(self.notice_requested)
        if self.clipboard is not None:
            self.clipboard.countdown_changed.connect(self.status_bar.set_countdown)
            self.clipboard.cleared.connect(self.status_bar.show_cleared)
            self.clipboard.clear_failed.connect(report.show_problem)

    # ============================================================ public API

    @property
    def table(self) -> QTableView:
        """The list's table (what the first paint draws when there are entries)."""
        return self.token_list.view

    @property
    def empty_label(self) -> QLabel:
        """The list's empty state (what the first paint draws when there are none)."""
        return self.token_list.empty_label

    @property
    def welcome(self) -> Welcome:
        """The ways in, shown in the place of the list while there is no token."""
        return self.pages.welcome

    @property
    def locked(self) -> bool:
        """Whether the vault file is locked (its key dropped)."""
        return self.vault_lock.locked

    @property
    def dialog(self) -> QDialog | None:
        """The open dialog, if any."""
        return self.commands.dialog

    @property
    def signin(self) -> SignInController | None:
        """The running sign-in, if any."""
        return self.commands.sign_ins.signin

    def reload(self) -> None:
        """Read the index (metadata only) and update the rows in place."""
        self.watcher.mark_seen()
        try:
            entries = self.vault.list_entries()
        except TokenMgrError as e:
            self._index_error = describe(e)
            self.banner.show_problem(self._index_error)
            self.status_bar.show_status(self._index_error)
            return
        if self._index_error is not None:
            self._index_error = None
            self.banner.setVisible(False)
        now = now_utc()
        self.token_list.set_entries(entries, now)
        self.details.set_list_empty(not entries)
        self.pages.show_body(bool(entries))
        current = self.token_list.current_entry()
        self.details.set_entry(current, now)
        self.action_table.update_for(current, now)
        self.entries_loaded.emit(self.token_list.entries)

    def select(self, name: str) -> bool:
        return self.token_list.select(name)

    def copy(self, name: str, fmt: str) -> None:
        self.commands.copy(name, fmt)

    def copy_from_tray(self, name: str, fmt: str) -> None:
        """A copy from the tray menu (the access record says so)."""
        self.commands.copy(name, fmt, how="tray")

    def copy_selected(self, fmt: str) -> None:
        self.commands.copy_selected(fmt)

    def paste_decode(self) -> None:
        self.commands.checks.paste_decode()

    def sign_in_again(self, name: str | None = None) -> None:
        self.commands.sign_ins.sign_in_again(name)

    def show_preferences(self) -> None:
        from tokenmgr.gui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self.env, self)
        dialog.applied.connect(self._on_preferences_applied)
        self.commands.open_dialog(dialog)

    def quit_app(self) -> None:
        from PySide6.QtWidgets import QApplication

        self._quitting = True
        QApplication.quit()

    # ============================================================== the store

    def start_store(self, *, after: SignalInstance | None = None) -> None:
        self.store.start(after=after)

    def use_vault(self, vault: Vault, kind: str) -> None:
        self.store.use_vault(vault, kind)

    @property
    def store_ready(self) -> bool:
        return self.store.ready

    @property
    def store_kind(self) -> str:
        return self.store.kind

    def lock(self) -> None:
        """Lock the vault file (Ctrl+L): gui/lock.py."""
        self.vault_lock.lock()

    # ===================================================== window and geometry

    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.raise_window()

    def raise_window(self) -> None:
        self.show()
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        # Reveal lapses when the window hides; minimizing it sends a hide event too.
        self.details.conceal()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_state()
        if self.tray_available and not self._quitting:
            event.ignore()
            self.hide()
            if not self.settings.tray_note_shown:
                self.settings.tray_note_shown = True
                self.save_settings()
                self.tray_note_requested.emit(TRAY_NOTE)
            return
        event.accept()
        self.quit_app()

    def save_settings(self) -> None:
        try:
            self.settings_file.save(self.settings)
        except (OSError, TokenMgrError) as e:
            self.status_bar.show_status(f"⚠ The settings could not be saved: {describe(e)}")

    def save_state(self) -> None:
        self.settings.window_geometry = window_geometry.saved(self)
        self.settings.splitter_state = self.pages.splitter_state()

    def _restore_geometry(self) -> None:
        window_geometry.restore(self, self.settings.window_geometry)
        self.pages.restore_splitter(self.settings.splitter_state, self.width())

    # ================================================================= slots

    @Slot()
    def _on_icon_timer_timeout(self) -> None:
        from tokenmgr.gui.icons import app_icon

        self.setWindowIcon(app_icon())

    @Slot()
    def _on_ticker_timeout(self) -> None:
        now = now_utc()
        self.token_list.tick(now)
        self.details.tick(now)

    @Slot(object)
    def _on_token_list_current_changed(self, entry: Entry | None) -> None:
        self.details.set_entry(entry, self.model.now)
        self.action_table.update_for(entry, self.model.now)

    @Slot(str)
    def _on_details_copy_requested(self, name: str) -> None:
        self.commands.copy(name, "raw")

    @Slot(str)
    def _on_token_list_activated(self, name: str) -> None:
        self.commands.copy(name, "header")

    @Slot()
    def _on_token_list_dismissed(self) -> None:
        if self.tray_available:
            self.hide()

    @Slot(QPoint)
    def _on_token_list_context_menu_requested(self, pos: QPoint) -> None:
        if self._context_menu is None:  # one menu, made on first use
            self._context_menu = self.action_table.menu(actions.CONTEXT_MENU, self)
        self._context_menu.popup(pos)

    @Slot(str)
    def _on_commands_entries_changed(self, select: str) -> None:
        self.reload()
        if select:
            self.select(select)

    @Slot(str)
    def _on_preferences_applied(self, problem: str) -> None:
        if self.clipboard is not None:
            self.clipboard.set_timeout(self.settings.clear_timeout_s)
        self.model.set_lead(self.settings.lead())
        self.entries_loaded.emit(self.token_list.entries)  # the tray follows the new lead time
        self.vault_lock.arm_idle(self.settings.lock_idle_min)
        self.save_settings()
        if problem:
            self.status_bar.show_status(f"⚠ {problem}")
