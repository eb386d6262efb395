"""Runs one OAuth sign-in for the window: the core's `sign_in` in a worker, with the
GUI's own ways of showing it.

- Code flow, embedded: the sign-in window, in a process of its own
  (gui/signin_process.py), started the moment the sign-in starts. When it closes,
  switches to the system browser, is refused by the provider or dies, the app hears
  it over its pipe.
- Code flow, system browser: the person's browser, and a small window that waits
  with Cancel (and "Open again").
- Device flow: the device window (gui/device_dialog.py).
- Client credentials: no window; the status bar's busy indicator.
Cancel, in the app or in the sign-in window, sets the sign-in's cancel event, which
ends the core's wait cleanly (the loopback listener closes, the device polling stops)
and closes the windows. A sign-in window that fails (the provider's error page, a
crash) ends the sign-in with a sentence saying so, not as a cancellation. Nothing is
stored unless the sign-in succeeded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from tokenmgr.core.entries import Entry
    from tokenmgr.core.oauth.signin import SignInRequest
    from tokenmgr.core.vault import Vault
    from tokenmgr.gui.signin_process import EmbeddedBrowser, WindowProcess
    from tokenmgr.gui.tasks import Tasks


log = logging.getLogger("tokenmgr.signin")


def _open_in_browser(url: str) -> None:
    from tokenmgr.gui.browser import open_url

    open_url(url)


class WaitingDialog(QDialog):
    """While the sign-in goes on in the system browser (`why` it does, when the sign-in
    window handed it over: "" when the person asked for it)."""

    def __init__(
        self,
        url: str,
        cancel: threading.Event,
        parent: QWidget | None = None,
        *,
        why: str = "",
        open_url: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._cancel = cancel
        self._url = url
        self._open = open_url or _open_in_browser
        self._closing_ok = False
        self.setWindowTitle("Sign in")
        text = QLabel(
            (why + " " if why else "")
            + "Continue in your web browser. This window closes when the sign-in is done.",
            self,
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
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
        self._open(self._url)

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
    `cancelled()`. `env` is the app's environment: the sign-in window's process gets
    the user's part of it (core/childenv.py)."""

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
        env: Mapping[str, str] | None = None,
    ) -> None:
        # `parent` owns the controller (the window's commands: they outlive any dialog);
        # `windows_parent` is where the sign-in windows go (e.g. the add dialog).
        super().__init__(parent)
        self.vault = vault
        self.tasks = tasks
        if windows_parent is None and isinstance(parent, QWidget):
            windows_parent = parent
        self.parent_widget = windows_parent
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._open_system: Callable[[str], None] = open_system_browser or _open_in_browser
        self.cancel_event: threading.Event | None = None
        self.browser: EmbeddedBrowser | None = None  # the embedded sign-in's window
        # A sign-in window's process started ahead (while the add dialog was open): the
        # next embedded sign-in uses it when it still runs.
        self.window: WindowProcess | None = None
        self._windows: list[Any] = []  # bridges and dialogs to finish when it ends
        self._failure: str | None = None  # why a window ended the sign-in
        self._client: tuple[str, list[str]] = ("", [])  # client id and scopes, for words
        self._system_open_requested.connect(self._on_system_open_requested)

    def running(self) -> bool:
        return self.cancel_event is not None

    def cancel(self) -> None:
        """End the sign-in (Cancel in the app): the core's wait, and the windows now."""
        if self.cancel_event is not None:
            self.cancel_event.set()
        if self.browser is not None:
            self.browser.finish()

    def start(self, req: SignInRequest) -> None:
        """Run the sign-in `req` (from the add dialog)."""
        scopes = list(req.scopes or [])
        self._start(
            req.flow, req.browser, req.preset or "", lambda: req, req.name, req.client_id, scopes
        )

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
            shape.client_id,
            list(shape.scopes or []),
        )

    def _start(
        self,
        flow: str,
        browser: str,
        provider: str,
        make_request: Callable[[], SignInRequest],
        name: str,
        client_id: str = "",
        scopes: Sequence[str] = (),
    ) -> None:
        from tokenmgr.core.oauth import flows
        from tokenmgr.core.oauth.signin import sign_in
        from tokenmgr.gui.device_dialog import DeviceAnnouncer

        if self.running():
            self.failed.emit("Another sign-in is still open: finish or cancel it first.")
            return
        embedded = flow == "code" and browser == "embedded"
        # The windows' titles name the provider as people know it ("GitHub", not "github").
        from tokenmgr.core.oauth import presets

        provider = str(presets.PRESETS.get(provider, {}).get("service") or provider)
        cancel = threading.Event()
        self.cancel_event = cancel
        self._failure = None
        self._client = (client_id, list(scopes))
        announce = DeviceAnnouncer(cancel, provider=provider, parent_widget=self.parent_widget)
        self._windows = [announce]
        open_url: Any
        if embedded:
            from tokenmgr.gui.signin_process import EmbeddedBrowser

            ready, self.window = self.window, None
            bridge = EmbeddedBrowser(
                self.env,
                provider=provider,
                parent_widget=self.parent_widget,
                parent=self,
                window=ready,
            )
            window = bridge.window
            window.closed.connect(self._on_window_closed)
            window.switched_to_system_browser.connect(self._on_window_switched_to_system_browser)
            window.refused.connect(self._on_window_refused)
            window.failed.connect(self._on_window_failed)
            flows.set_embedded_browser(bridge)
            self.browser = bridge
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

    # ------------------------------------------------------- the sign-in window

    @Slot()
    def _on_window_closed(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()  # the person's Cancel: a cancellation

    @Slot(str)
    def _on_window_switched_to_system_browser(self, why: str) -> None:
        if self.browser is None or not self.browser.url:
            return
        self._show_waiting(self.browser.url, why)

    @Slot(int, str, str)
    def _on_window_refused(self, status: int, error: str, description: str) -> None:
        from tokenmgr.core.oauth.refusal import refusal_sentence

        client_id, scopes = self._client
        self._fail(
            refusal_sentence(error, description, client_id=client_id, scopes=scopes, status=status)
        )

    @Slot(str)
    def _on_window_failed(self, why: str) -> None:
        self._fail(why)

    def _fail(self, why: str) -> None:
        """End the sign-in because its window could not go on; `why` is said, not
        "cancelled"."""
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        self._failure = why
        self.cancel_event.set()

    # -------------------------------------------------------- system browser

    @Slot(str)
    def _on_system_open_requested(self, url: str) -> None:
        self._show_waiting(url, "")

    def _show_waiting(self, url: str, why: str) -> None:
        if self.cancel_event is None or self.cancel_event.is_set():
            return
        self._open_system(url)
        dialog = WaitingDialog(
            url, self.cancel_event, self.parent_widget, why=why, open_url=self._open_system
        )
        self._windows.append(dialog)
        dialog.show()

    # ------------------------------------------------------------------- end

    def _end(self) -> None:
        import shiboken6

        from tokenmgr.core.oauth import flows

        for w in self._windows:
            if shiboken6.isValid(w):
                w.finish()
        self._windows = []
        self.browser = None
        flows.set_embedded_browser(None)
        self.cancel_event = None

    def _on_done(self, entry: Entry) -> None:
        from tokenmgr.core.oauth.signin import missing_refresh_token

        self._end()
        log.debug("sign-in: signed in")
        note = missing_refresh_token(entry) or ""
        self.signed_in.emit(entry, note)

    def _on_error(self, exc: BaseException) -> None:
        from tokenmgr.core.oauth.loopback import SignInCancelled
        from tokenmgr.gui.errors import describe, sentence

        self._end()
        if isinstance(exc, SignInCancelled) and self._failure is not None:
            log.debug("sign-in: failed (its window)")
            self.failed.emit(sentence(self._failure))
        elif isinstance(exc, SignInCancelled):
            log.debug("sign-in: cancelled")
            self.cancelled.emit()
        else:
            log.debug("sign-in: failed")
            self.failed.emit(describe(exc))
