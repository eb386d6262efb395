"""The token list: a QAbstractTableModel over the index's entries, and its filter proxy.

Drawn from the index alone (DESIGN §2: metadata, no secrets): nothing here
reads the keyring. `set_now` re-derives statuses and relative times each
second without re-reading the index; `set_entries` takes a fresh index read
and keeps rows that did not change.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from tokenmgr.core.entries import Entry, now_utc
from tokenmgr.gui import style

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

EntryRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
FilterRole = Qt.ItemDataRole.UserRole + 3
StatusRole = Qt.ItemDataRole.UserRole + 4


def filter_text(entry: Entry) -> str:
    """What the filter field searches: name, service, env var and tags."""
    return " ".join([entry.name, entry.service, entry.env_var, *entry.tags]).casefold()


class EntryModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []
        self._now = now_utc()

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
                    self.dataChanged.emit(
                        self.index(row, 0), self.index(row, len(Column) - 1)
                    )
            return
        # Removals, then insertions, so views keep their selection and scroll position.
        keep = set(new_names)
        for row in range(len(self._entries) - 1, -1, -1):
            if self._entries[row].name not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._entries[row]
                self.endRemoveRows()
        by_name = {e.name: e for e in new}
        for row, name in enumerate(new_names):
            if row < len(self._entries) and self._entries[row].name == name:
                if self._entries[row].to_dict() != by_name[name].to_dict():
                    self._entries[row] = by_name[name]
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
                continue
            self.beginInsertRows(QModelIndex(), row, row)
            self._entries.insert(row, by_name[name])
            self.endInsertRows()

    def set_now(self, now: datetime) -> None:
        """Tick: statuses and relative times move on; the index is not re-read."""
        self._now = now
        if self._entries:
            self.dataChanged.emit(
                self.index(0, Column.NAME),
                self.index(len(self._entries) - 1, Column.EXPIRES),
                [
                    Qt.ItemDataRole.DisplayRole,
                    Qt.ItemDataRole.DecorationRole,
                    Qt.ItemDataRole.ForegroundRole,
                    Qt.ItemDataRole.ToolTipRole,
                    Qt.ItemDataRole.AccessibleTextRole,
                    StatusRole,
                ],
            )

    # ------------------------------------------------------------- the model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            try:
                return HEADERS[Column(section)]
            except ValueError:
                return None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        if not 0 <= index.column() < len(Column):
            return None
        entry = self._entries[index.row()]
        col = Column(index.column())
        if role == EntryRole:
            return entry
        if role == FilterRole:
            return filter_text(entry)
        status = entry.status(self._now)
        if role == StatusRole:
            return status
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, col, status)
        if role == SortRole:
            if col == Column.EXPIRES:
                # Unknown expiry sorts after every date.
                return entry.expires_at.timestamp() if entry.expires_at else float("inf")
            return str(self._display(entry, col, status)).casefold()
        if role == Qt.ItemDataRole.DecorationRole and col == Column.NAME:
            return style.status_icon(status)
        if role == Qt.ItemDataRole.ForegroundRole and col == Column.EXPIRES:
            return style.status_color(status)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            text = self._display(entry, col, status)
            if col in (Column.NAME, Column.EXPIRES):
                word = style.STATUS_WORDS.get(status, status)
                if col == Column.EXPIRES and entry.expires_at is not None:
                    return f"{word}: {style.local_utc(entry.expires_at)}"
                return f"{text} ({word})"
            return text
        return None

    def _display(self, entry: Entry, col: Column, status: str) -> str:
        if col == Column.NAME:
            return entry.name
        if col == Column.SERVICE:
            return entry.service
        if col == Column.KIND:
            return entry.kind
        return style.expires_text(status, entry.expires_at, self._now)


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
