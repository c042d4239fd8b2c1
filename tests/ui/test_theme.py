"""The theme: 10 pt text and the palette's colours everywhere, without a style-sheet rule that
every widget has to match (each one made creating any widget dearer, issue 12)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from mentormatch_desktop.ui import theme


def test_text_is_10_pt_through_the_application_font(qtbot, qapp: QApplication) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    label, field, button = QLabel("a", page), QLineEdit(page), QPushButton("b", page)
    title = QLabel("Title", page, objectName="pageTitle")
    page.show()
    assert qapp.font().pointSizeF() == theme.APP_FONT_PT
    for widget in (label, field, button):
        widget.ensurePolished()
        assert widget.font().pointSizeF() == theme.APP_FONT_PT
    title.ensurePolished()
    assert title.font().pointSizeF() == 17  # the sheet still sizes what it names


def test_the_style_sheet_has_no_rule_for_every_widget() -> None:
    sheet = re.sub(r"/\*.*?\*/", "", theme.style_sheet(theme.LIGHT), flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", sheet) for s in block.split(",")]
    assert selectors  # the sheet was read
    broad = [s for s in selectors if re.fullmatch(r"(QWidget|\*)(:\w+)?", s)]
    assert broad == []


def test_windows_take_their_background_from_the_palette(qtbot, qapp: QApplication) -> None:
    from PySide6.QtGui import QPalette

    assert qapp.palette().color(QPalette.ColorRole.Window).name() == theme.current().window
