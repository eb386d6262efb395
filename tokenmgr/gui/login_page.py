"""The sign-in window's browser page and view, giving the provider's page nothing
native: `alert`, `confirm` and `prompt` are refused, file choosers get no file,
permission requests (camera, location, notifications...), downloads, full screen,
screen sharing, protocol handlers, client certificates and security keys are refused,
and the context menu offers nothing that saves or opens elsewhere. The window never
runs script in the page, never adds a web channel, never changes the user agent.

The page also catches the navigation to the redirect URI before it loads
(`redirect_captured`). What the page logs to its console is logged at DEBUG,
through the redaction filter.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWebEngineCore import (
    QWebEngineClientCertificateSelection,
    QWebEngineDesktopMediaRequest,
    QWebEngineDownloadRequest,
    QWebEngineFileSystemAccessRequest,
    QWebEngineFullScreenRequest,
    QWebEnginePage,
    QWebEnginePermission,
    QWebEngineProfile,
    QWebEngineRegisterProtocolHandlerRequest,
    QWebEngineSettings,
    QWebEngineWebAuthUxRequest,
)
from PySide6.QtWebEngineWidgets import QWebEngineView

log = logging.getLogger("tokenmgr.signin.window")
page_log = logging.getLogger("tokenmgr.signin.page")

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


class SignInPage(QWebEnginePage):
    """Catches the navigation to the redirect URI before anything loads, and gives the
    page nothing native: every request for more is refused here."""

    redirect_captured = Signal(str)

    def __init__(self, profile: QWebEngineProfile, parent: QObject) -> None:
        super().__init__(profile, parent)
        self.redirect_uri = ""
        settings = self.settings()
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
        profile.downloadRequested.connect(self._on_profile_download_requested)
        self.permissionRequested.connect(self._on_permission_requested)
        self.fileSystemAccessRequested.connect(self._on_file_system_access_requested)
        self.fullScreenRequested.connect(self._on_full_screen_requested)
        self.desktopMediaRequested.connect(self._on_desktop_media_requested)
        self.registerProtocolHandlerRequested.connect(
            self._on_register_protocol_handler_requested
        )
        self.selectClientCertificate.connect(self._on_select_client_certificate)
        self.webAuthUxRequested.connect(self._on_web_auth_ux_requested)

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

    @Slot(QWebEnginePermission)
    def _on_permission_requested(self, permission: QWebEnginePermission) -> None:
        log.debug("sign-in page: a permission request (%s), refused",
                  permission.permissionType().name)
        permission.deny()

    @Slot(QWebEngineFileSystemAccessRequest)
    def _on_file_system_access_requested(
        self, request: QWebEngineFileSystemAccessRequest
    ) -> None:
        log.debug("sign-in page: a file system access request, refused")
        request.reject()

    @Slot(QWebEngineFullScreenRequest)
    def _on_full_screen_requested(self, request: QWebEngineFullScreenRequest) -> None:
        request.reject()

    @Slot(QWebEngineDesktopMediaRequest)
    def _on_desktop_media_requested(self, request: QWebEngineDesktopMediaRequest) -> None:
        log.debug("sign-in page: a screen-sharing request, refused")
        request.cancel()

    @Slot(QWebEngineRegisterProtocolHandlerRequest)
    def _on_register_protocol_handler_requested(
        self, request: QWebEngineRegisterProtocolHandlerRequest
    ) -> None:
        request.reject()

    @Slot(QWebEngineClientCertificateSelection)
    def _on_select_client_certificate(
        self, selection: QWebEngineClientCertificateSelection
    ) -> None:
        log.debug("sign-in page: a client certificate was asked for; none given")
        selection.selectNone()

    @Slot(QWebEngineWebAuthUxRequest)
    def _on_web_auth_ux_requested(self, request: QWebEngineWebAuthUxRequest) -> None:
        # A security key or passkey needs the system browser, which has its own dialogs.
        log.debug("sign-in page: a security key request, cancelled")
        request.cancel()

    @Slot(QWebEngineDownloadRequest)
    def _on_profile_download_requested(self, download: QWebEngineDownloadRequest) -> None:
        log.debug("sign-in page: a download, refused")
        download.cancel()


class SignInView(QWebEngineView):
    """The page's view; its context menu offers nothing that saves or opens elsewhere."""

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = self.createStandardContextMenu()
        page = self.page()
        for action in [page.action(a) for a in _MENU_DROP]:
            menu.removeAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())
