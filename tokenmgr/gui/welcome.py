"""The window's first screen, while there are no tokens: the ways in, with their keys.

In the place of the list and the details pane (an empty table beside an empty pane
says nothing): paste a token, or sign in to a provider, each a large button that
names its shortcut; then the smaller ways (import a `.env` file, paste & decode).
The buttons trigger the window's own actions, so they do what the menus and the
keys do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TITLE = "No tokens yet"
INTRO = (
    "Token Manager keeps your API tokens in the system's secret store and copies them "
    "ready to use: as an Authorization header, a shell export line or a .env line."
)
PASTE_TEXT = (
    "An API key, a personal access token or a JWT: paste it, and what it says (issuer, "
    "expiry) is read as you paste."
)
SIGN_IN_TEXT = (
    "OAuth2 / OpenID Connect: GitHub, Google, Microsoft, Keycloak and others. Sign in "
    "once; the tokens are renewed for you."
)
DECODE_TEXT = "A token on the clipboard? {key} shows what it says, and stores nothing."


def shortcut_text(action: QAction) -> str:
    """The action's shortcut as the platform writes it ("Ctrl+N"), "" when it has none."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


class Welcome(QWidget):
    """The ways in; each button triggers the action it was given."""

    def __init__(
        self,
        add: QAction,
        sign_in: QAction,
        import_env: QAction,
        paste_decode: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("No tokens yet")
        centre = QHBoxLayout(self)
        column = QWidget()
        column.setMaximumWidth(620)
        centre.addStretch(1)
        centre.addWidget(column, 4)
        centre.addStretch(1)
        lay = QVBoxLayout(column)
        lay.setContentsMargins(24, 24, 24, 24)
        lay.addStretch(1)

        self.title = QLabel(TITLE)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        lay.addWidget(self.title)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addSpacing(12)

        self.paste_button = self._way("Paste a token", PASTE_TEXT, add)
        self.sign_in_button = self._way("Sign in to a provider", SIGN_IN_TEXT, sign_in)
        lay.addWidget(self.paste_button)
        lay.addWidget(self.sign_in_button)
        lay.addSpacing(8)

        more = QHBoxLayout()
        self.import_button = QPushButton(_with_key("Import a .env file…", import_env))
        self.import_button.setAccessibleName("Import a .env file")
        self.import_button.setFlat(True)
        self.import_button.clicked.connect(lambda _checked=False: import_env.trigger())
        more.addWidget(self.import_button)
        more.addStretch(1)
        lay.addLayout(more)
        key = shortcut_text(paste_decode) or "Paste & decode"
        self.decode_hint = QLabel(DECODE_TEXT.format(key=key))
        self.decode_hint.setWordWrap(True)
        lay.addWidget(self.decode_hint)
        lay.addStretch(2)
        self.setFocusProxy(self.paste_button)  # Enter pastes a token

    @staticmethod
    def _way(title: str, text: str, action: QAction) -> QCommandLinkButton:
        button = _WayButton(_with_key(title, action), text)
        button.setAccessibleName(title)
        button.setAccessibleDescription(text)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(lambda _checked=False: action.trigger())
        return button


class _WayButton(QCommandLinkButton):
    """Enter presses it too (outside a dialog a button takes only Space)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.animateClick()
            return
        super().keyPressEvent(event)


def _with_key(title: str, action: QAction) -> str:
    key = shortcut_text(action)
    return f"{title}    {key}" if key else title
