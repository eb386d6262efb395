"""Where the main window is and how large: remembered between starts (Qt's own saved
geometry, as base64 text in the settings) and, at the first start, a size that shows
the list beside the details of a token without a scroll bar, centred on the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSize
from PySide6.QtWidgets import QWidget

# The first start's size: the list's four columns, and beside them, without a scroll
# bar, the details of a signed-in OIDC access token (every claim, the header, the ID
# token's section, the buttons).
DEFAULT_SIZE = QSize(1100, 770)


def saved(window: QWidget) -> str:
    """The window's geometry as the settings keep it."""
    return bytes(window.saveGeometry().toBase64().data()).decode()


def restore(window: QWidget, saved_geometry: str) -> None:
    """The saved geometry; else (none, or bytes Qt refuses) the first start's."""
    if not saved_geometry or not window.restoreGeometry(
        QByteArray.fromBase64(saved_geometry.encode())
    ):
        place_first(window)


def place_first(window: QWidget) -> None:
    """`DEFAULT_SIZE` as far as the screen allows (room left for the window manager's
    frame), centred. What the screen cannot give comes out of the list first (the
    splitter gives it at most two fifths)."""
    size = DEFAULT_SIZE
    screen = window.screen()
    if screen is None:
        window.resize(size)
        return
    room = screen.availableGeometry()
    window.resize(size.boundedTo(QSize(room.width() * 19 // 20, room.height() * 9 // 10)))
    window.move(room.center() - window.rect().center())
