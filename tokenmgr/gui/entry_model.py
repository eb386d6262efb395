"""The token list: a QAbstractTableModel over the index's entries, and its filter proxy.

Drawn from the index alone (metadata, no secrets): nothing here reads the
keyring. `set_now` re-derives statuses and relative times each
second without re-reading the index; `set_entries` takes a fresh index read
and keeps rows that did not change.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from tokenmgr.core.entries import Entry
from tokenmgr.core.rules import DEFAULT_LEAD, STATUS_EXPIRED, STATUS_EXPIRING, now_utc
from tokenmgr.gui import style
from tokenmgr.gui.report_text import needs_sign_in
from tokenmgr.gui.timewords import local_utc

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


class Role(enum.IntEnum):
    """The model's own data roles, after Qt's (`Qt.ItemDataRole.UserRole` and up)."""

    ENTRY = Qt.ItemDataRole.UserRole + 1  # the Entry itself
    SORT = Qt.ItemDataRole.UserRole + 2  # what the proxy sorts a column by
    FILTER = Qt.ItemDataRole.UserRole + 3  # what the filter field searches
    STATUS = Qt.ItemDataRole.UserRole + 4  # valid, expiring, expired or unknown
    SIGN_IN = Qt.ItemDataRole.UserRole + 5  # True: only a new sign-in renews it


# Everything the clock changes in a row (set_now).
TICKING_ROLES = [
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.AccessibleTextRole,
    Role.STATUS,
    Role.SIGN_IN,
]


def filter_text(entry: Entry) -> str:
    """What the filter field searches: name, service, env var and tags."""
    return " ".join([entry.name, entry.service, entry.env_var, *entry.tags]).casefold()


class EntryModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []
        self._now = now_utc()
        self._lead = DEFAULT_LEAD  # "Warn before a token expires": where "expiring" starts
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
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
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
                    self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
                continue
            self.beginInsertRows(QModelIndex(), row, row)
            self._entries.insert(row, by_name[name])
            self._cache.clear()
            self.endInsertRows()

    @property
    def lead(self) -> timedelta:
        return self._lead

    def set_lead(self, lead: timedelta) -> None:
        """The lead time of the expiring rule (`core.entries.warning_points`) changed."""
        if lead != self._lead:
            self._lead = lead
            self.set_now(self._now)

    def set_now(self, now: datetime) -> None:
        """Tick: statuses and relative times move on; the index is not re-read."""
        self._now = now
        self._cache.clear()
        if self._entries:
            self.dataChanged.emit(
                self.index(0, Column.NAME),
                self.index(len(self._entries) - 1, Column.EXPIRES),
                TICKING_ROLES,
            )

    # ------------------------------------------------------------- the model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Column)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
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
            status = entry.status(self._now, self._lead)
            cached = (status, style.expires_text(status, entry.expires_at, self._now))
            self._cache[row] = cached
        return cached

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not self.checkIndex(index, QAbstractTableModel.CheckIndexOption.IndexIsValid):
            return None
        row, column = index.row(), index.column()
        entry = self._entries[row]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == Column.NAME:
                return entry.name
            if column == Column.SERVICE:
                return entry.service
            if column == Column.KIND:
                return entry.kind
            return self._row(row)[1]
        if role == Role.SORT:
            if column == Column.EXPIRES:
                # Unknown expiry sorts after every date.
                return entry.expires_at.timestamp() if entry.expires_at else float("inf")
            if column == Column.NAME:
                return entry.name.casefold()
            return (entry.service if column == Column.SERVICE else entry.kind).casefold()
        if role == Qt.ItemDataRole.DecorationRole:
            return style.status_icon(self._row(row)[0]) if column == Column.NAME else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return style.status_color(self._row(row)[0]) if column == Column.EXPIRES else None
        if role == Role.ENTRY:
            return entry
        if role == Role.FILTER:
            return filter_text(entry)
        if role == Role.STATUS:
            return self._row(row)[0]
        if role == Role.SIGN_IN:
            return needs_sign_in(entry, self._now)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            status, expires = self._row(row)
            if column in (Column.NAME, Column.EXPIRES):
                word = style.STATUS_WORDS.get(status, status)
                if column == Column.EXPIRES and entry.expires_at is not None:
                    text = f"{word}: {local_utc(entry.expires_at)}"
                else:
                    text = f"{entry.name if column == Column.NAME else expires} ({word})"
            else:
                text = entry.service if column == Column.SERVICE else entry.kind
            if role == Qt.ItemDataRole.ToolTipRole:
                # A tooltip that looks like markup is drawn as markup ("<h1>…" as a
                # service): given as text made into markup, it shows as typed.
                return style.plain_tooltip(text)
            return text
        return None


# The status filters: key → the statuses (Role.STATUS) it shows; SIGN_IN also shows the
# entries only a new sign-in can renew. ATTENTION is the one key's: all of them.
SIGN_IN = "sign_in"
ATTENTION = "attention"
STATUS_FILTERS: dict[str, frozenset[str]] = {
    ATTENTION: frozenset({STATUS_EXPIRING, STATUS_EXPIRED, SIGN_IN}),
    STATUS_EXPIRING: frozenset({STATUS_EXPIRING}),
    STATUS_EXPIRED: frozenset({STATUS_EXPIRED}),
    SIGN_IN: frozenset({SIGN_IN}),
}


class EntryFilterProxy(QSortFilterProxyModel):
    """Filters on every word of the filter text (all must match) over name, service,
    env var and tags, and on a status filter (STATUS_FILTERS; "" for none); sorts by
    Role.SORT. As statuses move on with the clock, rows come and go (dynamic filter)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._status = ""
        self.setSortRole(Role.SORT)
        self.setDynamicSortFilter(True)

    @property
    def status_filter(self) -> str:
        return self._status

    def set_status_filter(self, key: str) -> None:
        if key and key not in STATUS_FILTERS:
            raise ValueError(f"no status filter {key!r}")
        if key != self._status:
            self.beginFilterChange()
            self._status = key
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_filter(self, text: str) -> None:
        words = text.casefold().split()
        if words != self._words:
            self.beginFilterChange()
            self._words = words
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self._status:
            shown = STATUS_FILTERS[self._status]
            status = str(model.data(index, Role.STATUS))
            if status not in shown and not (SIGN_IN in shown and model.data(index, Role.SIGN_IN)):
                return False
        if not self._words:
            return True
        hay = str(model.data(index, Role.FILTER) or "")
        return all(w in hay for w in self._words)

