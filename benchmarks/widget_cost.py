"""What one widget costs to create, with and without the app's style sheet.

``python benchmarks/widget_cost.py [--rounds N] [--sheet FILE]`` builds, offscreen, the mix
of widgets a screen's build step creates (labels with the sheet's object names, buttons,
inputs, a table, cards, a group box, a progress bar…), polishes and lays them out as Qt
does before their first paint, and prints the milliseconds per widget:

- ``palette only``: Fusion and the app's QPalette, no style sheet (the floor);
- ``app theme``: what ``theme.apply_theme`` sets up (palette + style sheet);
- ``app theme, parented``: the same widgets each created with its final parent: with a
  style sheet, adding a parentless widget to a layout reparents it, and Qt then re-styles
  it and its whole subtree (``inheritStyle``: a StyleChange event each, a repolish);
- ``--sheet FILE``: the palette plus the style sheet in FILE (``@tokens`` filled as the app
  does), to try a change to ``resources/style.qss`` before making it.

A style sheet makes Qt match its rules against every widget and turn each widget's font and
palette into per-widget copies; the build steps of every screen pay that per widget
(issue 12), so this is the number to watch when adding rules. Figures are the median of the
rounds; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def build_page(parent: object, *, parented: bool = False) -> tuple[object, int]:
    """One page of typical widgets under ``parent``, polished and laid out as before its
    first paint; returns the page and how many widgets it made. ``parented``: each widget is
    created with its final parent instead of being added (reparented) afterwards."""
    from PySide6.QtWidgets import (
        QCheckBox,
        QComboBox,
        QFormLayout,
        QFrame,
        QGroupBox,
        QHBoxLayout,
        QLabel,
        QLineEdit,
        QProgressBar,
        QPushButton,
        QSpinBox,
        QTableView,
        QVBoxLayout,
        QWidget,
    )

    def under(widget: QWidget) -> QWidget | None:
        """The final parent, given at construction (``parented``), or none (added later)."""
        return widget if parented else None

    page = QWidget(parent)
    column = QVBoxLayout(page)
    made = 1
    column.addWidget(QLabel("Participants", under(page), objectName="pageTitle"))
    column.addWidget(QLabel("Everyone who can be matched.", under(page), objectName="pageSubtitle"))
    made += 2
    for _ in range(3):
        card = QFrame(under(page), objectName="card")
        rows = QFormLayout(card)
        rows.addRow(QLabel("Details", under(card), objectName="sectionTitle"))
        rows.addRow("Name", QLineEdit("Ada Lovelace", under(card)))
        combo = QComboBox(under(card))
        combo.addItems(["Mentor", "Mentee", "Peer"])
        rows.addRow("Role", combo)
        rows.addRow("Capacity", QSpinBox(under(card)))
        rows.addRow(QCheckBox("Open to new mentees", under(card)))
        rows.addRow(QLabel("Shown to coordinators only.", under(card), objectName="hint"))
        buttons = QHBoxLayout()
        buttons.addWidget(QPushButton("Cancel", under(card)))
        buttons.addWidget(QPushButton("Save", under(card), objectName="primary"))
        rows.addRow(buttons)
        column.addWidget(card)
        made += 1 + 8 + 3  # card, 8 fields, 3 form labels
    group = QGroupBox("Progress", under(page))
    inner = QVBoxLayout(group)
    inner.addWidget(QProgressBar(under(group), value=40))
    inner.addWidget(QLabel("4 of 10", under(group), objectName="muted"))
    column.addWidget(group)
    table = QTableView(under(page))
    column.addWidget(table)
    made += 4
    page.ensurePolished()  # the style (sheet) is applied to the page and all its children
    column.activate()
    return page, made


def measure(setup: Callable[[], None], rounds: int, *, parented: bool = False) -> list[float]:
    """CPU ms per widget of each of ``rounds`` pages built after ``setup()``."""
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance()
    setup()
    host = QWidget()  # never shown: painting is another turn's cost, not the build step's
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
    figures = []
    for round_ in range(rounds + 1):
        started = time.thread_time()  # CPU time: what the GUI thread pays, whatever the load
        page, made = build_page(host, parented=parented)
        # The events the build posted (layout requests, style changes) are handled on the
        # same turn in the app; the page is hidden, so nothing is painted here.
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        if round_:  # the first page warms caches and lazy imports
            figures.append((time.thread_time() - started) * 1000 / made)
        page.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    host.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--sheet", type=Path, help="try this style sheet (with @tokens)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from mentormatch_desktop.ui import theme

    app = QApplication.instance() or QApplication(["widget_cost"])

    def palette_only() -> None:
        theme.apply_theme(app, "light")
        app.setStyleSheet("")

    def app_theme() -> None:
        theme.apply_theme(app, "light")

    modes: list[tuple[str, Callable[[], None], bool]] = [
        ("palette only", palette_only, False),
        ("app theme", app_theme, False),
        ("app theme, parented", app_theme, True),
    ]
    if args.sheet is not None:

        def other_sheet() -> None:
            theme.apply_theme(app, "light")
            app.setStyleSheet(theme.fill_tokens(args.sheet.read_text(), theme.current()))

        modes.append((f"sheet {args.sheet.name}", other_sheet, False))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load} on {os.cpu_count()} CPUs; {args.rounds} pages per mode")
    figures: dict[str, list[float]] = {name: [] for name, _, _ in modes}
    for _ in range(args.rounds // 5 or 1):  # alternate: a burst of load hits every mode
        for name, setup, parented in modes:
            figures[name] += measure(setup, 5, parented=parented)
    floor = statistics.median(figures[modes[0][0]])
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"{name:<28} {median:6.2f} ms CPU per widget  ({median / floor:.1f}x)"
              f"  best {min(values):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
