"""The widgets a token report is drawn with: `ReportView` (kind, expiry countdown,
signature badge, claims and header tables, or the header and payload as JSON with
copy buttons, as jwt.io shows them) and `TokenText` (the revealed token in jwt.io's
three colours).

The details pane, "Paste & decode" and the add dialog use them; the words they
show come from gui/report_text.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeyEvent, QKeySequence, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui import style
from tokenmgr.gui.errors import brief, unreachable
from tokenmgr.gui.report_text import (
    ReportData,
    Row,
    badge,
    claim_rows,
    expiry_line,
    header_rows,
    json_text,
    kind_line,
    left_out_line,
    show_value,
)

CLAIMS_TAB, JSON_TAB = 0, 1
COPIED_FOR_MS = 2000  # how long a copy button says "Copied"


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

    def set_rows(self, rows: Sequence[Row], full: Sequence[str] = ()) -> None:
        """One row per `rows` item; `full[r]`, when longer than the value shown, is the
        value's tooltip (a long or nested value is cut in the table)."""
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(r, c, item)
                if item.text() != text:
                    item.setText(text)
                tip = style.plain_tooltip(
                    full[r] if c == 1 and r < len(full) and full[r] != text else "")
                if item.toolTip() != tip:
                    item.setToolTip(tip)
        self.resizeRowsToContents()
        self._fit()

    def _fit(self) -> None:
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height)


class JsonText(QTextEdit):
    """Read-only JSON in a fixed font, as tall as its text up to a limit, then scrolling."""

    MAX_LINES = 30

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setAccessibleName(name)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._on_document_resized)

    def set_json(self, text: str) -> None:
        if self.toPlainText() != text:
            self.setPlainText(text)  # plain text: nothing in a token is read as markup

    @Slot()
    def _on_document_resized(self) -> None:
        most = self.MAX_LINES * self.fontMetrics().lineSpacing()
        height = min(int(self.document().size().height()), most)
        self.setFixedHeight(height + 2 * self.frameWidth() + 4)


class ReportView(QWidget):
    """One token's report: kind, expiry countdown, signature badge, then the claims and
    header as tables (each registered claim with its gloss) or as JSON with copy buttons."""

    verify_requested = Signal()
    json_copied = Signal(str)  # "header" or "payload"

    def __init__(
        self, parent: QWidget | None = None, *, verifiable: bool = True, secret_hint: str = ""
    ) -> None:
        super().__init__(parent)
        self._data: ReportData | None = None
        self._expires_at: datetime | None = None
        self._secret_hint = secret_hint
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        # Plain text, every one: a token's header or a server's reason may hold markup.
        self.kind_label = QLabel()
        self.kind_label.setTextFormat(Qt.TextFormat.PlainText)
        self.kind_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.expiry_label = QLabel()
        self.expiry_label.setTextFormat(Qt.TextFormat.PlainText)
        f = self.expiry_label.font()
        f.setBold(True)
        self.expiry_label.setFont(f)
        badge_row = QHBoxLayout()
        self.badge_label = QLabel()
        self.badge_label.setTextFormat(Qt.TextFormat.PlainText)
        self.badge_label.setWordWrap(True)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setAccessibleName("Verify the signature")
        self.verify_button.setToolTip("Check the signature against the issuer's published keys")
        self.verify_button.clicked.connect(self._on_verify_button_clicked)
        self.verify_button.setVisible(verifiable)
        badge_row.addWidget(self.badge_label, 1)
        badge_row.addWidget(self.verify_button)
        self.reason_label = QLabel()
        self.reason_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reason_label.setWordWrap(True)
        self.left_out_label = QLabel()
        self.left_out_label.setTextFormat(Qt.TextFormat.PlainText)  # it names claims
        self.left_out_label.setWordWrap(True)
        self.left_out_label.setAccessibleName("Claims not shown")
        self.tabs = QTabBar()
        self.tabs.setAccessibleName("Show the claims as")
        self.tabs.addTab("Claims")
        self.tabs.addTab("JSON")
        self.tabs.setTabToolTip(CLAIMS_TAB, "Each claim with what it means")
        self.tabs.setTabToolTip(JSON_TAB, "The header and payload as JSON, to copy")
        self.tabs.setDrawBase(False)
        self.tabs.setExpanding(False)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.claims = _FitTable(["Claim", "Value", "Meaning"], "Claims")
        self.header = _FitTable(["Header", "Value", "Meaning"], "Header")
        self.json_page = QWidget()
        json_lay = QVBoxLayout(self.json_page)
        json_lay.setContentsMargins(0, 0, 0, 0)
        self.header_json = JsonText("Header (JSON)")
        self.payload_json = JsonText("Payload (JSON)")
        self.copy_header_button = QPushButton("Copy")
        self.copy_header_button.setAccessibleName("Copy the header JSON")
        self.copy_header_button.clicked.connect(self._on_copy_header_button_clicked)
        self.copy_payload_button = QPushButton("Copy")
        self.copy_payload_button.setAccessibleName("Copy the payload JSON")
        self.copy_payload_button.clicked.connect(self._on_copy_payload_button_clicked)
        self.payload_title = QLabel("Payload")
        for title, button, text in (
            (QLabel("Header"), self.copy_header_button, self.header_json),
            (self.payload_title, self.copy_payload_button, self.payload_json),
        ):
            row = QHBoxLayout()
            row.addWidget(title, 1)
            row.addWidget(button)
            json_lay.addLayout(row)
            json_lay.addWidget(text)
        self._copied = QTimer(self)
        self._copied.setSingleShot(True)
        self._copied.setInterval(COPIED_FOR_MS)
        self._copied.timeout.connect(self._on_copied_timeout)
        self.json_page.setVisible(False)
        self.warnings_label = QLabel()
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings_label.setWordWrap(True)
        lay.addWidget(self.kind_label)
        lay.addWidget(self.expiry_label)
        lay.addLayout(badge_row)
        lay.addWidget(self.reason_label)
        lay.addWidget(self.left_out_label)
        tabs_row = QHBoxLayout()
        tabs_row.addWidget(self.tabs)
        tabs_row.addStretch(1)
        lay.addLayout(tabs_row)
        lay.addWidget(self.claims)
        lay.addWidget(self.header)
        lay.addWidget(self.json_page)
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
        v = data.verification or {}
        short = words
        if v.get("keys_unavailable") and v.get("cause"):
            short = f"Can't verify: {unreachable(str(v['cause']), v.get('host'))}"
        self.badge_label.setText(f"{mark} {brief(short)}")
        self.badge_label.setToolTip(style.plain_tooltip(words if brief(short) != words else ""))
        self.badge_label.setAccessibleName(words)
        self.verify_button.setEnabled(data.kind == "jws")
        note = data.reason if data.kind in ("malformed", "opaque") else None
        if v.get("needs_secret") and self._secret_hint:
            note = self._secret_hint
        self.reason_label.setText(show_value(note, 300) if note else "")
        self.reason_label.setVisible(bool(note))
        left_out = left_out_line(data)
        self.left_out_label.setText(left_out)
        self.left_out_label.setVisible(bool(left_out))
        has_parts = data.header or data.claims
        self.tabs.setVisible(bool(has_parts))
        self.header_json.set_json(json_text(data.header) if data.header else "")
        self.payload_json.set_json(json_text(data.claims) if data.claims else "")
        # A JWE's payload is for its recipient only: there is none to show.
        for w in (self.payload_title, self.copy_payload_button, self.payload_json):
            w.setVisible(bool(data.claims))
        self._show_tab(self.tabs.currentIndex() if has_parts else CLAIMS_TAB)
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
        on_claims = self.tabs.currentIndex() == CLAIMS_TAB
        self.claims.setVisible(bool(rows) and on_claims)
        self.claims.set_rows(rows, [_full_value(v) for v in data.claims.values()])
        self.header.set_rows(header_rows(data), [_full_value(v) for v in data.header.values()])

    def _show_tab(self, index: int) -> None:
        data = self._data
        on_claims = index == CLAIMS_TAB or data is None
        self.claims.setVisible(on_claims and bool(data and data.claims))
        self.header.setVisible(on_claims and bool(data and data.header))
        self.json_page.setVisible(not on_claims)

    def _copy(self, button: QPushButton, text: str, what: str) -> None:
        board = QGuiApplication.clipboard()
        if board is None or not text:
            return
        board.setText(text)  # claims, not the token: no clearing or concealment needed
        self._on_copied_timeout()
        button.setText("Copied")
        self._copied.start()
        self.json_copied.emit(what)

    @Slot(int)
    def _on_tabs_current_changed(self, index: int) -> None:
        self._show_tab(index)

    @Slot()
    def _on_copy_header_button_clicked(self) -> None:
        self._copy(self.copy_header_button, self.header_json.toPlainText(), "header")

    @Slot()
    def _on_copy_payload_button_clicked(self) -> None:
        self._copy(self.copy_payload_button, self.payload_json.toPlainText(), "payload")

    @Slot()
    def _on_copied_timeout(self) -> None:
        self.copy_header_button.setText("Copy")
        self.copy_payload_button.setText("Copy")

    @Slot()
    def _on_verify_button_clicked(self) -> None:
        self.verify_requested.emit()


def _full_value(value: object) -> str:
    """A value as its tooltip shows it when the table cuts it (longer, still bounded)."""
    return show_value(value, 4000)


class TokenText(QTextEdit):
    """The revealed token: three coloured segments like jwt.io, wrapped anywhere.

    It can be read, not selected: a selection would go to the X11 mouse selection
    (pasted by any middle click, never cleared) and Ctrl+C would put the token on the
    clipboard with no concealment hint and no countdown. Its context menu and Ctrl+C
    ask for the app's own copy instead (`copy_requested`)."""

    copy_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setUndoRedoEnabled(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_custom_context_menu_requested)
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

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.matches(QKeySequence.StandardKey.Copy):
            event.accept()
            self.copy_requested.emit()
            return
        super().keyPressEvent(event)

    @Slot(QPoint)
    def _on_custom_context_menu_requested(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction("Copy token", self.copy_requested.emit)
        menu.popup(self.mapToGlobal(pos))

    @Slot()
    def _on_document_resized(self) -> None:
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 4
        self.setFixedHeight(max(height, self.fontMetrics().height() + 12))
