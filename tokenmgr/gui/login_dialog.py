"""The embedded sign-in window: the provider's own page in QtWebEngine.

Imported only when a sign-in opens it (QtWebEngine costs ~150 MB and start-up
time). Each sign-in gets a fresh off-the-record profile, deleted with the
dialog: no cookie, cache or storage reaches the disk. The page is the
provider's: the app never runs script in it, never adds a web channel and
never changes the user agent.

The redirect back to the loopback URI is caught before it loads and handed
to the core's loopback listener by a plain HTTP request, so the same code as
the CLI's judges it (state, iss, one shot). The listener's answer decides: a
final answer closes the window; a refused one (a wrong state) shows the
listener's page and the sign-in goes on.

Some providers refuse embedded browsers (Google's `disallowed_useragent`):
the window then hands the sign-in to the system browser, whose redirect
reaches the same listener, and waits with a Cancel button.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QObject, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QIcon, QPixmap
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tokenmgr.gui.bridge import DialogBridge

log = logging.getLogger("tokenmgr.gui.login")

REFUSED_EMBEDDED = "disallowed_useragent"
DELIVER_TIMEOUT = 10.0

# Connection states of the address bar.
SECURE, LOCAL, INSECURE = "secure", "local", "insecure"

_ICON_SVG = {
    SECURE: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="#2e7d32" stroke-width="1.6"/>'
        '<rect x="3" y="7" width="10" height="7" rx="1.5" fill="#2e7d32"/></svg>'
    ),
    LOCAL: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<rect x="2" y="3" width="12" height="8" rx="1" fill="none" stroke="#546e7a" '
        'stroke-width="1.6"/><path d="M5 14h6M8 11v3" stroke="#546e7a" stroke-width="1.6"/>'
        "</svg>"
    ),
    INSECURE: (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<path d="M5 7V5a3 3 0 0 1 6 0" fill="none" stroke="#c62828" stroke-width="1.6"/>'
        '<rect x="3" y="7" width="10" height="7" rx="1.5" fill="#c62828"/>'
        '<path d="M8 9v2.5" stroke="#fff" stroke-width="1.6"/></svg>'
    ),
}
_STATE_WORDS = {
    SECURE: "Secure connection",
    LOCAL: "This computer",
    INSECURE: "Not secure",
}


def connection_state(url: QUrl) -> str:
    """https → secure; http to a loopback address → local; anything else → insecure."""
    scheme = url.scheme().lower()
    if scheme == "https":
        return SECURE
    if scheme == "http":
        host = url.host()
        try:
            if ipaddress.ip_address(host).is_loopback:
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
    want = urllib.parse.urlsplit(redirect_uri)
    return (
        url.scheme() == want.scheme
        and url.host() == want.hostname
        and url.port() == want.port
        and url.path() == want.path
    )


class _Page(QWebEnginePage):
    """Catches the navigation to the redirect URI before anything loads."""

    redirect_captured = Signal(str)

    def __init__(self, profile: QWebEngineProfile, redirect_uri: str, parent: QObject) -> None:
        super().__init__(profile, parent)
        self._redirect_uri = redirect_uri

    def acceptNavigationRequest(  # noqa: N802 - Qt's name
        self, url: QUrl | str, navigation_type: QWebEnginePage.NavigationType, main_frame: bool
    ) -> bool:
        url = QUrl(url)
        if is_redirect(url, self._redirect_uri):
            self.redirect_captured.emit(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
            return False
        return True


class LoginDialog(QDialog):
    """One sign-in's window. `cancel` is set when the person gives up."""

    delivered = Signal(int, str)  # listener's HTTP status, its page (from the worker thread)
    switched_to_system_browser = Signal(str)  # why

    def __init__(
        self,
        auth_url: str,
        redirect_uri: str,
        cancel: threading.Event,
        *,
        provider: str = "",
        open_system_browser: Callable[[str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth_url = auth_url
        self._cancel = cancel
        self._open_system = open_system_browser or (lambda url: QDesktopServices.openUrl(QUrl(url)))
        self._closing_ok = False
        self.setWindowTitle(f"Sign in to {provider}" if provider else "Sign in")
        self.setAccessibleName(self.windowTitle())
        self.resize(520, 680)

        # A profile without a storage name is off the record: nothing on disk.
        self.profile = QWebEngineProfile(None)
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
        )
        self.page = _Page(self.profile, redirect_uri, self.profile)
        settings = self.page.settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, False)
        settings.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
        self.view = QWebEngineView(self)
        self.view.setPage(self.page)

        self.state_icon = QLabel(self)
        self.host_label = QLabel(self)
        self.host_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state_label = QLabel(self)
        self.system_button = QPushButton("Open in system browser instead", self)
        self.system_button.clicked.connect(self._on_system_button_clicked)
        bar = QHBoxLayout()
        bar.addWidget(self.state_icon)
        bar.addWidget(self.host_label, 1)
        bar.addWidget(self.state_label)
        bar.addWidget(self.system_button)

        self.waiting = QLabel(self)
        self.waiting.setWordWrap(True)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.waiting)

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)

        self.page.urlChanged.connect(self._on_page_url_changed)
        self.page.loadFinished.connect(self._on_page_load_finished)
        self.page.redirect_captured.connect(self._on_page_redirect_captured)
        self.delivered.connect(self._on_delivered)
        self._show_address(QUrl(auth_url))
        self.page.load(QUrl(auth_url))
        self.view.setFocus()  # the provider's page takes the keyboard (its autofocus field)

    # ------------------------------------------------------------ address bar

    def _show_address(self, url: QUrl) -> None:
        state = connection_state(url)
        self.connection = state
        self.state_icon.setPixmap(_icon(state).pixmap(QSize(16, 16)))
        # The host only: a URL's query may hold a code or a login hint.
        self.host_label.setText(url.host() or url.scheme())
        self.state_label.setText(_STATE_WORDS[state])
        self.state_label.setAccessibleName(_STATE_WORDS[state])

    @Slot(QUrl)
    def _on_page_url_changed(self, url: QUrl) -> None:
        self._show_address(url)

    # ------------------------------------------- refused embedded browsers

    @Slot(bool)
    def _on_page_load_finished(self, ok: bool) -> None:
        if self.page is None:
            return
        # The DOM as text, read by the engine: no script of ours runs in the page.
        self.page.toHtml(self._check_refusal)

    def _check_refusal(self, html: str) -> None:
        if self.page is None:
            return
        if REFUSED_EMBEDDED in html.lower() and self.stack.currentWidget() is self.view:
            self.use_system_browser(
                "This provider does not allow signing in from an embedded browser."
            )

    @Slot()
    def _on_system_button_clicked(self) -> None:
        self.use_system_browser("")

    def use_system_browser(self, why: str) -> None:
        """Continue this sign-in in the system browser; its redirect reaches the same
        listener, so this window only waits (and can still cancel)."""
        if self.page is None:
            return
        self.page.triggerAction(QWebEnginePage.WebAction.Stop)
        self.page.setUrl(QUrl("about:blank"))
        self._open_system(self._auth_url)
        text = (why + " " if why else "") + (
            "The sign-in continues in your web browser; this window closes when it is done."
        )
        self.waiting.setText(text)
        self.stack.setCurrentWidget(self.waiting)
        self.system_button.setEnabled(False)
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
            self.delivered.emit(status, body.decode("utf-8", "replace"))

    @Slot(int, str)
    def _on_delivered(self, status: int, page: str) -> None:
        if self.page is None:
            return
        if status == 200:
            # The listener has its outcome (signed in, or the provider's error): the
            # sign-in worker carries on; the controller closes this window when it ends.
            self.waiting.setText("Finishing the sign-in…")
            return
        # Refused (a wrong state, a mix-up): the listener's page says why; the sign-in
        # goes on, so the person can try again from the provider's page.
        self.stack.setCurrentWidget(self.view)
        self.page.setHtml(page or "<p>The sign-in listener did not answer.</p>")

    # ------------------------------------------------------------------ end

    def finish(self) -> None:
        """Close after the sign-in ended (success or failure): not a cancellation."""
        self._closing_ok = True
        self.accept()

    def done(self, result: int) -> None:
        if not self._closing_ok:
            self._cancel.set()  # Cancel, Esc or the window's close button
        super().done(result)
        self._release()

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


class EmbeddedBrowser(DialogBridge):
    """`flows.set_embedded_browser` handler for the GUI.

    The core calls it on the sign-in worker's thread with (authorization URL,
    redirect URI); it opens the dialog on the GUI thread and returns at once (the
    worker then waits on the loopback listener). `open_url` opens the system browser
    when the provider refuses embedded ones.
    """

    _open_requested = Signal(str, str)

    def __init__(self, cancel: threading.Event, **kwargs: Any) -> None:
        super().__init__(cancel, **kwargs)
        self._open_requested.connect(self._on_open_requested)

    def __call__(self, auth_url: str, redirect_uri: str) -> None:
        self._open_requested.emit(auth_url, redirect_uri)

    @Slot(str, str)
    def _on_open_requested(self, auth_url: str, redirect_uri: str) -> None:
        self.show_dialog(
            lambda: LoginDialog(
                auth_url,
                redirect_uri,
                self.cancel,
                provider=self.provider,
                open_system_browser=self.open_url,
                parent=self.parent_widget,
            )
        )
