"""The token list: the table of entries with its model and filter proxy, the filter
field, and the empty state ("No tokens yet…") in the table's place.

Sorted by clicking a column's header (`setSortingEnabled`, through the proxy's
sort role); name order to start with. Its keys, the way a keyboard-first user
expects them (models: KeePassXC's entry view, 1Password's Quick Access):

- Enter or a double click: `activated` (the window copies the header);
  Enter in the filter field activates the first match when nothing is selected.
- Ctrl+C and Del: `copy_requested` and `delete_requested`, never the view's own
  copy of a cell's text; with nothing selected they do nothing.
- Typing a character jumps to the filter field with it; `/` goes there too; Up
  and Down in the filter field go back to the list.
- Esc clears the filter, then the status filter, and with neither emits `dismissed`
  (the window hides to the tray).

The status filter shows only the tokens that need attention (expiring, expired, or
needing a new sign-in; one key, `toggle_attention`, Ctrl+E in the window) or one of
those kinds (its button's menu). While one is on, its button and the bar above the
list say which and how many it shows (gui/status_filter.py), and the empty state says
how to show all again.

The filter field and the status button are placed by the window (in its toolbar);
they are this list's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QWidget,
)

from tokenmgr.core.entries import Entry
from tokenmgr.gui.entry_model import (
    ATTENTION,
    Column,
    EntryFilterProxy,
    EntryModel,
    Role,
)
from tokenmgr.gui.status_filter import STATUS_WORDS, StatusFilterBar, StatusFilterButton

EMPTY_TEXT = "No tokens yet. Add one (Ctrl+N) or sign in to a provider."
NO_MATCH_TEXT = "No token matches “{}”. Esc clears the filter."
SHOW_ALL = "Esc shows all tokens."


class TokenList(QStackedWidget):
    current_changed = Signal(object)  # the selected Entry, or None
    activated = Signal(str)  # entry name: Enter, a double click
    copy_requested = Signal()  # Ctrl+C in the list, an entry selected
    delete_requested = Signal()  # Del in the list, an entry selected
    dismissed = Signal()  # Esc with nothing left to clear
    context_menu_requested = Signal(QPoint)  # at this global position, an entry selected
    status_filter_changed = Signal(str)  # a STATUS_FILTERS key, "" for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EntryModel(self)
        self.proxy = EntryFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.view = _TokenView(self._on_view_key_pressed, self)
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Tokens")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        rows = self.view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.view.fontMetrics().height() + 10)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        for column, width in ((Column.SERVICE, 110), (Column.KIND, 70), (Column.EXPIRES, 150)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        header.setSortIndicator(Column.NAME, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._on_view_custom_context_menu_requested)
        self.view.doubleClicked.connect(self._on_view_double_clicked)
        self.view.selectionModel().currentRowChanged.connect(
            self._on_selection_current_row_changed
        )
        self.addWidget(self.view)

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the filter
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAccessibleName("No tokens")
        self.addWidget(self.empty_label)

        self.filter_edit = _FilterField(self._on_filter_key_pressed)
        self.filter_edit.setPlaceholderText("Filter…  Ctrl+F")
        self.filter_edit.setAccessibleName("Filter tokens")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.filter_edit.returnPressed.connect(self._on_filter_edit_return_pressed)

        self.status_button = StatusFilterButton()
        self.status_button.clicked.connect(self._on_status_button_clicked)
        self.status_button.filter_chosen.connect(self.set_status_filter)
        self.filter_bar = StatusFilterBar()
        self.filter_bar.show_all_requested.connect(lambda: self.set_status_filter(""))

        for changed in (self.proxy.modelReset, self.proxy.rowsInserted,
                        self.proxy.rowsRemoved, self.proxy.layoutChanged):
            changed.connect(self._update_empty_state)
        self._update_empty_state()

    # ------------------------------------------------------------------ entries

    @property
    def entries(self) -> list[Entry]:
        """Every entry, filtered or not, in name order."""
        return self.model.entries

    def entry(self, name: str) -> Entry | None:
        return self.model.entry(name)

    def names(self) -> set[str]:
        return self.model.names()

    def set_entries(self, entries: list[Entry], now: datetime) -> None:
        """A fresh index read: rows change in place, so the selection stays (the first
        row is selected when nothing was)."""
        had_selection = self.current_entry() is not None
        self.model.set_entries(entries, now)
        if not had_selection and self.current_entry() is None and self.proxy.rowCount() > 0:
            self.view.selectRow(0)

    def tick(self, now: datetime) -> None:
        """Statuses and relative times move on; the index is not read again."""
        self.model.set_now(now)

    # ---------------------------------------------------------------- selection

    def current_entry(self) -> Entry | None:
        selection = self.view.selectionModel()
        current = selection.currentIndex()
        if not current.isValid() or not selection.selectedRows():
            return None
        entry = current.data(Role.ENTRY)
        return entry if isinstance(entry, Entry) else None

    def current_name(self) -> str | None:
        entry = self.current_entry()
        return entry.name if entry is not None else None

    def select(self, name: str) -> bool:
        """Select the entry `name` if the filter shows it; whether it did."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, Column.NAME)
            entry = index.data(Role.ENTRY)
            if isinstance(entry, Entry) and entry.name == name:
                self.view.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                return True
        return False

    def shown_names(self) -> list[str]:
        """The names the list shows, top to bottom (filtered and sorted)."""
        return [str(self.proxy.index(row, Column.NAME).data()) for row in
                range(self.proxy.rowCount())]

    # ------------------------------------------------------------------- filter

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def escape(self) -> None:
        """Esc: clear the filter (and go back to the list), else the status filter, else
        `dismissed`."""
        if self.filter_edit.text():
            self.filter_edit.clear()
            self.view.setFocus()
        elif self.proxy.status_filter:
            self.set_status_filter("")
            self.view.setFocus()
        else:
            self.dismissed.emit()

    # ------------------------------------------------------------ status filter

    @property
    def status_filter(self) -> str:
        return self.proxy.status_filter

    def set_status_filter(self, key: str) -> None:
        """Show only the tokens of a status filter (STATUS_FILTERS), or all ("")."""
        if key == self.proxy.status_filter:
            self._update_empty_state()
            return
        self.proxy.set_status_filter(key)
        self._update_empty_state()
        if self.current_entry() is None and self.proxy.rowCount() > 0:
            self.view.selectRow(0)
        self.status_filter_changed.emit(key)

    def toggle_attention(self) -> None:
        """The one key: only what needs attention, or all again."""
        self.set_status_filter("" if self.proxy.status_filter else ATTENTION)

    # -------------------------------------------------------------------- inside

    def _activate_current(self) -> None:
        name = self.current_name()
        if name is not None:
            self.activated.emit(name)

    def _on_view_key_pressed(self, event: QKeyEvent) -> bool:
        """The list's keys; True when handled here."""
        key = event.key()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.matches(QKeySequence.StandardKey.Copy):
            if self.current_entry() is not None:
                self.copy_requested.emit()
            return True
        if key == Qt.Key.Key_Delete and mods == Qt.KeyboardModifier.NoModifier:
            if self.current_entry() is not None:
                self.delete_requested.emit()
            return True
        if key == Qt.Key.Key_Escape:
            self.escape()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._activate_current()
            return True
        if key == Qt.Key.Key_Slash:
            self.focus_filter()
            return True
        text = event.text()
        if (text and text.isprintable() and not text.isspace()
                and mods & ~Qt.KeyboardModifier.ShiftModifier == Qt.KeyboardModifier.NoModifier):
            # Typing jumps to the filter; the key is not lost.
            self.filter_edit.setFocus()
            self.filter_edit.setText(self.filter_edit.text() + text)
            return True
        return False

    def _on_filter_key_pressed(self, event: QKeyEvent) -> bool:
        """The filter field's keys; True when handled here."""
        if event.key() == Qt.Key.Key_Escape:
            self.escape()
            return True
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.view.setFocus()
        return False

    @Slot()
    def _update_empty_state(self) -> None:
        self._update_status_button()
        text = self.filter_edit.text().strip()
        if self.model.rowCount() == 0:
            self.empty_label.setText(EMPTY_TEXT)
            self.setCurrentWidget(self.empty_label)
        elif self.proxy.rowCount() == 0:
            if text:
                self.empty_label.setText(NO_MATCH_TEXT.format(text))
            else:
                words = STATUS_WORDS[self.proxy.status_filter][1]
                self.empty_label.setText(f"{words}. {SHOW_ALL}")
            self.setCurrentWidget(self.empty_label)
        else:
            self.setCurrentWidget(self.view)

    def _update_status_button(self) -> None:
        """The indicator: which status filter is on and how many tokens it shows."""
        key = self.proxy.status_filter
        self.status_button.show_filter(key, self.proxy.rowCount())
        if key:
            self.filter_bar.show_filter(STATUS_WORDS[key][0], self.proxy.rowCount(),
                                        self.model.rowCount())
        else:
            self.filter_bar.setVisible(False)

    @Slot()
    def _on_status_button_clicked(self) -> None:
        self.toggle_attention()

    @Slot(str)
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self.proxy.set_filter(text)
        self._update_empty_state()
        if self.current_entry() is None and self.proxy.rowCount() > 0:
            self.view.selectRow(0)

    @Slot()
    def _on_filter_edit_return_pressed(self) -> None:
        # Quick Access: type, Enter.
        if self.current_entry() is None and self.proxy.rowCount() > 0:
            self.view.selectRow(0)
        self._activate_current()

    @Slot(QModelIndex, QModelIndex)
    def _on_selection_current_row_changed(
        self, _current: QModelIndex, _previous: QModelIndex
    ) -> None:
        self.current_changed.emit(self.current_entry())

    @Slot(QModelIndex)
    def _on_view_double_clicked(self, _index: QModelIndex) -> None:
        self._activate_current()

    @Slot(QPoint)
    def _on_view_custom_context_menu_requested(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.selectRow(index.row())
        if self.current_entry() is not None:
            self.context_menu_requested.emit(self.view.viewport().mapToGlobal(pos))


KeyHandler = Callable[[QKeyEvent], bool]  # True: the key was taken


class _TokenView(QTableView):
    """The table; the list sees its keys first."""

    def __init__(self, on_key: KeyHandler, parent: QWidget) -> None:
        super().__init__(parent)
        self._on_key = on_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._on_key(event):
            super().keyPressEvent(event)


class _FilterField(QLineEdit):
    """The filter field; the list sees its keys first."""

    def __init__(self, on_key: KeyHandler) -> None:
        super().__init__()
        self._on_key = on_key

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._on_key(event):
            super().keyPressEvent(event)
