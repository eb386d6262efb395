"""The main window: the token list, the details pane and every action (UI.md).

Drawn from the index alone. Everything that touches the secret store or the
network goes through `Tasks` (workers); the window only draws results. The
store is set up here too: the keyring is probed in a worker at start, and
where it does not answer the store screen (`first_run.StoreSetupPage`) takes
the window's place until the vault file is created or unlocked.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QModelIndex,
    QObject,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core import usecases
from tokenmgr.core.entries import Entry, now_utc
from tokenmgr.core.errors import StorageUnavailable, TokenMgrError
from tokenmgr.gui import tasks as jobs
from tokenmgr.gui.details import DetailsPane, needs_sign_in
from tokenmgr.gui.entry_model import (
    Column,
    EntryFilterProxy,
    EntryModel,
    EntryRole,
    header_titles,
)
from tokenmgr.gui.errors import describe, sentence
from tokenmgr.gui.index_watch import IndexWatcher
from tokenmgr.gui.props import set_props
from tokenmgr.gui.settings import Settings, SettingsFile
from tokenmgr.gui.tasks import Tasks

if TYPE_CHECKING:
    # Only named in annotations; their classes cost start-up time to make (gui/props.py).
    from PySide6.QtGui import QCloseEvent, QHideEvent, QKeyEvent
    from PySide6.QtWidgets import QMessageBox

    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.first_run import StoreSetupPage

log = logging.getLogger("tokenmgr.gui")

EMPTY_TEXT = "No tokens yet. Add one (Ctrl+N) or sign in to a provider."
NO_MATCH_TEXT = "No token matches “{}”. Esc clears the filter."
FORMAT_WORDS = {
    "header": "header",
    "raw": "token",
    "env": "env line",
    "dotenv": ".env line",
    "curl": "curl command",
}
MENU_WORDS = {
    "header": "Copy header",
    "raw": "Copy raw",
    "env": "Copy env line",
    "dotenv": "Copy .env line",
    "curl": "Copy curl command",
}
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

    def __init__(
        self,
        vault: Vault,
        settings: Settings,
        settings_file: SettingsFile,
        *,
        tasks: Tasks | None = None,
        clipboard: Any = None,
        tray_available: bool = False,
        env: Mapping[str, str] | None = None,
        smoke_test: bool = False,
        passphrase: str | None = None,
    ) -> None:
        super().__init__()
        self._given_passphrase = passphrase
        self.vault = vault
        self.env = os.environ if env is None else env
        self.settings = settings
        self.settings_file = settings_file
        self.tasks = tasks or Tasks(self)
        self.clipboard = clipboard
        self.tray_available = tray_available
        self.smoke_test = smoke_test
        self.store_ready = False
        self.store_kind = ""
        self._quitting = False
        self._index_error: str | None = None
        self.dialog: Any = None  # the open dialog (one at a time); tests reach it here
        self.delete_box: QMessageBox | None = None
        self.context_menu: QMenu | None = None
        self.signin: Any = None  # the running SignInController, if any
        self._copy_seq = 0  # only the newest copy request writes the clipboard
        self.setWindowTitle("Token Manager")
        # The icon (an SVG: Qt's SVG plugin loads with it) once the event loop runs.
        QTimer.singleShot(0, self, self._on_icon_timer_timeout)
        self.resize(1100, 680)

        self.model = EntryModel(self)
        self.proxy = EntryFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.actions_by_name: dict[str, QAction] = {}
        self._build_actions()
        self._build_ui()
        self._build_status_bar()

        self.tasks.busy_changed.connect(self._on_tasks_busy_changed)
        self.tasks.task_failed.connect(self._on_tasks_task_failed)
        if clipboard is not None:
            clipboard.countdown_changed.connect(self._on_clipboard_countdown_changed)
            clipboard.cleared.connect(self._on_clipboard_cleared)

        self.watcher = IndexWatcher(vault.index.path, self)
        self.watcher.index_changed.connect(self._on_watcher_index_changed)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._on_ticker_timeout)
        self.ticker.start()
        self.reload()
        self._restore_geometry()

    # ================================================================ building

    def _action(
        self,
        name: str,
        text: str,
        slot: Callable[[], None],
        shortcut: str | None = None,
        *,
        tip: str = "",
    ) -> QAction:
        act = QAction(text, self)
        act.setObjectName(name)
        if shortcut is not None:
            # By name: setShortcut's overloads would build `Qt` to rule out Qt.Key
            # (gui/props.py). In the window, QAction's default context.
            set_props(act, shortcut=shortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.actions_by_name[name] = act
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        a = self._action
        a("add", "Add a token…", self.add_entry, "Ctrl+N", tip="Add a token by pasting it")
        a("sign_in_new", "Sign in to a provider…", self.sign_in_new, "Ctrl+Shift+N",
          tip="Sign in with OAuth2 / OpenID Connect (Ctrl+Shift+N)")
        for fmt in ("header", "raw", "env", "dotenv", "curl"):
            a(f"copy_{fmt}", MENU_WORDS[fmt], lambda f=fmt: self.copy_selected(f))  # type: ignore[misc]
        self.actions_by_name["copy_header"].setToolTip("Copy the Authorization header (Enter)")
        a("copy_chosen", "Copy in the chosen format", self.copy_chosen)
        a("edit", "Edit…", self.edit_selected, "F2", tip="Edit the selected token (F2)")
        a("delete", "Delete…", self.delete_selected, tip="Delete the selected token (Del)")
        a("refresh", "Refresh", self.refresh_selected, "F5", tip="Get a fresh access token (F5)")
        a("sign_in_again", "Sign in again", self.sign_in_again,
          tip="Sign in to the provider again")
        a("paste_decode", "Paste && decode", self.paste_decode, "Ctrl+Shift+V",
          tip="Explain the token on the clipboard; nothing is stored (Ctrl+Shift+V)")
        a("filter", "Filter", self.focus_filter, "Ctrl+F")
        a("preferences", "Preferences…", self.show_preferences)
        a("quit", "Quit", self.quit_app, "Ctrl+Q", tip="Quit Token Manager (Ctrl+Q)")
        for act in self.actions_by_name.values():
            act.setData(act.text().replace("&&", "&"))

    def _build_ui(self) -> None:
        bar = QToolBar("Actions")
        bar.setObjectName("actions")
        bar.setMovable(False)
        set_props(bar, toolButtonStyle="ToolButtonTextOnly")  # no Qt.* yet: gui/props.py
        self.addToolBar(bar)

        add_button = QToolButton()
        add_button.setText("+ Add")
        add_button.setAccessibleName("Add")
        add_button.setToolTip("Add a token (Ctrl+N)")
        add_menu = QMenu(add_button)
        add_menu.addAction(self.actions_by_name["add"])
        add_menu.addAction(self.actions_by_name["sign_in_new"])
        add_button.setMenu(add_menu)
        add_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        add_button.clicked.connect(self.add_entry)
        bar.addWidget(add_button)
        bar.addAction(self.actions_by_name["copy_header"])
        copy_button = QToolButton()
        copy_button.setText("Copy")
        copy_button.setAccessibleName("Copy in another format")
        copy_button.setToolTip("Copy as raw, env line, .env line or curl command")
        self.copy_menu = QMenu(copy_button)
        for fmt in ("header", "raw", "env", "dotenv", "curl"):
            self.copy_menu.addAction(self.actions_by_name[f"copy_{fmt}"])
        copy_button.setMenu(self.copy_menu)
        copy_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(copy_button)
        bar.addSeparator()
        bar.addAction(self.actions_by_name["refresh"])
        bar.addAction(self.actions_by_name["sign_in_again"])
        bar.addAction(self.actions_by_name["delete"])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.filter_edit = _KeyLineEdit(self._on_key_pressed)
        self.filter_edit.setPlaceholderText("Filter…  Ctrl+F")
        self.filter_edit.setAccessibleName("Filter tokens")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.filter_edit.returnPressed.connect(self._on_filter_edit_return_pressed)
        bar.addWidget(self.filter_edit)
        menu_button = QToolButton()
        menu_button.setText("☰")
        menu_button.setAccessibleName("Menu")
        menu_button.setToolTip("Menu")
        menu = QMenu(menu_button)
        menu.addAction(self.actions_by_name["paste_decode"])
        menu.addSeparator()
        menu.addAction(self.actions_by_name["preferences"])
        menu.addSeparator()
        menu.addAction(self.actions_by_name["quit"])
        menu_button.setMenu(menu)
        menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(menu_button)

        self.table = _KeyTable(self._on_key_pressed)
        # The titles come from a C++ model (entry_model.header_titles), set after setModel
        # (which gives the headers the proxy); hidden meanwhile, the headers ask the proxy
        # nothing (a header that measures itself would ask EntryModel.headerData).
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setVisible(False)
        self.table.setModel(self.proxy)
        self.table.horizontalHeader().setModel(header_titles(self.table))
        self.table.horizontalHeader().setVisible(True)
        self.table.setAccessibleName("Tokens")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # The model keeps name order: no sort (and no per-tick re-sort) until a header
        # is clicked (then _on_header_clicked sorts; setSortingEnabled would sort at once
        # unless told "no column" in a Qt.SortOrder, gui/props.py).
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._on_header_clicked)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 10
        )
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.SERVICE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.KIND, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Column.EXPIRES, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(Column.SERVICE, 110)
        header.resizeSection(Column.KIND, 70)
        header.resizeSection(Column.EXPIRES, 150)
        header.setHighlightSections(False)
        set_props(self.table, contextMenuPolicy="CustomContextMenu")
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_changed)
        self.proxy.modelReset.connect(self._update_empty_state)
        self.proxy.rowsInserted.connect(self._update_empty_state)
        self.proxy.rowsRemoved.connect(self._update_empty_state)
        self.proxy.layoutChanged.connect(self._update_empty_state)
        # Keys that belong to the list (Enter, Ctrl+C, Del: they mean something else in a
        # text field) are taken in _on_key_pressed.

        self.empty_label = QLabel(EMPTY_TEXT)
        set_props(self.empty_label, alignment="AlignCenter")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName("No tokens")
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.table)
        self.list_stack.addWidget(self.empty_label)

        self.details = DetailsPane()
        self.details.reveal_requested.connect(self._on_details_reveal_requested)
        self.details.verify_requested.connect(self._on_details_verify_requested)
        self.details.id_token_requested.connect(self._on_details_id_token_requested)
        self.details.sign_in_requested.connect(self.sign_in_again)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.details)
        set_props(scroll, horizontalScrollBarPolicy="ScrollBarAlwaysOff")

        self.splitter = QSplitter()  # horizontal
        self.splitter.setObjectName("main_splitter")
        self.splitter.addWidget(self.list_stack)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([480, 620])

        self.banner = QFrame()
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner_lay = QHBoxLayout(self.banner)
        self.banner_label = QLabel()
        self.banner_label.setWordWrap(True)
        self.banner_button = QPushButton("Try again")
        self.banner_button.clicked.connect(self._on_banner_button_clicked)
        banner_lay.addWidget(self.banner_label, 1)
        banner_lay.addWidget(self.banner_button)
        self.banner.setVisible(False)

        main_page = QWidget()
        main_lay = QVBoxLayout(main_page)
        main_lay.setContentsMargins(0, 0, 0, 0)
        main_lay.addWidget(self.banner)
        main_lay.addWidget(self.splitter, 1)

        self._setup_page: StoreSetupPage | None = None  # made when needed (start-up time)
        self.pages = QStackedWidget()
        self.pages.addWidget(main_page)
        self.setCentralWidget(self.pages)
        self.main_page = main_page
        self._update_actions()

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.status_message = QLabel()
        self.status_message.setAccessibleName("Status")
        sb.addWidget(self.status_message, 1)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(90)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName("Working")
        self.busy_bar.setVisible(False)
        self.busy_label = QLabel()
        self.busy_label.setVisible(False)
        self.countdown_label = QLabel()
        self.countdown_label.setAccessibleName("Clipboard countdown")
        sb.addPermanentWidget(self.busy_label)
        sb.addPermanentWidget(self.busy_bar)
        sb.addPermanentWidget(self.countdown_label)

    # =============================================================== the store

    def start_store(self) -> None:
        """Pick the store (env, then the remembered choice, then the keyring) and check it
        in a worker; the list is already drawn from the index meanwhile."""
        if self.smoke_test:
            return
        choice = self.env.get("TOKENMGR_STORE") or self.settings.store or "keyring"
        if choice == "file":
            from tokenmgr.core.secrets import VAULT_NAME
            from tokenmgr.gui import first_run as fr

            where = self.vault.home / VAULT_NAME
            if not where.exists():
                self.show_setup(fr.MODE_CREATE)
            elif self._given_passphrase:
                phrase, self._given_passphrase = self._given_passphrase, None  # tried once
                self._unlock(phrase, quiet=True)
            else:
                self.show_setup(fr.MODE_UNLOCK)
            return
        self._probe_keyring()

    def _probe_keyring(self) -> None:
        from tokenmgr.core.secrets import KeyringStore
        from tokenmgr.core.vault import Vault

        store = KeyringStore(env=self.env)
        vault = Vault(home=self.vault.home, store=jobs.SerializedStore(store), env=self.env)
        self.tasks.run(
            "Checking the keyring…",
            lambda: usecases.probe_store(vault),
            on_done=lambda _info: self.use_vault(vault, "keyring"),
            on_error=lambda e: self._keyring_failed(store, e),
        )

    def _keyring_failed(self, store: Any, exc: BaseException) -> None:
        from tokenmgr.gui import first_run as fr

        tried = "the system keyring"
        try:
            backend = store._backend  # what resolve_keyring_backend found, if it got that far
            if backend is not None:
                tried = f"the keyring backend {type(backend).__module__}.{type(backend).__name__}"
        except Exception:
            pass
        problem = describe(exc)
        if self.model.rowCount() == 0 and isinstance(exc, StorageUnavailable):
            self.show_setup(fr.MODE_NO_KEYRING, tried=tried, problem=problem)
        else:
            self.show_banner(problem)
        self.status(problem)

    @property
    def setup_page(self) -> StoreSetupPage:
        if self._setup_page is None:
            from tokenmgr.gui.first_run import StoreSetupPage

            page = StoreSetupPage()
            page.retry_requested.connect(self._on_setup_page_retry_requested)
            page.create_requested.connect(self._on_setup_page_create_requested)
            page.unlock_requested.connect(self._on_setup_page_unlock_requested)
            self.pages.addWidget(page)
            self._setup_page = page
        return self._setup_page

    def show_setup(self, mode: str, *, tried: str = "", problem: str = "") -> None:
        from tokenmgr.core.secrets import VAULT_NAME

        self.setup_page.set_mode(
            mode, tried=tried, problem=problem, where=str(self.vault.home / VAULT_NAME)
        )
        self.pages.setCurrentWidget(self.setup_page)
        self._set_store_ready(False)

    def show_banner(self, text: str) -> None:
        self.banner_label.setText(f"⚠ {text}")
        self.banner.setVisible(True)

    def use_vault(self, vault: Vault, kind: str) -> None:
        usecases.with_refresh(vault)
        self.vault = vault
        self.store_kind = kind
        self.banner.setVisible(False)
        self.pages.setCurrentWidget(self.main_page)
        self._set_store_ready(True)
        if kind == "file" and self.settings.store != "file":
            self.settings.store = "file"
            self.save_settings()
        self.table.setFocus()

    def _set_store_ready(self, ready: bool) -> None:
        self.store_ready = ready
        self._update_actions()
        self.store_ready_changed.emit(ready)

    def _unlock(self, passphrase: str, *, quiet: bool = False) -> None:
        from tokenmgr.core.vault import Vault
        from tokenmgr.gui import first_run as fr

        home = self.vault.home

        def done(store: Any) -> None:
            self.use_vault(Vault(home=home, store=jobs.SerializedStore(store), env=self.env),
                           "file")
            self.status("The vault file is unlocked.")

        def failed(exc: BaseException) -> None:
            if quiet:
                self.show_setup(fr.MODE_UNLOCK)
            self.setup_page.set_error(describe(exc))

        self.tasks.run("Unlocking the vault file…",
                       lambda: usecases.unlock_vault_file(home, passphrase), done, failed)

    @Slot()
    def _on_setup_page_retry_requested(self) -> None:
        self.pages.setCurrentWidget(self.main_page)
        self._probe_keyring()

    @Slot(str)
    def _on_setup_page_create_requested(self, passphrase: str) -> None:
        from tokenmgr.core.vault import Vault

        home = self.vault.home

        def done(store: Any) -> None:
            self.settings.store = "file"
            self.save_settings()
            self.use_vault(Vault(home=home, store=jobs.SerializedStore(store), env=self.env),
                           "file")
            self.status("Created the encrypted vault file; tokens you add are kept in it.")

        self.tasks.run("Creating the vault file…",
                       lambda: usecases.create_vault_file(home, passphrase), done,
                       lambda e: self.setup_page.set_error(describe(e)))

    @Slot(str)
    def _on_setup_page_unlock_requested(self, passphrase: str) -> None:
        self._unlock(passphrase)

    @Slot()
    def _on_banner_button_clicked(self) -> None:
        self.banner.setVisible(False)
        self.start_store()

    # ================================================================ the list

    def reload(self) -> None:
        """Read the index (metadata only) and update the rows in place."""
        self.watcher.mark_seen()
        try:
            entries = self.vault.list_entries()
        except TokenMgrError as e:
            self._index_error = describe(e)
            self.show_banner(self._index_error)
            self.status(self._index_error)
            return
        if self._index_error is not None:
            self._index_error = None
            self.banner.setVisible(False)
        selected = self.selected_name()
        now = now_utc()
        self.model.set_entries(entries, now)
        self._update_empty_state()
        if selected is not None and self.selected_name() != selected:
            self.select(selected)
        current = self.selected_entry()
        if current is not None:
            self.details.set_entry(current, now)
        elif self.details.entry is not None:
            self.details.set_entry(None)
        if current is None and self.proxy.rowCount() > 0 and selected is None:
            self.table.selectRow(0)
        self.entries_loaded.emit(self.model.entries)
        self._update_actions()

    def select(self, name: str) -> bool:
        for row in range(self.proxy.rowCount()):
            idx = self.proxy.index(row, 0)
            entry = idx.data(EntryRole)
            if entry is not None and entry.name == name:
                from PySide6.QtCore import QItemSelectionModel

                self.table.selectionModel().setCurrentIndex(
                    idx,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                return True
        return False

    def selected_entry(self) -> Entry | None:
        idx = self.table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        entry = idx.data(EntryRole)
        return entry if isinstance(entry, Entry) else None

    def selected_name(self) -> str | None:
        entry = self.selected_entry()
        return entry.name if entry is not None else None

    @Slot()
    def _update_empty_state(self, *_args: object) -> None:
        self.details.placeholder.setText(
            "Select a token to see what it says." if self.model.rowCount() else ""
        )
        if self.model.rowCount() == 0:
            self.empty_label.setText(EMPTY_TEXT)
            self.list_stack.setCurrentWidget(self.empty_label)
        elif self.proxy.rowCount() == 0:
            self.empty_label.setText(NO_MATCH_TEXT.format(self.filter_edit.text().strip()))
            self.list_stack.setCurrentWidget(self.empty_label)
        else:
            self.list_stack.setCurrentWidget(self.table)
        self._update_actions()

    def _update_actions(self) -> None:
        entry = self.selected_entry() if hasattr(self, "table") else None
        has = entry is not None
        for fmt in ("header", "raw", "env", "dotenv", "curl"):
            self.actions_by_name[f"copy_{fmt}"].setEnabled(has)
        self.actions_by_name["copy_chosen"].setEnabled(has)
        self.actions_by_name["edit"].setEnabled(has)
        self.actions_by_name["delete"].setEnabled(has)
        oauth = has and entry is not None and entry.kind == "oauth2"
        self.actions_by_name["refresh"].setVisible(oauth)
        self.actions_by_name["sign_in_again"].setVisible(
            bool(oauth and entry is not None and needs_sign_in(entry, now_utc()))
        )
        self.actions_by_name["add"].setEnabled(True)

    # ============================================================ the actions

    def status(self, text: str) -> None:
        self.status_message.setText(text)

    def _need_store(self) -> bool:
        """True when the store is ready; else say so (and show the store screen)."""
        if self.store_ready:
            return True
        if not self.isVisible():
            self.raise_window()  # e.g. a tray copy while the vault file is locked
        if self._setup_page is not None and self.pages.currentWidget() is self._setup_page:
            self.status("Set up the secret store first.")
        else:
            self.status("The secret store is not ready yet; try again in a moment.")
        return False

    def _error(self, exc: BaseException) -> None:
        text = describe(exc)
        self.status(f"⚠ {text}")
        if not self.isVisible():
            self.notice_requested.emit(text)  # the status bar is not on screen
        if isinstance(exc, StorageUnavailable):
            self.show_banner(text)

    def shell(self) -> str:
        if self.settings.default_shell:
            return self.settings.default_shell
        from tokenmgr.core.formats import default_shell

        return default_shell(self.env, sys.platform)

    def copy_selected(self, fmt: str) -> None:
        entry = self.selected_entry()
        if entry is None:
            self.status("Select a token first.")
            return
        self.copy(entry.name, fmt)

    def copy_chosen(self) -> None:
        self.copy_selected(self.settings.copy_format)

    def copy(self, name: str, fmt: str) -> None:
        """Read the token in a worker, render it, put it on the clipboard."""
        if not self._need_store():
            return
        if fmt not in FORMAT_WORDS:
            fmt = "header"
        if fmt != self.settings.copy_format and fmt != "header":
            self.settings.copy_format = fmt  # Ctrl+C repeats the last format chosen
        vault, shell = self.vault, self.shell()
        self._copy_seq += 1
        seq = self._copy_seq

        def done(result: tuple[Entry, str]) -> None:
            entry, text = result
            if seq != self._copy_seq:
                return  # a later copy was asked for meanwhile: it wins the clipboard
            what = FORMAT_WORDS[fmt]
            if self.clipboard is not None:
                self.clipboard.copy(text, what)
            self.status(f"Copied {what} of {entry.name}")
            self.token_copied.emit(entry.name, fmt)

        self.tasks.run(f"Reading {name}…", lambda: usecases.copy_text(vault, name, fmt, shell),
                       done, self._error)

    def add_entry(self) -> None:
        self._add_dialog("static")

    def sign_in_new(self) -> None:
        self._add_dialog("oauth2")

    def _add_dialog(self, kind: str) -> None:
        from tokenmgr.gui.entry_dialog import EntryDialog

        dialog = EntryDialog(
            self, existing_names=self.model.names(), tasks=self.tasks, kind=kind
        )
        dialog.save_requested.connect(lambda req: self._save_entry(dialog, req))
        dialog.sign_in_requested.connect(lambda req: self._sign_in(req, dialog))
        self._open_dialog(dialog)

    # ------------------------------------------------------------ sign-in

    def _sign_in(self, req: Any, dialog: Any = None, *, again: Entry | None = None) -> None:
        """Run an OAuth sign-in (gui/signin.py): `req` from the add dialog (its windows go
        on top of `dialog`), or `again` an entry's stored sign-in."""
        from tokenmgr.gui.signin import SignInController

        if self.signin is not None and self.signin.running():
            text = "Another sign-in is still open: finish or cancel it first."
            dialog.failed(text) if _alive(dialog) else self.status(text)
            return
        if not self._need_store():
            if _alive(dialog):
                dialog.failed("The secret store is not ready; set it up first.")
            return
        # Owned by the window (a closed dialog must not take it along); its windows go on
        # top of the dialog that asked for it.
        c = SignInController(
            self.vault, self.tasks, self, windows_parent=dialog if _alive(dialog) else self
        )
        self.signin = c
        for sig in (c.signed_in, c.failed, c.cancelled):
            sig.connect(lambda *_a, c=c: c.deleteLater())

        def signed_in(entry: Entry, note: str) -> None:
            if _alive(dialog):
                dialog.saved()
            self.reload()
            self.select(entry.name)
            self.signed_in.emit(entry.name)
            self.status(f"Signed in: {entry.name}" + (f". ⚠ {sentence(note)}" if note else ""))

        def failed(text: str) -> None:
            if _alive(dialog):
                dialog.failed(text)
            else:
                self.status(f"⚠ {text}")
                if not self.isVisible():
                    self.notice_requested.emit(text)

        def cancelled() -> None:
            if _alive(dialog):
                dialog.failed("The sign-in was cancelled.")
            else:
                self.status("The sign-in was cancelled.")

        c.signed_in.connect(signed_in)
        c.failed.connect(failed)
        c.cancelled.connect(cancelled)
        if _alive(dialog):
            dialog.rejected.connect(c.cancel)  # closing the dialog ends the sign-in too
        if again is not None:
            self.status(f"Signing in to {again.name} again…")
            c.start_again(again)
        else:
            self.status(f"Signing in to {req.name}…")
            c.start(req)

    def sign_in_again(self, name: str | None = None) -> None:
        """Repeat an OAuth entry's sign-in with its stored settings (and client secret)."""
        from tokenmgr.core.oauth.signin import request_again

        entry = self.model.entry(name) if name else self.selected_entry()
        if entry is None or entry.kind != "oauth2":
            self.status("Select an OAuth2 entry to sign in again.")
            return
        if not self.isVisible():
            self.raise_window()
        try:
            request_again(entry)  # an entry it cannot repeat says so now
        except TokenMgrError as e:
            self._error(e)
            return
        self._sign_in(None, again=entry)

    def edit_selected(self) -> None:
        from tokenmgr.gui.entry_dialog import EntryDialog

        entry = self.selected_entry()
        if entry is None:
            self.status("Select a token to edit.")
            return
        dialog = EntryDialog(self, existing_names=self.model.names(), entry=entry)
        dialog.save_requested.connect(lambda req: self._save_entry(dialog, req))
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.setModal(True)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.finished.connect(dialog.deleteLater)  # children of the window: not kept
        dialog.open()

    def _save_entry(self, dialog: Any, req: Any) -> None:
        if not self.store_ready and req.token is not None:
            dialog.failed("The secret store is not ready; set it up first, then add the token.")
            return
        vault = self.vault

        def work() -> Entry:
            if req.token is not None:
                old = vault.entry(req.name) if req.editing else None
                return vault.add(
                    req.name,
                    req.token,
                    service=req.service,
                    env_var=req.env_var or None,
                    scheme=req.scheme,
                    expires_at=req.expires_at,
                    note=req.note,
                    tags=req.tags,
                    force=old is not None,
                )
            # Read-modify-write under the index lock: a refresh meanwhile is kept.
            changes: dict[str, Any] = {
                "service": req.service,
                "scheme": req.scheme,
                "note": req.note,
                "tags": list(req.tags),
            }
            if req.env_var:
                changes["env_var"] = req.env_var
            if req.expires_at is not None:
                changes["expires_at"] = req.expires_at
            return vault.edit_metadata(req.name, changes)

        def done(entry: Entry) -> None:
            if _alive(dialog):  # the user may have closed it meanwhile
                dialog.saved()
            self.reload()
            self.select(entry.name)
            self.status(f"Saved {entry.name}" if req.editing else f"Added {entry.name}")

        def failed(exc: BaseException) -> None:
            if _alive(dialog):
                dialog.failed(describe(exc))
            else:
                self._error(exc)

        self.tasks.run(f"Saving {req.name}…", work, done, failed)

    def delete_selected(self) -> None:
        from PySide6.QtWidgets import QCheckBox, QMessageBox

        entry = self.selected_entry()
        if entry is None:
            self.status("Select a token to delete.")
            return
        if not self._need_store():
            return
        where = "the vault file" if self.store_kind == "file" else "the keyring"
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Delete token")
        box.setText(f"Delete {entry.name}? Its token is removed from {where}.")
        revoke: QCheckBox | None = None
        if entry.kind == "oauth2":
            revoke = QCheckBox("Also revoke at the provider")
            revoke.setChecked(True)
            box.setCheckBox(revoke)
        delete_button = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.delete_box = box

        def answered(_result: int) -> None:
            self.delete_box = None
            box.deleteLater()
            if box.clickedButton() is not delete_button:
                return
            self._delete(entry.name, bool(revoke is not None and revoke.isChecked()))

        box.finished.connect(answered)
        box.open()

    def _delete(self, name: str, revoke: bool) -> None:
        vault = self.vault

        def done(notes: list[str]) -> None:
            self.reload()
            self.status(" ".join([f"Deleted {name}.", *notes]))

        def failed(exc: BaseException) -> None:
            text = describe(exc)
            if revoke:
                text += " The token was kept; delete it again without revoking to remove it."
            self.status(f"⚠ {text}")

        self.tasks.run(f"Deleting {name}…", lambda: usecases.remove(vault, name, revoke=revoke),
                       done, failed)

    def refresh_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.kind != "oauth2" or not self._need_store():
            return
        vault, name = self.vault, entry.name

        def done(e: Entry) -> None:
            self.reload()
            self.status(f"Refreshed {e.name}")

        self.tasks.run(f"Refreshing {name}…", lambda: usecases.refresh_now(vault, name), done,
                       self._error)

    def paste_decode(self) -> None:
        from tokenmgr.gui.decode_dialog import DecodeDialog

        cb = QGuiApplication.clipboard()
        text = cb.text() if cb is not None else ""
        vault = self.vault

        def verify(report: Any, done: Callable[[Any], None],
                   failed: Callable[[BaseException], None]) -> None:
            self.tasks.run("Verifying…", lambda: usecases.verify_pinned(vault, report), done,
                           failed)

        dialog = DecodeDialog(text, self, verify=verify)
        del text  # the window keeps no copy of what was on the clipboard
        self._open_dialog(dialog)
        if not self.isVisible():
            dialog.show()

    def show_preferences(self) -> None:
        from tokenmgr.gui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.settings, self)

        def accepted() -> None:
            from tokenmgr.gui.settings import set_autostart

            was = self.settings.start_at_login
            dialog.apply_to(self.settings)
            if self.clipboard is not None:
                self.clipboard.set_timeout(self.settings.clear_timeout_s)
            if self.settings.start_at_login != was:
                try:
                    set_autostart(self.settings.start_at_login, self.env)
                except OSError as e:
                    self.status(f"⚠ {describe(e)}")
            self.save_settings()

        dialog.accepted.connect(accepted)
        self._open_dialog(dialog)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def quit_app(self) -> None:
        self._quitting = True
        from PySide6.QtWidgets import QApplication

        QApplication.quit()

    # ====================================================== details requests

    @Slot(str)
    def _on_details_reveal_requested(self, name: str) -> None:
        if not self._need_store():
            self.details.reveal_failed()
            return
        vault = self.vault

        def failed(exc: BaseException) -> None:
            self.details.reveal_failed()
            self._error(exc)

        self.tasks.run(f"Reading {name}…", lambda: usecases.read_secret(vault, name),
                       lambda token: self.details.show_token(name, token), failed)

    @Slot(str)
    def _on_details_verify_requested(self, name: str) -> None:
        if not self._need_store():
            return
        vault = self.vault
        self.details.set_verifying(True)

        def done(report: Any) -> None:
            self.details.set_verifying(False)
            self.details.set_access_report(name, report)
            self.status(f"Checked the signature of {name}")

        def failed(exc: BaseException) -> None:
            self.details.set_verifying(False)
            self._error(exc)

        self.tasks.run(f"Verifying {name}…",
                       lambda: usecases.inspect_stored(vault, name, "access", check_signature=True),
                       done, failed)

    @Slot(str)
    def _on_details_id_token_requested(self, name: str) -> None:
        if not self._need_store():
            self.details.id_failed()
            return
        vault = self.vault

        def failed(exc: BaseException) -> None:
            self.details.id_failed()
            self._error(exc)

        self.tasks.run(f"Reading the ID token of {name}…",
                       lambda: usecases.inspect_stored(vault, name, "id"),
                       lambda report: self.details.set_id_report(name, report), failed)

    # ================================================================= slots

    @Slot()
    def _on_icon_timer_timeout(self) -> None:
        from tokenmgr.gui.icons import app_icon

        self.setWindowIcon(app_icon())

    @Slot()
    def _on_watcher_index_changed(self) -> None:
        self.reload()

    @Slot()
    def _on_ticker_timeout(self) -> None:
        now = now_utc()
        self.model.set_now(now)
        self.details.tick(now)

    @Slot(str)
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.proxy.set_filter(text)
        self._update_empty_state()
        if self.selected_entry() is None and self.proxy.rowCount() > 0:
            self.table.selectRow(0)

    @Slot()
    def _on_filter_edit_return_pressed(self) -> None:
        # 1Password's Quick Access: type, Enter.
        if self.selected_entry() is None and self.proxy.rowCount() > 0:
            self.table.selectRow(0)
        self.copy_selected("header")

    @Slot(QModelIndex, QModelIndex)
    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        entry = current.data(EntryRole) if current.isValid() else None
        self.details.set_entry(entry if isinstance(entry, Entry) else None, self.model.now)
        self._update_actions()

    @Slot(int)
    def _on_header_clicked(self, column: int) -> None:
        """Sort by the column clicked; the same column again reverses the order. (Once
        its indicator shows, the header flips it itself before this runs.)"""
        from PySide6.QtCore import Qt

        header = self.table.horizontalHeader()
        if not header.isSortIndicatorShown():
            header.setSortIndicatorShown(True)
            header.setSortIndicator(column, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    @Slot(QModelIndex)
    def _on_table_double_clicked(self, _index: QModelIndex) -> None:
        self.copy_selected("header")

    def _on_table_context_menu_requested(self, pos: Any) -> None:
        idx = self.table.indexAt(pos)
        if idx.isValid():
            self.table.selectRow(idx.row())
        if self.selected_entry() is None:
            return
        if self.context_menu is None:  # one menu, made on first use
            menu = QMenu(self)
            for fmt in ("header", "raw", "env", "dotenv", "curl"):
                menu.addAction(self.actions_by_name[f"copy_{fmt}"])
            menu.addSeparator()
            menu.addAction(self.actions_by_name["edit"])
            menu.addAction(self.actions_by_name["refresh"])
            menu.addAction(self.actions_by_name["sign_in_again"])
            menu.addAction(self.actions_by_name["delete"])
            self.context_menu = menu
        self.context_menu.popup(self.table.viewport().mapToGlobal(pos))

    @Slot(bool, str)
    def _on_tasks_busy_changed(self, busy: bool, what: str) -> None:
        self.busy_bar.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.busy_label.setText(what)

    @Slot(str, object)
    def _on_tasks_task_failed(self, _what: str, exc: BaseException) -> None:
        self._error(exc)

    @Slot(int)
    def _on_clipboard_countdown_changed(self, seconds: int) -> None:
        self.countdown_label.setText(f"Clipboard clears in {seconds} s" if seconds > 0 else "")

    @Slot()
    def _on_clipboard_cleared(self) -> None:
        self.countdown_label.setText("")
        self.status("Clipboard cleared")

    # ================================================================ events

    def _on_key_pressed(self, obj: QObject, event: QKeyEvent) -> bool:
        """Keys of the list and the filter field; True when handled here.

        (keyPressEvent overrides, not event filters: a filter would see, and wrap in
        Python, every event those widgets get, which costs start-up time.)"""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence

        key = event.key()
        if obj is self.table:
            # Ctrl+C and Del mean the list's actions here, never the view's own copy of
            # a cell's text; with nothing selected (actions disabled) they do nothing.
            if event.matches(QKeySequence.StandardKey.Copy):
                if self.actions_by_name["copy_chosen"].isEnabled():
                    self.copy_chosen()
                return True
            if key == Qt.Key.Key_Delete and not (
                event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            ):
                if self.actions_by_name["delete"].isEnabled():
                    self.delete_selected()
                return True
            if key == Qt.Key.Key_Escape:
                self._escape()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.copy_selected("header")
                return True
            if key == Qt.Key.Key_Slash:
                self.focus_filter()
                return True
            text = event.text()
            mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
            if text and text.isprintable() and not text.isspace() and mods in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
            ):
                # Typing in the list jumps to the filter (the key is not lost).
                self.filter_edit.setFocus()
                self.filter_edit.setText(self.filter_edit.text() + text)
                return True
        elif obj is self.filter_edit:
            if key == Qt.Key.Key_Escape:
                self._escape()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self.table.setFocus()
                return False
        return False

    def _escape(self) -> None:
        """Esc: clear the filter, then hide to the tray."""
        if self.filter_edit.text():
            self.filter_edit.clear()
            self.table.setFocus()
        elif self.tray_available:
            self.hide()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self.details.conceal()  # reveal lapses when the window hides
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.WindowStateChange and self.isMinimized():
            self.details.conceal()
        super().changeEvent(event)

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

    # ============================================================= settings

    def save_settings(self) -> None:
        try:
            self.settings_file.save(self.settings)
        except (OSError, TokenMgrError) as e:
            self.status(f"⚠ The settings could not be saved: {describe(e)}")

    def save_state(self) -> None:
        self.settings.window_geometry = base64.b64encode(self.saveGeometry().data()).decode()
        self.settings.splitter_state = base64.b64encode(self.splitter.saveState().data()).decode()

    def _restore_geometry(self) -> None:
        try:
            if self.settings.window_geometry:
                self.restoreGeometry(QByteArray(base64.b64decode(self.settings.window_geometry)))
            if self.settings.splitter_state:
                self.splitter.restoreState(
                    QByteArray(base64.b64decode(self.settings.splitter_state))
                )
        except (ValueError, TypeError):
            log.info("ignoring unreadable window geometry in the settings")

    def now(self) -> datetime:
        return self.model.now


def _alive(obj: Any) -> bool:
    """Whether a Qt object still exists (a dialog may be closed and deleted meanwhile)."""
    from shiboken6 import isValid

    return obj is not None and bool(isValid(obj))


class _KeyTable(QTableView):
    """The token list; its keys go to the window first (Enter copies, typing filters)."""

    def __init__(self, on_key: Callable[[QObject, QKeyEvent], bool]) -> None:
        super().__init__()
        self._on_key = on_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._on_key(self, event):
            super().keyPressEvent(event)


class _KeyLineEdit(QLineEdit):
    """The filter field; Esc clears it (then hides to the tray), arrows go to the list."""

    def __init__(self, on_key: Callable[[QObject, QKeyEvent], bool]) -> None:
        super().__init__()
        self._on_key = on_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._on_key(self, event):
            super().keyPressEvent(event)
