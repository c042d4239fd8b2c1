"""Per-criterion score breakdown: a stacked bar in the table and a labelled list in the panel.

Each segment is ``weight × value`` of one criterion, so the bar's total length is the
pair's score and the coordinator sees at a glance which criteria carried it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QProgressBar,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.models.proposals import BreakdownRole
from mentormatch_desktop.ui.widgets import clear_layout

# Distinct, colour-blind-friendly hues (Okabe–Ito), reused in order of the criteria.
CRITERION_COLOURS = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#7f7f7f",
    "#8c564b", "#17becf",
)  # fmt: skip


def colour_of(name: str, names: list[str]) -> QColor:
    index = names.index(name) if name in names else len(names)
    return QColor(CRITERION_COLOURS[index % len(CRITERION_COLOURS)])


def segments(breakdown: dict[str, float], weights: dict[str, float]) -> list[tuple[str, float]]:
    """(criterion, weighted contribution) for every weighted criterion, in weight order."""
    return [(name, weights[name] * float(breakdown.get(name, 0.0))) for name in weights]


class BreakdownDelegate(QStyledItemDelegate):
    """Paints the stacked bar in the proposals table."""

    def __init__(self, weights: dict[str, float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.weights = weights

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        breakdown = index.data(BreakdownRole) or {}
        names = list(self.weights)
        rect = option.rect.adjusted(8, 9, -8, -9)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.current().surface_alt))
        painter.drawRoundedRect(rect, 3, 3)
        x = rect.left()
        for name, part in segments(breakdown, self.weights):
            width = round(part * rect.width())
            if width <= 0:
                continue
            painter.setBrush(colour_of(name, names))
            painter.drawRect(QRect(x, rect.top(), width, rect.height()))
            x += width
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(220, 30)


class BreakdownPanel(QWidget):
    """Criterion name, a bar of its value, and its weighted share of the score."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(10)
        self.grid.setVerticalSpacing(6)

    def show_breakdown(
        self, breakdown: dict[str, float], weights: dict[str, float], labels: dict[str, str]
    ) -> None:
        clear_layout(self.grid)
        names = list(weights)
        for row, (name, part) in enumerate(segments(breakdown, weights)):
            swatch = QLabel()
            swatch.setFixedSize(10, 10)
            swatch.setStyleSheet(
                f"background: {colour_of(name, names).name()}; border-radius: 2px;"
            )
            label = QLabel(labels.get(name, name))
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setValue(round(float(breakdown.get(name, 0.0)) * 100))
            bar.setTextVisible(False)
            bar.setFixedHeight(8)
            bar.setMinimumWidth(24)  # the bar gives way first on a narrow panel
            bar.setStyleSheet(
                f"QProgressBar::chunk {{ background: {colour_of(name, names).name()}; }}"
                "QProgressBar { min-height: 8px; max-height: 8px; border: none; }"
            )
            value = QLabel(
                f"{float(breakdown.get(name, 0.0)):.2f} × {weights[name]:.0%} = {part:.2f}"
            )
            value.setObjectName("hint")
            self.grid.addWidget(swatch, row, 0)
            self.grid.addWidget(label, row, 1)
            self.grid.addWidget(bar, row, 2)
            self.grid.addWidget(value, row, 3)
        self.grid.setColumnStretch(2, 1)
