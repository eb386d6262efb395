"""Delete, asked first: "Delete github-ci? Its token is removed from the keyring."

Cancel is the default button (Enter and Esc keep the entry). An OAuth entry
gets "Also revoke at the provider", ticked: deleting the tokens here should end
the grant there too, unless the user says otherwise.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from tokenmgr.core.entries import Entry


class DeleteDialog(QMessageBox):
    def __init__(self, entry: Entry, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = entry.name
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Delete token")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(f"Delete {entry.name}? Its token is removed from {where}.")
        self._revoke: QCheckBox | None = None
        if entry.kind == "oauth2":
            self._revoke = QCheckBox("Also revoke at the provider")
            self._revoke.setChecked(True)
            self.setCheckBox(self._revoke)
        self.delete_button = self.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(cancel)
        self.setEscapeButton(cancel)

    def confirmed(self) -> bool:
        """Whether it was closed with Delete."""
        return self.clickedButton() is self.delete_button

    def revoke(self) -> bool:
        """Whether to revoke the grant at the provider first."""
        return self._revoke is not None and self._revoke.isChecked()
