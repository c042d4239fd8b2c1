"""Render the app icon (packaging/linux/mentormatch-desktop.svg) for Windows and macOS.

Writes packaging/windows/mentormatch.ico and packaging/macos/mentormatch.icns, which the
spec uses when present. Run before PyInstaller on those platforms (the CI workflow does);
the Linux bundle uses the SVG directly. Needs PySide6 (QtSvg) and Pillow, both installed
with the app.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
SVG = PACKAGING / "linux" / "mentormatch-desktop.svg"


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image

    big = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")
    ico = PACKAGING / "windows" / "mentormatch.ico"
    big.save(ico, sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    icns = PACKAGING / "macos" / "mentormatch.icns"
    icns.parent.mkdir(exist_ok=True)
    big.save(icns)
    print(ico, icns, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
