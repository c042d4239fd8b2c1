"""Light and dark palettes that follow the system, the style sheet, and themed icons.

The style sheet (``resources/style.qss``) uses ``@token`` placeholders; :func:`apply_theme`
fills them from the active :class:`Palette`. Icons are single-colour SVGs drawn with
``currentColor`` and tinted here, so one file serves both palettes.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Palette:
    name: str
    window: str
    sidebar: str
    surface: str
    surface_alt: str
    input: str
    text: str
    muted: str
    disabled: str
    border: str
    border_strong: str
    hover: str
    pressed: str
    accent: str
    accent_hover: str
    accent_soft: str
    accent_text: str
    on_accent: str
    success: str
    warning: str
    warning_soft: str
    error: str
    error_soft: str


LIGHT = Palette(
    name="light",
    window="#f5f6f8",
    sidebar="#eceef2",
    surface="#ffffff",
    surface_alt="#f7f8fa",
    input="#ffffff",
    text="#1d2330",
    muted="#5d6677",
    disabled="#a3a9b5",
    border="#dde1e7",
    border_strong="#c5cbd5",
    hover="#e2e6ec",
    pressed="#d5dae2",
    accent="#3b6fd8",
    accent_hover="#335fbb",
    accent_soft="#dde7fb",
    accent_text="#2451ab",
    on_accent="#ffffff",
    success="#1f8a4c",
    warning="#b7791f",
    warning_soft="#fdf3e1",
    error="#c53030",
    error_soft="#fde8e8",
)

DARK = Palette(
    name="dark",
    window="#1b1e24",
    sidebar="#16181d",
    surface="#23272f",
    surface_alt="#1f232a",
    input="#1b1e24",
    text="#e4e7ec",
    muted="#9aa3b2",
    disabled="#5c6370",
    border="#323842",
    border_strong="#434a56",
    hover="#2c313a",
    pressed="#363c47",
    accent="#6c9cf5",
    accent_hover="#84adf7",
    accent_soft="#2a3a5c",
    accent_text="#a9c4fa",
    on_accent="#10151f",
    success="#4cc27e",
    warning="#e0a84a",
    warning_soft="#3b3122",
    error="#f07171",
    error_soft="#442628",
)

_current: Palette = LIGHT

#: The application font's size; the style sheet sizes titles and hints relative to it.
APP_FONT_PT = 10.0


def current() -> Palette:
    """The palette in use (widgets that paint themselves read colours from it)."""
    return _current


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def choose_palette(preference: str = "system") -> Palette:
    """``preference``: "light", "dark" or "system" (the desktop's colour scheme)."""
    if preference == "dark":
        return DARK
    if preference == "light":
        return LIGHT
    return DARK if system_prefers_dark() else LIGHT


def _icon_file(name: str, colour: str) -> str:
    """A tinted copy of an icon on disk, for style-sheet ``url()``s (which cannot tint)."""
    directory = (
        Path(tempfile.gettempdir())
        / f"mentormatch-icons-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    directory.mkdir(exist_ok=True)
    path = directory / f"{name}-{colour.lstrip('#')}.svg"
    if not path.exists():
        path.write_text(_svg_source(name).replace("currentColor", colour))
    return path.as_posix()


def fill_tokens(template: str, palette: Palette) -> str:
    """``template`` with its ``@tokens`` replaced by ``palette``'s colours and icon files."""
    values = asdict(palette)
    values["chevron_down"] = _icon_file("chevron-down", palette.muted)
    values["chevron_up"] = _icon_file("chevron-up", palette.muted)
    values["check_on_accent"] = _icon_file("check", palette.on_accent)
    return re.sub(r"@([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), template)


def style_sheet(palette: Palette) -> str:
    template = resources.files("mentormatch_desktop.resources").joinpath("style.qss").read_text()
    return fill_tokens(template, palette)


def apply_theme(app: QApplication, preference: str = "system") -> Palette:
    """Fusion style, a matching QPalette (for what QSS does not reach) and the style sheet."""
    global _current
    palette = choose_palette(preference)
    _current = palette
    if app.style().name().lower() != "fusion":  # replacing a live style can crash widgets
        app.setStyle("Fusion")
    qp = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, palette.window),
        (role.WindowText, palette.text),
        (role.Base, palette.surface),
        (role.AlternateBase, palette.surface_alt),
        (role.Text, palette.text),
        (role.Button, palette.surface),
        (role.ButtonText, palette.text),
        (role.Highlight, palette.accent),
        (role.HighlightedText, palette.on_accent),
        (role.ToolTipBase, palette.surface),
        (role.ToolTipText, palette.text),
        (role.PlaceholderText, palette.muted),
        (role.Link, palette.accent),
        (role.Mid, palette.border),
        (role.Midlight, palette.border),
        (role.Dark, palette.border_strong),
    ):
        qp.setColor(r, QColor(colour))
    qp.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor(palette.disabled))
    qp.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor(palette.disabled))
    app.setPalette(qp)
    # 10 pt everywhere, as the application font rather than a ``QWidget { font-size }`` rule:
    # a rule that matches every widget gave each its own font copy when created (issue 12).
    font = app.font()
    if font.pointSizeF() != APP_FONT_PT:
        font.setPointSizeF(APP_FONT_PT)
        app.setFont(font)
    app.setStyleSheet(style_sheet(palette))
    _tinted.cache_clear()
    return palette


def follow_system(app: QApplication, preference: str, on_change: object = None) -> None:
    """Re-apply the theme when the desktop switches between light and dark."""
    if preference != "system":
        return

    def changed(_scheme: object) -> None:
        apply_theme(app, "system")
        if callable(on_change):
            on_change()

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)


@cache
def _svg_source(name: str) -> str:
    return (
        resources.files("mentormatch_desktop.resources").joinpath(f"icons/{name}.svg").read_text()
    )


@cache
def _tinted(name: str, colour: str, size: int) -> QPixmap:
    svg = _svg_source(name).replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    ratio = 2  # draw at 2x so icons stay crisp on high-DPI screens
    pixmap = QPixmap(size * ratio, size * ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size * ratio, size * ratio))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, colour: str | None = None, size: int = 20) -> QIcon:
    """A themed icon from ``resources/icons/<name>.svg`` (tinted with ``colour`` or text)."""
    result = QIcon()
    result.addPixmap(_tinted(name, colour or _current.text, size), QIcon.Mode.Normal)
    result.addPixmap(_tinted(name, _current.accent_text, size), QIcon.Mode.Selected)
    result.addPixmap(_tinted(name, _current.disabled, size), QIcon.Mode.Disabled)
    return result


def pixmap(name: str, colour: str | None = None, size: int = 20) -> QPixmap:
    return _tinted(name, colour or _current.text, size)


def icon_size(size: int = 20) -> QSize:
    return QSize(size, size)
