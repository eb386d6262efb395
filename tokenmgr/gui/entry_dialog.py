"""Add or edit an entry: a static token (gui/token_page.py) or an OAuth2 / OpenID
Connect sign-in (gui/oauth_profile.py), chosen with "Kind".

The dialog stores nothing. For a static token its primary button ("Add token",
or "Save" when editing) emits `save_requested` with an `EntryRequest`; for the
OAuth2 kind it is "Sign in" and emits `sign_in_requested` with a
`SignInRequest`. Whoever runs the request answers with `saved()` (the dialog
closes) or `failed(sentence)` (the sentence shows above the buttons and the
dialog waits for another try). The button stays disabled until the page can
be saved, and while a request runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.core.entries import Entry
from tokenmgr.core.errors import TokenMgrError
from tokenmgr.gui.errors import sentence
from tokenmgr.gui.form_fields import error_label, set_error
from tokenmgr.gui.token_page import StaticTokenPage

if TYPE_CHECKING:
    from tokenmgr.gui.oauth_profile import OAuthProfilePage
    from tokenmgr.gui.tasks import Tasks


class EntryDialog(QDialog):
    save_requested = Signal(object)  # EntryRequest (a static token)
    sign_in_requested = Signal(object)  # SignInRequest (the OAuth2 kind)
    # True while "Sign in" would open the embedded sign-in window (OAuth2, code flow,
    # in Token Manager): whoever runs it may get that window ready.
    embedded_sign_in_wanted = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        existing_names: set[str] | None = None,
        entry: Entry | None = None,
        tasks: Tasks | None = None,
        kind: str = "static",
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        remembered: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self._editing = entry is not None
        self._names = set(existing_names or ()) - ({entry.name} if entry else set())
        self._tasks = tasks
        self._remembered = dict(remembered or {})
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
        self.static_page = StaticTokenPage(
            entry, set(existing_names or ()), tasks=tasks if entry is None else None, env=env
        )
        self.static_page.validity_changed.connect(self._on_static_page_validity_changed)
        self.pages.addWidget(self.static_page)
        self.oauth_page: OAuthProfilePage | None = None  # made when the OAuth2 kind is chosen
        self.kind.currentIndexChanged.connect(self._on_kind_current_index_changed)

        self.save_error = error_label()
        outer.addWidget(self.save_error)
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton()
        self.save_button.setDefault(True)
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._set_primary(self._idle_text())

        if token is not None:  # Paste & decode's "Add this token"
            self.static_page.set_token(token)
        self.static_page.revalidate()
        self.static_page.token.setFocus()
        if kind == "oauth2" and not self._editing:
            self.kind.setCurrentIndex(self.kind.findData("oauth2"))

    def is_oauth(self) -> bool:
        return bool(self.kind.currentData() == "oauth2")

    def wants_embedded_sign_in(self) -> bool:
        """Would "Sign in" open the embedded sign-in window now?"""
        return self.is_oauth() and self.oauth_page is not None and self.oauth_page.embedded()

    # ------------------------------------------------- from whoever saves it

    def saved(self) -> None:
        self.accept()

    def failed(self, message: str) -> None:
        self._busy = False
        self._set_primary(self._idle_text())
        set_error(self.save_error, message)
        if self.is_oauth():
            self.save_button.setEnabled(True)
        else:
            self.static_page.revalidate()
        self._fit()

    def done(self, result: int) -> None:
        # Saved, cancelled or closed: the pasted token and the client secret do not
        # outlive the dialog.
        self.static_page.clear_secret()
        if self.oauth_page is not None:
            self.oauth_page.clear_secret()
        super().done(result)

    # ---------------------------------------------------------------- inside

    def _idle_text(self) -> str:
        if self.is_oauth():
            return "Sign in"
        return "Save" if self._editing else "Add token"

    def _set_primary(self, text: str) -> None:
        self.save_button.setText(text)
        self.save_button.setAccessibleName(text)

    @Slot()
    def _fit(self) -> None:
        """Grow so that no wrapped message is cut. A wrapped message asks for the height
        its lines take once it has its width (gui/oauth_profile.py's `_Message`): the
        first layout pass gives it its width, the second the height it then needs."""
        lay = self.layout()
        if lay is None:
            return
        for _ in range(2):
            lay.activate()
        want = max(self.sizeHint().height(), self.minimumSizeHint().height())
        if want > self.height():
            self.resize(self.width(), want)

    @Slot(bool)
    def _on_static_page_validity_changed(self, ok: bool) -> None:
        if not self.is_oauth():
            self.save_button.setEnabled(ok and not self._busy)
            self._fit()

    @Slot(bool)
    def _on_oauth_page_validity_changed(self, ok: bool) -> None:
        if self.is_oauth():
            self.save_button.setEnabled(ok and not self._busy)

    @Slot(int)
    def _on_kind_current_index_changed(self, _index: int) -> None:
        if self.is_oauth():
            if self.oauth_page is None:
                from tokenmgr.gui.oauth_profile import OAuthProfilePage

                self.oauth_page = OAuthProfilePage(
                    self._tasks, self, remembered=self._remembered
                )
                self.oauth_page.validity_changed.connect(self._on_oauth_page_validity_changed)
                self.oauth_page.content_changed.connect(self._fit)
                self.oauth_page.embedded_chosen.connect(self.embedded_sign_in_wanted)
                self.pages.addWidget(self.oauth_page)
            self.pages.setCurrentWidget(self.oauth_page)
            self.setWindowTitle("Sign in to a provider")
            self.oauth_page.preset.setFocus()
            self.oauth_page.revalidate()
            self.embedded_sign_in_wanted.emit(self.oauth_page.embedded())
            self._fit()
        else:
            self.pages.setCurrentWidget(self.static_page)
            self.setWindowTitle("Add a token")
            self.static_page.revalidate()
            self.embedded_sign_in_wanted.emit(False)
        self._set_primary(self._idle_text())

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.is_oauth():
            self._sign_in()
        elif self.static_page.revalidate():
            self._start("Saving…")
            self.save_requested.emit(self.static_page.request())

    def _sign_in(self) -> None:
        assert self.oauth_page is not None  # the OAuth2 kind made it
        try:
            req = self.oauth_page.request()
        except TokenMgrError as e:
            set_error(self.save_error, sentence(str(e)))
            return
        if req.name in self._names:
            set_error(self.save_error, f"An entry named {req.name} exists already.")
            return
        self._start("Signing in…")
        self.sign_in_requested.emit(req)

    def _start(self, text: str) -> None:
        self._busy = True
        self._set_primary(text)
        self.save_button.setEnabled(False)
        set_error(self.save_error, "")
