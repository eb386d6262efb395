"""gui/style: the status marks, drawn as PNGs (no QPainter before the first paint,
gui/props.py): a filled dot, a ring, a blank of the same size."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QByteArray, QSize
from PySide6.QtGui import QColor, QImage, QPixmap

from tokenmgr.core.entries import STATUS_EXPIRED, STATUS_EXPIRING, STATUS_UNKNOWN, STATUS_VALID
from tokenmgr.gui import style

pytestmark = pytest.mark.gui

RGB = (30, 142, 62)
SIDES = [16, 32, 40]


def image(side: int, **kw: bool) -> QImage:
    png = style.dot_png(side, RGB, **{"ring": False, **kw})
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    img = QImage.fromData(png)
    assert not img.isNull(), "not a PNG Qt can read"
    pm = QPixmap()
    assert pm.loadFromData(QByteArray(png), "PNG")  # as style.status_icon loads it
    assert (img.width(), img.height()) == (side, side) == (pm.width(), pm.height())
    return img


def pixel(img: QImage, x: float, y: float) -> QColor:
    return img.pixelColor(int(x), int(y))


def corners(side: int) -> list[tuple[int, int]]:
    return [(0, 0), (side - 1, 0), (0, side - 1), (side - 1, side - 1)]


@pytest.mark.parametrize("side", SIDES)
def test_a_filled_dot(qapp: object, side: int) -> None:
    img = image(side)
    c = side / 2
    centre = pixel(img, c, c)
    assert (centre.red(), centre.green(), centre.blue(), centre.alpha()) == (*RGB, 255)
    for x, y in corners(side):
        assert pixel(img, x, y).alpha() == 0
    # 9/16 of the side wide: a pixel well outside the radius is transparent.
    outside = c + 4.5 / 16 * side + 1.5
    assert pixel(img, outside, c).alpha() == 0


@pytest.mark.parametrize("side", SIDES)
def test_a_ring(qapp: object, side: int) -> None:
    img = image(side, ring=True)
    c, radius = side / 2, 4.5 / 16 * side
    assert pixel(img, c, c).alpha() == 0
    for angle in (0, 90, 180, 270):
        x = c + radius * math.cos(math.radians(angle))
        y = c + radius * math.sin(math.radians(angle))
        on = pixel(img, x, y)
        assert on.alpha() > 128, (angle, on.alpha())
        assert (on.red(), on.green(), on.blue()) == RGB
    for x, y in corners(side):
        assert pixel(img, x, y).alpha() == 0


@pytest.mark.parametrize("side", SIDES)
def test_a_blank(qapp: object, side: int) -> None:
    img = image(side, ring=False, blank=True)
    assert all(img.pixelColor(x, y).alpha() == 0 for y in range(side) for x in range(side))


def _centre_alpha(status: str) -> tuple[int, int]:
    """(centre alpha, the highest alpha anywhere) of the status icon at 16 px."""
    icon = style.status_icon(status)
    assert not icon.isNull()
    img = icon.pixmap(QSize(16, 16)).toImage()
    assert not img.isNull() and img.width() > 0
    w, h = img.width(), img.height()
    most = max(img.pixelColor(x, y).alpha() for y in range(h) for x in range(w))
    return img.pixelColor(w // 2, h // 2).alpha(), most


def test_status_icons_are_a_dot_a_ring_and_a_blank(qapp: object) -> None:
    for status in (STATUS_VALID, STATUS_EXPIRING):
        centre, most = _centre_alpha(status)
        assert centre > 200 and most == 255, status
    centre, most = _centre_alpha(STATUS_EXPIRED)
    assert centre < 30 and most > 128  # hollow
    assert _centre_alpha(STATUS_UNKNOWN) == (0, 0)  # blank, for the names to line up
    assert style.status_icon(STATUS_VALID) is style.status_icon(STATUS_VALID)  # made once
