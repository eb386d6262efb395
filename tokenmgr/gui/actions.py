"""The window's actions as data: name, words, shortcut, tip, and what they need.

`ACTIONS` is the table; the menus and the toolbar are lists of its names
(`Actions.menu`, `Actions.toolbar` build them).
`Actions` makes one QAction per row (on the window, so each shortcut works
wherever the focus is in it) and enables or shows each from what is selected:
copy, edit and delete need an entry, Refresh an OAuth entry, "Sign in again" an
OAuth entry only a new sign-in can renew. What an action does is wired by the
window (gui/main_window.py) to gui/entry_commands.py.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from tokenmgr.core.entries import Entry
from tokenmgr.gui.report_text import needs_sign_in

COPY_FORMATS = ("header", "raw", "env", "dotenv", "curl")
MENU_WORDS = {
    "header": "Copy header",
    "raw": "Copy raw",
    "env": "Copy env line",
    "dotenv": "Copy .env line",
    "curl": "Copy curl command",
}
# What each format is called in the status line ("Copied env line of github-ci").
FORMAT_WORDS = {
    "header": "header",
    "raw": "token",
    "env": "env line",
    "dotenv": ".env line",
    "curl": "curl command",
}


class Needs(enum.Enum):
    NOTHING = enum.auto()  # always enabled
    ENTRY = enum.auto()  # enabled when an entry is selected
    OAUTH = enum.auto()  # shown for a selected OAuth entry
    SIGN_IN = enum.auto()  # shown for a selected OAuth entry that needs a new sign-in


Shortcut = QKeySequence.StandardKey | str | None


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    needs: Needs = Needs.NOTHING
    shortcut: Shortcut = None
    tip: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("add", "Add a token…", shortcut=QKeySequence.StandardKey.New,
               tip="Add a token by pasting it (Ctrl+N)"),
    ActionSpec("sign_in_new", "Sign in to a provider…", shortcut="Ctrl+Shift+N",
               tip="Sign in with OAuth2 / OpenID Connect (Ctrl+Shift+N)"),
    ActionSpec("copy_header", MENU_WORDS["header"], Needs.ENTRY,
               tip="Copy the Authorization header (Enter)"),
    *(ActionSpec(f"copy_{fmt}", MENU_WORDS[fmt], Needs.ENTRY) for fmt in COPY_FORMATS[1:]),
    # Ctrl+C: taken by the list itself (in the filter field it copies the field's text).
    ActionSpec("copy_chosen", "Copy in the chosen format", Needs.ENTRY),
    ActionSpec("edit", "Edit…", Needs.ENTRY, shortcut="F2", tip="Edit the selected token (F2)"),
    ActionSpec("rename", "Rename…", Needs.ENTRY,
               tip="Give the selected token another name; its token moves with it"),
    # Del: taken by the list itself (in the filter field it deletes a character).
    ActionSpec("delete", "Delete…", Needs.ENTRY, tip="Delete the selected token (Del)"),
    ActionSpec("refresh", "Refresh", Needs.OAUTH, shortcut="F5",
               tip="Get a fresh access token (F5)"),
    ActionSpec("sign_in_again", "Sign in again", Needs.SIGN_IN,
               tip="Sign in to the provider again"),
    ActionSpec("paste_decode", "Paste && decode", shortcut="Ctrl+Shift+V",
               tip="Explain the token on the clipboard; nothing is stored (Ctrl+Shift+V)"),
    ActionSpec("import_env", "Import a .env file…", shortcut="Ctrl+I",
               tip="Store tokens from a .env file; you see what it creates first (Ctrl+I)"),
    ActionSpec("export_env", "Export as a .env file…",
               tip="Write tokens to a .env file only you can read"),
    ActionSpec("filter", "Filter", shortcut=QKeySequence.StandardKey.Find),
    ActionSpec("attention", "Only what needs attention", shortcut="Ctrl+E",
               tip="Show only the tokens that are expiring, expired or need a new sign-in, "
                   "or all again (Ctrl+E)"),
    ActionSpec("lock", "Lock the vault file", shortcut="Ctrl+L",
               tip="Drop the vault file's key now; the list stays, the passphrase is asked at "
                   "the next token (Ctrl+L)"),
    ActionSpec("preferences", "Preferences…"),
    ActionSpec("quit", "Quit", shortcut="Ctrl+Q", tip="Quit Token Manager (Ctrl+Q)"),
)

# Menus and the toolbar, by action name; None is a separator.
Layout = Sequence[str | None]
ADD_MENU: Layout = ("add", "sign_in_new")
COPY_MENU: Layout = tuple(f"copy_{fmt}" for fmt in COPY_FORMATS)
CONTEXT_MENU: Layout = (
    *COPY_MENU, None, "edit", "rename", "refresh", "sign_in_again", "delete",
)
APP_MENU: Layout = (
    "paste_decode", None, "import_env", "export_env", None, "lock", "preferences", None,
    "quit",
)
TOOLBAR_AFTER_COPY: Layout = (None, "refresh", "sign_in_again", "delete")


class Actions(QObject):
    """The QActions of `ACTIONS`, by name."""

    def __init__(self, window: QWidget, specs: Sequence[ActionSpec] = ACTIONS) -> None:
        super().__init__(window)
        self._specs = {spec.name: spec for spec in specs}
        self._actions: dict[str, QAction] = {}
        for spec in specs:
            act = QAction(spec.text, window)
            act.setObjectName(spec.name)
            if spec.shortcut is not None:
                act.setShortcut(QKeySequence(spec.shortcut))
            if spec.tip:
                act.setToolTip(spec.tip)
                act.setStatusTip(spec.tip)
            window.addAction(act)
            self._actions[spec.name] = act
        self.update_for(None, None)

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def __iter__(self) -> Iterator[QAction]:
        return iter(self._actions.values())

    def bind(self, name: str, slot: Callable[[], object]) -> None:
        """Run `slot()` when the action is triggered (its `checked` argument dropped)."""
        self._actions[name].triggered.connect(lambda _checked=False: slot())

    def update_for(self, entry: Entry | None, now: datetime | None) -> None:
        """Enable and show each action for what is selected (`entry`, or nothing)."""
        oauth = entry is not None and entry.kind == "oauth2"
        for name, spec in self._specs.items():
            act = self._actions[name]
            if spec.needs is Needs.ENTRY:
                act.setEnabled(entry is not None)
            elif spec.needs is Needs.OAUTH:
                act.setEnabled(oauth)
                act.setVisible(oauth)
            elif spec.needs is Needs.SIGN_IN:
                shown = entry is not None and now is not None and needs_sign_in(entry, now)
                act.setEnabled(shown)
                act.setVisible(shown)

    def toolbar(
        self, filter_edit: QWidget, add: Callable[[], object], status_filter: QWidget | None = None
    ) -> QToolBar:
        """[+ Add ▾] [Copy header] [Copy ▾] | [Refresh] [Sign in again] [Delete] …
        [status filter ▾] filter ☰"""
        bar = QToolBar("Actions")
        bar.setObjectName("actions")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        add_button = self._menu_button("+ Add", "Add", "Add a token (Ctrl+N)", ADD_MENU)
        add_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        add_button.clicked.connect(lambda _checked=False: add())
        bar.addWidget(add_button)
        bar.addAction(self._actions["copy_header"])
        bar.addWidget(self._menu_button(
            "Copy", "Copy in another format", "Copy as raw, env line, .env line or curl command",
            COPY_MENU,
        ))
        for name in TOOLBAR_AFTER_COPY:
            if name is None:
                bar.addSeparator()
            else:
                bar.addAction(self._actions[name])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        if status_filter is not None:
            bar.addWidget(status_filter)
        bar.addWidget(filter_edit)
        bar.addWidget(self._menu_button("☰", "Menu", "Menu", APP_MENU))
        return bar

    def _menu_button(self, text: str, name: str, tip: str, layout: Layout) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAccessibleName(name)
        button.setToolTip(tip)
        button.setMenu(self.menu(layout, button))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    def menu(self, layout: Layout, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        for name in layout:
            if name is None:
                menu.addSeparator()
            else:
                menu.addAction(self._actions[name])
        return menu
