"""The OAuth2 / OpenID Connect profile page of the add dialog.

Preset picker (the presets are data: core/oauth/presets.py; what a choice means for
the form: gui/provider_choice.py), with a labelled field for each value the preset
needs (host, realm, tenant, domain, authorization server), the issuer with a "Check"
button (discovery in a worker, gui/issuer_check.py: the endpoints found, or why it
failed), client id, client secret (to the keyring only, never shown again), scopes
(the preset's defaults; `offline_access` suggested where the provider wants it),
audience / resource, extra parameters, flow and browser. `request()` gives the
`SignInRequest` the CLI's `login` would build; the window runs the sign-in.

The page starts from the provider, issuer, values and client id of the last sign-in
(`remembered`: `remembered()` gives them to keep; nothing secret is in them). Its
messages wrap; `content_changed` tells the dialog to grow so that none is cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.errors import TokenMgrError
from tokenmgr.core.rules import validate_name
from tokenmgr.gui.errors import sentence
from tokenmgr.gui.form_fields import buddy, message_error_label, message_label, set_error
from tokenmgr.gui.issuer_check import IssuerCheck
from tokenmgr.gui.provider_choice import (
    BROWSERS,
    FLOWS,
    GENERIC,
    VALUE_FIELDS,
    PresetChoice,
    offered,
)

if TYPE_CHECKING:
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.gui.tasks import Tasks

class OAuthProfilePage(QWidget):
    validity_changed = Signal(bool)
    check_finished = Signal(bool, str)  # ok, what it says (for tests and the status bar)
    content_changed = Signal()  # a message changed: the dialog may need to grow
    embedded_chosen = Signal(bool)  # the sign-in would show the page in Token Manager

    def __init__(
        self,
        tasks: Tasks | None = None,
        parent: QWidget | None = None,
        *,
        remembered: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._issuer_check = IssuerCheck(tasks, self)
        self._issuer_check.finished.connect(self._on_issuer_check_finished)
        self._name_edited = False
        self._embedded = False
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form

        self.preset = QComboBox(self)
        self.preset.setAccessibleName("Provider")
        for label, name in offered():
            self.preset.addItem(label, name)
        self.preset.currentIndexChanged.connect(self._on_preset_current_index_changed)
        form.addRow(buddy("&Provider", self.preset), self.preset)
        # Messages under a field are rows of their own: the form gives a wrapped label
        # the height it needs at its width (a label inside a nested layout may get less).
        self.quirks = message_label(self)
        form.addRow("", self.quirks)

        self.issuer = QLineEdit(self)
        self.issuer.setAccessibleName("Issuer URL")
        self.issuer.setPlaceholderText("https://id.example.com")
        self.issuer.textChanged.connect(self._on_field_changed)
        self.check_button = QPushButton("Check", self)
        self.check_button.setAccessibleName("Check the issuer")
        self.check_button.setAutoDefault(False)  # Return signs in; it does not check
        self.check_button.clicked.connect(self._on_check_button_clicked)
        row = QHBoxLayout()
        row.addWidget(self.issuer, 1)
        row.addWidget(self.check_button)
        form.addRow(buddy("&Issuer", self.issuer), row)
        self.check_result = message_label(self)
        self.check_result.setAccessibleName("What the check found")
        form.addRow("", self.check_result)
        form.setRowVisible(self.check_result, False)

        # What the preset needs (host, realm, tenant, domain, server): one field each,
        # shown only for the presets that need it.
        self.preset_fields: dict[str, QLineEdit] = {}
        for key, (label, hint) in VALUE_FIELDS.items():
            edit = QLineEdit(self)
            edit.setAccessibleName(label.replace("&", ""))
            edit.setPlaceholderText(hint)
            edit.textEdited.connect(self._on_field_changed)
            form.addRow(buddy(label, edit), edit)
            self.preset_fields[key] = edit
        self._form = form

        self.name = QLineEdit(self)
        self.name.setAccessibleName("Name")
        self.name.setPlaceholderText("e.g. work")
        self.name.textEdited.connect(self._on_name_text_edited)
        self.name.textChanged.connect(self._on_field_changed)
        self.name_error = message_error_label(self)
        form.addRow(buddy("&Name", self.name), _column(self.name, self.name_error))

        self.client_id = QLineEdit(self)
        self.client_id.setAccessibleName("Client ID")
        self.client_id.textEdited.connect(self._on_field_changed)
        form.addRow("&Client ID", self.client_id)
        self.client_secret = QLineEdit(self)
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setAccessibleName("Client secret")
        self.client_secret.setPlaceholderText("Only if the provider gave you one")
        self.client_secret.textEdited.connect(self._on_field_changed)
        form.addRow("Client &secret", self.client_secret)

        self.scopes = QLineEdit(self)
        self.scopes.setAccessibleName("Scopes")
        self.scopes.textEdited.connect(self._on_field_changed)
        form.addRow(buddy("Sc&opes", self.scopes), self.scopes)
        self.scope_hint = message_label(self)
        form.addRow("", self.scope_hint)
        self.audience = QLineEdit(self)
        self.audience.setAccessibleName("Audience")
        form.addRow("&Audience", self.audience)
        self.resource = QLineEdit(self)
        self.resource.setAccessibleName("Resource")
        form.addRow("&Resource", self.resource)
        self.params = QLineEdit(self)
        self.params.setAccessibleName("Extra parameters")
        self.params.setPlaceholderText("NAME=VALUE, separated by spaces")
        self.params.textEdited.connect(self._on_field_changed)
        form.addRow("E&xtra parameters", self.params)

        self.flow = QComboBox(self)
        self.flow.setAccessibleName("Flow")
        for key, label in FLOWS:
            self.flow.addItem(label, key)
        self.flow.currentIndexChanged.connect(self._on_field_changed)
        self.flow.currentIndexChanged.connect(self._on_browser_choice_changed)
        form.addRow("&Flow", self.flow)
        self.browser = QComboBox(self)
        self.browser.setAccessibleName("Browser")
        for key, label in BROWSERS:
            self.browser.addItem(label, key)
        self.browser.currentIndexChanged.connect(self._on_browser_choice_changed)
        form.addRow("&Browser", self.browser)
        from tokenmgr.gui.form_fields import hosts_field

        self.hosts, self.hosts_error = hosts_field()
        self.hosts.textEdited.connect(self._on_hosts_text_edited)
        self._hosts_edited = False
        form.addRow(buddy("&Hosts", self.hosts), _column(self.hosts, self.hosts_error))
        self.error = message_error_label(self)
        form.addRow(self.error)
        self._on_preset_current_index_changed()
        if remembered:
            self._recall(remembered)

    # --------------------------------------------------------------- preset

    def preset_name(self) -> str:
        return str(self.preset.currentData())

    def _choice(self) -> PresetChoice:
        return PresetChoice.of(self.preset_name())

    @Slot()
    def _on_preset_current_index_changed(self, *_args: object) -> None:
        choice = self._choice()
        self.issuer.setEnabled(choice.issuer_typed)
        if choice.fixed_issuer:
            self.issuer.setText(choice.fixed_issuer)
        elif not choice.issuer_typed:
            self.issuer.clear()
        self.issuer.setPlaceholderText(
            "https://id.example.com" if choice.issuer_typed
            else "Filled in from the provider values"
        )
        for key, edit in self.preset_fields.items():
            wanted = key in choice.needed
            self._form.setRowVisible(edit, wanted)
            edit.setText(choice.defaults.get(key, "") if wanted else "")
        self.scopes.setText(choice.scopes)
        self.scope_hint.setText(choice.scope_hint)
        self.quirks.setText(choice.quirks)
        self._form.setRowVisible(self.quirks, bool(choice.quirks))
        self.browser.setCurrentIndex(0 if choice.embedded_ok else 1)
        embedded = self.browser.model().item(0)  # type: ignore[attr-defined]
        if embedded is not None:
            embedded.setEnabled(choice.embedded_ok)
        if not self._name_edited:
            self.name.setText(choice.suggested_name)
        self._suggest_hosts()
        self._say("")
        self.revalidate()
        self.content_changed.emit()

    def _suggest_hosts(self) -> None:
        """A preset knows where its tokens are used from git and docker (GitHub:
        github.com): filled in until the person types their own."""
        if not self._hosts_edited:
            self.hosts.setText(", ".join(self._choice().suggested_hosts(self._preset_values())))

    # ---------------------------------------------------------------- check

    @Slot()
    def _on_check_button_clicked(self) -> None:
        issuer = self.issuer_url()
        if not issuer:
            self._say("Fill in the issuer (or the provider's values) first.")
            self.content_changed.emit()
            return
        if self.tasks is None:
            return
        self.check_button.setEnabled(False)
        self._say("Checking…")
        self.content_changed.emit()
        self._issuer_check.start(issuer)

    @Slot(bool, str, str)
    def _on_issuer_check_finished(self, ok: bool, text: str, token_endpoint: str) -> None:
        self.check_button.setEnabled(True)
        if ok:
            tip = f"Token endpoint: {token_endpoint}" if token_endpoint else ""
            self.check_result.setToolTip(tip)
        self._say(text)
        self.content_changed.emit()
        self.check_finished.emit(ok, text)

    # --------------------------------------------------------------- result

    def issuer_url(self) -> str:
        return self._choice().issuer(self.issuer.text(), self._preset_values())

    def _preset_values(self) -> dict[str, str]:
        needed = self._choice().needed
        return {
            key: edit.text().strip()
            for key, edit in self.preset_fields.items()
            if key in needed and edit.text().strip()
        }

    def request(self) -> SignInRequest:
        """The sign-in to run; raises a TokenMgrError (UsageError) saying what is missing."""
        from tokenmgr.core.errors import UsageError
        from tokenmgr.core.oauth.signin import SignInRequest, parse_params
        from tokenmgr.gui.form_fields import hosts_given

        name = self.name.text().strip()
        validate_name(name)
        client_id = self.client_id.text().strip()
        if not client_id:
            raise UsageError("fill in the client ID the provider gave you")
        preset = self.preset_name()
        params = parse_params(self.params.text().split())
        issuer: str | None = None
        if preset == GENERIC:
            issuer = self.issuer.text().strip()
            if not issuer:
                raise UsageError("fill in the issuer URL")
        else:
            params = {**self._preset_values(), **params}
        secret = self.client_secret.text() or None
        flow = str(self.flow.currentData())
        if flow == "client-credentials" and not secret:
            raise UsageError("a service account needs its client secret")
        return SignInRequest(
            name=name,
            client_id=client_id,
            issuer=issuer,
            preset=None if preset == GENERIC else preset,
            client_secret=secret,
            scopes=self.scopes.text().split(),
            audience=self.audience.text().strip() or None,
            resource=self.resource.text().strip() or None,
            params=params,
            flow=flow,
            browser=str(self.browser.currentData()),
            hosts=hosts_given(self.hosts.text()),
        )

    def clear_secret(self) -> None:
        self.client_secret.clear()

    @Slot()
    def _on_name_text_edited(self, _text: str) -> None:
        self._name_edited = True
        self.revalidate()

    @Slot()
    def _on_field_changed(self, *_args: object) -> None:
        if self.preset_name() != GENERIC:
            derived = self.issuer_url()
            if self.issuer.text() != derived:
                self.issuer.setText(derived)  # what the provider values make of it
            self._suggest_hosts()  # GitLab's host follows its provider value
        self.revalidate()

    @Slot(str)
    def _on_hosts_text_edited(self, text: str) -> None:
        self._hosts_edited = bool(text)
        self.revalidate()

    def revalidate(self) -> bool:
        name_error = ""
        try:
            if self.name.text().strip():
                validate_name(self.name.text().strip())
        except TokenMgrError as e:
            name_error = sentence(str(e))
        set_error(self.name_error, name_error)
        from tokenmgr.gui.form_fields import check_hosts

        check_hosts(self.hosts, self.hosts_error)
        try:
            self.request()
            ok, error = True, ""
        except TokenMgrError as e:
            ok, error = False, sentence(str(e))
        # Only the name gets an inline error while typing; the rest shows on "Sign in".
        self.error.setVisible(False)
        self._last_error = error
        self.validity_changed.emit(ok)
        return ok

    def show_error(self, text: str) -> None:
        set_error(self.error, text)
        self.content_changed.emit()

    def _say(self, text: str) -> None:
        """What the check found, under the issuer: a row of its own while there is some."""
        self.check_result.setText(text)
        self._form.setRowVisible(self.check_result, bool(text))

    # ----------------------------------------------------------- remembered

    def remembered(self) -> dict[str, Any]:
        """What the next sign-in starts from: provider, issuer, its values, client id."""
        return {
            "preset": self.preset_name(),
            "issuer": self.issuer.text().strip() if self.preset_name() == GENERIC else "",
            "values": self._preset_values(),
            "client_id": self.client_id.text().strip(),
        }

    def _recall(self, last: Mapping[str, Any]) -> None:
        preset = last.get("preset")
        index = self.preset.findData(preset) if isinstance(preset, str) else -1
        if index >= 0:
            self.preset.setCurrentIndex(index)
        values = last.get("values")
        if isinstance(values, dict):
            for key, value in values.items():
                edit = self.preset_fields.get(key)
                if edit is not None and isinstance(value, str) and not edit.isHidden():
                    edit.setText(value)
        issuer = last.get("issuer")
        if self.preset_name() == GENERIC and isinstance(issuer, str):
            self.issuer.setText(issuer)
        client_id = last.get("client_id")
        if isinstance(client_id, str):
            self.client_id.setText(client_id)
        self._on_field_changed()

    # ------------------------------------------------------------- browser

    def embedded(self) -> bool:
        """Would the sign-in show the provider's page in Token Manager?"""
        return bool(
            self.flow.currentData() == "code" and self.browser.currentData() == "embedded"
        )

    @Slot()
    def _on_browser_choice_changed(self, *_args: object) -> None:
        embedded = self.embedded()
        if embedded != self._embedded:
            self._embedded = embedded
            self.embedded_chosen.emit(embedded)

    def last_error(self) -> str:
        return self._last_error


def _column(*widgets: QWidget) -> QVBoxLayout:
    col = QVBoxLayout()
    col.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        col.addWidget(w)
    return col

