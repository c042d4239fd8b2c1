"""Issue 11: a closed program is not matched; a run with no possible pair says why."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole, ProgramStatus
from mentormatch_desktop.services import matching as svc
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import Enrolment, PairPreference, Person, Program


def _program(session: Session, status: ProgramStatus = ProgramStatus.ACTIVE) -> Program:
    program = Program(name="Pilot", status=status)
    session.add(program)
    session.flush()
    people = [Person(email=f"{k}@x.org", full_name=k, time_zone="UTC") for k in ("mo", "me")]
    session.add_all(people)
    session.flush()
    session.add(
        Enrolment(
            program_id=program.id, person_id=people[0].id, role=EnrolmentRole.MENTOR, capacity=1
        )
    )
    session.add(
        Enrolment(
            program_id=program.id, person_id=people[1].id, role=EnrolmentRole.MENTEE, capacity=1
        )
    )
    session.add(
        PairPreference(
            program_id=program.id,
            person_id=people[1].id,
            other_person_id=people[0].id,
            kind="must_not",
        )
    )
    session.commit()
    return program


def test_a_closed_program_is_not_matched(ctx: ServiceContext) -> None:
    program = _program(ctx.session, ProgramStatus.CLOSED)
    with pytest.raises(svc.MatchingError, match="Pilot is closed: reopen it before matching"):
        svc.run_matching(ctx, program.id, "optimizer")


def test_a_run_with_no_allowed_pair_is_stored_with_the_reason(ctx: ServiceContext) -> None:
    program = _program(ctx.session)
    summary = svc.run_matching(ctx, program.id, "optimizer")
    assert summary.proposals == []
    assert "no pair was possible" in summary.diagnosis
    run = ctx.session.get(svc.MatchRun, summary.run_id)
    assert run is not None and "no pair was possible" in run.diagnosis


@pytest.mark.parametrize(
    ("constraints", "named"),
    [
        ({"min_score": float("nan")}, "min_score must be a finite number"),
        ({"min_score": "inf"}, "min_score must be a finite number"),
        (
            {"min_cross_attribute_share": [{"attribute": "department", "min_share": "nan"}]},
            "min_share must be a finite number",
        ),
        (
            {"min_cross_attribute_share": [{"attribute": "department", "min_share": 1.5}]},
            "min_share must be between 0 and 1",
        ),
    ],
)
def test_stored_rules_with_nan_or_out_of_range_numbers_are_refused(constraints, named) -> None:
    from mentormatch_desktop.services.matching_problem import constraints_from_settings

    with pytest.raises(ValueError, match=named):
        constraints_from_settings({"constraints": constraints})
    assert constraints_from_settings({"constraints": {"min_score": 0.4}}).min_score == 0.4
