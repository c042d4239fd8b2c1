"""Programs: validation naming the field, constraints round-trip, weights versioned."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import ProgramKind
from mentormatch_desktop.services import programs
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.programs import (
    ProgramConstraints,
    ProgramError,
    ProgramInput,
    ProgramValidationError,
)
from mentormatch_desktop.storage.models import Program, WeightSet


def test_create_update_and_list(session: Session, ctx: ServiceContext) -> None:
    data = ProgramInput(
        name="Leaders 2026",
        kind=ProgramKind.GROUP,
        group_size=5,
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 6, 30),
        constraints=ProgramConstraints(
            min_score=0.4, max_per_mentor_same_department=2, min_cross_department_share=0.5
        ),
        weights={"skill_fit": 1.0, "availability": 0.5},
    )
    created = programs.create_program(ctx, data)
    assert created.weights_version == 1
    stored = session.get(Program, created.id)
    assert stored.settings["constraints"]["max_per_mentor_by_attribute"] == [
        {"attribute": "department", "max": 2}
    ]
    assert created.constraints == data.constraints

    # unchanged weights add no version; changed ones do
    programs.update_program(ctx, created.id, created.to_input())
    changed = created.to_input()
    changed.weights["availability"] = 1.5
    changed.name = "Leaders 2026 (spring)"
    updated = programs.update_program(ctx, created.id, changed)
    assert updated.weights_version == 2
    assert updated.weights["availability"] == 1.5
    assert session.query(WeightSet).filter_by(program_id=created.id).count() == 2
    assert [p.name for p in programs.list_programs(ctx)] == ["Leaders 2026 (spring)"]


def test_invalid_input_names_every_field(session: Session, ctx: ServiceContext) -> None:
    data = ProgramInput(
        name=" ",
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 4, 1),
        session_cadence_days=0,
        weights={"skill_fit": 0.0},
    )
    with pytest.raises(ProgramValidationError) as info:
        programs.create_program(ctx, data)
    assert {e.field for e in info.value.errors} == {
        "name",
        "ends_on",
        "session_cadence_days",
        "weights",
    }
    assert session.query(Program).count() == 0


def test_duplicate_name_is_rejected(session: Session, ctx: ServiceContext) -> None:
    programs.create_program(ctx, ProgramInput(name="Peer circles", kind=ProgramKind.PEER))
    with pytest.raises(ProgramError, match="already called"):
        programs.create_program(ctx, ProgramInput(name="peer circles"))
