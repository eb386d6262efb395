"""The widgets a token report is drawn with: `ReportView` (kind, expiry countdown,
signature badge, claims and header tables) and `TokenText` (the revealed token in
jwt.io's three colours).

The details pane, "Paste & decode" and the add dialog use them; the words they
show come from gui/report_text.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFontDatabase, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui import style
from tokenmgr.gui.report_text import (
    ReportData,
    Row,
    badge,
    claim_rows,
    expiry_line,
    header_rows,
    kind_line,
    show_value,
)


class _FitTable(QTableWidget):
    """A table as tall as its rows: the pane scrolls, not each table."""

    def __init__(self, columns: list[str], name: str) -> None:
        super().__init__(0, len(columns))
        self.setHorizontalHeaderLabels(columns)
        self.setAccessibleName(name)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setWordWrap(True)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        h = self.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for i in range(1, len(columns) - 1):
            h.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(len(columns) - 1, QHeaderView.ResizeMode.ResizeToContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(r, c, item)
                if item.text() != text:
                    item.setText(text)
        self.resizeRowsToContents()
        self._fit()

    def _fit(self) -> None:
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height)


class ReportView(QWidget):
    """One token's report: kind, expiry countdown, signature badge, claims, header."""

    verify_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, verifiable: bool = True) -> None:
        super().__init__(parent)
        self._data: ReportData | None = None
        self._expires_at: datetime | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.kind_label = QLabel()
        self.kind_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.expiry_label = QLabel()
        f = self.expiry_label.font()
        f.setBold(True)
        self.expiry_label.setFont(f)
        badge_row = QHBoxLayout()
        self.badge_label = QLabel()
        self.badge_label.setWordWrap(True)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setAccessibleName("Verify the signature")
        self.verify_button.setToolTip("Check the signature against the issuer's published keys")
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.verify_button.setVisible(verifiable)
        badge_row.addWidget(self.badge_label, 1)
        badge_row.addWidget(self.verify_button)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.claims = _FitTable(["Claim", "Value", "Meaning"], "Claims")
        self.header = _FitTable(["Header", "Value", "Meaning"], "Header")
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        lay.addWidget(self.kind_label)
        lay.addWidget(self.expiry_label)
        lay.addLayout(badge_row)
        lay.addWidget(self.reason_label)
        lay.addWidget(self.claims)
        lay.addWidget(self.header)
        lay.addWidget(self.warnings_label)

    @property
    def data(self) -> ReportData | None:
        return self._data

    def set_busy(self, busy: bool) -> None:
        self.verify_button.setEnabled(not busy)
        self.verify_button.setText("Verifying…" if busy else "Verify")

    def set_report(
        self, data: ReportData, now: datetime, expires_at: datetime | None = None
    ) -> None:
        self._data = data
        self._expires_at = expires_at if expires_at is not None else data.expires_at
        self.kind_label.setText(kind_line(data))
        mark, words = badge(data)
        self.badge_label.setText(f"{mark} {words}")
        self.badge_label.setAccessibleName(words)
        self.verify_button.setEnabled(data.kind == "jws")
        note = data.reason if data.kind in ("malformed", "opaque") else None
        self.reason_label.setText(show_value(note, 300) if note else "")
        self.reason_label.setVisible(bool(note))
        self.header.setVisible(bool(data.header))
        self.warnings_label.setText(
            "\n".join(f"⚠ {show_value(w, 300)}" for w in data.warnings) if data.warnings else ""
        )
        self.warnings_label.setVisible(bool(data.warnings))
        self.tick(now)

    def tick(self, now: datetime) -> None:
        data = self._data
        if data is None:
            return
        is_jwt = data.kind in ("jws", "jwe")
        self.expiry_label.setVisible(is_jwt or self._expires_at is not None)
        self.expiry_label.setText(expiry_line(self._expires_at, now))
        rows = claim_rows(data, now)
        self.claims.setVisible(bool(rows))
        self.claims.set_rows(rows)
        self.header.set_rows(header_rows(data))

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        self.verify_requested.emit()


class TokenText(QTextEdit):
    """The revealed token: three coloured segments like jwt.io, wrapped anywhere."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName("Token (revealed)")
        self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._on_document_resized)

    def set_token(self, token: str) -> None:
        if not token:
            self.clear()
            return
        colors = style.segment_colors()
        parts = token.split(".")
        if len(parts) in (3, 5):
            out = []
            for i, part in enumerate(parts):
                text = style.escape(part)
                out.append(f'<span style="color:{colors[i]}">{text}</span>' if i < 3 else text)
            body = ".".join(out)
        else:
            body = style.escape(token)
        self.setHtml(f"<div>{body}</div>")

    @Slot()
    def _on_document_resized(self) -> None:
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 4
        self.setFixedHeight(max(height, self.fontMetrics().height() + 12))
