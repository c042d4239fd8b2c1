"""Small building blocks every screen uses, so spacing and wording stay consistent."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mentormatch_desktop.ui import theme

MARGIN = 24
SPACING = 12


def page_layout(widget: QWidget) -> QVBoxLayout:
    """The outer layout of a screen: generous margins, one spacing unit between blocks."""
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(MARGIN, MARGIN - 4, MARGIN, MARGIN - 8)
    layout.setSpacing(SPACING)
    return layout


class PageHeader(QWidget):
    """Title, one line saying what the screen is for, and action buttons on the right."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 4)
        row.setSpacing(SPACING)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.title = QLabel(title, objectName="pageTitle")
        self.subtitle = QLabel(subtitle, objectName="pageSubtitle")
        self.subtitle.setWordWrap(True)
        texts.addWidget(self.title)
        if subtitle:
            texts.addWidget(self.subtitle)
        row.addLayout(texts, 1)
        self.actions = QHBoxLayout()
        self.actions.setSpacing(8)
        row.addLayout(self.actions)
        self._buttons: list[QPushButton] = []
        self._full: dict[QPushButton, tuple[str, str, int]] = {}

    def add_action(
        self, text: str, icon: str | None = None, *, primary: bool = False
    ) -> QPushButton:
        button = make_button(text, icon, primary=primary)
        self.actions.addWidget(button)
        self._buttons.append(button)
        return button

    # When the window is too narrow for the buttons' texts next to the title, buttons with
    # an icon show only the icon and say their text in the tooltip, rather than being cut
    # ("New particip…"). ``_full`` keeps each button's text and the width it needs with it.
    @property
    def compact(self) -> bool:
        return bool(self._full)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_actions()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_actions()

    def fit_actions(self) -> None:
        buttons = [b for b in self._buttons if not b.isHidden() and not b.icon().isNull()]
        if not buttons:
            return
        widths: dict[QPushButton, int] = {}
        for b in buttons:
            if b.text():  # never compacted, or a text set while compact: its new full text
                self._full.pop(b, None)
                widths[b] = b.sizeHint().width()
            else:
                widths[b] = self._full[b][2] if b in self._full else b.sizeHint().width()
        others = sum(b.sizeHint().width() for b in self._buttons if b not in widths)
        spacing = self.actions.spacing() * max(0, len(self._buttons) - 1) + SPACING
        needed = self.title.sizeHint().width() + spacing + others + sum(widths.values())
        if self.width() >= needed:
            for b in buttons:
                if b in self._full:
                    text, tip, _ = self._full.pop(b)
                    b.setText(text)
                    b.setToolTip(tip)
            return
        for b in buttons:
            if b.text():
                text, tip = b.text(), b.toolTip()
                self._full[b] = (text, tip, widths[b])
                b.setText("")
                b.setToolTip(f"{text.rstrip('…')}: {tip}" if tip else text.rstrip("…"))
                b.setAccessibleName(text)


def make_button(
    text: str,
    icon: str | None = None,
    *,
    primary: bool = False,
    danger: bool = False,
    on_click: Callable[[], object] | None = None,
) -> QPushButton:
    button = QPushButton(text)
    if primary:
        button.setObjectName("primary")
    elif danger:
        button.setObjectName("danger")
    if icon:
        colour = theme.current().on_accent if primary else None
        button.setIcon(theme.icon(icon, colour, 18))
        button.setIconSize(theme.icon_size(16))
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    if on_click is not None:
        button.clicked.connect(lambda _=False: on_click())
    return button


class EmptyState(QWidget):
    """A centred icon, a sentence saying why the screen is empty, and what to do about it."""

    def __init__(
        self, icon: str, title: str, text: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        picture = QLabel()
        picture.setPixmap(theme.pixmap(icon, theme.current().muted, 56))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(title, objectName="emptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(text, objectName="emptyText")
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        outer.addWidget(picture)
        outer.addSpacing(8)
        outer.addWidget(self.title)
        outer.addWidget(self.text)
        outer.addSpacing(12)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addStretch(1)
        outer.addLayout(self.buttons)
        outer.addStretch(2)

    def add_button(self, button: QPushButton) -> QPushButton:
        self.buttons.insertWidget(self.buttons.count() - 1, button)
        return button


class Banner(QFrame):
    """A coloured strip with a message and an optional action ("Retry", "Details")."""

    action_clicked = Signal()

    def __init__(self, kind: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"banner_{kind}")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.setSpacing(10)
        self.icon = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.clicked.connect(self.action_clicked)
        self.button.hide()
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.message, 1)
        row.addWidget(self.button, 0)
        self.set_kind(kind)
        self.hide()

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.setObjectName(f"banner_{kind}")
        colour = {"error": theme.current().error, "warning": theme.current().warning}.get(
            kind, theme.current().accent
        )
        self.icon.setPixmap(theme.pixmap({"info": "info"}.get(kind, kind), colour, 20))
        self.style().unpolish(self)
        self.style().polish(self)

    def show_message(self, message: str, kind: str | None = None, action: str = "") -> None:
        if kind:
            self.set_kind(kind)
        self.message.setText(message)
        self.button.setText(action)
        self.button.setVisible(bool(action))
        self.show()


class ProgressPanel(QWidget):
    """A progress bar with its message and a Cancel button, shown while a worker runs."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.label = QLabel(objectName="muted")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(260)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel)
        self.hide()

    def start(self, message: str, cancellable: bool = True) -> None:
        self.label.setText(message)
        self.bar.setRange(0, 0)  # busy until the first progress report
        self.cancel.setVisible(cancellable)
        self.cancel.setEnabled(True)
        self.show()

    def update_progress(self, fraction: float, message: str) -> None:
        self.bar.setRange(0, 1000)
        self.bar.setValue(int(fraction * 1000))
        if message:
            self.label.setText(message)

    def stop(self) -> None:
        self.hide()


def section_title(text: str) -> QLabel:
    """A bold sub-heading inside a card or dialog."""
    label = QLabel(text, objectName="sectionTitle")
    label.setIndent(0)  # styled labels otherwise get an automatic indent
    return label


class CollapsibleSection(QWidget):
    """A sub-heading that folds its content away (▾ open, ▸ folded), so a long side panel
    fits a small window and the user keeps in view what they use."""

    toggled = Signal(bool)  # expanded

    def __init__(self, title: str, *, expanded: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.button = QToolButton(objectName="sectionToggle")
        self.button.setText(title)
        self.button.setCheckable(True)
        self.button.setChecked(expanded)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setStyleSheet(
            "QToolButton#sectionToggle { border: none; background: transparent; "
            "font-weight: 600; font-size: 11pt; padding: 0; }"
        )
        self.button.toggled.connect(self.set_expanded)
        column.addWidget(self.button)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(8)
        column.addWidget(self.body)
        self._show_state(expanded)

    def addWidget(self, widget: QWidget) -> None:
        self.body_layout.addWidget(widget)

    def addLayout(self, layout: object) -> None:
        self.body_layout.addLayout(layout)  # type: ignore[arg-type]

    @property
    def expanded(self) -> bool:
        return self.button.isChecked()

    def set_expanded(self, expanded: bool) -> None:
        if self.button.isChecked() != expanded:
            self.button.setChecked(expanded)  # comes back here through ``toggled``
            return
        self._show_state(expanded)
        self.toggled.emit(expanded)

    def _show_state(self, expanded: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self.button.setToolTip(f"{'Fold' if expanded else 'Show'} {self.title.lower()}")
        self.body.setVisible(expanded)


def discard(widget: QWidget) -> None:
    """Hide a widget now and delete it later. ``deleteLater`` alone leaves it painted
    until the event loop comes round to deleting it, so a list rebuilt in place showed
    the old rows drawn under the new ones ("0.17 × 30%" over "0.00 × 30%")."""
    widget.hide()
    widget.deleteLater()


def clear_layout(layout: QLayout, keep: Sequence[QWidget] = ()) -> None:
    """Take every item out of ``layout``, discarding its widgets (except ``keep``)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None and widget not in keep:
            discard(widget)


def card(parent: QWidget | None = None) -> QFrame:
    frame = QFrame(parent)
    frame.setObjectName("card")
    frame.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    return frame


def set_invalid(widget: QWidget, invalid: bool, message: str = "") -> None:
    """Mark an input as invalid (red border via the style sheet) with the reason as tooltip."""
    widget.setProperty("invalid", invalid)
    widget.setToolTip(message if invalid else "")
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ReadOnlyTable(QTableWidget):
    """A :class:`QTableWidget` that says why it is empty: a bare header over a blank box
    read as "still loading" or "broken" on the Schedule, Time off and Calendars tables."""

    def __init__(self, rows: int, columns: int, empty: str = "") -> None:
        super().__init__(rows, columns)
        self.empty_text = empty

    def showing_empty_text(self) -> bool:
        """Whether the empty-state sentence is drawn (no rows, and one was given)."""
        return bool(self.empty_text) and self.rowCount() == 0

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.showing_empty_text():
            return
        painter = QPainter(self.viewport())
        painter.setPen(QColor(theme.current().muted))
        area = self.viewport().rect().adjusted(16, 12, -16, -12)
        painter.drawText(
            area,
            int(
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            ),
            self.empty_text,
        )
        painter.end()


def read_only_table(
    headers: Sequence[str],
    *,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
    alternating: bool = True,
    empty: str = "",
) -> ReadOnlyTable:
    """The look every small result table in a dialog shares: no grid, no row numbers,
    left-aligned headers, columns sized to their contents and the last one stretched.

    ``selection`` picks how rows are selected (whole rows always); ``NoSelection`` for a
    table that only reports. ``empty``: the sentence shown in place of rows while there
    are none (what the table would hold, or what to do to fill it).
    """
    table = ReadOnlyTable(0, len(headers), empty)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    table.setAlternatingRowColors(alternating)
    table.setShowGrid(False)
    head = table.horizontalHeader()
    head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    head.setStretchLastSection(True)
    return table
