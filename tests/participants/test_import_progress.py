"""Import progress and cancellation: phases in order; a cancel before the commit writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.participants import import_participants
from mentormatch_desktop.storage.models import Department, Person, Skill
from mentormatch_desktop.testing import UnitOfWork

HEADER = "external_id,email,full_name,department,time_zone,teaches"


def _file(tmp_path: Path, n: int) -> Path:
    rows = [
        f"E{k},person{k}@example.com,Person {k},Dept {k % 3},Europe/Berlin,Python:{k % 5 + 1}"
        for k in range(n)
    ]
    path = tmp_path / "people.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _count(session: Session, model: type) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_progress_reports_validate_then_write_phases(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    seen: list[tuple[float, str]] = []
    summary = import_participants(
        ctx, _file(tmp_path, 250), progress=lambda f, m: seen.append((f, m))
    )
    assert summary.created == 250
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    messages = [m for _, m in seen]
    validating = next(i for i, m in enumerate(messages) if m.startswith("Validating 250 rows"))
    saving = [i for i, m in enumerate(messages) if m.startswith("Saving row")]
    assert len(saving) >= 50  # the bar moves while rows are written, not only at the end
    assert validating < saving[0]
    assert messages[-1] == "Imported 250 rows"


@pytest.mark.parametrize(
    "stop_at", ["Checking against the database", "Saving row 101", "Saving row 249"]
)
def test_cancel_before_the_commit_leaves_nothing_written(
    session: Session, tmp_path: Path, stop_at: str, uow: UnitOfWork
) -> None:
    people, skills, departments = (_count(session, m) for m in (Person, Skill, Department))
    token = CancelToken()

    def progress(_fraction: float, message: str) -> None:
        if message.startswith(stop_at):
            token.cancel()

    session.rollback()  # end the test session's read, so it sees what is committed next
    with pytest.raises(Cancelled), uow() as ctx:
        import_participants(ctx, _file(tmp_path, 250), progress=progress, cancel=token)
    assert _count(session, Person) == people
    assert _count(session, Skill) == skills
    assert _count(session, Department) == departments
    session.rollback()
    # the unit of work rolled everything back: the same file imports cleanly afterwards
    with uow() as ctx:
        assert import_participants(ctx, _file(tmp_path, 250)).created == 250
    assert _count(session, Person) == people + 250
