"""Import from a .env file: a preview of the entries it would create, nothing stored
until the person says so.

One row per variable the file sets: a tick, the entry's name (suggested from the
variable, editable), its environment variable, what the value is ("signed JWT ·
expires in 3 days", "GitHub token", "opaque, 40 characters") and whether it can
be stored as it stands. The values themselves are never shown. Variables that
look like credentials start ticked; a name that is taken (by an entry, or by
another row) is said on its row, and the row starts unticked; ticking it anyway
keeps the Import button disabled, with the reason under the table, until it is
renamed. Lines that give no token are listed by number. The dialog stores
nothing: "Import" emits `import_requested` with what to store, and whoever does
it answers with `saved()` or `failed(sentence)`. The values go when it closes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core import envfile
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import now_utc, validate_name
from tokenmgr.core.usecases.envfiles import EnvImport
from tokenmgr.gui.errors import sentence
from tokenmgr.gui.form_fields import error_label, set_error

NAME, VAR, WHAT, STATE = range(4)
HEADERS = ("Name", "Env var", "What it is", "")
PROBLEMS_SHOWN = 8


def what_it_is(value: str) -> tuple[str, str]:
    """(what the value is in a few words, the service it is for, "" when unknown); never
    the value, nor a part of it."""
    from tokenmgr.core import jwt_inspect
    from tokenmgr.gui.report_text import ReportData, one_line
    from tokenmgr.gui.suggest import suggest

    data = ReportData.from_report(jwt_inspect.inspect(value))
    _name, service = suggest(data, value)
    if data.kind in ("jws", "jwe"):
        return one_line(data, now_utc()), service
    if service:
        return f"{service} token", service
    return f"opaque, {len(value)} characters", ""


class ImportDialog(QDialog):
    import_requested = Signal(list)  # list[EnvImport]

    def __init__(
        self, path: Path, parsed: envfile.EnvFile, existing: set[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._existing = set(existing)
        self._assignments = list(parsed.assignments)
        self._services: list[str] = []
        self._note = f"Imported from {path.name}"
        self._busy = False
        self.setWindowTitle("Import a .env file")
        self.setMinimumWidth(640)
        lay = QVBoxLayout(self)
        where = QLabel(f"From {path}")
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setWordWrap(True)
        lay.addWidget(where)
        intro = QLabel(
            "Tick the tokens to store; a name can be changed with a double click. Nothing is "
            "stored until you import, and the values are not shown."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)

        self.table = QTableWidget(len(self._assignments), len(HEADERS))
        self.table.setAccessibleName("What the file would create")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(VAR, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHAT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.ResizeToContents)
        names: set[str] = set()
        for row, a in enumerate(self._assignments):
            what, service = what_it_is(a.secret)
            self._services.append(service)
            name = envfile.suggested_name(a.var)
            name_item = QTableWidgetItem(name)
            name_item.setFlags(
                Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
            )
            fresh = name not in self._existing and name not in names
            ticked = envfile.looks_secret(a) and fresh
            name_item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            names.add(name)
            self.table.setItem(row, NAME, name_item)
            for column, text in ((VAR, a.var), (WHAT, what), (STATE, "")):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        lay.addWidget(self.table, 1)
        self.empty = QLabel("The file sets no variable that could be a token.")
        self.empty.setVisible(not self._assignments)
        lay.addWidget(self.empty)

        self.problems = QLabel(_problem_text(parsed.problems))
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.problems.setWordWrap(True)
        self.problems.setAccessibleName("Lines that give no token")
        self.problems.setVisible(bool(parsed.problems))
        lay.addWidget(self.problems)
        self.error = error_label()
        lay.addWidget(self.error)

        buttons = QDialogButtonBox()
        self.import_button = QPushButton()
        self.import_button.setDefault(True)
        buttons.addButton(self.import_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.table.itemChanged.connect(self._on_table_item_changed)
        self._check()
        self.resize(max(self.width(), 760), self.sizeHint().height())

    # ------------------------------------------------------------------ API

    def rows(self) -> list[tuple[bool, str, str, str]]:
        """(ticked, name, env var, state) of each row, as shown."""
        out = []
        for row in range(self.table.rowCount()):
            name = self._item(row, NAME)
            out.append((name.checkState() == Qt.CheckState.Checked, name.text().strip(),
                        self._item(row, VAR).text(), self._item(row, STATE).text()))
        return out

    def chosen(self) -> list[EnvImport]:
        """What to store: the ticked rows (call when the Import button is enabled)."""
        return [
            EnvImport(name, var, self._assignments[row].secret, self._services[row], self._note)
            for row, (ticked, name, var, _state) in enumerate(self.rows()) if ticked
        ]

    def saved(self) -> None:
        self.accept()

    def failed(self, message: str) -> None:
        self._busy = False
        set_error(self.error, message)
        self._check()

    def done(self, result: int) -> None:
        # Imported, cancelled or closed: the values do not outlive the dialog.
        self._assignments = []
        super().done(result)

    # ---------------------------------------------------------------- inside

    def _item(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None  # every cell was filled in __init__
        return item

    def _check(self) -> None:
        """Say on each row whether it can be stored, and enable Import when every ticked
        row can."""
        rows = self.rows()
        taken: dict[str, int] = {}
        for _ticked, name, _var, _state in rows:
            taken[name] = taken.get(name, 0) + 1
        blocking = ""
        count = 0
        self.table.blockSignals(True)
        for row, (ticked, name, _var, _state) in enumerate(rows):
            state = ""
            if not name:
                state = "⚠ give it a name"
            else:
                try:
                    validate_name(name)
                except TokenMgrError as e:
                    state = f"⚠ {sentence(str(e))}"
                else:
                    if name in self._existing:
                        state = "⚠ the name is taken: rename it"
                    elif taken[name] > 1:
                        state = "⚠ the name is on another row too: rename one"
            item = self._item(row, STATE)
            item.setText(state or ("will be added" if ticked else ""))
            item.setToolTip(state)
            if ticked:
                count += 1
                if state and not blocking:
                    which = name or f"Row {row + 1}"
                    blocking = f"{which}: {state.removeprefix('⚠ ')}, or untick it."
        self.table.blockSignals(False)
        if not self._busy:
            set_error(self.error, blocking)
        self.import_button.setText(f"Import {count} token{'s' if count != 1 else ''}")
        self.import_button.setAccessibleName(self.import_button.text())
        self.import_button.setEnabled(count > 0 and not blocking and not self._busy)

    @Slot(QTableWidgetItem)
    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self._check()

    @Slot()
    def _on_buttons_accepted(self) -> None:
        self._check()
        if not self.import_button.isEnabled():
            return
        self._busy = True
        self.import_button.setEnabled(False)
        self.import_button.setText("Importing…")
        self.import_requested.emit(self.chosen())


def _problem_text(problems: tuple[envfile.Problem, ...]) -> str:
    if not problems:
        return ""
    lines = [f"Line {p.line}: {p.why}." for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"… and {len(problems) - PROBLEMS_SHOWN} more lines.")
    return "Not imported:\n" + "\n".join(lines)
