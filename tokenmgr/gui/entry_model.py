"""The token list: a QAbstractTableModel over the index's entries, and its filter proxy.

Drawn from the index alone (DESIGN §2: metadata, no secrets): nothing here
reads the keyring. `set_now` re-derives statuses and relative times each
second without re-reading the index; `set_entries` takes a fresh index read
and keeps rows that did not change.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
)
from PySide6.QtGui import QStandardItemModel

from tokenmgr.core.entries import Entry, now_utc
from tokenmgr.gui import style

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

Index = QModelIndex | QPersistentModelIndex


class Column(enum.IntEnum):
    NAME = 0
    SERVICE = 1
    KIND = 2
    EXPIRES = 3


HEADERS = {
    Column.NAME: "Name",
    Column.SERVICE: "Service",
    Column.KIND: "Kind",
    Column.EXPIRES: "Expires",
}

# Qt.ItemDataRole values as plain ints: touching `Qt` before the first paint costs
# ≈11 ms (gui/props.py); Qt's ABI fixes them, and a test compares them with Qt's.
DISPLAY_ROLE = 0
DECORATION_ROLE = 1
TOOLTIP_ROLE = 3
FOREGROUND_ROLE = 9
ACCESSIBLE_TEXT_ROLE = 11
USER_ROLE = 256

EntryRole = USER_ROLE + 1
SortRole = USER_ROLE + 2
FilterRole = USER_ROLE + 3
StatusRole = USER_ROLE + 4


def filter_text(entry: Entry) -> str:
    """What the filter field searches: name, service, env var and tags."""
    return " ".join([entry.name, entry.service, entry.env_var, *entry.tags]).casefold()


class EntryModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []
        self._now = now_utc()
        self._cache: dict[int, tuple[str, str]] = {}  # row → (status, Expires text)

    # ---------------------------------------------------------------- data in

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    @property
    def now(self) -> datetime:
        return self._now

    def entry(self, name: str) -> Entry | None:
        for e in self._entries:
            if e.name == name:
                return e
        return None

    def names(self) -> set[str]:
        return {e.name for e in self._entries}

    def set_entries(self, entries: list[Entry], now: datetime | None = None) -> None:
        """Replace the rows with a fresh index read; unchanged rows are left alone."""
        if now is not None:
            self._now = now
        self._cache.clear()
        new = sorted(entries, key=lambda e: e.name)
        if not self._entries or not new:
            # The first read (or everything gone): one reset, not a signal per row.
            self.beginResetModel()
            self._entries = new
            self.endResetModel()
            return
        old_names = [e.name for e in self._entries]
        new_names = [e.name for e in new]
        if old_names == new_names:
            for row, (a, b) in enumerate(zip(self._entries, new, strict=True)):
                if a.to_dict() != b.to_dict():
                    self._entries[row] = b
                    self.dataChanged.emit(self.index(row, 0), self.index(row, _NCOLS - 1))
            return
        # Removals, then insertions, so views keep their selection and scroll position.
        keep = set(new_names)
        for row in range(len(self._entries) - 1, -1, -1):
            if self._entries[row].name not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._entries[row]
                self._cache.clear()
                self.endRemoveRows()
        by_name = {e.name: e for e in new}
        for row, name in enumerate(new_names):
            if row < len(self._entries) and self._entries[row].name == name:
                if self._entries[row].to_dict() != by_name[name].to_dict():
                    self._entries[row] = by_name[name]
                    self.dataChanged.emit(self.index(row, 0), self.index(row, _NCOLS - 1))
                continue
            self.beginInsertRows(QModelIndex(), row, row)
            self._entries.insert(row, by_name[name])
            self._cache.clear()
            self.endInsertRows()

    def set_now(self, now: datetime) -> None:
        """Tick: statuses and relative times move on; the index is not re-read."""
        self._now = now
        self._cache.clear()
        if self._entries:
            self.dataChanged.emit(
                self.index(0, Column.NAME),
                self.index(len(self._entries) - 1, Column.EXPIRES),
                [
                    DISPLAY_ROLE,
                    DECORATION_ROLE,
                    FOREGROUND_ROLE,
                    TOOLTIP_ROLE,
                    ACCESSIBLE_TEXT_ROLE,
                    StatusRole,
                ],
            )

    # ------------------------------------------------------------- the model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = DISPLAY_ROLE
    ) -> Any:
        """For whoever asks the model itself (accessibility, tests); the list's header
        view shows header_titles(), since the orientation argument builds `Qt`."""
        from PySide6.QtCore import Qt

        if orientation == Qt.Orientation.Horizontal and role == DISPLAY_ROLE:
            try:
                return HEADERS[Column(section)]
            except ValueError:
                return None
        return None

    # flags(): QAbstractTableModel's own (enabled, selectable, no children) is right.

    def _row(self, row: int) -> tuple[str, str]:
        """(status, Expires text) of a row at the current tick; computed once per tick and
        only for rows something asks about (the visible ones, mostly)."""
        cached = self._cache.get(row)
        if cached is None:
            entry = self._entries[row]
            status = entry.status(self._now)
            cached = (status, style.expires_text(status, entry.expires_at, self._now))
            self._cache[row] = cached
        return cached

    def data(self, index: Index, role: int = DISPLAY_ROLE) -> Any:
        row, col = index.row(), index.column()
        if not 0 <= row < len(self._entries) or not 0 <= col < _NCOLS or not index.isValid():
            return None
        entry = self._entries[row]
        if role == DISPLAY_ROLE:
            if col == _NAME:
                return entry.name
            if col == _SERVICE:
                return entry.service
            if col == _KIND:
                return entry.kind
            return self._row(row)[1]
        if role == SortRole:
            if col == _EXPIRES:
                # Unknown expiry sorts after every date.
                return entry.expires_at.timestamp() if entry.expires_at else float("inf")
            if col == _NAME:
                return entry.name.casefold()
            return (entry.service if col == _SERVICE else entry.kind).casefold()
        if role == DECORATION_ROLE:
            return style.status_icon(self._row(row)[0]) if col == _NAME else None
        if role == FOREGROUND_ROLE:
            return style.status_color(self._row(row)[0]) if col == _EXPIRES else None
        if role == EntryRole:
            return entry
        if role == FilterRole:
            return filter_text(entry)
        if role == StatusRole:
            return self._row(row)[0]
        if role in (TOOLTIP_ROLE, ACCESSIBLE_TEXT_ROLE):
            status, expires = self._row(row)
            if col in (_NAME, _EXPIRES):
                word = style.STATUS_WORDS.get(status, status)
                if col == _EXPIRES and entry.expires_at is not None:
                    return f"{word}: {style.local_utc(entry.expires_at)}"
                return f"{entry.name if col == _NAME else expires} ({word})"
            return entry.service if col == _SERVICE else entry.kind
        return None


# Plain ints for the hot path: data() runs for every visible cell and role.
_NCOLS = len(Column)
_NAME, _SERVICE, _KIND, _EXPIRES = (int(c) for c in Column)


def header_titles(parent: QObject | None = None) -> QStandardItemModel:
    """The column titles as a C++ model, for the list's header view to show.

    A header asks its model headerData(section, orientation, role); answered in
    Python, the orientation argument alone builds PySide6's whole `Qt` namespace
    (gui/props.py). So the header view gets this row-less QStandardItemModel of
    the titles, set after the table's own model (QTableView.setModel gives the
    header that model); the cells still come from EntryModel through the proxy.
    """
    titles = QStandardItemModel(0, len(Column), parent)
    titles.setHorizontalHeaderLabels([HEADERS[c] for c in Column])
    return titles


class EntryFilterProxy(QSortFilterProxyModel):
    """Filters on every word of the filter text (all must match) over name, service,
    env var and tags; sorts by SortRole."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_filter(self, text: str) -> None:
        words = text.casefold().split()
        if words != self._words:
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        if not self._words:
            return True
        model = self.sourceModel()
        hay = str(model.data(model.index(source_row, 0, source_parent), FilterRole) or "")
        return all(w in hay for w in self._words)
