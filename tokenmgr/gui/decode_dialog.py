"""Paste & decode: explain whatever token is on the clipboard; store nothing.

The text is read from the clipboard once, inspected (pure computation, no
I/O) and shown with the same report view as the details pane: the claims
with their meanings, or the header and payload as JSON to copy. "Verify"
runs in a worker, with the key source chosen above the report: the issuer's
published keys (pinned when a signed-in entry names the issuer), a shared
secret (HMAC), a public key (PEM, certificate, JWK or JWK Set) or a JWKS URL.
Enter in the secret field checks it. What is given for a check is used for it
only: never stored, never logged, cleared with the dialog. "Add this token"
hands the token to the add dialog. Nothing is written anywhere; closing the
dialog forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui import style
from tokenmgr.gui.errors import brief, describe
from tokenmgr.gui.form_fields import error_label
from tokenmgr.gui.report_text import ReportData
from tokenmgr.gui.report_view import ReportView

EMPTY = "The clipboard holds no text. Copy a token, then choose Paste & decode again."
NOTE = "Decoded from the clipboard. Nothing was stored."
SECRET_HINT = 'Choose "A shared secret (HMAC)" above and paste the secret to check it.'
# (source, what the choice says) in the order offered.
SOURCES = (
    ("issuer", "The issuer's published keys"),
    ("secret", "A shared secret (HMAC)"),
    ("public_key", "A public key (PEM or JWK)"),
    ("jwks_url", "A JWKS URL"),
)


@dataclass
class VerifyRequest:
    """What the user chose to check the signature with. `given` (a secret, a key, a URL)
    is used for this one check; never stored, never in a repr."""

    source: str  # one of core.usecases.verify.VERIFY_SOURCES
    given: str = field(default="", repr=False)
    base64url: bool = False


Verify = Callable[[Any, VerifyRequest, Callable[[Any], None], Callable[[BaseException], None]],
                  None]


class DecodeDialog(QDialog):
    add_requested = Signal(str)  # the token, for the add dialog ("Add this token")

    def __init__(
        self,
        text: str,
        parent: QWidget | None = None,
        *,
        verify: Verify | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paste & decode")
        self.setMinimumSize(600, 520)
        self._verify = verify
        self._report: Any = None
        lay = QVBoxLayout(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.error = error_label()
        self.error.setAccessibleName("Why the check failed")
        self.key_box = self._build_key_box()
        self.key_box.setVisible(verify is not None)
        lay.addWidget(self.key_box)
        # Verify is the key row's button here (Enter in the secret field presses it).
        self.view = ReportView(verifiable=False, secret_hint=SECRET_HINT)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        inner_lay = QVBoxLayout(inner)
        inner_lay.addWidget(self.error)
        inner_lay.addWidget(self.view)
        inner_lay.addStretch(1)
        scroll.setWidget(inner)
        lay.addWidget(scroll, 1)
        buttons = QDialogButtonBox()
        self.add_button = QPushButton("Add this token…")
        self.add_button.setAutoDefault(False)
        self.add_button.setAccessibleName("Add this token")
        self.add_button.setToolTip("Store it: the add dialog opens with it")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        buttons.addButton(self.add_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

        text = text.strip()
        if not text:
            self.note.setText(EMPTY)
            self.view.setVisible(False)
            self.key_box.setVisible(False)
            self.add_button.setEnabled(False)
            return
        from tokenmgr.core import jwt_inspect

        self._report = jwt_inspect.inspect(text)
        self.note.setText(NOTE)
        data = ReportData.from_report(self._report)
        self.view.set_report(data, datetime.now(UTC))
        self.key_box.setVisible(verify is not None and data.kind == "jws")
        self.verify_button.setDefault(self.key_box.isVisibleTo(self))
        self.add_button.setEnabled(data.kind != "malformed")
        alg = data.header.get("alg")
        if isinstance(alg, str) and alg.startswith("HS"):  # only its secret can check it
            self.source.setCurrentIndex(self.source.findData("secret"))

    def _build_key_box(self) -> QWidget:
        """"Check the signature with [what] [Verify]", and under it the one input the
        choice needs (a secret, a key, a URL; nothing for the issuer's keys)."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        label = QLabel("Check the signature &with")
        self.source = QComboBox()
        self.source.setAccessibleName("Check the signature with")
        for source, words in SOURCES:
            self.source.addItem(words, source)
        label.setBuddy(self.source)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setAccessibleName("Verify the signature")
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        row.addWidget(label)
        row.addWidget(self.source, 1)
        row.addWidget(self.verify_button)
        lay.addLayout(row)

        self.issuer_note = QLabel(
            "The keys the token's issuer publishes: pinned when a signed-in entry names "
            "that issuer."
        )
        self.issuer_note.setWordWrap(True)
        self.secret_row = QWidget()
        secret_lay = QHBoxLayout(self.secret_row)
        secret_lay.setContentsMargins(0, 0, 0, 0)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Shared secret")
        self.secret.setPlaceholderText("The secret the token was signed with (never stored)")
        self.secret_base64 = QCheckBox("Base64-encoded")
        self.secret_base64.setAccessibleName("The secret is base64-encoded")
        secret_lay.addWidget(self.secret, 1)
        secret_lay.addWidget(self.secret_base64)
        self.public_key = QPlainTextEdit()
        self.public_key.setAccessibleName("Public key")
        self.public_key.setPlaceholderText(
            "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n"
            "(or a certificate, a JWK or a JWK Set; never stored)"
        )
        self.public_key.setFixedHeight(5 * self.public_key.fontMetrics().lineSpacing() + 12)
        self.jwks_url = QLineEdit()
        self.jwks_url.setAccessibleName("JWKS URL")
        self.jwks_url.setPlaceholderText("https://id.example.com/.well-known/jwks.json")
        # One input per choice, in SOURCES order; only the chosen one is shown.
        self._inputs: list[QWidget] = [
            self.issuer_note, self.secret_row, self.public_key, self.jwks_url
        ]
        for w in self._inputs:
            lay.addWidget(w)
        self.source.currentIndexChanged.connect(self._on_source_current_index_changed)
        self._on_source_current_index_changed(self.source.currentIndex())
        return box

    @property
    def report_data(self) -> ReportData | None:
        return self.view.data

    def request(self) -> VerifyRequest:
        """What the key row says to check the signature with."""
        source = str(self.source.currentData())
        given = {
            "secret": self.secret.text(),
            "public_key": self.public_key.toPlainText(),
            "jwks_url": self.jwks_url.text(),
        }.get(source, "")
        return VerifyRequest(source, given, self.secret_base64.isChecked())

    # ---------------------------------------------------------------- slots

    @Slot(int)
    def _on_source_current_index_changed(self, index: int) -> None:
        for i, w in enumerate(self._inputs):
            w.setVisible(i == index)
        self._set_error("")
        field = {1: self.secret, 2: self.public_key, 3: self.jwks_url}.get(index)
        if field is not None and self.isVisible():
            field.setFocus()

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        if self._verify is None or self._report is None:
            return
        self._set_busy(True)
        self._set_error("")
        self._verify(self._report, self.request(), self._on_verified, self._on_verify_failed)

    def _set_busy(self, busy: bool) -> None:
        self.verify_button.setEnabled(not busy)
        self.verify_button.setText("Verifying…" if busy else "Verify")

    @Slot()
    def _on_add_button_clicked(self) -> None:
        report = self._report
        if report is None or not report.token:
            return
        token = report.token  # as decoded: without a pasted `Bearer ` or line breaks
        self.accept()
        self.add_requested.emit(token)

    def _on_verified(self, report: Any) -> None:
        from shiboken6 import isValid

        if not isValid(self.view):  # closed meanwhile
            return
        self._set_busy(False)
        self.view.set_report(ReportData.from_report(report), datetime.now(UTC))

    def _on_verify_failed(self, exc: BaseException) -> None:
        from shiboken6 import isValid

        if not isValid(self.view):
            return
        self._set_busy(False)
        self._set_error(describe(exc))

    def _set_error(self, text: str) -> None:
        self.error.setText(brief(text))
        self.error.setToolTip(style.plain_tooltip(text if brief(text) != text else ""))
        self.error.setVisible(bool(text))

    def done(self, result: int) -> None:
        # The decoded token and whatever was given to check it are forgotten with the dialog.
        self._report = None
        self.secret.clear()
        self.public_key.clear()
        self.jwks_url.clear()
        super().done(result)
