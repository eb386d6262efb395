"""The token's row in the details pane: masked by default, Reveal shows it in jwt.io's
three colours under the row, and the reveal lapses when told to.

The mask has a fixed width: it says nothing about the token's length. This
widget reads nothing; it asks with `reveal_requested` and is given the token.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tokenmgr.gui.report_view import TokenText

MASK = "•" * 16


class TokenReveal(QWidget):
    """"Token ••••  [Reveal]", and the revealed token below once it is given."""

    reveal_requested = Signal()  # the button was pressed: read the token and show_token() it
    copy_requested = Signal()  # "Copy token" on the revealed text: the app's own copy

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._revealed = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Token"))
        self.mask_label = QLabel(MASK)
        self.mask_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.mask_label.setAccessibleName("Token (hidden)")
        row.addWidget(self.mask_label)
        row.addStretch(1)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setAccessibleName("Reveal the token")
        self.reveal_button.toggled.connect(self._on_reveal_button_toggled)
        row.addWidget(self.reveal_button)
        lay.addLayout(row)
        self._lay = lay
        self.token_text: TokenText | None = None  # made on the first reveal

    @property
    def revealed(self) -> bool:
        return self._revealed

    def waiting(self) -> bool:
        """Reveal was pressed and not taken back: a token read now may be shown."""
        return self.reveal_button.isChecked()

    def show_token(self, token: str) -> None:
        self._revealed = True
        self.mask_label.setVisible(False)
        if self.token_text is None:
            self.token_text = TokenText()
            self.token_text.copy_requested.connect(self.copy_requested)
            self._lay.addWidget(self.token_text)
        self.token_text.set_token(token)
        self.token_text.setVisible(True)
        self.reveal_button.setText("Hide")
        self.reveal_button.setAccessibleName("Hide the token")

    def conceal(self) -> None:
        """Back to the mask; the revealed text is cleared, not only hidden."""
        self._revealed = False
        if self.token_text is not None:
            self.token_text.clear()
            self.token_text.setVisible(False)
        self.mask_label.setVisible(True)
        if self.reveal_button.isChecked():
            self.reveal_button.blockSignals(True)
            self.reveal_button.setChecked(False)
            self.reveal_button.blockSignals(False)
        self.reveal_button.setText("Reveal")
        self.reveal_button.setAccessibleName("Reveal the token")

    def revealed_text(self) -> str:
        """What the reveal shows now ("" when masked)."""
        return self.token_text.toPlainText() if self.token_text is not None else ""

    @Slot(bool)
    def _on_reveal_button_toggled(self, checked: bool) -> None:
        if not checked:
            self.conceal()
            return
        self.reveal_button.setText("Revealing…")
        self.reveal_requested.emit()
