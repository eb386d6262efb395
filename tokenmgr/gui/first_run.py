"""The store screen: no secure keyring, create the vault file, or unlock it.

Shown instead of the token list when the secret store is not ready: it says
what was tried and how to fix it, and offers the encrypted vault file as the
embedded default (passphrase asked twice). Later starts ask to unlock it; a
wrong passphrase is a sentence under the field and another try, never a dead
app. The page only asks: gui/store_setup.py runs the store calls in workers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui import style

MODE_NO_KEYRING = "no_keyring"
MODE_CREATE = "create"
MODE_UNLOCK = "unlock"
MIN_PASSPHRASE = 8


class StoreSetupPage(QWidget):
    retry_requested = Signal()
    create_requested = Signal(str)  # passphrase
    unlock_requested = Signal(str)  # passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = MODE_NO_KEYRING
        self._busy = False
        # A readable column, centred, however wide the window is.
        centre = QHBoxLayout(self)
        column = QWidget()
        column.setMaximumWidth(760)
        centre.addStretch(1)
        centre.addWidget(column, 4)
        centre.addStretch(1)
        outer = QVBoxLayout(column)
        outer.setContentsMargins(24, 32, 24, 32)
        self.title = QLabel()
        f = self.title.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        self.title.setFont(f)
        self.title.setWordWrap(True)
        outer.addWidget(self.title)
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        self.explain.setTextFormat(Qt.TextFormat.RichText)
        self.explain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.explain)

        retry_row = QHBoxLayout()
        self.retry_button = QPushButton("Try the keyring again")
        self.retry_button.setAccessibleName("Try the keyring again")
        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        retry_row.addWidget(self.retry_button)
        retry_row.addStretch(1)
        outer.addLayout(retry_row)

        self.form_title = QLabel()
        self.form_title.setWordWrap(True)
        fb = self.form_title.font()
        fb.setBold(True)
        self.form_title.setFont(fb)
        outer.addWidget(self.form_title)
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.textChanged.connect(self._on_field_changed)
        self.passphrase.returnPressed.connect(self._on_primary_clicked)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setAccessibleName("Passphrase again")
        self.again.textChanged.connect(self._on_field_changed)
        self.again.returnPressed.connect(self._on_primary_clicked)
        self.again_label = QLabel("Again")
        form.addRow("Passphrase", self.passphrase)
        form.addRow(self.again_label, self.again)
        outer.addLayout(form)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the keyring's answer
        self.error.setWordWrap(True)
        pal = self.error.palette()
        pal.setColor(self.error.foregroundRole(), style.error_color())
        self.error.setPalette(pal)
        outer.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.primary = QPushButton()
        self.primary.setDefault(True)
        self.primary.clicked.connect(self._on_primary_clicked)
        row.addWidget(self.primary)
        outer.addLayout(row)
        outer.addStretch(1)
        self.set_mode(MODE_NO_KEYRING)

    def set_mode(self, mode: str, *, tried: str = "", problem: str = "", where: str = "") -> None:
        self.mode = mode
        self._busy = False
        self.passphrase.clear()
        self.again.clear()
        self.error.clear()
        creating = mode in (MODE_NO_KEYRING, MODE_CREATE)
        self.again.setVisible(creating)
        self.again_label.setVisible(creating)
        self.retry_button.setVisible(mode == MODE_NO_KEYRING)
        file_text = (
            f"The vault file is <tt>{style.escape(where)}</tt>." if where else ""
        )
        if mode == MODE_NO_KEYRING:
            locked = "locked" in problem.lower()
            self.title.setText("The keyring is locked" if locked else "No secure keyring answered")
            if locked:
                fix = (
                    "unlock the keyring (Seahorse, KeePassXC, or log in to the desktop again), "
                    "and try again."
                )
            else:
                fix = (
                    "start a Secret Service (gnome-keyring or KeePassXC with its Secret Service "
                    "integration), unlock it, and try again."
                )
            self.explain.setText(
                f"<p>Token Manager keeps tokens in your system keyring. It tried "
                f"{style.escape(tried or 'the system keyring')}, and got this answer:</p>"
                f"<p><i>{style.escape(problem)}</i></p>"
                f"<p><b>To fix it</b>, {fix}</p>"
                "<p><b>Or</b> keep your tokens in an encrypted vault file instead: one file, "
                "encrypted with a passphrase you choose (scrypt and AES-256-GCM). Nothing is "
                f"ever stored in plain text. {file_text}</p>"
            )
            self.form_title.setText("Use an encrypted vault file")
            self.primary.setText("Create vault file")
        elif mode == MODE_CREATE:
            self.title.setText("Create the vault file")
            self.explain.setText(
                "<p>You chose to keep tokens in an encrypted vault file, and there is none "
                f"yet. Choose its passphrase; you will be asked for it at each start. "
                f"{file_text}</p>"
            )
            self.form_title.setText("Choose a passphrase")
            self.primary.setText("Create vault file")
        else:
            self.title.setText("Unlock the vault file")
            self.explain.setText(
                f"<p>Your tokens are in an encrypted vault file. {file_text}</p>"
            )
            self.form_title.setText("")
            self.primary.setText("Unlock")
        self.primary.setAccessibleName(self.primary.text())
        self._on_field_changed()
        self.passphrase.setFocus()

    def set_busy(self, busy: bool, what: str = "") -> None:
        self._busy = busy
        if busy:
            self.error.setText(what)
        self._on_field_changed()

    def set_error(self, text: str) -> None:
        self._busy = False
        self.error.setText(text)
        self.passphrase.clear()
        self.again.clear()
        self.passphrase.setFocus()
        self._on_field_changed()

    def _problem(self) -> str:
        p, a = self.passphrase.text(), self.again.text()
        if self.mode == MODE_UNLOCK:
            return "" if p else " "
        if not p:
            return " "
        if len(p) < MIN_PASSPHRASE:
            return f"Use at least {MIN_PASSPHRASE} characters."
        if not a:
            return " "
        if a != p:
            return "The two passphrases differ."
        return ""

    @Slot()
    def _on_field_changed(self, *_args: object) -> None:
        problem = self._problem()
        self.primary.setEnabled(not problem and not self._busy)
        if not self._busy and problem.strip() and self.again.text():
            self.error.setText(problem)
        elif not self._busy and self.error.text() in (
            "The two passphrases differ.",
            f"Use at least {MIN_PASSPHRASE} characters.",
        ):
            self.error.setText("")

    @Slot()
    def _on_primary_clicked(self) -> None:
        if self._problem() or self._busy:
            return
        phrase = self.passphrase.text()
        unlocking = self.mode == MODE_UNLOCK
        self.set_busy(True, "Unlocking…" if unlocking else "Creating the vault file…")
        if self.mode == MODE_UNLOCK:
            self.unlock_requested.emit(phrase)
        else:
            self.create_requested.emit(phrase)

    @Slot()
    def _on_retry_button_clicked(self) -> None:
        self.retry_requested.emit()
