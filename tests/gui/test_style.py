"""gui/style: the status marks (a filled dot, a ring, a blank of the same size), drawn at
the screen's pixel ratio in the status colours of the palette."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette

from tokenmgr.core.rules import STATUS_EXPIRED, STATUS_EXPIRING, STATUS_UNKNOWN, STATUS_VALID
from tokenmgr.gui import style

pytestmark = pytest.mark.gui


def mark(status: str, side: int) -> QImage:
    icon = style.status_icon(status)
    assert not icon.isNull()
    img = icon.pixmap(QSize(side, side)).toImage()
    assert img.width() >= side and img.height() >= side
    return img


def alphas(img: QImage) -> list[int]:
    return [img.pixelColor(x, y).alpha() for y in range(img.height()) for x in range(img.width())]


def rgb(color: QColor) -> tuple[int, int, int]:
    return (color.red(), color.green(), color.blue())


@pytest.mark.parametrize("side", [16, 32])
@pytest.mark.parametrize("status", [STATUS_VALID, STATUS_EXPIRING])
def test_valid_and_expiring_are_a_dot_in_their_colour(qapp: object, status: str,
                                                      side: int) -> None:
    img = mark(status, side)
    w = img.width()
    centre = img.pixelColor(w // 2, w // 2)
    expected = style.status_color(status)
    assert expected is not None
    assert centre.alpha() == 255 and rgb(centre) == rgb(expected)
    # 9/16 of the side wide: the corners and the edges' middles stay clear.
    for x, y in [(0, 0), (w - 1, 0), (0, w - 1), (w - 1, w - 1), (w // 2, 1), (1, w // 2)]:
        assert img.pixelColor(x, y).alpha() == 0, (x, y)


@pytest.mark.parametrize("side", [16, 32])
def test_expired_is_a_ring(qapp: object, side: int) -> None:
    img = mark(STATUS_EXPIRED, side)
    w = img.width()
    assert img.pixelColor(w // 2, w // 2).alpha() == 0  # hollow
    on_the_line = img.pixelColor(w // 2 + round(4.5 / 16 * w), w // 2)
    assert on_the_line.alpha() > 128
    assert img.pixelColor(0, 0).alpha() == 0


def test_unknown_is_a_blank_of_the_same_size(qapp: object) -> None:
    img = mark(STATUS_UNKNOWN, 16)
    assert img.size() == mark(STATUS_VALID, 16).size()
    assert max(alphas(img)) == 0


def test_marks_are_made_once_per_palette_brightness(qapp: object) -> None:
    light = style.status_icon(STATUS_VALID)
    assert style.status_icon(STATUS_VALID) is light
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    before = app.palette()
    dark = QPalette(before)
    dark.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    app.setPalette(dark)
    try:
        img = mark(STATUS_VALID, 16)
        assert style.status_icon(STATUS_VALID) is not light
        assert rgb(img.pixelColor(img.width() // 2, img.width() // 2)) == (0x5b, 0xd2, 0x7a)
    finally:
        app.setPalette(before)
