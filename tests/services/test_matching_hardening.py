"""Issue 11: a closed program is not matched; a run with no possible pair says why."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole, ProgramStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching as svc
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


def test_a_closed_program_is_not_matched(session: Session) -> None:
    program = _program(session, ProgramStatus.CLOSED)
    host = PluginHost(autoload=False).load()
    with pytest.raises(svc.MatchingError, match="Pilot is closed: reopen it before matching"):
        svc.run_matching(session, program.id, "optimizer", host=host)


def test_a_run_with_no_allowed_pair_is_stored_with_the_reason(session: Session) -> None:
    program = _program(session)
    host = PluginHost(autoload=False).load()
    summary = svc.run_matching(session, program.id, "optimizer", host=host)
    assert summary.proposals == []
    assert "no pair was possible" in summary.diagnosis
    run = session.get(svc.MatchRun, summary.run_id)
    assert run is not None and "no pair was possible" in run.diagnosis
