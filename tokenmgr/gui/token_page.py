"""The add dialog's page for a static token: the masked paste field first, what it
decodes under it as you type, what its provider says of it (gui/provider_ask.py: asked
in a worker a moment after the token is pasted, when its prefix or the check URL names
one), name, service and env var suggested from the token (gui/suggest.py), and each
field checked with the CLI's rules (`core.entries.validate_*`, gui/form_fields.py), the
error under its field.

A header value pasted whole (`Bearer eyJ…`, `Authorization: Bearer eyJ…`, or the
entry's own scheme) loses its prefix as `tokenmgr add` does it
(`core.entries.strip_pasted_scheme`), and a line under the field says so. The
field holds at most one character more than the limit a token may have
(`MAX_TOKEN_BYTES`): a longer paste is refused, never stored cut short.

The page never shows the token itself, in any widget's text, tooltip or
accessible name. It stores nothing: `request()` says what to save.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import (
    MAX_TOKEN_BYTES,
    TOO_LONG,
    default_env_var,
    now_utc,
    strip_pasted_scheme,
    validate_env_var,
    validate_name,
    validate_scheme,
    validate_token,
)
from tokenmgr.gui.entry_request import EntryRequest
from tokenmgr.gui.errors import inline, sentence
from tokenmgr.gui.form_fields import (
    buddy,
    check_field,
    check_hosts,
    error_label,
    hosts_field,
    hosts_given,
    set_error,
    valid_check_url,
)
from tokenmgr.gui.provider_ask import ProviderAsk, Question
from tokenmgr.gui.report_text import ReportData, one_line
from tokenmgr.gui.suggest import suggest
from tokenmgr.gui.timewords import local_utc

if TYPE_CHECKING:
    from tokenmgr.gui.tasks import Tasks


SCHEMES = ("Bearer", "token", "Basic", "Bot", "ApiKey")


class StaticTokenPage(QWidget):
    """The form; `validity_changed` says whether it can be saved as it stands."""

    validity_changed = Signal(bool)

    def __init__(
        self,
        entry: Entry | None,
        existing_names: set[str],
        parent: QWidget | None = None,
        *,
        tasks: Tasks | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._held = False  # an address was typed and its field not left yet
        self._ask = ProviderAsk(tasks, os.environ if env is None else env, self, self._question)
        self._ask.said.connect(self._on_ask_said)
        self._entry = entry
        self._editing = entry is not None
        self._names = set(existing_names) - ({entry.name} if entry else set())
        # A field the user typed in is theirs: suggestions stop filling it.
        self._name_edited = self._service_edited = self._env_edited = self._editing
        self._report = ReportData.from_summary(entry.report) if entry else None
        # The token as it will be stored (a pasted scheme removed), what was removed, and
        # why it cannot be stored, as the field stands.
        self._token = ""
        self._token_note = ""
        self._token_error = ""
        self._build()
        if entry is not None:
            # Editable: a new name renames the entry (its secrets move with it).
            self.name.setText(entry.name)
            self.service.setText(entry.service)
            self.env_var.setText(entry.env_var)
            self.scheme.setCurrentText(entry.scheme)
            self.note.setText(entry.note)
            self.tags.setText(", ".join(entry.tags))
            self.hosts.setText(", ".join(entry.hosts))
            self.check_url.setText(entry.check_url or "")
            if entry.expires_at is not None:
                self.expires_check.setChecked(True)
                self.expires.setDateTime(_qdt(entry.expires_at))
            if entry.kind == "oauth2":
                self.token.setEnabled(False)
                self.token.setPlaceholderText("Signed in: the token comes from the provider")

    def _build(self) -> None:
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        # QLineEdit cuts a paste at 32,767 characters without a word; one past the limit
        # tells a token that is too long from one that fits.
        self.token.setMaxLength(MAX_TOKEN_BYTES + 1)
        self.token.setAccessibleName("Token")
        self.token.setPlaceholderText(
            "Leave empty to keep the stored token" if self._editing else "Paste the token here"
        )
        self.token.textChanged.connect(self._on_token_text_changed)
        self.decoded = QLabel()
        self.decoded.setTextFormat(Qt.TextFormat.PlainText)  # what the token says
        self.decoded.setWordWrap(True)
        self.decoded.setAccessibleName("What the token says")
        # Room for two lines from the start, so the dialog does not jump as you paste.
        self.decoded.setMinimumHeight(2 * self.decoded.fontMetrics().lineSpacing() + 2)
        self.token_error = error_label()
        self.token_note = QLabel()
        self.token_note.setTextFormat(Qt.TextFormat.PlainText)
        self.token_note.setWordWrap(True)
        self.token_note.setAccessibleName("What was changed in the pasted token")
        self.token_note.setVisible(False)
        self.provider_said = QLabel()
        self.provider_said.setWordWrap(True)
        self.provider_said.setTextFormat(Qt.TextFormat.PlainText)  # provider text, never rich
        self.provider_said.setAccessibleName("What its provider says")
        self.provider_said.setVisible(False)
        form.addRow(buddy("&Token", self.token), self.token)
        # Rows of their own: a wrapped label inside a nested layout gets no height.
        form.addRow("", self.decoded)
        form.addRow("", self.token_note)
        form.addRow("", self.provider_said)
        form.addRow("", self.token_error)

        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("e.g. github-ci")
        self.name.textEdited.connect(self._on_name_text_edited)
        self.name_error = error_label()
        form.addRow(buddy("&Name", self.name), self.name)
        form.addRow("", self.name_error)
        self.rename_hint = QLabel()  # editing: what a new name does, and does not do
        self.rename_hint.setTextFormat(Qt.TextFormat.PlainText)
        self.rename_hint.setWordWrap(True)
        self.rename_hint.setVisible(False)
        form.addRow("", self.rename_hint)

        self.service = QLineEdit()
        self.service.setAccessibleName("Service")
        self.service.setPlaceholderText("e.g. GitHub")
        self.service.textEdited.connect(self._on_service_text_edited)
        form.addRow(buddy("&Service", self.service), self.service)

        self.env_var = QLineEdit()
        self.env_var.setAccessibleName("Environment variable")
        self.env_var.textEdited.connect(self._on_env_var_text_edited)
        self.env_error = error_label()
        form.addRow(buddy("&Env var", self.env_var), self.env_var)
        form.addRow("", self.env_error)

        self.scheme = QComboBox()
        self.scheme.setEditable(True)
        self.scheme.addItems(SCHEMES)
        self.scheme.setAccessibleName("Authorization scheme")
        self.scheme.currentTextChanged.connect(self._on_scheme_current_text_changed)
        self.scheme_error = error_label()
        form.addRow(buddy("S&cheme", self.scheme), self.scheme)
        form.addRow("", self.scheme_error)

        exp_row = QHBoxLayout()
        self.expires_check = QCheckBox("Expires")
        self.expires_check.setAccessibleName("The token expires")
        self.expires = QDateTimeEdit()
        self.expires.setCalendarPopup(True)
        self.expires.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.expires.setDateTime(QDateTime.currentDateTime().addDays(90))
        self.expires.setAccessibleName("Expiry date")
        self.expires.setEnabled(False)
        self.expires_check.toggled.connect(self._on_field_changed)
        self.expires_hint = QLabel()
        exp_row.addWidget(self.expires_check)
        exp_row.addWidget(self.expires, 1)
        form.addRow(buddy("E&xpiry", self.expires_check), exp_row)
        form.addRow("", self.expires_hint)

        self.note = QLineEdit()
        self.note.setAccessibleName("Note")
        form.addRow(buddy("N&ote", self.note), self.note)
        self.tags = QLineEdit()
        self.tags.setAccessibleName("Tags")
        self.tags.setPlaceholderText("comma-separated, e.g. ci, prod")
        form.addRow(buddy("T&ags", self.tags), self.tags)
        self.hosts, self.hosts_error = hosts_field()
        self.hosts.textEdited.connect(self._on_field_changed)
        # The first host names a GitHub Enterprise or GitLab server to ask.
        self.hosts.textChanged.connect(self._on_hosts_text_changed)
        self.hosts.editingFinished.connect(self._on_hosts_editing_finished)
        form.addRow(buddy("&Hosts", self.hosts), self.hosts)
        form.addRow("", self.hosts_error)
        self.check_url = QLineEdit()
        self.check_url.setAccessibleName("Check URL")
        self.check_url.setPlaceholderText(
            "optional: an https API address that answers 401 to a bad token"
        )
        self.check_url.textChanged.connect(self._on_check_url_text_changed)
        self.check_url.editingFinished.connect(self._on_check_url_editing_finished)
        self.check_url_error = error_label()
        form.addRow(buddy("Check &URL", self.check_url), self.check_url)
        form.addRow("", self.check_url_error)

    # ------------------------------------------------------------------ API

    def request(self) -> EntryRequest:
        """What to save, as the fields stand (call when the page is valid)."""
        expires = None
        if self.expires_check.isChecked() and not self._expiry_from_token():
            expires = datetime.fromtimestamp(self.expires.dateTime().toSecsSinceEpoch(), UTC)
        return EntryRequest(
            name=self.name.text().strip(),
            token=self._token_text() or None,
            service=self.service.text().strip(),
            env_var=self.env_var.text().strip(),
            scheme=self.scheme.currentText().strip() or "Bearer",
            expires_at=expires,
            note=self.note.text().strip(),
            tags=[t.strip() for t in self.tags.text().split(",") if t.strip()],
            hosts=hosts_given(self.hosts.text()),
            editing=self._editing,
            old_name=self._entry.name if self._entry is not None else None,
            check_url=self._check_url_text() or None,
            asked=self._ask.answer,
        )

    @property
    def asking_soon(self) -> bool:
        """The provider is about to be asked about the form as it stands."""
        return self._ask.waiting

    def clear_secret(self) -> None:
        self._ask.forget()  # an answer still on its way is about a token no longer here
        self.token.clear()

    def set_token(self, token: str) -> None:
        """Fill the paste field (Paste & decode's "Add this token")."""
        self.token.setText(token)

    def revalidate(self) -> bool:
        """Check every field, show what is wrong under it, and say whether it can be saved."""
        token = self._token_text()
        set_error(self.token_error, self._token_error)
        self.token_note.setText(self._token_note)
        self.token_note.setVisible(bool(self._token_note) and not self._token_error)
        ok = not self._token_error and (bool(token) or self._editing)
        ok = self._check_name(token) and ok
        var, scheme = self.env_var.text().strip(), self.scheme.currentText().strip()
        ok = check_field(self.env_error, validate_env_var, var, required=False) and ok
        ok = check_field(self.scheme_error, validate_scheme, scheme, required=True) and ok
        ok = check_hosts(self.hosts, self.hosts_error) and ok
        ok = check_field(self.check_url_error, valid_check_url, self._check_url_text(),
                    required=False) and ok
        # Expiry: from the JWT when it has one, else typed by the user.
        from_token = self._expiry_from_token()
        self.expires_check.setEnabled(from_token is None)
        self.expires.setEnabled(from_token is None and self.expires_check.isChecked())
        self.expires_hint.setText(
            f"From the token: {local_utc(from_token)}" if from_token is not None else ""
        )
        self.validity_changed.emit(ok)
        return ok

    # -------------------------------------------------------------- checks

    def _token_text(self) -> str:
        return self._token

    def _check_url_text(self) -> str:
        return self.check_url.text().strip()

    def _expiry_from_token(self) -> datetime | None:
        return self._report.expires_at if self._report is not None else None

    def _read_token(self) -> None:
        """The field's text as it would be stored: surrounding space and a pasted scheme
        removed, then checked with `add`'s rules (the same words as the CLI)."""
        raw = self.token.text()
        self._token, self._token_note, self._token_error = "", "", ""
        if len(raw) > MAX_TOKEN_BYTES:  # at the field's limit: the paste may have been cut
            self._token_error = sentence(TOO_LONG)
            return
        if not raw.strip():
            return
        try:
            # As `add` reads it: the prefix first (a scheme alone is refused), then the
            # surrounding space a paste brings.
            token, note = strip_pasted_scheme(raw, self.scheme.currentText().strip() or "Bearer")
            token = token.strip()
            validate_token(token)
        except TokenMgrError as e:
            self._token_error = inline(e)
            return
        self._token, self._token_note = token, sentence(note) if note else ""

    def _check_name(self, token: str) -> bool:
        name = self.name.text().strip()
        if self._entry is not None:
            renamed = bool(name) and name != self._entry.name
            self.rename_hint.setText(
                f"Saving renames {self._entry.name} to {name}; its token moves with it and "
                f"its env var stays {self.env_var.text().strip() or self._entry.env_var}."
                if renamed else ""
            )
            self.rename_hint.setVisible(renamed)
        err = ""
        if not name:
            err = "Give the token a name." if token or self._editing else ""
        else:
            try:
                validate_name(name)
            except TokenMgrError as e:
                err = sentence(str(e))
            else:
                if name in self._names:
                    err = f"A token named {name} exists already; choose another name."
        set_error(self.name_error, err)
        return bool(name) and not err

    def _question(self) -> Question:
        """What the provider is asked about (gui/provider_ask.py)."""
        return Question(self._token_text(), self._check_url_text(),
                        self.scheme.currentText().strip(), self.hosts.text())

    # ---------------------------------------------------------------- slots

    @Slot(str)
    def _on_ask_said(self, text: str) -> None:
        self.provider_said.setText(text)
        self.provider_said.setVisible(bool(text))

    @Slot(str)
    def _on_hosts_text_changed(self, _text: str) -> None:
        self._held = True
        self._ask.hold()

    @Slot()
    def _on_hosts_editing_finished(self) -> None:
        self._ask_if_held()

    @Slot(str)
    def _on_check_url_text_changed(self, _text: str) -> None:
        self._held = True
        self._ask.hold()
        self.revalidate()

    @Slot()
    def _on_check_url_editing_finished(self) -> None:
        self._ask_if_held()

    def _ask_if_held(self) -> None:
        """The address typed is complete: ask about it (once, not at every focus out)."""
        if self._held:
            self._held = False
            self._ask.ask_later()

    @Slot(str)
    def _on_token_text_changed(self, _text: str) -> None:
        self._read_token()
        self._ask.ask_later()
        token = self._token_text()
        if not token:
            self._report = ReportData.from_summary(self._entry.report) if self._entry else None
            self.decoded.setText("")
            self.revalidate()
            return
        from tokenmgr.core import jwt_inspect

        self._report = ReportData.from_report(jwt_inspect.inspect(token))
        self.decoded.setText(one_line(self._report, now_utc()))
        name, service = suggest(self._report, token)
        if not self._name_edited and name:
            unique, n = name, 2
            while unique in self._names:
                unique, n = f"{name}-{n}", n + 1
            self.name.setText(unique)
        if not self._service_edited and service:
            self.service.setText(service)
        if not self._env_edited and self.name.text().strip():
            self.env_var.setText(default_env_var(self.name.text().strip()))
        self.revalidate()

    @Slot(str)
    def _on_name_text_edited(self, text: str) -> None:
        self._name_edited = bool(text)
        if not self._env_edited:
            self.env_var.setText(default_env_var(text.strip()) if text.strip() else "")
        self.revalidate()

    @Slot(str)
    def _on_service_text_edited(self, text: str) -> None:
        self._service_edited = bool(text)

    @Slot(str)
    def _on_env_var_text_edited(self, text: str) -> None:
        self._env_edited = bool(text)
        self.revalidate()

    @Slot()
    def _on_field_changed(self, *_args: object) -> None:
        self.revalidate()

    @Slot(str)
    def _on_scheme_current_text_changed(self, _text: str) -> None:
        # The entry's scheme decides which pasted prefix is removed (`token ghp_…`).
        if self.token.text():
            self._on_token_text_changed(self.token.text())
        else:
            self.revalidate()


def _qdt(at: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(at.timestamp()), QTimeZone.utc()).toLocalTime()
