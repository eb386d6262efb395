"""The app's icons, loaded from the package data (tokenmgr/gui/assets/).

The SVG masters live in resources/; `resources/render_icons.py` copies them
here so they ship inside the wheel and the frozen builds, and a test keeps the
copies in step. SVG, not bitmaps: Qt renders them sharp at any size and scale.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon, QPixmap

APP_ID = "io.github.tokenmgr"
APP_SVG = "tokenmgr.svg"
TRAY_SVG = "tokenmgr-tray.svg"
TRAY_ATTENTION_SVG = "tokenmgr-tray-attention.svg"
# Sizes handed out when the icon has to be a bitmap (X11 window icons, tray hosts).
BITMAP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


ASSETS = Path(__file__).resolve().parent / "assets"


def asset(name: str) -> Path | None:
    """The file of a packaged asset, when it is a plain file (it is, but for zip imports).

    Found beside this module, not through importlib.resources: that import alone
    is a noticeable part of the start before the first paint, and the wheel, the .deb and the frozen
    bundles all install the assets as files.
    """
    path = ASSETS / name
    return path if path.is_file() else None


@cache
def _icon(name: str) -> QIcon:
    path = asset(name)
    if path is not None:
        icon = QIcon(str(path))
    else:  # a zipped package: render the bytes instead
        from importlib import resources

        from PySide6.QtCore import QByteArray, Qt
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgRenderer

        data = resources.files("tokenmgr.gui").joinpath("assets", name).read_bytes()
        renderer = QSvgRenderer(QByteArray(data))
        icon = QIcon()
        for size in BITMAP_SIZES:
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            renderer.render(painter)
            painter.end()
            icon.addPixmap(pixmap)
    return icon


def app_icon() -> QIcon:
    """The window, dialog and taskbar icon."""
    return _icon(APP_SVG)


def tray_icon(attention: bool) -> QIcon:
    """The tray icon; `attention` adds a red badge (a token expired or expiring)."""
    return _icon(TRAY_ATTENTION_SVG if attention else TRAY_SVG)
