"""The Plugins screen: every plugin, where it came from, its hooks, version and status."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from mentormatch_desktop.plugin.host import PluginHost, PluginInfo
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.views.base import View
from mentormatch_desktop.ui.widgets import EmptyState, PageHeader, page_layout

_FACADE = (
    ("register_match_criteria", "criteria", "criterion"),
    ("register_match_strategies", "strategies", "strategy"),
    ("register_calendar_connectors", "calendar_connectors", "calendar"),
    ("register_messaging_channels", "messaging_channels", "channel"),
)

COLUMNS = ("Status", "Plugin", "Source", "Version", "Provides", "Hooks", "Notes")


@dataclass(frozen=True)
class PluginRow:
    info: PluginInfo
    provides: list[str]


def plugin_rows(host: PluginHost) -> list[PluginRow]:
    """Each plugin with what it contributes ("strategy: optimizer", …). Runs in a worker."""
    host.load()
    provided: dict[str, list[str]] = {}
    for hook, accessor, label in _FACADE:
        for name in getattr(host, accessor)():
            owner = host.owner_of(hook, name)
            if owner is not None:
                provided.setdefault(owner.name, []).append(f"{label}: {name}")
    return [PluginRow(info, sorted(provided.get(info.name, []))) for info in host.plugins()]


_CAPABILITIES = (
    ("strategy", "matching strategy", "matching strategies"),
    ("criterion", "matching criterion", "matching criteria"),
    ("calendar", "calendar connector", "calendar connectors"),
    ("channel", "messaging channel", "messaging channels"),
)


def capabilities(rows: list[PluginRow]) -> str:
    """What this installation can do, from what the plugins provide ("no calendar
    connector installed" rather than a promise of calendar support)."""
    parts = []
    for label, one, many in _CAPABILITIES:
        n = sum(1 for r in rows for p in r.provides if p.startswith(f"{label}:"))
        parts.append(f"no {one} installed" if n == 0 else f"{n} {one if n == 1 else many}")
    return "Installed: " + " · ".join(parts)


def registered_nothing(row: PluginRow) -> bool:
    """Loaded, with a hook that registers things, yet it registered none: the plugin runs
    but adds nothing (an optional dependency is missing, say). "Loaded" with a green tick
    told a coordinator all was well while the note beside it said the opposite."""
    info = row.info
    registers = any(hook.startswith("register_") for hook in info.hooks)
    return info.status == "loaded" and registers and not row.provides


class _TopIconDelegate(QStyledItemDelegate):
    """The status icon at the top of its cell, beside the text (Qt centres it vertically,
    which on a row of several lines put it a line or two below its word)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: object) -> None:  # type: ignore[override]
        super().initStyleOption(option, index)  # type: ignore[arg-type]
        option.decorationAlignment = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop


class PluginsView(View):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        layout = page_layout(self)
        header = PageHeader(
            "Plugins",
            "Everything that extends MentorMatch, the built-in matching strategies and "
            "criteria included. A third-party plugin that fails is switched off and listed "
            "here with the reason; the app keeps working.",
        )
        self.reload_button = header.add_action("Refresh", "refresh")
        self.reload_button.clicked.connect(self.reload)
        layout.addWidget(header)
        self.summary = QLabel(objectName="muted")
        layout.addWidget(self.summary)
        self.pages = QStackedWidget()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.setShowGrid(False)
        self.table.setItemDelegateForColumn(0, _TopIconDelegate(self.table))
        head = self.table.horizontalHeader()
        head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.empty = EmptyState(
            "plugins",
            "No plugins found",
            "This installation is incomplete: even the built-in matching strategies are "
            "missing. Reinstall MentorMatch Desktop, or ask whoever installed it.",
        )
        self.pages.addWidget(self.table)
        self.pages.addWidget(self.empty)
        layout.addWidget(self.pages, 1)
        self.rows: list[PluginRow] = []

    def reload(self) -> None:
        self.reload_button.setEnabled(False)
        context = self.context

        def load() -> list[PluginRow]:
            return plugin_rows(context.plugins)

        task = self.run(load, on_success=self._show_rows)
        task.finished.connect(lambda: self.reload_button.setEnabled(True))

    def _show_rows(self, rows: list[PluginRow]) -> None:
        self.rows = rows
        self.pages.setCurrentWidget(self.table if rows else self.empty)
        failed = sum(1 for r in rows if r.info.status != "loaded")
        idle = sum(1 for r in rows if registered_nothing(r))
        builtin = sum(1 for r in rows if r.info.builtin)
        self.summary.setText(
            f"{len(rows)} plugins · {builtin} built-in · {len(rows) - builtin} third-party"
            + (f" · {failed} failed" if failed else " · all loaded")
            + (f" · {idle} added nothing (see Notes)" if idle else "")
            + "\n"
            + capabilities(rows)
        )
        palette = theme.current()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            info = row.info
            ok = info.status == "loaded"
            if registered_nothing(row):
                status = QTableWidgetItem(theme.icon("warning", palette.warning, 16), "Inactive")
                status.setToolTip("Loaded, but it registered nothing: see its note")
            else:
                status = QTableWidgetItem(
                    theme.icon(
                        "check" if ok else "error", palette.success if ok else palette.error, 16
                    ),
                    info.status.capitalize(),
                )
            values = [
                status,
                QTableWidgetItem(info.name),
                QTableWidgetItem(
                    "Built-in" if info.builtin else f"Third-party ({info.distribution})"
                ),
                QTableWidgetItem(info.version or "—"),
                QTableWidgetItem(", ".join(row.provides) or "—"),
                QTableWidgetItem(", ".join(info.hooks) or "—"),
                QTableWidgetItem(info.error or info.note or ""),  # note: plugin_status hook
            ]
            values[1].setToolTip(info.module)
            values[5].setToolTip("\n".join(info.hooks))
            if info.error:
                values[6].setToolTip(info.error)
                values[6].setForeground(QColor(palette.error))
            for c, item in enumerate(values):
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
