"""A week grid a person paints their availability on (local wall time, 15-minute cells).

Press on a cell and drag: the rectangle from the first cell to the current one becomes
available (or, when the first cell was already available, unavailable). The grid holds a
``(7, 96)`` array and converts to and from the stored ``(weekday, start, end)`` windows.
Preferred working hours are shaded so the person sees what the slot finder ranks first; the
current week's sessions (green) and calendar busy time (hatched) are drawn over it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from mentormatch_desktop.ui import theme

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
QUARTERS = 96


def windows_to_grid(windows: Iterable[tuple[int, int, int]]) -> np.ndarray:
    grid = np.zeros((7, QUARTERS), dtype=bool)
    for day, start, end in windows:
        grid[int(day), -(-int(start) // 15) : int(end) // 15] = True
    return grid


def grid_to_windows(grid: np.ndarray) -> list[tuple[int, int, int]]:
    out = []
    for day in range(7):
        row = np.concatenate([[False], grid[day], [False]]).astype(np.int8)
        edges = np.flatnonzero(np.diff(row))
        out += [
            (day, int(a) * 15, int(b) * 15) for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]
    return out


class AvailabilityGrid(QWidget):
    """Paintable week; ``changed`` fires after every stroke."""

    changed = Signal()

    LABEL_W = 44
    HEADER_H = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = np.zeros((7, QUARTERS), dtype=bool)
        self.first_hour, self.last_hour = 6, 23
        self.working = (9 * 60, 17 * 60)
        self._stroke: tuple[int, int] | None = None
        self._stroke_value = True
        self._before: np.ndarray | None = None
        #: this week's sessions and busy time, drawn over the grid (read-only)
        self.overlay: list[tuple[int, int, int, str, str]] = []
        self.week_of: date | None = None  # Monday of the week the overlay shows
        self.setMouseTracking(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(420, 360))

    # -- data ----------------------------------------------------------------------------
    def set_windows(self, windows: Iterable[tuple[int, int, int]]) -> None:
        self.grid = windows_to_grid(windows)
        used = np.flatnonzero(self.grid.any(axis=0))
        first = min(6, int(used[0]) // 4) if used.size else 6
        last = max(23, -(-(int(used[-1]) + 1) // 4)) if used.size else 23
        self.first_hour, self.last_hour = first, min(24, last)
        self.update()

    def set_overlay(self, items: Iterable[tuple[datetime, datetime, str, str]]) -> None:
        """This week's ``(local start, local end, kind, label)``; split at local midnight."""
        out = []
        for start, end, kind, label in items:
            day_start = start
            while day_start < end:
                midnight = datetime.combine(
                    day_start.date() + timedelta(days=1), time(), tzinfo=day_start.tzinfo
                )
                stop = min(end, midnight)
                a = day_start.hour * 60 + day_start.minute
                b = 24 * 60 if stop == midnight else stop.hour * 60 + stop.minute
                if b > a:
                    out.append((day_start.weekday(), a, b, kind, label))
                day_start = stop
        self.overlay = out
        self.update()

    def windows(self) -> list[tuple[int, int, int]]:
        return grid_to_windows(self.grid)

    def hours_per_week(self) -> float:
        return float(self.grid.sum()) / 4

    def show_all_hours(self, on: bool = True) -> None:
        if on:
            self.first_hour, self.last_hour = 0, 24
        else:
            self.set_windows(self.windows())
        self.update()

    # -- geometry ------------------------------------------------------------------------
    def _cell_size(self) -> tuple[float, float]:
        rows = (self.last_hour - self.first_hour) * 4
        w = (self.width() - self.LABEL_W - 1) / 7
        h = (self.height() - self.HEADER_H - 1) / max(rows, 1)
        return w, h

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        w, h = self._cell_size()
        x, y = pos.x() - self.LABEL_W, pos.y() - self.HEADER_H
        if x < 0 or y < 0:
            return None
        day, row = int(x // w), int(y // h)
        quarter = self.first_hour * 4 + row
        if not (0 <= day < 7 and 0 <= quarter < QUARTERS and quarter < self.last_hour * 4):
            return None
        return day, quarter

    def cell_center(self, day: int, quarter: int) -> QPoint:
        w, h = self._cell_size()
        row = quarter - self.first_hour * 4
        return QPoint(int(self.LABEL_W + (day + 0.5) * w), int(self.HEADER_H + (row + 0.5) * h))

    # -- painting by mouse ---------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is None or event.button() != Qt.MouseButton.LeftButton:
            return
        self._stroke = cell
        self._stroke_value = not bool(self.grid[cell])
        self._before = self.grid.copy()
        self._paint_to(cell)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._stroke is None:
            return
        cell = self.cell_at(event.position().toPoint())
        if cell is not None:
            self._paint_to(cell)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._stroke is not None:
            self._stroke = None
            self._before = None
            self.changed.emit()

    def _paint_to(self, cell: tuple[int, int]) -> None:
        assert self._stroke is not None and self._before is not None
        (d0, q0), (d1, q1) = self._stroke, cell
        self.grid = self._before.copy()
        self.grid[min(d0, d1) : max(d0, d1) + 1, min(q0, q1) : max(q0, q1) + 1] = self._stroke_value
        self.update()

    # -- drawing -------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        pal = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        w, h = self._cell_size()
        rows = (self.last_hour - self.first_hour) * 4
        top, left = self.HEADER_H, self.LABEL_W
        p.fillRect(self.rect(), QColor(pal.surface))
        working = QColor(pal.accent_soft)
        working.setAlpha(110)
        on = QColor(pal.accent)
        for day in range(7):
            x = left + day * w
            if day < 5:
                a = max(self.working[0] // 15, self.first_hour * 4) - self.first_hour * 4
                b = min(self.working[1] // 15, self.last_hour * 4) - self.first_hour * 4
                if b > a:
                    p.fillRect(QRectF(x, top + a * h, w, (b - a) * h), working)
            col = self.grid[day, self.first_hour * 4 : self.last_hour * 4]
            edges = np.flatnonzero(np.diff(np.concatenate([[0], col.astype(np.int8), [0]])))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                p.fillRect(QRectF(x + 2, top + a * h + 1, w - 4, (b - a) * h - 2), on)
        first_minute = self.first_hour * 60
        for day, a, b, kind, label in self.overlay:
            a, b = max(a, first_minute), min(b, self.last_hour * 60)
            if b <= a:
                continue
            box = QRectF(
                left + day * w + 6, top + (a - first_minute) / 15 * h, w - 12, (b - a) / 15 * h
            )
            if kind == "session":
                p.fillRect(box, QColor(pal.success))
                p.setPen(QColor(pal.on_accent))
                p.drawText(
                    box.adjusted(4, 0, -2, 0),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    label,
                )
            else:
                busy = QColor(pal.warning)
                p.fillRect(box, QBrush(busy, Qt.BrushStyle.BDiagPattern))
                p.setPen(busy)
                p.drawRect(box)
        grid_pen = QPen(QColor(pal.border))
        p.setPen(grid_pen)
        for hour in range(self.first_hour, self.last_hour + 1):
            y = top + (hour - self.first_hour) * 4 * h
            p.drawLine(int(left), int(y), int(left + 7 * w), int(y))
        for day in range(8):
            x = left + day * w
            p.drawLine(int(x), int(top), int(x), int(top + rows * h))
        p.setPen(QColor(pal.muted))
        for day, name in enumerate(DAYS):
            if self.week_of is not None:
                d = self.week_of + timedelta(days=day)
                name = f"{name} {d.day} {d:%b}"
            p.drawText(QRectF(left + day * w, 0, w, top), Qt.AlignmentFlag.AlignCenter, name)
        step = 1 if h * 4 >= 16 else 2
        for hour in range(self.first_hour, self.last_hour, step):
            y = top + (hour - self.first_hour) * 4 * h
            p.drawText(
                QRectF(0, y - 8, left - 6, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{hour:02d}:00",
            )
        p.end()
