"""The token list model and its filter proxy: columns, statuses that tick, filter, sort."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from tokenmgr.core.entries import Entry
from tokenmgr.gui import timewords
from tokenmgr.gui.entry_model import Column, EntryFilterProxy, EntryModel, Role

pytestmark = pytest.mark.gui

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def entries() -> list[Entry]:
    return [
        Entry("github-ci", service="GitHub", expires_at=NOW + timedelta(days=29),
              issued_at=NOW - timedelta(days=60), tags=["ci"]),
        Entry("staging", kind="oauth2", service="Acme", expires_at=NOW + timedelta(minutes=4),
              issued_at=NOW - timedelta(minutes=56), env_var="ACME_STAGING"),
        Entry("old-key", service="Stripe", expires_at=NOW - timedelta(days=2)),
        Entry("sandbox", service="Sandbox"),
    ]


@pytest.fixture
def model(qapp: object) -> EntryModel:
    m = EntryModel()
    QAbstractItemModelTester(m, QAbstractItemModelTester.FailureReportingMode.Fatal)
    m.set_entries(entries(), NOW)
    return m


def cell(model: EntryModel, name: str, col: Column, role: int = Qt.ItemDataRole.DisplayRole):
    for row in range(model.rowCount()):
        if model.index(row, Column.NAME).data() == name:
            return model.index(row, col).data(role)
    raise KeyError(name)


def test_columns_and_rows(model: EntryModel) -> None:
    assert model.columnCount() == 4
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["Name", "Service", "Kind", "Expires"]
    assert [model.index(r, 0).data() for r in range(4)] == [
        "github-ci", "old-key", "sandbox", "staging"]
    assert cell(model, "staging", Column.KIND) == "oauth2"
    assert cell(model, "github-ci", Column.SERVICE) == "GitHub"
    assert isinstance(cell(model, "github-ci", Column.NAME, Role.ENTRY), Entry)


def test_relative_times_with_words_not_colour_alone(model: EntryModel) -> None:
    assert cell(model, "github-ci", Column.EXPIRES) == "in 29 days"
    assert cell(model, "staging", Column.EXPIRES) == "soon: in 4 min"
    assert cell(model, "old-key", Column.EXPIRES) == "expired 2 days ago"
    assert cell(model, "sandbox", Column.EXPIRES) == "no expiry"
    assert cell(model, "github-ci", Column.NAME, Role.STATUS) == "valid"
    assert cell(model, "staging", Column.NAME, Role.STATUS) == "expiring"
    assert cell(model, "old-key", Column.NAME, Role.STATUS) == "expired"
    # Coloured, and each status also has a word in the accessible text.
    assert cell(model, "github-ci", Column.EXPIRES, Qt.ItemDataRole.ForegroundRole) is not None
    assert "expiring soon" in cell(model, "staging", Column.NAME,
                                   Qt.ItemDataRole.AccessibleTextRole)
    assert "expired" in cell(model, "old-key", Column.NAME, Qt.ItemDataRole.ToolTipRole)
    assert not cell(model, "github-ci", Column.NAME, Qt.ItemDataRole.DecorationRole).isNull()


def test_statuses_tick_without_new_entries(model: EntryModel, qtbot) -> None:
    with qtbot.waitSignal(model.dataChanged):
        model.set_now(NOW + timedelta(minutes=5))
    assert cell(model, "staging", Column.EXPIRES) == "expired 60 s ago"
    assert cell(model, "staging", Column.NAME, Role.STATUS) == "expired"
    model.set_now(NOW + timedelta(minutes=3, seconds=30))
    assert cell(model, "staging", Column.EXPIRES) == "soon: in 30 s"


def test_set_entries_updates_in_place(model: EntryModel, qtbot) -> None:
    new = entries()
    new[0].service = "GitHub Enterprise"
    new.append(Entry("added", service="X"))
    new = [e for e in new if e.name != "sandbox"]
    model.set_entries(new, NOW)
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["added", "github-ci", "old-key", "staging"]
    assert cell(model, "github-ci", Column.SERVICE) == "GitHub Enterprise"


@pytest.fixture
def proxy(model: EntryModel) -> EntryFilterProxy:
    p = EntryFilterProxy()
    p.setSourceModel(model)
    QAbstractItemModelTester(p, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return p


def names(proxy: EntryFilterProxy) -> list[str]:
    return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("git", ["github-ci"]),  # name
        ("stripe", ["old-key"]),  # service, any case
        ("acme_stag", ["staging"]),  # env var
        ("ci", ["github-ci"]),  # tag (and name)
        ("acme oauth", []),  # every word must match; kind is not searched
        ("GITHUB CI", ["github-ci"]),
        ("", ["github-ci", "old-key", "sandbox", "staging"]),
    ],
)
def test_filter_over_name_service_env_var_tags(proxy, text, expected) -> None:
    proxy.set_filter(text)
    proxy.sort(Column.NAME)
    assert names(proxy) == expected


def test_sort_by_expiry_puts_unknown_last(proxy: EntryFilterProxy) -> None:
    proxy.sort(Column.EXPIRES, Qt.SortOrder.AscendingOrder)
    assert names(proxy) == ["old-key", "staging", "github-ci", "sandbox"]
    assert isinstance(proxy.index(0, Column.EXPIRES).data(Role.SORT), float)


def test_relative_phrases() -> None:
    assert timewords.relative(NOW + timedelta(hours=3), NOW) == "in 3 h"
    assert timewords.relative(NOW - timedelta(days=2), NOW) == "2 days ago"
    assert timewords.countdown(3 * 3600 + 12 * 60 + 5) == "3 h 12 min 05 s"


# ------------------------------------------------------------------ roles, header


def test_custom_roles_follow_qts_user_role() -> None:
    first = Qt.ItemDataRole.UserRole + 1
    assert [int(r) for r in Role] == list(range(first, first + len(Role)))


def test_other_roles_and_columns_answer_none(model: EntryModel) -> None:
    index = model.index(0, Column.NAME)
    assert index.data(Qt.ItemDataRole.EditRole) is None
    assert model.index(0, Column.SERVICE).data(Qt.ItemDataRole.DecorationRole) is None
    assert model.data(model.index(99, 0)) is None  # no such row: an invalid index
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.headerData(9, Qt.Orientation.Horizontal) is None


def test_a_table_view_shows_the_models_titles(model: EntryModel) -> None:
    from PySide6.QtWidgets import QTableView

    view = QTableView()
    proxy = EntryFilterProxy()
    proxy.setSourceModel(model)
    view.setModel(proxy)
    header = view.horizontalHeader()
    shown = [header.model().headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert shown == ["Name", "Service", "Kind", "Expires"]


def test_the_proxy_sorts_by_the_sort_role(proxy: EntryFilterProxy) -> None:
    assert proxy.sortRole() == Role.SORT
    proxy.sort(Column.SERVICE, Qt.SortOrder.DescendingOrder)
    assert names(proxy) == ["old-key", "sandbox", "github-ci", "staging"]
