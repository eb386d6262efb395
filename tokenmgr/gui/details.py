"""The details pane: what a token says, in words, beside the list.

The access token's report is drawn from the non-secret summary the index keeps
(`entry.report`), so selecting an entry reads no secret; so is what its provider last
said ("GitHub says: expires 2027-01-31 (in 60 days) · scopes repo · checked 2 min
ago", core/probe/text.py), with "Check now" to ask again (`check_requested`). The
secret is read only on Reveal, Verify or "Show ID token", in a worker: the pane asks
with a signal (`reveal_requested`, `verify_requested`, `id_token_requested`) and is
given the result (`show_token`, `set_access_report`, `set_id_report`). The words come
from gui/report_text.py, the report widgets from gui/report_view.py.

Below, "Used by" (gui/used_by.py): the hosts the entry serves to git, kubectl and
docker, the set-up buttons (`setup_copy_requested`) and what the access record says
(`set_usage`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.entries import Entry
from tokenmgr.core.redact import printable
from tokenmgr.gui.pane_widgets import hline, section_label
from tokenmgr.gui.report_text import (
    ACCESS_SUBTITLE,
    ACCESS_TITLE,
    ID_SUBTITLE,
    ID_TITLE,
    ReportData,
    sign_in_line,
)
from tokenmgr.gui.report_view import ReportView
from tokenmgr.gui.timewords import local_utc
from tokenmgr.gui.token_reveal import TokenReveal
from tokenmgr.gui.used_by import UsedBy

if TYPE_CHECKING:
    from tokenmgr.core.jwt_inspect import TokenReport

PLACEHOLDER = "Select a token to see what it says."
SECRET_HINT = "Paste & decode (Ctrl+Shift+V) can check it with the shared secret."
SHOW_ID = "Show ID token ▸"
FIELDS = (
    ("env_var", "Env var"),
    ("scheme", "Scheme"),
    ("kind", "Kind"),
    ("note", "Note"),
    ("tags", "Tags"),
    ("created", "Added"),
    ("updated", "Changed"),
)


class DetailsPane(QWidget):
    """The right-hand side of the main window."""

    reveal_requested = Signal(str)  # entry name: read the access token to show it
    verify_requested = Signal(str)  # entry name: check the access token's signature
    id_token_requested = Signal(str)  # entry name: read and explain the ID token
    sign_in_requested = Signal(str)  # entry name: "Sign in again"
    # (entry name, tool): copy the set-up line or snippet for "git", "kubectl" or "docker".
    setup_copy_requested = Signal(str, str)
    check_requested = Signal(str)  # entry name: ask its provider about it now
    copy_requested = Signal(str)  # entry name: copy the revealed token (the app's copy)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry: Entry | None = None
        self._now = datetime.now(UTC)
        self._full: dict[tuple[str, str], ReportData] = {}  # (name, updated_at) → report

        outer = QVBoxLayout(self)
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        outer.addWidget(self.placeholder)
        self.body = QWidget()
        outer.addWidget(self.body)
        lay = QVBoxLayout(self.body)
        lay.setContentsMargins(0, 0, 0, 0)

        top = QHBoxLayout()
        # Every label showing what the index, a token or a server says is plain text: a
        # service named "<h1>Verified" must not draw a heading.
        self.name_label = QLabel()
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.service_label = QLabel()
        self.service_label.setTextFormat(Qt.TextFormat.PlainText)
        self.service_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        top.addWidget(self.name_label, 1)
        top.addWidget(self.service_label)
        lay.addLayout(top)
        self.state_label = QLabel()
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)
        self.sign_in_button = QPushButton("Sign in again")
        self.sign_in_button.setAccessibleName("Sign in again")
        self.sign_in_button.clicked.connect(self._on_sign_in_button_clicked)
        state_row = QHBoxLayout()
        state_row.addWidget(self.state_label, 1)
        state_row.addWidget(self.sign_in_button)
        lay.addLayout(state_row)
        self.provider_label = QLabel()
        self.provider_label.setWordWrap(True)
        self.provider_label.setTextFormat(Qt.TextFormat.PlainText)  # provider text, never rich
        self.provider_label.setAccessibleName("What its provider says")
        self.provider_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.check_button = QPushButton("Check now")
        self.check_button.setAccessibleName("Check with its provider now")
        self.check_button.clicked.connect(self._on_check_button_clicked)
        provider_row = QHBoxLayout()
        provider_row.addWidget(self.provider_label, 1)
        provider_row.addWidget(self.check_button)
        self.provider_row = QWidget()
        self.provider_row.setLayout(provider_row)
        provider_row.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.provider_row)

        lay.addWidget(hline())
        self.access_title = section_label(ACCESS_TITLE, ACCESS_SUBTITLE)
        lay.addWidget(self.access_title)
        # The report view is made when a report is first drawn (an entry with an opaque
        # token has none); its place is kept here.
        self._access_slot = QVBoxLayout()
        self._access_slot.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._access_slot)
        self._access_view: ReportView | None = None
        self.no_report = QLabel("Nothing is known about this token yet; reveal it to decode it.")
        self.no_report.setWordWrap(True)
        lay.addWidget(self.no_report)

        self.id_box = QWidget()
        id_lay = QVBoxLayout(self.id_box)
        id_lay.setContentsMargins(0, 0, 0, 0)
        id_lay.addWidget(hline())
        id_top = QHBoxLayout()
        id_top.addWidget(section_label(ID_TITLE, ID_SUBTITLE), 1)
        self.id_button = QPushButton(SHOW_ID)
        self.id_button.setAccessibleName("Show what the ID token says")
        self.id_button.clicked.connect(self._on_id_button_clicked)
        id_top.addWidget(self.id_button)
        id_lay.addLayout(id_top)
        self._id_lay = id_lay
        self.id_view: ReportView | None = None  # made when first asked for
        lay.addWidget(self.id_box)

        lay.addWidget(hline())
        self.token_row = TokenReveal()
        self.token_row.reveal_requested.connect(self._on_token_row_reveal_requested)
        self.token_row.copy_requested.connect(self._on_token_row_copy_requested)
        lay.addWidget(self.token_row)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for key, label in FIELDS:
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(label)
            self.fields[key] = value
            form.addRow(label, value)
        lay.addLayout(form)
        self.used_by = UsedBy()
        self.used_by.setup_copy_requested.connect(self._on_used_by_setup_copy_requested)
        lay.addWidget(self.used_by)
        lay.addStretch(1)
        self.set_entry(None)

    # ------------------------------------------------------------------ what it shows

    @property
    def entry(self) -> Entry | None:
        return self._entry

    @property
    def access_view(self) -> ReportView | None:
        """The access token's report; None until one is first drawn."""
        return self._access_view

    @property
    def revealed(self) -> bool:
        return self.token_row.revealed

    def revealed_text(self) -> str:
        """What the reveal shows now ("" when masked)."""
        return self.token_row.revealed_text()

    def set_list_empty(self, empty: bool) -> None:
        """With no tokens at all the list's empty state says what to do; the pane is quiet."""
        self.placeholder.setText("" if empty else PLACEHOLDER)

    def set_entry(self, entry: Entry | None, now: datetime | None = None) -> None:
        """Show an entry (from the index only). A different entry conceals the token."""
        if now is not None:
            self._now = now
        same = entry is not None and self._entry is not None and entry.name == self._entry.name
        if not same:
            self.conceal()
            if self.id_view is not None:
                self.id_view.setVisible(False)
            self.id_failed()
        self._entry = entry
        self.placeholder.setVisible(entry is None)
        self.body.setVisible(entry is not None)
        if entry is None:
            return
        self.name_label.setText(entry.name)
        self.service_label.setText(entry.service)
        state = sign_in_line(entry, self._now)
        self.state_label.setText(state)
        self.state_label.setVisible(bool(state))
        self.sign_in_button.setVisible(bool(state))
        self._draw_provider()
        self.check_button.setEnabled(True)
        self.check_button.setText("Check now")
        self._draw_access()
        self.id_box.setVisible("id" in entry.secrets)
        self.fields["env_var"].setText(entry.env_var)
        self.fields["scheme"].setText(entry.scheme)
        self.fields["kind"].setText("OAuth2 sign-in" if entry.kind == "oauth2" else "static token")
        self.fields["note"].setText(printable(entry.note, 2000) or "—")
        self.fields["tags"].setText(", ".join(entry.tags) or "—")
        self.fields["created"].setText(local_utc(entry.created_at))
        self.fields["updated"].setText(local_utc(entry.updated_at))
        self.used_by.set_entry(entry, self._now)

    def set_usage(self, usage: dict[str, list[dict[str, Any]]]) -> None:
        """What the access record says, per entry (its latest records, newest last)."""
        self.used_by.set_usage(usage)

    def tick(self, now: datetime) -> None:
        """A second passed: the countdowns move on."""
        self._now = now
        if self._entry is not None:
            self.used_by.tick(now)
            self._draw_provider()
            if self._access_view is not None:
                self._access_view.tick(now)
            if self.id_view is not None and self.id_view.isVisible():
                self.id_view.tick(now)

    # ------------------------------------------------- results the pane asked for

    def set_access_report(self, name: str, report: TokenReport) -> None:
        """A full (possibly verified) report of the access token, from a worker."""
        if self._entry is None or self._entry.name != name:
            return
        key = self._key()
        if key is not None:
            self._full[key] = ReportData.from_report(report)
        self._draw_access()

    def set_checking(self, name: str, busy: bool) -> None:
        """Its provider is being asked (the button waits), or the asking ended."""
        if self._entry is not None and self._entry.name == name:
            self.check_button.setEnabled(not busy)
            self.check_button.setText("Checking…" if busy else "Check now")

    def set_verifying(self, busy: bool) -> None:
        if self._access_view is not None:
            self._access_view.set_busy(busy)

    def set_id_report(self, name: str, report: TokenReport) -> None:
        if self._entry is None or self._entry.name != name:
            return
        if self.id_view is None:
            self.id_view = ReportView(verifiable=False)
            self._id_lay.addWidget(self.id_view)
        self.id_view.set_report(ReportData.from_report(report), self._now)
        self.id_view.setVisible(True)
        self.id_button.setText("ID token shown")
        self.id_button.setEnabled(False)

    def id_failed(self) -> None:
        self.id_button.setEnabled(True)
        self.id_button.setText(SHOW_ID)

    def show_token(self, name: str, token: str) -> None:
        """The worker read the token for Reveal; show it unless the selection moved or
        the reveal was taken back meanwhile."""
        if self._entry is None or self._entry.name != name or not self.token_row.waiting():
            return
        self.token_row.show_token(token)
        # The token is at hand: the full report (every claim) costs nothing more.
        from tokenmgr.core import jwt_inspect

        key = self._key()
        if key is not None and key not in self._full:
            self._full[key] = ReportData.from_report(jwt_inspect.inspect(token))
            self._draw_access()

    def conceal(self) -> None:
        """Reveal lapses: selection change, window hidden, or the button."""
        self.token_row.conceal()

    def reveal_failed(self) -> None:
        self.conceal()

    # ---------------------------------------------------------------- inside

    def _key(self) -> tuple[str, str] | None:
        if self._entry is None:
            return None
        return (self._entry.name, self._entry.updated_at.isoformat())

    def _draw_provider(self) -> None:
        """What the provider last said, from the index; shown for entries that have a
        provider to ask (one asked before, or with a check URL)."""
        from tokenmgr.core.probe.text import line

        entry = self._entry
        shown = entry is not None and (
            entry.provider_check is not None or bool(entry.check_url)
        )
        self.provider_row.setVisible(shown)
        if entry is not None and shown:
            text = line(entry.provider_check, self._now, entry)
            self.provider_label.setText(text[:1].upper() + text[1:])

    def _draw_access(self) -> None:
        entry = self._entry
        if entry is None:
            return
        key = self._key()
        data = self._full.get(key) if key else None
        if data is None:
            data = ReportData.from_summary(entry.report)
        self.no_report.setVisible(data is None)
        if data is None:
            if self._access_view is not None:
                self._access_view.setVisible(False)
            return
        if self._access_view is None:
            self._access_view = ReportView(secret_hint=SECRET_HINT)
            self._access_view.verify_requested.connect(self._on_access_view_verify_requested)
            self._access_slot.addWidget(self._access_view)
        self._access_view.setVisible(True)
        self._access_view.set_report(data, self._now, expires_at=entry.expires_at)

    @Slot(str)
    def _on_used_by_setup_copy_requested(self, tool: str) -> None:
        if self._entry is not None:
            self.setup_copy_requested.emit(self._entry.name, tool)

    @Slot()
    def _on_sign_in_button_clicked(self) -> None:
        if self._entry is not None:
            self.sign_in_requested.emit(self._entry.name)

    @Slot()
    def _on_check_button_clicked(self) -> None:
        if self._entry is not None:
            self.check_requested.emit(self._entry.name)

    @Slot()
    def _on_token_row_reveal_requested(self) -> None:
        if self._entry is not None:
            self.reveal_requested.emit(self._entry.name)

    @Slot()
    def _on_token_row_copy_requested(self) -> None:
        if self._entry is not None:
            self.copy_requested.emit(self._entry.name)

    @Slot()
    def _on_access_view_verify_requested(self) -> None:
        if self._entry is not None:
            self.verify_requested.emit(self._entry.name)

    @Slot()
    def _on_id_button_clicked(self) -> None:
        if self._entry is not None:
            self.id_button.setEnabled(False)
            self.id_button.setText("Reading…")
            self.id_token_requested.emit(self._entry.name)

