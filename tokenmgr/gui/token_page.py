"""The add dialog's page for a static token: the masked paste field first, what it
decodes under it as you type, what its provider says of it (asked in a worker a moment
after the token is pasted, when its prefix or the check URL names one: "GitHub says:
expires 2027-01-31 (in 60 days) · scopes repo"), name, service and env var suggested
from the token, and each field checked with the CLI's rules (`core.entries.validate_*`),
the error under its field.

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
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QDateTime, Qt, QTimer, QTimeZone, Signal, Slot
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
from tokenmgr.gui import style
from tokenmgr.gui.entry_request import EntryRequest
from tokenmgr.gui.errors import inline, sentence
from tokenmgr.gui.report_text import ReportData, one_line
from tokenmgr.gui.timewords import local_utc

if TYPE_CHECKING:
    from tokenmgr.gui.tasks import Tasks

# How long typing pauses before the provider is asked (a token typed by hand is not
# sent piece by piece).
ASK_AFTER_MS = 700

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
# Host labels that say nothing about the service ("login.acme.example" is Acme's).
_GENERIC_LABELS = ("www", "login", "accounts", "auth", "id", "sso", "oauth")
SCHEMES = ("Bearer", "token", "Basic", "Bot", "ApiKey")


def suggest(data: ReportData | None, token: str) -> tuple[str, str]:
    """(name, service) suggested from the token: a known prefix or its issuer's host."""
    for prefix, name, service in _PREFIXES:
        if token.startswith(prefix):
            return name, service
    if data is not None:
        iss = data.claims.get("iss")
        if isinstance(iss, str):
            host = urlsplit(iss).hostname or ""
            labels = [p for p in host.split(".") if p and p not in _GENERIC_LABELS]
            base = labels[-2] if len(labels) >= 2 else labels[0] if labels else ""
            base = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-")
            if base and base not in ("localhost", "127"):
                return base, base.capitalize()
    return "", ""


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
        self._tasks = tasks
        self._env = os.environ if env is None else env
        # Each change of the token or check URL starts a new question; only the answer
        # to the newest one is shown and kept.
        self._ask_seq = 0
        self._asked: tuple[int, Any] | None = None  # (seq, (target, answer, when))
        self._ask_timer = QTimer(self)
        self._ask_timer.setSingleShot(True)
        self._ask_timer.setInterval(ASK_AFTER_MS)
        self._ask_timer.timeout.connect(self._on_ask_timer_timeout)
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
        form.addRow(_buddy("&Token", self.token), self.token)
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
        form.addRow(_buddy("&Name", self.name), self.name)
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
        form.addRow(_buddy("&Service", self.service), self.service)

        self.env_var = QLineEdit()
        self.env_var.setAccessibleName("Environment variable")
        self.env_var.textEdited.connect(self._on_env_var_text_edited)
        self.env_error = error_label()
        form.addRow(_buddy("&Env var", self.env_var), self.env_var)
        form.addRow("", self.env_error)

        self.scheme = QComboBox()
        self.scheme.setEditable(True)
        self.scheme.addItems(SCHEMES)
        self.scheme.setAccessibleName("Authorization scheme")
        self.scheme.currentTextChanged.connect(self._on_scheme_current_text_changed)
        self.scheme_error = error_label()
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
        self.hosts, self.hosts_error = hosts_field()
        self.hosts.textEdited.connect(self._on_field_changed)
        # The first host names a GitHub Enterprise or GitLab server to ask.
        self.hosts.textChanged.connect(self._on_hosts_text_changed)
        form.addRow(_buddy("&Hosts", self.hosts), self.hosts)
        form.addRow("", self.hosts_error)
        self.check_url = QLineEdit()
        self.check_url.setAccessibleName("Check URL")
        self.check_url.setPlaceholderText(
            "optional: an https API address that answers 401 to a bad token"
        )
        self.check_url.textChanged.connect(self._on_check_url_text_changed)
        self.check_url_error = error_label()
        form.addRow(_buddy("Check &URL", self.check_url), self.check_url)
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
            asked=self._asked[1] if self._asked and self._asked[0] == self._ask_seq else None,
        )

    def clear_secret(self) -> None:
        self._ask_timer.stop()
        self._ask_seq += 1  # an answer still on its way is about a token no longer here
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
        ok = _check(self.env_error, validate_env_var, var, required=False) and ok
        ok = _check(self.scheme_error, validate_scheme, scheme, required=True) and ok
        ok = check_hosts(self.hosts, self.hosts_error) and ok
        ok = _check(self.check_url_error, _valid_check_url, self._check_url_text(),
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

    # ---------------------------------------------------------------- slots

    # ------------------------------------------------ asking the provider

    def _ask_later(self) -> None:
        """A new question: what was said of the old token no longer holds."""
        self._ask_seq += 1
        self._asked = None
        self.provider_said.setText("")
        self.provider_said.setVisible(False)
        if self._tasks is not None and self._token_text() and self.isVisible():
            self._ask_timer.start()
        else:
            self._ask_timer.stop()

    @Slot()
    def _on_ask_timer_timeout(self) -> None:
        from tokenmgr.core.probe.providers import NoTarget, target_for
        from tokenmgr.core.usecases.probing import ask_before_storing

        token, check_url = self._token_text(), self._check_url_text()
        scheme = self.scheme.currentText().strip() or "Bearer"
        if self._tasks is None or not token or not self.isVisible():
            return  # nothing to ask about, or the dialog is gone from the screen
        try:
            if check_url:
                _valid_check_url(check_url)
            hosts = hosts_given(self.hosts.text())
            prospect = Entry(name="new", check_url=check_url or None, hosts=hosts)
            target = target_for(prospect, token)
        except (TokenMgrError, NoTarget):
            return  # nothing to ask, or nowhere it may go
        seq, env = self._ask_seq, self._env

        def job() -> Any:
            return ask_before_storing(
                token, env, check_url=check_url or None, hosts=hosts, scheme=scheme
            )

        def failed(exc: BaseException) -> None:
            self._on_asked(seq, f"Could not ask {target.label} ({type(exc).__name__}).")

        self._show_said(f"Asking {target.label}…")
        self._tasks.run(f"Asking {target.label}…", job, lambda r: self._on_asked(seq, r), failed)

    def _on_asked(self, seq: int, result: Any) -> None:
        if seq != self._ask_seq:
            return  # the token or the check URL changed meanwhile
        if isinstance(result, str):
            self._show_said(result)
            return
        from tokenmgr.core.entries import ProviderCheck
        from tokenmgr.core.probe.check import merge
        from tokenmgr.core.probe.text import line

        target, answer = result
        now = now_utc()
        self._asked = (seq, (target, answer, now))
        check: ProviderCheck = merge(None, target, answer, now=now, token_issued_at=None)
        said = line(check, now)
        self._show_said(said[:1].upper() + said[1:])

    def _show_said(self, text: str) -> None:
        self.provider_said.setText(text)
        self.provider_said.setVisible(bool(text))

    # ---------------------------------------------------------------- slots

    @Slot(str)
    def _on_hosts_text_changed(self, _text: str) -> None:
        self._ask_later()

    @Slot(str)
    def _on_check_url_text_changed(self, _text: str) -> None:
        self._ask_later()
        self.revalidate()

    @Slot(str)
    def _on_token_text_changed(self, _text: str) -> None:
        self._read_token()
        self._ask_later()
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


def hosts_field() -> tuple[QLineEdit, QLabel]:
    """The hosts an entry serves to git, kubectl and docker, and the error under it."""
    edit = QLineEdit()
    edit.setAccessibleName("Hosts it serves to git, kubectl and docker")
    edit.setPlaceholderText("for git, kubectl, docker: e.g. github.com, github.com/acme")
    edit.setToolTip(
        "host[:port][/path-prefix], comma-separated, no https://. git, kubectl and docker "
        "get this token for these hosts only (the longest path prefix wins)."
    )
    return edit, error_label()


def hosts_given(text: str) -> list[str]:
    """The hosts typed (commas or spaces between them), in their canonical spelling."""
    from tokenmgr.core.hosts import normalize

    return normalize(h for h in re.split(r"[,\s]+", text) if h)


def check_hosts(edit: QLineEdit, label: QLabel) -> bool:
    """Check the hosts field with the CLI's rule; the error goes under it."""
    try:
        hosts_given(edit.text())
    except TokenMgrError as e:
        set_error(label, sentence(str(e)))
        return False
    set_error(label, "")
    return True


def error_label() -> QLabel:
    """An inline error under a field: the error colour, hidden while empty."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # errors may quote the input or a server
    label.setWordWrap(True)
    pal = label.palette()
    pal.setColor(label.foregroundRole(), style.error_color())
    label.setPalette(pal)
    label.setVisible(False)
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _check(label: QLabel, rule: Callable[[str], str], value: str, *, required: bool) -> bool:
    """Run one of core's validate_* rules on a field's value; the error goes under it."""
    err = ""
    if value or required:
        try:
            rule(value)
        except TokenMgrError as e:
            err = sentence(str(e))
    set_error(label, err)
    return not err


def _valid_check_url(url: str) -> str:
    """The CLI's rule for `--check-url`: https, plain http only to a loopback address."""
    from tokenmgr.core.oauth.http import check_url

    return check_url(url, "The check URL")


def _buddy(text: str, widget: QWidget) -> QLabel:
    """A form label whose &-mnemonic focuses `widget` (Alt+N: the name field)."""
    label = QLabel(text)
    label.setBuddy(widget)
    return label


def _qdt(at: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(at.timestamp()), QTimeZone.utc()).toLocalTime()
