"""The sign-in window's address bar, as a browser's omnibox shows it: the connection
first ("Secure connection" for https, "This computer" for http on a loopback address,
"Not secure" for plain http or https whose certificate was refused, "Page not loaded"),
then the host (gui/address.py: a look-alike stays punycode) with its registrable domain
in bold and never cut; a long subdomain gives way, from its left.

Only the host is shown, never the rest of the URL: a query may hold a code or a login
hint. The window tells the bar which URL it shows and whether a certificate was refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from PySide6.QtCore import QByteArray, QSize, Qt, QUrl
from PySide6.QtGui import QFont, QIcon, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from tokenmgr.gui.address import Host, display_host

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

class AddressBar(QWidget):
    def __init__(self, is_public_suffix: Callable[[str], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self._is_public_suffix = is_public_suffix
        self.connection = FAILED
        self.shown_host: Host | None = None
        self.state_icon = QLabel(self)
        self.host_prefix = _LeftElidedLabel(self)
        self.host_domain = _plain_label(self)
        bold = QFont(self.host_domain.font())
        bold.setBold(True)
        self.host_domain.setFont(bold)
        self.state_label = _plain_label(self)
        bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(0)
        bar.addWidget(self.state_icon)
        bar.addSpacing(4)
        bar.addWidget(self.state_label)
        bar.addSpacing(12)
        bar.addWidget(self.host_prefix)
        bar.addWidget(self.host_domain)
        bar.addStretch(1)

    def show_url(self, url: QUrl, *, certificate_refused: bool = False) -> None:
        """The host of `url` and its connection (never "secure" past a refused certificate)."""
        state = connection_state(url)
        if state == SECURE and certificate_refused:
            state = CERTIFICATE
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
        self.show_state(state)

    def show_state(self, state: str) -> None:
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
