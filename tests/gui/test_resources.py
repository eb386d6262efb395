"""The desktop integration files: validators pass, icons load and match their masters."""

from __future__ import annotations

import configparser
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QSize

from tokenmgr.gui import icons

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
DESKTOP = RESOURCES / f"{icons.APP_ID}.desktop"
METAINFO = RESOURCES / f"{icons.APP_ID}.metainfo.xml"


def test_desktop_file_validates() -> None:
    r = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "error" not in (r.stdout + r.stderr)


def test_metainfo_validates() -> None:
    r = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_desktop_file_and_metainfo_agree() -> None:
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # type: ignore[assignment, method-assign]
    desktop.read(DESKTOP, encoding="utf-8")
    entry = desktop["Desktop Entry"]
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == icons.APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert entry["Icon"] == component.findtext("icon") == icons.APP_ID
    assert entry["Exec"].split()[0] == component.findtext("provides/binary") == "tokenmgr"
    assert entry["Name"] == component.findtext("name")


def test_icon_files_match_their_masters() -> None:
    """PNG renders and the packaged SVG copies are what render_icons.py makes now."""
    r = subprocess.run(
        [sys.executable, str(RESOURCES / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr


def test_png_sizes() -> None:
    from PySide6.QtGui import QImage

    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{icons.APP_ID}.png"
        image = QImage(str(path))
        assert image.size() == QSize(size, size), path
        assert image.hasAlphaChannel()
        # Transparent corners (a rounded tile), an opaque middle.
        assert image.pixelColor(0, 0).alpha() == 0
        assert image.pixelColor(size // 2, size // 2).alpha() == 255


def test_packaged_icons_load(qapp: object) -> None:
    for icon in (icons.app_icon(), icons.tray_icon(False), icons.tray_icon(True)):
        assert not icon.isNull()
        pixmap = icon.pixmap(22, 22)
        assert pixmap.size() == QSize(22, 22)
        assert not pixmap.toImage().isNull()
    normal = icons.tray_icon(False).pixmap(24, 24).toImage()
    attention = icons.tray_icon(True).pixmap(24, 24).toImage()
    assert normal != attention
    # The badge is red where the normal icon has nothing.
    badge = attention.pixelColor(21, 6)
    assert badge.red() > 180 and badge.green() < 80, badge.name()
    assert normal.pixelColor(21, 6).alpha() == 0


def test_package_data_declared() -> None:
    """The SVGs ship in the wheel: pyproject lists them as package data."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["tokenmgr.gui"]
    assert "assets/*.svg" in patterns
    for name in (icons.APP_SVG, icons.TRAY_SVG, icons.TRAY_ATTENTION_SVG):
        assert icons.asset(name) is not None, name


def test_icons_render_from_bytes_when_not_plain_files(
    qapp: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zipped package has no file path for Qt: the SVG bytes are rendered instead."""
    monkeypatch.setattr(icons, "asset", lambda name: None)
    icons._icon.cache_clear()
    try:
        icon = icons.tray_icon(True)
        assert sorted(s.width() for s in icon.availableSizes()) == list(icons.BITMAP_SIZES)
        image = icon.pixmap(24, 24).toImage()
        assert image.pixelColor(21, 6).red() > 180  # the badge is drawn
    finally:
        icons._icon.cache_clear()
