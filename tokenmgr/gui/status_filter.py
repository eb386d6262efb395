"""What says which status filter is on: the toolbar's button (pressed down while one
is on, with its words and how many tokens it shows; a click toggles "needs attention",
its menu picks a kind) and the bar above the list ("Showing only: expired — 1 of 6
tokens" [Show all]). The filtering itself is the list's proxy (gui/entry_model.py).
"""

from __future__ import annotations

import functools

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from tokenmgr.core.rules import STATUS_EXPIRED, STATUS_EXPIRING
from tokenmgr.gui.entry_model import ATTENTION, SIGN_IN

# Status filter key → (menu words, the empty state's words when it shows nothing).
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "": ("All tokens", ""),
    ATTENTION: ("Needs attention", "No token needs attention"),
    STATUS_EXPIRING: ("Expiring soon", "No token expires soon"),
    STATUS_EXPIRED: ("Expired", "No token has expired"),
    SIGN_IN: ("Needs sign-in", "No token needs a new sign-in"),
}


class StatusFilterButton(QToolButton):
    filter_chosen = Signal(str)  # a STATUS_WORDS key, from the menu ("" for all)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_filter")
        self.setCheckable(True)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setToolTip("Show only the tokens that are expiring, expired or need a new sign-in")
        menu = QMenu(self)
        group = QActionGroup(menu)
        self._actions: dict[str, QAction] = {}
        for key, (words, _empty) in STATUS_WORDS.items():
            act = menu.addAction(words)
            act.setCheckable(True)
            act.setActionGroup(group)
            act.triggered.connect(functools.partial(self._on_action_triggered, key))
            self._actions[key] = act
            if not key:
                menu.addSeparator()
        self.setMenu(menu)

    def show_filter(self, key: str, shown: int) -> None:
        """The status filter in force (`key`, "" for none) and how many tokens it shows."""
        words = STATUS_WORDS[key][0]
        self._actions[key].setChecked(True)
        self.setChecked(bool(key))
        if key:
            self.setText(f"{words}: {shown}")
            self.setAccessibleName(
                f"Showing only: {words.lower()}, {shown} token{'s' if shown != 1 else ''}")
        else:
            self.setText("All tokens")
            self.setAccessibleName("Showing all tokens")

    def _on_action_triggered(self, key: str) -> None:
        self.filter_chosen.emit(key)


class StatusFilterBar(QFrame):
    """Above the list while a status filter is on: "Showing only: needs attention — 2 of
    5 tokens" and [Show all], so the filter in force cannot be missed."""

    show_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 2, 2)
        self.label = QLabel()
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        self.button = QPushButton("Show all")
        self.button.setAccessibleName("Show all tokens")
        self.button.setToolTip("Show all tokens again (Esc)")
        self.button.clicked.connect(self._on_button_clicked)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        self.setVisible(False)

    def show_filter(self, words: str, shown: int, total: int) -> None:
        self.label.setText(
            f"Showing only: {words.lower()} — {shown} of {total} token{'s' if total != 1 else ''}"
        )
        self.setVisible(True)

    def text(self) -> str:
        """What it says; "" while no status filter is on (it is hidden)."""
        return "" if self.isHidden() else self.label.text()

    @Slot()
    def _on_button_clicked(self) -> None:
        self.show_all_requested.emit()
