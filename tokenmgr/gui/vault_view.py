"""The window's central widget: the token list and the details pane side by side (with
a banner above them for a problem with the secret store or the index), the welcome
in their place while there is no token, and the store screen in the place of all of
it while the secret store is set up.

It only arranges and switches its pages; what they show comes from the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from tokenmgr.gui.status_bar import Banner

if TYPE_CHECKING:
    from tokenmgr.gui.actions import Actions
    from tokenmgr.gui.details import DetailsPane
    from tokenmgr.gui.token_list import TokenList
    from tokenmgr.gui.welcome import Welcome

# The list's width at the first start (at most two fifths of the window).
DEFAULT_LIST_WIDTH = 480


class VaultView(QStackedWidget):
    def __init__(self, token_list: TokenList, details: DetailsPane, actions: Actions) -> None:
        super().__init__()
        self._token_list = token_list
        self._actions = actions  # what the welcome's buttons trigger
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(details)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        left = QWidget()  # the list, and above it the status filter in force
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.setSpacing(0)
        left_lay.addWidget(token_list.filter_bar)
        left_lay.addWidget(token_list, 1)
        self.splitter.addWidget(left)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        self.splitter.setChildrenCollapsible(False)

        self.banner = Banner("Try again")  # a store or index problem, above the list

        self.body = QStackedWidget()  # the list and the details, or the ways in when empty
        self.body.addWidget(self.splitter)
        self._welcome: Welcome | None = None  # made when there is no token to list
        self.main_page = QWidget()
        main_lay = QVBoxLayout(self.main_page)
        main_lay.setContentsMargins(0, 0, 0, 0)
        main_lay.addWidget(self.banner)
        main_lay.addWidget(self.body, 1)
        self.addWidget(self.main_page)

    @property
    def welcome(self) -> Welcome:
        """The ways in, shown in the place of the list while there is no token (made the
        first time: a start with tokens does not pay for it)."""
        if self._welcome is None:
            from tokenmgr.gui.welcome import Welcome

            acts = self._actions
            self._welcome = Welcome(acts["add"], acts["sign_in_new"], acts["import_env"],
                                    acts["paste_decode"])
            self.body.addWidget(self._welcome)
        return self._welcome

    def show_store_screen(self, page: QWidget) -> None:
        """The store screen in the place of the list and the details."""
        if self.indexOf(page) < 0:
            self.addWidget(page)
        self.setCurrentWidget(page)

    def show_main(self) -> None:
        self.setCurrentWidget(self.main_page)

    def showing_main(self) -> bool:
        return self.currentWidget() is self.main_page

    def show_body(self, has_entries: bool) -> None:
        """The list and the details, or the ways in when there is no token at all."""
        page: QWidget = self.splitter if has_entries else self.welcome
        shown = self.body.currentWidget()
        if shown is page:
            return
        focus = self.window().focusWidget()
        refocus = focus is None or shown is None or shown.isAncestorOf(focus)
        self.body.setCurrentWidget(page)
        if refocus:
            self.focus_body()

    def focus_body(self) -> None:
        """The keyboard goes to the list, or to the first way in when there is none."""
        if self._welcome is not None and self.body.currentWidget() is self._welcome:
            self._welcome.setFocus()
        else:
            self._token_list.view.setFocus()

    def splitter_state(self) -> str:
        return bytes(self.splitter.saveState().toBase64().data()).decode()

    def restore_splitter(self, state: str, width: int) -> None:
        """The saved sizes; else (none, or unreadable) the list's default share of `width`."""
        if not state or not self.splitter.restoreState(QByteArray.fromBase64(state.encode())):
            list_width = min(DEFAULT_LIST_WIDTH, width * 2 // 5)
            self.splitter.setSizes([list_width, width - list_width])
