"""The sign-in window: the provider's own page in QtWebEngine.

It runs in a process of its own (gui/signin_child.py, joined to the app's pipe by
gui/piped_window.py), never in the app: Chromium cannot be unloaded from a process
once loaded, and a crash of it must end a sign-in, not the app. The window is made
before it is needed (the browser starts while the app still asks the provider for its
endpoints) and shown by `start`.

Each sign-in gets a fresh off-the-record profile, deleted with the window: no
cookie, cache or storage reaches the disk. The page is the provider's and gets
nothing native from the window (gui/login_page.py). Above it, the address bar shows
the host and the connection as a browser's omnibox would (gui/address_bar.py).

The redirect back to the loopback URI is caught before it loads and handed to the
app's loopback listener by a plain, proxy-free HTTP request, so the same code as the
CLI's judges it (state, iss, Host, one shot). A refused redirect (a wrong state)
shows the listener's page and the sign-in goes on.

Some providers refuse embedded browsers (Google's `disallowed_useragent`): the
window then hands the sign-in to the system browser (`switched_to_system_browser`).
An error page in answer to the authorization request itself (an unknown client id,
say) is reported as what it is (`refused`), not left for the person to close.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWebEngineCore import (
    QWebEngineCertificateError,
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEngineProfile,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui.address_bar import FAILED, AddressBar
from tokenmgr.gui.login_page import SignInPage, SignInView

log = logging.getLogger("tokenmgr.signin.window")

REFUSED_EMBEDDED = "disallowed_useragent"
DELIVER_TIMEOUT = 10.0

# OAuth error codes a provider's error page may name (RFC 6749 §4.1.2.1, OpenID
# Connect Core §3.1.2.6, and the redirect URI names providers use).
_OAUTH_ERROR = re.compile(
    r"\b(invalid_client|unauthorized_client|invalid_request|invalid_scope|access_denied|"
    r"unsupported_response_type|server_error|temporarily_unavailable|invalid_redirect_uri|"
    r"redirect_uri_mismatch|invalid_request_uri|invalid_request_object|login_required|"
    r"consent_required|interaction_required|account_selection_required)\b"
)
_DESCRIPTION = re.compile(r"error_description\W{0,3}([^\n]{1,300})")


def same_endpoint(url: QUrl, endpoint: str) -> bool:
    """Is `url` a request to `endpoint` (scheme, host, port and path; any query)?"""
    other = QUrl(endpoint)
    return (
        url.scheme() == other.scheme()
        and url.host() == other.host()
        and url.port(-1) == other.port(-1)
        and url.path() == other.path()
    )


def oauth_error(page_text: str) -> tuple[str, str]:
    """The OAuth error code and description an error page names ("" when none)."""
    code = _OAUTH_ERROR.search(page_text)
    description = _DESCRIPTION.search(page_text)
    return (code.group(1) if code else "", description.group(1).strip() if description else "")


class LoginDialog(QDialog):
    """One sign-in's window. `closed` when the person gives up (Cancel, Escape, the title
    bar); `finish` closes it without that (the sign-in ended)."""

    delivered = Signal(int)  # the listener's HTTP status for the captured redirect
    switched_to_system_browser = Signal(str)  # why ("" when the person chose it)
    refused = Signal(int, str, str)  # HTTP status, OAuth error, its description
    failed = Signal(str)  # a sentence
    closed = Signal()
    _delivery_answered = Signal(int, str)  # from the delivering thread

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        is_public_suffix: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        if is_public_suffix is None:
            from tokenmgr.gui.address import qt_public_suffix

            is_public_suffix = qt_public_suffix()
        self._auth_url = ""
        self._closing_ok = False
        self._certificate_refused = False
        self._provider_answered = False  # a page of the sign-in loaded
        self._handed_over = False  # to the system browser
        self.setWindowTitle("Sign in")
        self.resize(520, 680)

        # A profile without a storage name is off the record: nothing on disk.
        self.profile = QWebEngineProfile(None)
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        self.page = SignInPage(self.profile, self.profile)
        self.view = SignInView(self)
        self.view.setPage(self.page)

        self.address_bar = AddressBar(is_public_suffix, self)
        self.system_button = QPushButton("Open in system browser instead", self)
        self.system_button.setAutoDefault(False)
        self.system_button.clicked.connect(self._on_system_button_clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.address_bar, 1)
        bar.addSpacing(12)
        bar.addWidget(self.system_button)

        self.waiting = QLabel(self)
        self.waiting.setWordWrap(True)
        self.waiting.setTextFormat(Qt.TextFormat.PlainText)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.waiting)

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        # Escape cancels wherever the focus is: the page (its login field has it) does not
        # hand the key on to the window.
        self.escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.escape.activated.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)

        page = self.page
        page.urlChanged.connect(self._on_page_url_changed)
        page.loadingChanged.connect(self._on_page_loading_changed)
        page.loadFinished.connect(self._on_page_load_finished)
        page.redirect_captured.connect(self._on_page_redirect_captured)
        page.certificateError.connect(self._on_page_certificate_error)
        page.renderProcessTerminated.connect(self._on_page_render_process_terminated)
        self._delivery_answered.connect(self._on_delivery_answered)
        # The browser's page process starts now, while the app still asks the provider for
        # its endpoints: the provider's page then goes into a process that is ready. (A
        # page asked for before the blank one is in waits for it: loaded over a blank
        # page still loading, Qt may end up showing the blank one.)
        self._pending: QUrl | None = None
        self._blank_loading = True
        page.loadFinished.connect(self._on_page_blank_load_finished)
        page.load(QUrl("about:blank"))

    # ---------------------------------------------------------------- start

    def start(self, auth_url: str, redirect_uri: str, provider: str = "") -> None:
        """Show the window and load the provider's page."""
        self._auth_url = auth_url
        self.page.redirect_uri = redirect_uri
        self.setWindowTitle(f"Sign in to {provider}" if provider else "Sign in")
        self.setAccessibleName(self.windowTitle())
        self._show_address(QUrl(auth_url))
        if self._blank_loading:
            self._pending = QUrl(auth_url)
        else:
            self.page.load(QUrl(auth_url))
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.setFocus()  # the provider's page takes the keyboard (its autofocus field)

    @Slot(bool)
    def _on_page_blank_load_finished(self, _ok: bool) -> None:
        if self.page is None or not self._blank_loading:
            return
        self._blank_loading = False
        self.page.loadFinished.disconnect(self._on_page_blank_load_finished)
        pending, self._pending = self._pending, None
        if pending is not None:
            self.page.load(pending)

    def _show_address(self, url: QUrl) -> None:
        self.address_bar.show_url(url, certificate_refused=self._certificate_refused)

    @Slot(QUrl)
    def _on_page_url_changed(self, url: QUrl) -> None:
        if url.scheme() not in ("about", "data"):
            self._show_address(url)

    @Slot(QWebEngineLoadingInfo)
    def _on_page_loading_changed(self, info: QWebEngineLoadingInfo) -> None:
        status = info.status()
        url = info.url()
        if url.scheme() in ("about", "data"):
            return  # the blank page the window starts with, or the listener's answer
        if status == QWebEngineLoadingInfo.LoadStatus.LoadStartedStatus:
            self._certificate_refused = False
            self._show_address(url)
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus:
            domain = info.errorDomain()
            if domain == QWebEngineLoadingInfo.ErrorDomain.CertificateErrorDomain:
                self._certificate_refused = True
                self._show_address(url)
            elif domain == QWebEngineLoadingInfo.ErrorDomain.HttpStatusCodeDomain:
                self._on_http_error(info.errorCode(), url)
            elif info.isErrorPage() and domain != QWebEngineLoadingInfo.ErrorDomain.NoErrorDomain:
                self.address_bar.show_state(FAILED)
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus:
            self._provider_answered = True

    @Slot(QWebEngineCertificateError)
    def _on_page_certificate_error(self, error: QWebEngineCertificateError) -> None:
        # Not accepted (Qt's default is to refuse): the page does not load, and the bar
        # says so (never "Secure connection" for it).
        log.debug("sign-in page: a certificate was refused (%s)", error.type().name)
        self._certificate_refused = True
        self._show_address(error.url())

    # -------------------------------------------------- the provider refused

    def _on_http_error(self, status: int, url: QUrl) -> None:
        """An error status. For the authorization request itself, before any page of the
        sign-in loaded, it is the provider's answer to the request: report it."""
        if status < 400 or self._provider_answered or not same_endpoint(url, self._auth_url):
            return
        self._provider_answered = True
        self.page.toPlainText(lambda text: self._report_refusal(status, text))

    def _report_refusal(self, status: int, text: str) -> None:
        if self.page is None:
            return
        if REFUSED_EMBEDDED in text.lower():
            self._check_refusal(text)  # not a refusal of the request: of this browser
            return
        error, description = oauth_error(text)
        log.debug("sign-in page: the authorization request was refused (HTTP %d %s)", status,
                  error)
        self.refused.emit(status, error, description)

    @Slot(QWebEnginePage.RenderProcessTerminationStatus, int)
    def _on_page_render_process_terminated(
        self, status: QWebEnginePage.RenderProcessTerminationStatus, exit_code: int
    ) -> None:
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return
        log.debug("sign-in page: its renderer ended (%s, %d)", status.name, exit_code)
        self.failed.emit(
            "the provider's page stopped working in the sign-in window; try again, or "
            "choose to sign in in your web browser"
        )

    # ------------------------------------------- refused embedded browsers

    @Slot(bool)
    def _on_page_load_finished(self, ok: bool) -> None:
        if self.page is None or self.page.url().scheme() == "about":
            return
        # The DOM as text, read by the engine: no script of ours runs in the page.
        self.page.toHtml(self._check_refusal)

    def _check_refusal(self, html: str) -> None:
        if self.page is None:
            return
        if REFUSED_EMBEDDED in html.lower():
            self.use_system_browser(
                "This provider does not allow signing in from an embedded browser."
            )

    @Slot()
    def _on_system_button_clicked(self) -> None:
        self.use_system_browser("")

    def use_system_browser(self, why: str) -> None:
        """Hand this sign-in to the system browser (the app opens it; its redirect reaches
        the same listener)."""
        if self.page is None or self._handed_over:
            return
        self._handed_over = True
        self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        self.switched_to_system_browser.emit(why)

    # ----------------------------------------------------- the redirect back

    @Slot(str)
    def _on_page_redirect_captured(self, url: str) -> None:
        self.waiting.setText("Finishing the sign-in…")
        self.stack.setCurrentWidget(self.waiting)
        threading.Thread(target=self._deliver, args=(url,), daemon=True).start()

    def _deliver(self, url: str) -> None:
        """Worker thread: give the captured redirect to the loopback listener."""
        try:
            # Straight to 127.0.0.1: never through an http_proxy from the environment.
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(url, timeout=DELIVER_TIMEOUT) as r:
                status, body = r.status, r.read(65536)
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read(65536)
        except OSError as e:
            log.debug("sign-in: the listener did not answer (%s)", type(e).__name__)
            status, body = 0, b""
        with contextlib.suppress(RuntimeError):  # the window was closed meanwhile
            self._delivery_answered.emit(status, body.decode("utf-8", "replace"))

    @Slot(int, str)
    def _on_delivery_answered(self, status: int, page: str) -> None:
        if self.page is None:
            return
        if status != 200:
            # Refused (a wrong state, a mix-up): the listener's page says why; the sign-in
            # goes on, so the person can try again from the provider's page.
            self.stack.setCurrentWidget(self.view)
            self.page.setHtml(page or "<p>The sign-in listener did not answer.</p>")
        # On 200 the listener has its outcome (signed in, or the provider's error): the
        # app carries on and closes this window when the sign-in ends.
        self.delivered.emit(status)

    # ------------------------------------------------------------------ end

    def finish(self) -> None:
        """Close after the sign-in ended (success or failure): not the person's choice."""
        self._closing_ok = True
        self.accept()

    def done(self, result: int) -> None:
        closed_by_person = not self._closing_ok
        self._closing_ok = True
        super().done(result)
        self._release()
        if closed_by_person:
            self.closed.emit()  # Cancel, Escape or the window's close button

    def _release(self) -> None:
        """Delete the view, its page and then the profile, in that order and now: Qt wants
        no page left when its profile goes, and the profile (with anything it kept in
        memory) must not outlive the sign-in."""
        import shiboken6

        view, page, profile = self.view, self.page, self.profile
        if page is None:
            return
        self.view = self.page = self.profile = None  # type: ignore[assignment]
        self.stack.removeWidget(view)
        for obj in (view, page, profile):
            shiboken6.delete(obj)
