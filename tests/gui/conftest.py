"""GUI test fixtures (pytest-qt, offscreen unless a test starts its own X server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.xvfb import XServer


@pytest.fixture(autouse=True)
def _clear_clipboard_after() -> Iterator[None]:
    """Leave no QMimeData on the clipboard: Qt offscreen crashes at exit destroying it."""
    yield
    from PySide6.QtGui import QClipboard, QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear(QClipboard.Mode.Clipboard)


@pytest.fixture(scope="session")
def xserver() -> Iterator[XServer]:
    """Xvfb on a free display with trayer as the tray host (for the tray tests)."""
    server = XServer().start(tray=True)
    yield server
    server.stop()
