"""The sign-in window: the provider's own page in QtWebEngine.

It runs in a process of its own (gui/signin_child.py), never in the app: Chromium
cannot be unloaded from a process once loaded, and a crash of it must end a sign-in,
not the app. The window is made before it is needed (the browser starts while the
app still asks the provider for its endpoints) and shown by `start`.

Each sign-in gets a fresh off-the-record profile, deleted with the window: no
cookie, cache or storage reaches the disk. The page is the provider's: the window
never runs script in it, never adds a web channel, never changes the user agent,
and gives it nothing native: `alert`, `confirm` and `prompt` are refused, file
choosers get no file, permission requests (camera, location, notifications...),
downloads, full screen, screen sharing, protocol handlers and client certificates
are refused, and the context menu offers nothing that saves or opens elsewhere.
What the page logs to its console is logged at DEBUG, through the redaction filter.

The address bar shows the host as Chromium's omnibox would (gui/address.py: a
look-alike stays punycode) with the registrable domain apart, and the connection:
"Secure connection" (https), "This computer" (http on a loopback address), "Not
secure" (plain http, or https whose certificate was refused), or "Page not loaded".

The redirect back to the loopback URI is caught before it loads and handed to the
app's loopback listener by a plain, proxy-free HTTP request, so the same code as the
CLI's judges it (state, iss, Host, one shot). A refused redirect (a wrong state)
shows the listener's page and the sign-in goes on.

Some providers refuse embedded browsers (Google's `disallowed_useragent`): the
window then hands the sign-in to the system browser (`switched_to_system_browser`).
An error page in answer to the authorization request itself (an unknown client id,
say) is reported as what it is (`refused`), not left for the person to close.

`PipedWindow` joins the window to the app's pipe (gui/signin_protocol.py): `open`
shows it over the app's window it names (its transient parent, so a window manager
stacks it above the modal "Sign in to a provider" dialog), and what happens goes
back as messages.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import IO, Any

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QContextMenuEvent,
    QFont,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QWindow,
)
from PySide6.QtWebEngineCore import (
    QWebEngineCertificateError,
    QWebEngineClientCertificateSelection,
    QWebEngineDesktopMediaRequest,
    QWebEngineDownloadRequest,
    QWebEngineFileSystemAccessRequest,
    QWebEngineFullScreenRequest,
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineRegisterProtocolHandlerRequest,
    QWebEngineSettings,
    QWebEngineWebAuthUxRequest,
)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui import signin_protocol as pipe
from tokenmgr.gui.address import Host, display_host

log = logging.getLogger("tokenmgr.signin.window")
page_log = logging.getLogger("tokenmgr.signin.page")

REFUSED_EMBEDDED = "disallowed_useragent"
DELIVER_TIMEOUT = 10.0

# Connection states of the address bar.
SECURE, LOCAL, INSECURE, CERTIFICATE, FAILED = (
    "secure", "local", "insecure", "certificate", "failed"
)

_LOCK = '<path d="M5 7V5a3 3 0 0 1 6 0{open}" fill="none" stroke="{c}" stroke-width="1.6"/>'
_ICON_SVG = {
    SECURE: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        + _LOCK.format(open="v2", c="#2e7d32")
        + '<rect x="3" y="7" width="10" height="7" rx="1.5" fill="#2e7d32"/></svg>'
    ),
    LOCAL: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<rect x="2" y="3" width="12" height="8" rx="1" fill="none" stroke="#546e7a" '
        'stroke-width="1.6"/><path d="M5 14h6M8 11v3" stroke="#546e7a" stroke-width="1.6"/>'
        "</svg>"
    ),
    INSECURE: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        + _LOCK.format(open="", c="#c62828")
        + '<rect x="3" y="7" width="10" height="7" rx="1.5" fill="#c62828"/>'
        '<path d="M8 9v2.5" stroke="#fff" stroke-width="1.6"/></svg>'
    ),
    FAILED: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<circle cx="8" cy="8" r="6.2" fill="none" stroke="#546e7a" stroke-width="1.6"/>'
        '<path d="M8 4.5v4.5M8 10.6v1.4" stroke="#546e7a" stroke-width="1.6"/></svg>'
    ),
}
_ICON_SVG[CERTIFICATE] = _ICON_SVG[INSECURE]
_STATE_WORDS = {
    SECURE: "Secure connection",
    LOCAL: "This computer",
    INSECURE: "Not secure",
    CERTIFICATE: "Not secure",
    FAILED: "Page not loaded",
}
_STATE_TIPS = {
    SECURE: "The page came over https, from a server whose certificate checked out.",
    LOCAL: "The page comes from this computer.",
    INSECURE: "The page came without encryption: anyone on the way could read or change it.",
    CERTIFICATE: "The server's certificate was refused: this is not a secure connection.",
    FAILED: "The page could not be loaded.",
}
# OAuth error codes a provider's error page may name (RFC 6749 §4.1.2.1, OpenID
# Connect Core §3.1.2.6, and the redirect URI names providers use).
_OAUTH_ERROR = re.compile(
    r"\b(invalid_client|unauthorized_client|invalid_request|invalid_scope|access_denied|"
    r"unsupported_response_type|server_error|temporarily_unavailable|invalid_redirect_uri|"
    r"redirect_uri_mismatch|invalid_request_uri|invalid_request_object|login_required|"
    r"consent_required|interaction_required|account_selection_required)\b"
)
_DESCRIPTION = re.compile(r"error_description\W{0,3}([^\n]{1,300})")
# Context-menu entries that would save the page, open it elsewhere or inspect it.
_MENU_DROP = (
    QWebEnginePage.WebAction.SavePage,
    QWebEnginePage.WebAction.ViewSource,
    QWebEnginePage.WebAction.InspectElement,
    QWebEnginePage.WebAction.OpenLinkInNewWindow,
    QWebEnginePage.WebAction.OpenLinkInNewTab,
    QWebEnginePage.WebAction.OpenLinkInNewBackgroundTab,
    QWebEnginePage.WebAction.DownloadLinkToDisk,
    QWebEnginePage.WebAction.DownloadImageToDisk,
    QWebEnginePage.WebAction.DownloadMediaToDisk,
    QWebEnginePage.WebAction.CopyImageUrlToClipboard,
    QWebEnginePage.WebAction.CopyMediaUrlToClipboard,
)


def connection_state(url: QUrl) -> str:
    """https → secure; http to a loopback address → local; anything else → insecure."""
    scheme = url.scheme().lower()
    if scheme == "https":
        return SECURE
    if scheme == "http":
        try:
            if ipaddress.ip_address(url.host().strip("[]")).is_loopback:
                return LOCAL
        except ValueError:
            pass
    return INSECURE


def _icon(state: str) -> QIcon:
    pix = QPixmap()
    pix.loadFromData(QByteArray(_ICON_SVG[state].encode()), "SVG")
    return QIcon(pix)


def is_redirect(url: QUrl, redirect_uri: str) -> bool:
    """Is `url` the sign-in's redirect URI (same scheme, host, port and path)?"""
    if not redirect_uri:
        return False
    want = urllib.parse.urlsplit(redirect_uri)
    return (
        url.scheme() == want.scheme
        and url.host() == want.hostname
        and url.port() == want.port
        and url.path() == want.path
    )


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


class _Page(QWebEnginePage):
    """Catches the navigation to the redirect URI before anything loads, and gives the
    page nothing native."""

    redirect_captured = Signal(str)

    def __init__(self, profile: QWebEngineProfile, parent: QObject) -> None:
        super().__init__(profile, parent)
        self.redirect_uri = ""

    def acceptNavigationRequest(  # noqa: N802 - Qt's name
        self, url: QUrl | str, navigation_type: QWebEnginePage.NavigationType, main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if is_redirect(url, self.redirect_uri):
            self.redirect_captured.emit(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
            return False
        return True

    def javaScriptAlert(self, origin: QUrl | str, msg: str) -> None:  # noqa: N802
        log.debug("sign-in page: an alert(), refused")

    def javaScriptConfirm(self, origin: QUrl | str, msg: str) -> bool:  # noqa: N802
        log.debug("sign-in page: a confirm(), refused")
        return False

    def javaScriptPrompt(  # noqa: N802
        self, origin: QUrl | str, msg: str, default: str
    ) -> tuple[bool, str]:
        log.debug("sign-in page: a prompt(), refused")
        return False, ""

    def chooseFiles(  # noqa: N802
        self,
        mode: QWebEnginePage.FileSelectionMode,
        old_files: Sequence[str],
        accepted_mime_types: Sequence[str],
    ) -> list[str]:
        log.debug("sign-in page: a file chooser, refused")
        return []

    def javaScriptConsoleMessage(  # noqa: N802
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        # The page's words, at DEBUG and through the redaction filter (a URL it logs may
        # hold a code); its source URL is left out for the same reason.
        page_log.debug("console %s: %s (line %d)", level.name, message, line)


class _View(QWebEngineView):
    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = self.createStandardContextMenu()
        page = self.page()
        for action in [page.action(a) for a in _MENU_DROP]:
            menu.removeAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())


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
        self._is_public_suffix = is_public_suffix
        self._auth_url = ""
        self._closing_ok = False
        self._certificate_refused = False
        self._provider_answered = False  # a page of the sign-in loaded
        self._handed_over = False  # to the system browser
        self.connection = FAILED
        self.shown_host: Host | None = None
        self.setWindowTitle("Sign in")
        self.resize(520, 680)

        # A profile without a storage name is off the record: nothing on disk.
        self.profile = QWebEngineProfile(None)
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        self.profile.downloadRequested.connect(self._on_profile_download_requested)
        self.page = _Page(self.profile, self.profile)
        settings = self.page.settings()
        for attribute, on in (
            (QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False),
            (QWebEngineSettings.WebAttribute.PluginsEnabled, False),
            (QWebEngineSettings.WebAttribute.PdfViewerEnabled, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanPaste, False),
            (QWebEngineSettings.WebAttribute.JavascriptCanAccessClipboard, False),
            (QWebEngineSettings.WebAttribute.ScreenCaptureEnabled, False),
            (QWebEngineSettings.WebAttribute.AllowWindowActivationFromJavaScript, False),
            # A file dropped on the window must not become the page.
            (QWebEngineSettings.WebAttribute.NavigateOnDropEnabled, False),
        ):
            settings.setAttribute(attribute, on)
        self.view = _View(self)
        self.view.setPage(self.page)

        self.state_icon = QLabel(self)
        self.host_prefix = _LeftElidedLabel(self)
        self.host_domain = _plain_label(self)
        bold = QFont(self.host_domain.font())
        bold.setBold(True)
        self.host_domain.setFont(bold)
        self.state_label = _plain_label(self)
        self.system_button = QPushButton("Open in system browser instead", self)
        self.system_button.setAutoDefault(False)
        self.system_button.clicked.connect(self._on_system_button_clicked)
        bar = QHBoxLayout()
        # As an omnibox: the connection first, then the host, its registrable domain in
        # bold and never cut (a long subdomain gives way, from its left).
        bar.setSpacing(0)
        bar.addWidget(self.state_icon)
        bar.addSpacing(4)
        bar.addWidget(self.state_label)
        bar.addSpacing(12)
        bar.addWidget(self.host_prefix)
        bar.addWidget(self.host_domain)
        bar.addStretch(1)
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
        page.permissionRequested.connect(self._on_page_permission_requested)
        page.fileSystemAccessRequested.connect(self._on_page_file_system_access_requested)
        page.fullScreenRequested.connect(self._on_page_full_screen_requested)
        page.desktopMediaRequested.connect(self._on_page_desktop_media_requested)
        page.registerProtocolHandlerRequested.connect(
            self._on_page_register_protocol_handler_requested
        )
        page.selectClientCertificate.connect(self._on_page_select_client_certificate)
        page.webAuthUxRequested.connect(self._on_page_web_auth_ux_requested)
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

    # ------------------------------------------------------------ address bar

    def _show_address(self, url: QUrl) -> None:
        state = connection_state(url)
        if state == SECURE and self._certificate_refused:
            state = CERTIFICATE
        # The host only: a URL's query may hold a code or a login hint.
        ace = url.host(QUrl.ComponentFormattingOption.FullyEncoded)
        if ace:
            host = display_host(ace, self._is_public_suffix)
        else:
            host = Host(url.scheme(), url.scheme())
        self.shown_host = host
        self.host_prefix.set_full_text(host.prefix)
        self.host_domain.setText(host.registrable)
        tip = host.shown
        if host.spoofable:
            tip += (
                "\nShown in its ASCII form (punycode): in Unicode, its letters could be "
                "mistaken for others."
            )
        self.host_prefix.setToolTip(tip)
        self.host_domain.setToolTip(tip)
        self._show_state(state)

    def _show_state(self, state: str) -> None:
        self.connection = state
        self.state_icon.setPixmap(_icon(state).pixmap(QSize(16, 16)))
        words = _STATE_WORDS[state]
        self.state_label.setText(words)
        for label in (self.state_label, self.state_icon):
            label.setToolTip(_STATE_TIPS[state])
            label.setAccessibleName(words)
            label.setAccessibleDescription(_STATE_TIPS[state])

    def host_text(self) -> str:
        return self.host_prefix.full_text + self.host_domain.text()

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
                self._show_state(FAILED)
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

    # ------------------------------------------------- nothing native for the page

    @Slot(QWebEnginePermission)
    def _on_page_permission_requested(self, permission: QWebEnginePermission) -> None:
        log.debug("sign-in page: a permission request (%s), refused",
                  permission.permissionType().name)
        permission.deny()

    @Slot(QWebEngineFileSystemAccessRequest)
    def _on_page_file_system_access_requested(
        self, request: QWebEngineFileSystemAccessRequest
    ) -> None:
        log.debug("sign-in page: a file system access request, refused")
        request.reject()

    @Slot(QWebEngineFullScreenRequest)
    def _on_page_full_screen_requested(self, request: QWebEngineFullScreenRequest) -> None:
        request.reject()

    @Slot(QWebEngineDesktopMediaRequest)
    def _on_page_desktop_media_requested(self, request: QWebEngineDesktopMediaRequest) -> None:
        log.debug("sign-in page: a screen-sharing request, refused")
        request.cancel()

    @Slot(QWebEngineRegisterProtocolHandlerRequest)
    def _on_page_register_protocol_handler_requested(
        self, request: QWebEngineRegisterProtocolHandlerRequest
    ) -> None:
        request.reject()

    @Slot(QWebEngineClientCertificateSelection)
    def _on_page_select_client_certificate(
        self, selection: QWebEngineClientCertificateSelection
    ) -> None:
        log.debug("sign-in page: a client certificate was asked for; none given")
        selection.selectNone()

    @Slot(QWebEngineWebAuthUxRequest)
    def _on_page_web_auth_ux_requested(self, request: QWebEngineWebAuthUxRequest) -> None:
        # A security key or passkey needs the system browser, which has its own dialogs.
        log.debug("sign-in page: a security key request, cancelled")
        request.cancel()

    @Slot(QWebEngineDownloadRequest)
    def _on_profile_download_requested(self, download: QWebEngineDownloadRequest) -> None:
        log.debug("sign-in page: a download, refused")
        download.cancel()

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


class PipedWindow(QObject):
    """The window in its own process (gui/signin_child.py), spoken to over the pipe:
    messages in (`listen`), what happens out (`send`)."""

    message_received = Signal(object)
    input_closed = Signal()

    def __init__(self, send: Callable[..., None]) -> None:
        super().__init__()
        self.send = send
        self._foreign: QWindow | None = None
        self.dialog: LoginDialog | None = LoginDialog()
        self.dialog.delivered.connect(self._on_dialog_delivered)
        self.dialog.switched_to_system_browser.connect(
            self._on_dialog_switched_to_system_browser
        )
        self.dialog.refused.connect(self._on_dialog_refused)
        self.dialog.failed.connect(self._on_dialog_failed)
        self.dialog.closed.connect(self._on_dialog_closed)
        self.message_received.connect(self._on_message_received)
        self.input_closed.connect(self._on_input_closed)
        self._ended = False
        self.send(pipe.READY)

    def listen(self, reader: IO[bytes]) -> None:
        def read() -> None:
            with contextlib.suppress(OSError, ValueError):
                for line in reader:
                    message = pipe.decode(line)
                    if message is not None:
                        self.message_received.emit(message)
            self.input_closed.emit()

        threading.Thread(target=read, name="tokenmgr-signin-pipe", daemon=True).start()

    @Slot(object)
    def _on_message_received(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == pipe.OPEN and self.dialog is not None:
            self._open(message)
        elif kind == pipe.CLOSE:
            self._end(None)
        else:
            log.debug("sign-in window: message %r ignored", kind)

    def _open(self, message: dict[str, Any]) -> None:
        assert self.dialog is not None
        url, redirect_uri = pipe.text(message, "url", 8192), pipe.text(message, "redirect_uri")
        if not url.startswith(("https://", "http://")) or not redirect_uri:
            self._end(pipe.FAILED, why="the sign-in window was given no page to open")
            return
        parent = pipe.number(message, "transient_for")
        if parent and QGuiApplication.platformName() == "xcb":
            # Above the app's window (the modal "Sign in to a provider" dialog): the
            # window manager stacks a transient window over its parent, and gives it
            # the focus the person's click on "Sign in" earned.
            self.dialog.winId()
            handle = self.dialog.windowHandle()
            foreign = QWindow.fromWinId(parent)
            if handle is not None and foreign is not None:
                handle.setTransientParent(foreign)
                self._foreign = foreign
        self.dialog.start(url, redirect_uri, pipe.text(message, "provider", 100))
        self.send(pipe.SHOWN, window=int(self.dialog.winId()))

    @Slot(int)
    def _on_dialog_delivered(self, status: int) -> None:
        self.send(pipe.DELIVERED, status=status)

    @Slot(str)
    def _on_dialog_switched_to_system_browser(self, why: str) -> None:
        self._end(pipe.SYSTEM_BROWSER, why=why)

    @Slot(int, str, str)
    def _on_dialog_refused(self, status: int, error: str, description: str) -> None:
        self._end(pipe.REFUSED, status=status, error=error, description=description)

    @Slot(str)
    def _on_dialog_failed(self, why: str) -> None:
        self._end(pipe.FAILED, why=why)

    @Slot()
    def _on_dialog_closed(self) -> None:
        self._end(pipe.CLOSED)

    @Slot()
    def _on_input_closed(self) -> None:
        self._end(None)  # the app went away (or closed its end): nobody to tell

    def _end(self, kind: str | None, **fields: Any) -> None:
        """Tell the app how it ended (once), close the window and quit."""
        if self._ended:
            return
        self._ended = True
        if kind is not None:
            self.send(kind, **fields)
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.finish()
        QApplication.quit()

    def release(self) -> None:
        self._foreign = None


class _LeftElidedLabel(QLabel):
    """Plain text that gives way from its left ("…ogle.com.evil.") when short of room:
    what it keeps is what stands next to the registrable domain."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.full_text = ""

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        # Room for a few letters of a subdomain; none for a host without one.
        metrics = self.fontMetrics()
        self.setMinimumWidth(
            min(metrics.horizontalAdvance("…www."), metrics.horizontalAdvance(text))
        )
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance(self.full_text) + 2,
                     super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideLeft, max(self.width(), 1)))


def _plain_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
