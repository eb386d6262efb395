"""The status bar: what just happened on the left; on the right what a worker is doing
(with a busy bar) and the clipboard's clear countdown. And the banner: a problem
that needs the user (the keyring did not answer, the index cannot be read) above
the list, with a button to try again.

The message is a label, not QStatusBar's own message: an action's status tip
shown while the pointer is over it must not wipe out what just happened. A long
message is shown brief (gui/errors.py), the whole of it in the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QWidget,
)

from tokenmgr.gui import style
from tokenmgr.gui.errors import brief


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Plain text: messages quote entry names, servers and error sentences.
        self._message = QLabel()
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setAccessibleName("Status")
        self.addWidget(self._message, 1)
        self._busy_label = QLabel()
        self._busy_label.setTextFormat(Qt.TextFormat.PlainText)
        self._busy_label.setVisible(False)
        self._busy_bar = QProgressBar()
        self._busy_bar.setRange(0, 0)  # no end known: a busy indicator
        self._busy_bar.setMaximumWidth(90)
        self._busy_bar.setMaximumHeight(14)
        self._busy_bar.setTextVisible(False)
        self._busy_bar.setAccessibleName("Working")
        self._busy_bar.setVisible(False)
        self._countdown = QLabel()
        self._countdown.setAccessibleName("Clipboard countdown")
        self._locked = QLabel("Vault file locked")
        font = self._locked.font()
        font.setBold(True)
        self._locked.setFont(font)
        self._locked.setAccessibleName("The vault file is locked")
        self._locked.setToolTip("The passphrase is asked at the next token you use (Ctrl+L locks)")
        self._locked.setVisible(False)
        self.addPermanentWidget(self._locked)
        self.addPermanentWidget(self._busy_label)
        self.addPermanentWidget(self._busy_bar)
        self.addPermanentWidget(self._countdown)

    @Slot(str)
    def show_status(self, text: str) -> None:
        _set_brief(self._message, text)

    def status_text(self) -> str:
        return self._message.text()

    def status_tooltip(self) -> str:
        """The whole message when the bar shows it brief ("" when it shows it all)."""
        return self._message.toolTip()

    @Slot(bool, str)
    def set_busy(self, busy: bool, what: str) -> None:
        """A worker is running (`what` it does, for the newest one) or all are done."""
        self._busy_bar.setVisible(busy)
        self._busy_label.setVisible(busy)
        self._busy_label.setText(what if busy else "")

    def busy_text(self) -> str:
        """What the newest worker does, "" when none runs."""
        return self._busy_label.text()

    def set_locked(self, locked: bool) -> None:
        self._locked.setVisible(locked)

    def locked_shown(self) -> bool:
        return not self._locked.isHidden()

    @Slot(int)
    def set_countdown(self, seconds: int) -> None:
        self._countdown.setText(f"Clipboard clears in {seconds} s" if seconds > 0 else "")

    @Slot()
    def show_cleared(self) -> None:
        """The clipboard was cleared (the countdown ran out, or on quit)."""
        self.set_countdown(0)
        self.show_status("Clipboard cleared")

    def countdown_text(self) -> str:
        return self._countdown.text()


class Banner(QFrame):
    """"⚠ <problem>  [Try again]"; hidden until there is a problem, and again on retry."""

    retry_requested = Signal()

    def __init__(self, button_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        self._label = QLabel()
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._label.setWordWrap(True)
        self.button = QPushButton(button_text)
        self.button.clicked.connect(self._on_button_clicked)
        lay.addWidget(self._label, 1)
        lay.addWidget(self.button)
        self.setVisible(False)

    def show_problem(self, text: str) -> None:
        self._label.setText(f"⚠ {text}")  # wrapped, whole: it says how to fix it
        self.setVisible(True)

    def text(self) -> str:
        return self._label.text()

    @Slot()
    def _on_button_clicked(self) -> None:
        self.setVisible(False)
        self.retry_requested.emit()


def _set_brief(label: QLabel, text: str) -> None:
    """`text` brief on the label, the whole of it in the tooltip when that differs."""
    short = brief(text)
    label.setText(short)
    label.setToolTip(style.plain_tooltip(text if short != text else ""))
