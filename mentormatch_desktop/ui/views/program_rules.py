"""The "Matching rules" box of the Programs screen, and date inputs that may stay empty."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSpinBox,
    QWidget,
)

from mentormatch_desktop.services.programs import ProgramConstraints

NO_DATE = QDate(2000, 1, 1)  # the minimum date shows as "not set"


def _optional(check: QCheckBox, field: QWidget) -> QHBoxLayout:
    """A rule that applies only when ticked; the value is editable only then."""
    check.toggled.connect(field.setEnabled)
    row = QHBoxLayout()
    row.addWidget(check)
    row.addWidget(field)
    row.addStretch(1)
    return row


class RulesBox(QGroupBox):
    """Constraints a coordinator sets per program; reads and writes
    :class:`~mentormatch_desktop.services.programs.ProgramConstraints`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Matching rules", parent)
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(10)
        self.min_score_on = QCheckBox("Only propose pairs scoring at least")
        self.min_score = QDoubleSpinBox(minimum=0, maximum=1, singleStep=0.05, decimals=2)
        form.addRow("Minimum score", _optional(self.min_score_on, self.min_score))
        self.mentors_per_mentee = QSpinBox(minimum=1, maximum=5)
        self.mentors_per_mentee.setMaximumWidth(120)
        form.addRow("Mentors per mentee", self.mentors_per_mentee)
        self.dept_quota_on = QCheckBox("At most")
        self.dept_quota = QSpinBox(minimum=1, maximum=20, suffix=" mentees from one department")
        form.addRow("Per mentor", _optional(self.dept_quota_on, self.dept_quota))
        self.cross_share_on = QCheckBox("At least")
        self.cross_share = QSpinBox(minimum=0, maximum=100, suffix=" % of pairs across departments")
        form.addRow("Cohort", _optional(self.cross_share_on, self.cross_share))
        self.objective = QComboBox()
        self.objective.addItem("Best total score", "total")
        self.objective.addItem("Fairest: lift the weakest pairs", "fair")
        form.addRow("Optimise for", self.objective)

    def set_constraints(self, c: ProgramConstraints) -> None:
        self.min_score_on.setChecked(c.min_score is not None)
        self.min_score.setValue(c.min_score or 0.3)
        self.min_score.setEnabled(c.min_score is not None)
        self.mentors_per_mentee.setValue(c.mentors_per_mentee)
        self.dept_quota_on.setChecked(c.max_per_mentor_same_department is not None)
        self.dept_quota.setValue(c.max_per_mentor_same_department or 1)
        self.dept_quota.setEnabled(c.max_per_mentor_same_department is not None)
        self.cross_share_on.setChecked(c.min_cross_department_share is not None)
        self.cross_share.setValue(round((c.min_cross_department_share or 0.5) * 100))
        self.cross_share.setEnabled(c.min_cross_department_share is not None)
        self.objective.setCurrentIndex(max(0, self.objective.findData(c.objective)))

    def constraints(self) -> ProgramConstraints:
        return ProgramConstraints(
            min_score=self.min_score.value() if self.min_score_on.isChecked() else None,
            mentors_per_mentee=self.mentors_per_mentee.value(),
            max_per_mentor_same_department=(
                self.dept_quota.value() if self.dept_quota_on.isChecked() else None
            ),
            min_cross_department_share=(
                self.cross_share.value() / 100 if self.cross_share_on.isChecked() else None
            ),
            objective=str(self.objective.currentData()),
        )


def date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    edit.setSpecialValueText("not set")
    edit.setMinimumDate(NO_DATE)
    return edit


def qdate(value: date | None) -> QDate:
    return QDate(value.year, value.month, value.day) if value else NO_DATE


def pydate(edit: QDateEdit) -> date | None:
    value = edit.date()
    if value == edit.minimumDate():
        return None
    return date(value.year(), value.month(), value.day())
