"""A headline number: label, value and a small explanatory line; clickable when it leads
somewhere (the at-risk tile opens the list of pairs)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget


class KpiTile(QFrame):
    clicked = Signal()

    def __init__(self, label: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(0)
        self.label = QLabel(label, objectName="muted")
        self.value = QLabel("–")
        self.value.setStyleSheet("font-size: 19pt; font-weight: 600;")
        self.hint = QLabel(hint, objectName="hint")
        self.hint.setWordWrap(True)
        self.label.setWordWrap(True)  # "Days to match" on two lines rather than cut
        for label in (self.label, self.hint):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.label)
        layout.addWidget(self.value)
        layout.addWidget(self.hint)
        self.setToolTip(hint)

    def set_value(self, text: str, hint: str | None = None, *, tone: str = "") -> None:
        self.value.setText(text)
        colours = {"bad": "#c53030", "warn": "#b7791f", "good": "#1f8a4c"}
        extra = f"color: {colours[tone]};" if tone in colours else ""
        self.value.setStyleSheet(f"font-size: 19pt; font-weight: 600; {extra}")
        if hint is not None:
            self.hint.setText(hint)

    def make_clickable(self) -> None:
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._clickable = True

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if getattr(self, "_clickable", False) and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)
