"""Paste & decode: explain whatever token is on the clipboard; store nothing.

The text is read from the clipboard once, inspected (pure computation, no
I/O) and shown with the same report view as the details pane. "Verify" runs
in a worker. Nothing is written anywhere; closing the dialog forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui.report_text import ReportData
from tokenmgr.gui.report_view import ReportView

EMPTY = "The clipboard holds no text. Copy a token, then choose Paste & decode again."
NOTE = "Decoded from the clipboard. Nothing was stored."


class DecodeDialog(QDialog):
    def __init__(
        self,
        text: str,
        parent: QWidget | None = None,
        *,
        verify: Callable[[Any, Callable[[Any], None], Callable[[BaseException], None]], None]
        | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Paste & decode")
        self.setMinimumSize(560, 420)
        self._verify = verify
        self._report: Any = None
        lay = QVBoxLayout(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.view = ReportView(verifiable=verify is not None)
        self.view.verify_requested.connect(self._on_view_verify_requested)
        self.error = QLabel()
        self.error.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        inner_lay = QVBoxLayout(inner)
        inner_lay.addWidget(self.view)
        inner_lay.addWidget(self.error)
        inner_lay.addStretch(1)
        scroll.setWidget(inner)
        lay.addWidget(scroll, 1)
        buttons = QDialogButtonBox()
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

        text = text.strip()
        if not text:
            self.note.setText(EMPTY)
            self.view.setVisible(False)
            return
        from tokenmgr.core import jwt_inspect

        self._report = jwt_inspect.inspect(text)
        self.note.setText(NOTE)
        self.view.set_report(ReportData.from_report(self._report), datetime.now(UTC))

    @property
    def report_data(self) -> ReportData | None:
        return self.view.data

    @Slot()
    def _on_view_verify_requested(self) -> None:
        if self._verify is None or self._report is None:
            return
        self.view.set_busy(True)
        self.error.setText("")
        self._verify(self._report, self._on_verified, self._on_verify_failed)

    def _on_verified(self, report: Any) -> None:
        from shiboken6 import isValid

        if not isValid(self.view):  # closed meanwhile
            return
        self.view.set_busy(False)
        self.view.set_report(ReportData.from_report(report), datetime.now(UTC))

    def _on_verify_failed(self, exc: BaseException) -> None:
        from shiboken6 import isValid

        from tokenmgr.gui.errors import describe

        if not isValid(self.view):
            return
        self.view.set_busy(False)
        self.error.setText(describe(exc))

    def done(self, result: int) -> None:
        self._report = None  # the decoded token is forgotten with the dialog
        super().done(result)
