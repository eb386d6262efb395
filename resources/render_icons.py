"""Remake the icon files from the SVG masters in resources/.

    .venv/bin/python resources/render_icons.py [--check]

- renders the app icon (tokenmgr.svg) to PNGs in the hicolor layout,
  resources/icons/hicolor/NxN/apps/io.github.tokenmgr.png, for desktops and
  packagers that want bitmaps (the SVG goes to hicolor/scalable);
- copies the SVGs the running app needs into the package
  (tokenmgr/gui/assets/), so they ship in the wheel and the frozen builds.

Renders go through Qt's QSvgRenderer, the same renderer the app uses, so what
the PNGs show is what the window and the tray show. `--check` remakes nothing
and exits 1 if any file is missing or out of date (tests use it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "io.github.tokenmgr"
APP_SVG = HERE / "tokenmgr.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
PACKAGE_ASSETS = ROOT / "tokenmgr" / "gui" / "assets"
PACKAGED_SVGS = ("tokenmgr.svg", "tokenmgr-tray.svg", "tokenmgr-tray-attention.svg")
# Two renders of the same SVG may differ by a rounding step on another Qt
# build; a changed drawing differs by far more.
TOLERANCE = 8


def png_path(size: int, root: Path = HERE) -> Path:
    return root / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(svg: Path, size: int) -> QImage:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def same_image(a: QImage, b: QImage) -> bool:
    if a.size() != b.size():
        return False
    a = a.convertToFormat(QImage.Format.Format_ARGB32)
    b = b.convertToFormat(QImage.Format.Format_ARGB32)
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = a.pixel(x, y), b.pixel(x, y)
            for shift in (0, 8, 16, 24):
                if abs(((pa >> shift) & 0xFF) - ((pb >> shift) & 0xFF)) > TOLERANCE:
                    return False
    return True


def stale() -> list[str]:
    """Files that are missing or do not match their master."""
    out: list[str] = []
    for size in SIZES:
        path = png_path(size)
        if not path.exists() or not same_image(QImage(str(path)), render(APP_SVG, size)):
            out.append(str(path.relative_to(ROOT)))
    for name in PACKAGED_SVGS:
        copy = PACKAGE_ASSETS / name
        if not copy.exists() or copy.read_bytes() != (HERE / name).read_bytes():
            out.append(str(copy.relative_to(ROOT)))
    return out


def write() -> None:
    for size in SIZES:
        path = png_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(render(APP_SVG, size)))
        print(path.relative_to(ROOT))
    PACKAGE_ASSETS.mkdir(parents=True, exist_ok=True)
    for name in PACKAGED_SVGS:
        (PACKAGE_ASSETS / name).write_bytes((HERE / name).read_bytes())
        print((PACKAGE_ASSETS / name).relative_to(ROOT))


def main(argv: list[str]) -> int:
    _app = QGuiApplication([sys.argv[0]])
    if "--check" in argv:
        bad = stale()
        for path in bad:
            print(f"out of date: {path} (run resources/render_icons.py)", file=sys.stderr)
        return 1 if bad else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
