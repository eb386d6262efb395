"""The passphrase, asked when a locked vault file is needed: at the first token used
after Lock (Ctrl+L) or the idle lock. The list stayed on screen all along; this only
asks, and whoever unlocks answers with `accept()` (it closes) or `failed(sentence)`
(a wrong passphrase: said under the field, another try). Cancel leaves it locked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui.form_fields import error_label, set_error


class UnlockDialog(QDialog):
    unlock_requested = Signal(str)  # the passphrase

    def __init__(self, where: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self.setWindowTitle("Unlock the vault file")
        self.setMinimumWidth(440)
        lay = QVBoxLayout(self)
        text = QLabel(
            "Token Manager is locked: the key to the vault file was dropped. Enter its "
            "passphrase to go on."
        )
        text.setWordWrap(True)
        lay.addWidget(text)
        path = QLabel(where)
        path.setTextFormat(Qt.TextFormat.PlainText)
        path.setWordWrap(True)
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(path)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.textChanged.connect(self._on_passphrase_text_changed)
        form.addRow("Passphrase", self.passphrase)
        lay.addLayout(form)
        self.error = error_label()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._on_passphrase_text_changed("")
        self.passphrase.setFocus()

    def failed(self, message: str) -> None:
        self._busy = False
        self.unlock_button.setText("Unlock")
        set_error(self.error, message)
        self.passphrase.clear()
        self.passphrase.setFocus()
        self._fit()

    def done(self, result: int) -> None:
        self.passphrase.clear()  # the widget's copy, at least, goes now
        super().done(result)

    def _fit(self) -> None:
        """Grow to show a wrapped message whole (a wrapped label does not ask for it)."""
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        want = (lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth()
                else self.sizeHint().height())
        if want > self.height():
            self.resize(self.width(), want)

    @Slot(str)
    def _on_passphrase_text_changed(self, text: str) -> None:
        self.unlock_button.setEnabled(bool(text) and not self._busy)

    @Slot()
    def _on_buttons_accepted(self) -> None:
        phrase = self.passphrase.text()
        if not phrase or self._busy:
            return
        self._busy = True
        self.unlock_button.setEnabled(False)
        self.unlock_button.setText("Unlocking…")
        set_error(self.error, "")
        self.unlock_requested.emit(phrase)
