"""Add or edit a static token (UI.md "Dialogs: Add").

The masked paste field comes first and has the focus; what it decodes shows
under it as you type (kind, subject, issuer, expiry), never the token itself.
Name, service and env var are suggested from the token and validated live with
the CLI's rules (`core.entries.validate_*`); errors sit under their field and
the primary button stays disabled until the entry can be saved.

The dialog does not store anything: it emits `save_requested` with what to
save, the main window runs it in a worker and calls `saved()` or `failed()`.

The "Kind" selector switches to the OAuth2 / OpenID Connect profile
(gui/oauth_profile.py); its primary button is "Sign in", which emits
`sign_in_requested` with the `SignInRequest`; the main window runs the
sign-in and calls `saved()` or `failed()` the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QDateTime, QTimeZone, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.entries import (
    Entry,
    default_env_var,
    now_utc,
    validate_env_var,
    validate_name,
    validate_scheme,
    validate_secret,
)
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.gui import style
from tokenmgr.gui.details import ReportData, one_line
from tokenmgr.gui.errors import sentence

# Well-known token prefixes → (suggested name, service).
_PREFIXES = (
    ("github_pat_", "github", "GitHub"),
    ("ghp_", "github", "GitHub"),
    ("gho_", "github", "GitHub"),
    ("ghs_", "github", "GitHub"),
    ("glpat-", "gitlab", "GitLab"),
    ("sk_live_", "stripe", "Stripe"),
    ("sk_test_", "stripe-test", "Stripe"),
    ("rk_live_", "stripe", "Stripe"),
    ("xoxb-", "slack-bot", "Slack"),
    ("xoxp-", "slack", "Slack"),
    ("npm_", "npm", "npm"),
    ("pypi-", "pypi", "PyPI"),
    ("hf_", "huggingface", "Hugging Face"),
    ("sk-ant-", "anthropic", "Anthropic"),
    ("sk-", "openai", "OpenAI"),
    ("dop_v1_", "digitalocean", "DigitalOcean"),
)
SCHEMES = ("Bearer", "token", "Basic", "Bot", "ApiKey")


@dataclass
class EntryRequest:
    """What the dialog asks the main window to save."""

    name: str
    token: str | None  # None: keep the stored token (edit)
    service: str = ""
    env_var: str = ""
    scheme: str = "Bearer"
    expires_at: datetime | None = None
    note: str = ""
    tags: list[str] = field(default_factory=list)
    editing: bool = False

    def __repr__(self) -> str:  # the token never reaches a log or traceback
        return f"EntryRequest(name={self.name!r}, token={'<set>' if self.token else None})"


def suggest(data: ReportData | None, token: str) -> tuple[str, str]:
    """(name, service) suggested from the token: its issuer's host or a known prefix."""
    for prefix, name, service in _PREFIXES:
        if token.startswith(prefix):
            return name, service
    if data is not None:
        iss = data.claims.get("iss")
        if isinstance(iss, str):
            host = urlsplit(iss).hostname or ""
            labels = [p for p in host.split(".") if p and p not in ("www", "login", "accounts",
                                                                    "auth", "id", "sso", "oauth")]
            if len(labels) >= 2:
                base = labels[-2]
            elif labels:
                base = labels[0]
            else:
                base = ""
            base = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-")
            if base and base not in ("localhost", "127"):
                return base, base.capitalize()
    return "", ""


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    pal = label.palette()
    pal.setColor(label.foregroundRole(), style.error_color())
    label.setPalette(pal)
    label.setVisible(False)
    return label


class EntryDialog(QDialog):
    save_requested = Signal(object)  # EntryRequest
    sign_in_requested = Signal(object)  # SignInRequest (the OAuth2 kind)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        existing_names: set[str] | None = None,
        entry: Entry | None = None,
        tasks: Any = None,
        kind: str = "static",
    ) -> None:
        super().__init__(parent)
        self._editing = entry is not None
        self._entry = entry
        self._names = set(existing_names or ()) - ({entry.name} if entry else set())
        self._name_edited = self._editing
        self._service_edited = self._editing
        self._env_edited = self._editing
        self._report: ReportData | None = None
        self._busy = False
        self.setWindowTitle(f"Edit {entry.name}" if entry else "Add a token")
        self.setMinimumWidth(520)

        outer = QVBoxLayout(self)
        kind_row = QHBoxLayout()
        kind_row.addWidget(QLabel("Kind"))
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of entry")
        self.kind.addItem("Static token (paste it)", "static")
        self.kind.addItem("OAuth2 / OpenID Connect sign-in", "oauth2")
        self.kind.setEnabled(not self._editing)
        kind_row.addWidget(self.kind, 1)
        outer.addLayout(kind_row)
        self.pages = QStackedWidget()
        outer.addWidget(self.pages)
        self.pages.addWidget(self._static_page())
        self._tasks = tasks
        self.oauth_page: Any = None  # made when the OAuth2 kind is first chosen
        self.kind.currentIndexChanged.connect(self._on_kind_current_index_changed)

        self.save_error = _error_label()
        outer.addWidget(self.save_error)
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save" if self._editing else "Add token")
        self.save_button.setDefault(True)
        self.save_button.setAccessibleName(self.save_button.text())
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        if entry is not None:
            self.name.setText(entry.name)
            self.name.setReadOnly(True)
            self.service.setText(entry.service)
            self.env_var.setText(entry.env_var)
            self.scheme.setCurrentText(entry.scheme)
            self.note.setText(entry.note)
            self.tags.setText(", ".join(entry.tags))
            if entry.expires_at is not None:
                self.expires_check.setChecked(True)
                self.expires.setDateTime(_qdt(entry.expires_at))
            self._report = ReportData.from_summary(entry.report)
            if entry.kind == "oauth2":
                self.token.setEnabled(False)
                self.token.setPlaceholderText("Signed in: the token comes from the provider")
        self._revalidate()
        self.token.setFocus()
        if kind == "oauth2" and not self._editing:
            self.kind.setCurrentIndex(self.kind.findData("oauth2"))

    def is_oauth(self) -> bool:
        return bool(self.kind.currentData() == "oauth2")

    @Slot(int)
    def _on_kind_current_index_changed(self, _index: int) -> None:
        if self.is_oauth():
            if self.oauth_page is None:
                from tokenmgr.gui.oauth_profile import OAuthProfilePage

                self.oauth_page = OAuthProfilePage(self._tasks, self)
                self.oauth_page.validity_changed.connect(self._on_oauth_page_validity_changed)
                self.pages.addWidget(self.oauth_page)
            self.pages.setCurrentWidget(self.oauth_page)
            self.setWindowTitle("Sign in to a provider")
            self.save_button.setText("Sign in")
            self.oauth_page.preset.setFocus()
            self.oauth_page._revalidate()
        else:
            self.pages.setCurrentIndex(0)
            self.setWindowTitle("Add a token")
            self.save_button.setText("Add token")
            self._revalidate()
        self.save_button.setAccessibleName(self.save_button.text())

    @Slot(bool)
    def _on_oauth_page_validity_changed(self, ok: bool) -> None:
        if self.is_oauth():
            self.save_button.setEnabled(ok and not self._busy)

    def _static_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Token")
        self.token.setPlaceholderText(
            "Leave empty to keep the stored token" if self._editing else "Paste the token here"
        )
        self.token.textChanged.connect(self._on_token_text_changed)
        self.decoded = QLabel()
        self.decoded.setWordWrap(True)
        self.decoded.setAccessibleName("What the token says")
        # Room for two lines from the start, so the dialog does not jump as you paste.
        self.decoded.setMinimumHeight(2 * self.decoded.fontMetrics().lineSpacing() + 2)
        self.token_error = _error_label()
        form.addRow(_buddy("&Token", self.token), self.token)
        # Rows of their own: a wrapped label inside a nested layout gets no height.
        form.addRow("", self.decoded)
        form.addRow("", self.token_error)

        self.name = QLineEdit()
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("e.g. github-ci")
        self.name.textEdited.connect(self._on_name_text_edited)
        self.name_error = _error_label()
        form.addRow(_buddy("&Name", self.name), self.name)
        form.addRow("", self.name_error)

        self.service = QLineEdit()
        self.service.setAccessibleName("Service")
        self.service.setPlaceholderText("e.g. GitHub")
        self.service.textEdited.connect(self._on_service_text_edited)
        form.addRow(_buddy("&Service", self.service), self.service)

        self.env_var = QLineEdit()
        self.env_var.setAccessibleName("Environment variable")
        self.env_var.textEdited.connect(self._on_env_var_text_edited)
        self.env_error = _error_label()
        form.addRow(_buddy("&Env var", self.env_var), self.env_var)
        form.addRow("", self.env_error)

        self.scheme = QComboBox()
        self.scheme.setEditable(True)
        self.scheme.addItems(SCHEMES)
        self.scheme.setAccessibleName("Authorization scheme")
        self.scheme.currentTextChanged.connect(self._on_field_changed)
        self.scheme_error = _error_label()
        form.addRow(_buddy("S&cheme", self.scheme), self.scheme)
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
        self.expires_check.toggled.connect(self.expires.setEnabled)
        self.expires_check.toggled.connect(self._on_field_changed)
        self.expires_hint = QLabel()
        exp_row.addWidget(self.expires_check)
        exp_row.addWidget(self.expires, 1)
        form.addRow(_buddy("E&xpiry", self.expires_check), exp_row)
        form.addRow("", self.expires_hint)

        self.note = QLineEdit()
        self.note.setAccessibleName("Note")
        form.addRow(_buddy("N&ote", self.note), self.note)
        self.tags = QLineEdit()
        self.tags.setAccessibleName("Tags")
        self.tags.setPlaceholderText("comma-separated, e.g. ci, prod")
        form.addRow(_buddy("T&ags", self.tags), self.tags)
        return page

    # ----------------------------------------------------------- validation

    def _token_text(self) -> str:
        return self.token.text().strip()

    def _revalidate(self) -> bool:
        ok = True
        token = self._token_text()
        # The token
        self.token_error.setVisible(False)
        if token:
            try:
                validate_secret(token)
            except TokenMgrError as e:
                self.token_error.setText(sentence(str(e)).replace(": nothing was stored", ""))
                self.token_error.setVisible(True)
                ok = False
        elif not self._editing:
            ok = False
        # The name
        name = self.name.text().strip()
        err = ""
        if not self._editing:
            if not name:
                err = "" if not token else "Give the token a name."
            else:
                try:
                    validate_name(name)
                except TokenMgrError as e:
                    err = sentence(str(e))
                else:
                    if name in self._names:
                        err = f"A token named {name} exists already; choose another name."
        ok = ok and bool(name) and not err
        _set_error(self.name_error, err)
        # The env var
        var = self.env_var.text().strip()
        err = ""
        if var:
            try:
                validate_env_var(var)
            except TokenMgrError as e:
                err = sentence(str(e))
        _set_error(self.env_error, err)
        ok = ok and not err
        # The scheme
        err = ""
        try:
            validate_scheme(self.scheme.currentText().strip())
        except TokenMgrError as e:
            err = sentence(str(e))
        _set_error(self.scheme_error, err)
        ok = ok and not err
        # Expiry: from the JWT when it has one, else typed by the user.
        from_token = self._report is not None and self._report.expires_at is not None
        self.expires_check.setEnabled(not from_token)
        self.expires.setEnabled(not from_token and self.expires_check.isChecked())
        if from_token and self._report is not None and self._report.expires_at is not None:
            self.expires_hint.setText(f"From the token: {style.local_utc(self._report.expires_at)}")
        else:
            self.expires_hint.setText("")
        self.save_button.setEnabled(ok and not self._busy)
        return ok

    # ---------------------------------------------------------------- slots

    @Slot(str)
    def _on_token_text_changed(self, _text: str) -> None:
        token = self._token_text()
        if not token:
            self._report = ReportData.from_summary(self._entry.report) if self._entry else None
            self.decoded.setText("")
            self._revalidate()
            return
        from tokenmgr.core import jwt_inspect

        report = jwt_inspect.inspect(token)
        self._report = ReportData.from_report(report)
        self.decoded.setText(one_line(self._report, now_utc()))
        self._fit()
        name, service = suggest(self._report, token)
        if not self._name_edited and name:
            unique = name
            n = 2
            while unique in self._names:
                unique = f"{name}-{n}"
                n += 1
            self.name.setText(unique)
        if not self._service_edited and service:
            self.service.setText(service)
        if not self._env_edited and self.name.text().strip():
            self.env_var.setText(_safe_default_env(self.name.text().strip()))
        self._revalidate()

    def _fit(self) -> None:
        """Grow to show a longer decoded line (a wrapped label does not ask for it)."""
        lay = self.layout()
        if lay is not None:
            lay.activate()
        want = self.sizeHint().height()
        if want > self.height():
            self.resize(self.width(), want)

    @Slot(str)
    def _on_name_text_edited(self, text: str) -> None:
        self._name_edited = bool(text)
        if not self._env_edited:
            self.env_var.setText(_safe_default_env(text.strip()) if text.strip() else "")
        self._revalidate()

    @Slot(str)
    def _on_service_text_edited(self, text: str) -> None:
        self._service_edited = bool(text)

    @Slot(str)
    def _on_env_var_text_edited(self, text: str) -> None:
        self._env_edited = bool(text)
        self._revalidate()

    @Slot()
    def _on_field_changed(self, *_args: object) -> None:
        self._revalidate()

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.is_oauth():
            self._sign_in()
            return
        if not self._revalidate():
            return
        token = self._token_text() or None
        expires = None
        from_token = self._report is not None and self._report.expires_at is not None
        if self.expires_check.isChecked() and not from_token:
            expires = datetime.fromtimestamp(self.expires.dateTime().toSecsSinceEpoch(), UTC)
        req = EntryRequest(
            name=self.name.text().strip(),
            token=token,
            service=self.service.text().strip(),
            env_var=self.env_var.text().strip(),
            scheme=self.scheme.currentText().strip() or "Bearer",
            expires_at=expires,
            note=self.note.text().strip(),
            tags=[t.strip() for t in self.tags.text().split(",") if t.strip()],
            editing=self._editing,
        )
        self._busy = True
        self.save_button.setText("Saving…")
        self.save_error.setVisible(False)
        self._revalidate()
        self.save_requested.emit(req)

    def _sign_in(self) -> None:
        try:
            req = self.oauth_page.request()
        except TokenMgrError as e:
            _set_error(self.save_error, sentence(str(e)))
            return
        if req.name in self._names:
            _set_error(self.save_error, f"An entry named {req.name} exists already.")
            return
        self._busy = True
        self.save_button.setText("Signing in…")
        self.save_button.setEnabled(False)
        self.save_error.setVisible(False)
        self.sign_in_requested.emit(req)

    # ------------------------------------------------- from the main window

    def saved(self) -> None:
        self.token.clear()
        if self.oauth_page is not None:
            self.oauth_page.clear_secret()
        self.accept()

    def failed(self, message: str) -> None:
        self._busy = False
        if self.is_oauth():
            self.save_button.setText("Sign in")
            self.save_button.setEnabled(True)
            _set_error(self.save_error, message)
            return
        self.save_button.setText("Save" if self._editing else "Add token")
        _set_error(self.save_error, message)
        self._revalidate()

    def reject(self) -> None:
        self.token.clear()  # the pasted token does not outlive the dialog
        if self.oauth_page is not None:
            self.oauth_page.clear_secret()
        super().reject()


def _safe_default_env(name: str) -> str:
    try:
        return default_env_var(name)
    except Exception:
        return ""


def _set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A form label whose &-mnemonic focuses `widget` (Alt+N: the name field)."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def _qdt(at: datetime) -> QDateTime:
    q = QDateTime.fromSecsSinceEpoch(int(at.timestamp()), QTimeZone.utc())
    return q.toLocalTime()

