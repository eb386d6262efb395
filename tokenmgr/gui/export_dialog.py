"""Export as a .env file: which tokens, and where.

A list of every entry with a tick (the selected one ticked to start with, or all
when none is), each with the variable its line sets; two ticked entries that set
the same variable are said under the list (a .env file holds one value per
variable). The file: a path with "Choose…", and a warning when it exists and
would be replaced. The file holds the tokens in plain text, readable only by its
owner, which the dialog says before anything is written. It writes nothing:
"Export" emits `export_requested(names, path)`; whoever writes answers with
`saved()` or `failed(sentence)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDir, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.entries import Entry
from tokenmgr.gui.form_fields import error_label, set_error

ENV_FILTER = "Environment files (*.env .env.* *.env.*);;All files (*)"
WARNING = (
    "The file holds the tokens in plain text, readable only by you (mode 0600). Keep it out "
    "of version control and delete it when done."
)


class ExportDialog(QDialog):
    export_requested = Signal(list, str)  # entry names, path

    def __init__(
        self, entries: Sequence[Entry], selected: str | None, path: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._busy = False
        self._vars = {e.name: e.env_var for e in entries}
        self.setWindowTitle("Export as a .env file")
        self.setMinimumWidth(520)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Tokens to export"))
        self.list = QListWidget()
        self.list.setAccessibleName("Tokens to export")
        for e in entries:
            item = QListWidgetItem(f"{e.name}  —  {e.env_var}")
            item.setData(Qt.ItemDataRole.UserRole, e.name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            ticked = selected is None or e.name == selected
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        for text, state in (("Tick all", Qt.CheckState.Checked),
                            ("Untick all", Qt.CheckState.Unchecked)):
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, s=state: self._tick_all(s))
            row.addWidget(button)
        row.addStretch(1)
        lay.addLayout(row)

        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("Save to"))
        self.path = QLineEdit(str(path))
        self.path.setAccessibleName("Save to")
        file_row.addWidget(self.path, 1)
        self.choose = QPushButton("Choose…")
        self.choose.clicked.connect(self._on_choose_clicked)
        file_row.addWidget(self.choose)
        lay.addLayout(file_row)
        self.replaces = QLabel()
        self.replaces.setTextFormat(Qt.TextFormat.PlainText)  # it quotes a path
        self.replaces.setWordWrap(True)
        lay.addWidget(self.replaces)
        warning = QLabel(WARNING)
        warning.setWordWrap(True)
        lay.addWidget(warning)
        self.error = error_label()
        lay.addWidget(self.error)

        buttons = QDialogButtonBox()
        self.export_button = QPushButton()
        self.export_button.setDefault(True)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.list.itemChanged.connect(self._check)
        self.path.textChanged.connect(self._check)
        self._check()

    # ------------------------------------------------------------------ API

    def names(self) -> list[str]:
        """The ticked entries, in list order."""
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def target(self) -> Path:
        return Path(self.path.text().strip()).expanduser()

    def saved(self) -> None:
        self.accept()

    def failed(self, message: str) -> None:
        self._busy = False
        set_error(self.error, message)
        self._check()

    # ---------------------------------------------------------------- inside

    def _tick_all(self, state: Qt.CheckState) -> None:
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(state)

    @Slot()
    def _check(self, *_args: object) -> None:
        names = self.names()
        problem = ""
        by_var: dict[str, list[str]] = {}
        for name in names:
            by_var.setdefault(self._vars[name], []).append(name)
        for var, sharing in by_var.items():
            if len(sharing) > 1:
                problem = (f"{' and '.join(sharing)} both set {var}; a .env file holds one "
                           "value per variable: untick one.")
                break
        text = self.path.text().strip()
        target = self.target()
        if not text:
            problem = problem or "Choose where to save the file."
        elif target.is_dir():
            problem = problem or f"{target} is a folder: add a file name."
        self.replaces.setText(f"⚠ {target.name} exists; exporting replaces it."
                              if text and target.is_file() else "")
        self.replaces.setVisible(bool(self.replaces.text()))
        if not self._busy:
            set_error(self.error, problem)
        n = len(names)
        self.export_button.setText(f"Export {n} token{'s' if n != 1 else ''}")
        self.export_button.setAccessibleName(self.export_button.text())
        self.export_button.setEnabled(n > 0 and not problem and not self._busy)

    @Slot()
    def _on_choose_clicked(self) -> None:
        dialog = QFileDialog(self, "Export as a .env file", str(self.target().parent),
                             ENV_FILTER)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFilter(dialog.filter() | QDir.Filter.Hidden)
        dialog.selectFile(self.target().name)
        # Replacing a file is said in this dialog before anything is written.
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
        dialog.fileSelected.connect(self.path.setText)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @Slot()
    def _on_buttons_accepted(self) -> None:
        self._check()
        if not self.export_button.isEnabled():
            return
        self._busy = True
        self.export_button.setEnabled(False)
        self.export_button.setText("Exporting…")
        self.export_requested.emit(self.names(), str(self.target()))
