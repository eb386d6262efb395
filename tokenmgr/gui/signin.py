"""Runs one OAuth sign-in for the window: the core's `sign_in` in a worker, with the
GUI's own ways of showing it.

- Code flow, embedded: the QtWebEngine window (gui/login_dialog.py, imported here
  only when such a sign-in starts).
- Code flow, system browser: the person's browser, and a small window that waits
  with Cancel (and "Open again").
- Device flow: the device window (gui/device_dialog.py).
- Client credentials: no window; the status bar's busy indicator.
Cancel sets the sign-in's cancel event, which ends the core's wait cleanly (the
loopback listener closes, the device polling stops). Nothing is stored unless
the sign-in succeeded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.tasks import Tasks


def _open_in_browser(url: str) -> None:
    QDesktopServices.openUrl(QUrl(url))


class WaitingDialog(QDialog):
    """While the sign-in goes on in the system browser."""

    def __init__(self, url: str, cancel: threading.Event, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cancel = cancel
        self._url = url
        self._closing_ok = False
        self.setWindowTitle("Sign in")
        text = QLabel(
            "Continue in your web browser. This window closes when the sign-in is done.", self
        )
        text.setWordWrap(True)
        self.again_button = QPushButton("Open the page again", self)
        self.again_button.clicked.connect(self._on_again_button_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.again_button)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(row)

    @Slot()
    def _on_again_button_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl(self._url))

    def finish(self) -> None:
        self._closing_ok = True
        self.accept()

    def done(self, result: int) -> None:
        if not self._closing_ok:
            self._cancel.set()
        super().done(result)


class SignInController(QObject):
    """One sign-in at a time. Signals: `signed_in(entry, note)` (note: a sentence when
    offline access was asked for but no refresh token came back), `failed(sentence)`,
    `cancelled()`."""

    signed_in = Signal(object, str)
    failed = Signal(str)
    cancelled = Signal()
    _system_open_requested = Signal(str)

    def __init__(
        self,
        vault: Vault,
        tasks: Tasks,
        parent: QObject | None = None,
        *,
        windows_parent: QWidget | None = None,
        open_system_browser: Callable[[str], None] | None = None,
    ) -> None:
        # `parent` owns the controller (the window's commands: they outlive any dialog);
        # `windows_parent` is where the sign-in windows go (e.g. the add dialog).
        super().__init__(parent)
        self.vault = vault
        self.tasks = tasks
        if windows_parent is None and isinstance(parent, QWidget):
            windows_parent = parent
        self.parent_widget = windows_parent
        self._open_system: Callable[[str], None] = open_system_browser or _open_in_browser
        self.cancel_event: threading.Event | None = None
        self._windows: list[Any] = []  # bridges and dialogs to finish when it ends
        self._system_open_requested.connect(self._on_system_open_requested)

    def running(self) -> bool:
        return self.cancel_event is not None

    def cancel(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()

    def start(self, req: SignInRequest) -> None:
        """Run the sign-in `req` (from the add dialog)."""
        self._start(req.flow, req.browser, req.preset or "", lambda: req, req.name)

    def start_again(self, entry: Entry) -> None:
        """Repeat `entry`'s sign-in with its stored settings and client secret, which the
        worker first checks against the binding stored with its secrets
        (`core.oauth.signin.request_again_checked`)."""
        from tokenmgr.core.oauth.signin import request_again, request_again_checked

        shape = request_again(entry)  # which windows it needs; nothing is sent from it
        vault, name = self.vault, entry.name
        self._start(
            shape.flow,
            shape.browser,
            shape.preset or "",
            lambda: request_again_checked(vault, name),
            name,
        )

    def _start(
        self,
        flow: str,
        browser: str,
        provider: str,
        make_request: Callable[[], SignInRequest],
        name: str,
    ) -> None:
        from tokenmgr.core.oauth import flows
        from tokenmgr.core.oauth.signin import sign_in
        from tokenmgr.gui.device_dialog import DeviceAnnouncer

        if self.running():
            self.failed.emit("Another sign-in is still open: finish or cancel it first.")
            return
        cancel = threading.Event()
        self.cancel_event = cancel
        announce = DeviceAnnouncer(cancel, provider=provider, parent_widget=self.parent_widget)
        self._windows = [announce]
        open_url: Any
        if flow == "code" and browser == "embedded":
            from tokenmgr.gui.login_dialog import EmbeddedBrowser  # QtWebEngine: now

            bridge = EmbeddedBrowser(
                cancel,
                provider=provider,
                parent_widget=self.parent_widget,
                open_url=self._open_system,
            )
            flows.set_embedded_browser(bridge)
            self._windows.append(bridge)
            open_url = bridge
        else:

            def open_url(url: str, _redirect_uri: str) -> None:
                self._system_open_requested.emit(url)

        vault = self.vault

        def job() -> Entry:
            req = make_request()
            if (req.flow, req.browser) != (flow, browser):
                # The windows were chosen from the list's copy of the entry; only the
                # checked, bound settings may decide how the person signs in.
                from tokenmgr.core.errors import IndexAltered

                raise IndexAltered(
                    f"the settings of {name!r} changed while its sign-in started; try again"
                )
            return sign_in(vault, req, open_url=open_url, announce=announce, cancel=cancel)

        self.tasks.run(f"Signing in to {name}", job, on_done=self._on_done, on_error=self._on_error)

    @Slot(str)
    def _on_system_open_requested(self, url: str) -> None:
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        self._open_system(url)
        dialog = WaitingDialog(url, self.cancel_event, self.parent_widget)
        self._windows.append(dialog)
        dialog.show()

    def _end(self) -> None:
        import shiboken6

        from tokenmgr.core.oauth import flows

        for w in self._windows:
            if shiboken6.isValid(w):
                w.finish()
        self._windows = []
        flows.set_embedded_browser(None)
        self.cancel_event = None

    def _on_done(self, entry: Entry) -> None:
        from tokenmgr.core.oauth.signin import missing_refresh_token

        self._end()
        note = missing_refresh_token(entry) or ""
        self.signed_in.emit(entry, note)

    def _on_error(self, exc: BaseException) -> None:
        from tokenmgr.core.oauth.loopback import SignInCancelled
        from tokenmgr.gui.errors import describe

        self._end()
        if isinstance(exc, SignInCancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(describe(exc))
