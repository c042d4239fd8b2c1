"""Editable rows of the profile editor: each kind of row is written and read back here.

A row is a set of input widgets in a ``QTableWidget`` (skill + direction + level, language
+ level, weekday + from + to, program + role + capacity). Keeping the writers next to the
readers makes it easy to see that what the editor shows is what it saves.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTimeEdit,
    QWidget,
)

from mentormatch_desktop.domain.enums import EnrolmentRole, SkillDirection
from mentormatch_desktop.domain.participants import LANGUAGE_LEVELS
from mentormatch_desktop.services.profiles import EnrolmentEntry, SkillEntry, SlotEntry

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
END_OF_DAY = 23 * 60 + 59  # QTimeEdit stops at 23:59; it stands for 24:00


def editable_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(38)
    table.setShowGrid(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    head = table.horizontalHeader()
    head.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    head.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def remove_selected(table: QTableWidget) -> None:
    """Remove the selected rows (or the last one when nothing is selected)."""
    rows = sorted({i.row() for i in table.selectedIndexes()}, reverse=True)
    if not rows and table.rowCount():
        rows = [table.rowCount() - 1]
    for row in rows:
        table.removeRow(row)


def row_buttons(*buttons: QPushButton) -> QHBoxLayout:
    """Buttons under a table, left-aligned."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _append(table: QTableWidget, widgets: list[QWidget]) -> None:
    row = table.rowCount()
    table.insertRow(row)
    for column, widget in enumerate(widgets):
        table.setCellWidget(row, column, widget)


def _cell(table: QTableWidget, row: int, column: int) -> QWidget:
    return table.cellWidget(row, column)


def add_skill(table: QTableWidget, entry: SkillEntry, skills: list[str]) -> None:
    name = QComboBox(editable=True)
    name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    name.addItems(skills)
    name.completer().setFilterMode(Qt.MatchFlag.MatchContains)
    name.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    name.setCurrentText(entry.skill)
    direction = QComboBox()
    direction.addItem("Can teach", SkillDirection.TEACH)
    direction.addItem("Wants to learn", SkillDirection.LEARN)
    direction.setCurrentIndex(0 if entry.direction == SkillDirection.TEACH else 1)
    level = QSpinBox(minimum=0, maximum=9)  # out-of-range levels reach validation, not a clamp
    level.setValue(entry.level)
    _append(table, [name, direction, level])


def read_skills(table: QTableWidget) -> list[SkillEntry]:
    return [
        SkillEntry(
            _cell(table, r, 0).currentText().strip(),
            SkillDirection(_cell(table, r, 1).currentData()),
            _cell(table, r, 2).value(),
        )
        for r in range(table.rowCount())
    ]


def add_language(table: QTableWidget, code: str, level: str) -> None:
    code_edit = QLineEdit(code)
    code_edit.setMaxLength(8)
    level_combo = QComboBox()
    level_combo.addItems(LANGUAGE_LEVELS)
    level_combo.setCurrentText(level)
    _append(table, [code_edit, level_combo])


def read_languages(table: QTableWidget) -> list[tuple[str, str]]:
    return [
        (_cell(table, r, 0).text().strip().lower(), _cell(table, r, 1).currentText())
        for r in range(table.rowCount())
    ]


def add_slot(table: QTableWidget, slot: SlotEntry) -> None:
    day = QComboBox()
    day.addItems(WEEKDAYS)
    day.setCurrentIndex(slot.weekday)
    start, end = QTimeEdit(), QTimeEdit()
    for edit, minute in ((start, slot.start_minute), (end, slot.end_minute)):
        minute = min(minute, END_OF_DAY)
        edit.setDisplayFormat("HH:mm")
        edit.setTime(QTime(minute // 60, minute % 60))
    _append(table, [day, start, end])


def read_slots(table: QTableWidget) -> list[SlotEntry]:
    slots = []
    for r in range(table.rowCount()):
        start, end = _cell(table, r, 1).time(), _cell(table, r, 2).time()
        end_minute = end.hour() * 60 + end.minute()
        slots.append(
            SlotEntry(
                _cell(table, r, 0).currentIndex(),
                start.hour() * 60 + start.minute(),
                1440 if end_minute == END_OF_DAY else end_minute,
            )
        )
    return slots


def add_enrolment(
    table: QTableWidget, entry: EnrolmentEntry, programs: list[tuple[int, str]]
) -> None:
    program = QComboBox()
    for pid, name in programs:
        program.addItem(name, pid)
    program.setCurrentIndex(max(0, program.findData(entry.program_id)))
    role = QComboBox()
    for r in EnrolmentRole:
        role.addItem(r.value.capitalize(), r)
    role.setCurrentIndex(max(0, role.findData(entry.role)))
    capacity = QSpinBox(minimum=0, maximum=50)
    capacity.setValue(entry.capacity)
    _append(table, [program, role, capacity])


def read_enrolments(table: QTableWidget) -> list[EnrolmentEntry]:
    return [
        EnrolmentEntry(
            _cell(table, r, 0).currentData(),
            _cell(table, r, 0).currentText(),
            EnrolmentRole(_cell(table, r, 1).currentData()),
            _cell(table, r, 2).value(),
        )
        for r in range(table.rowCount())
    ]
