"""A small organisation with hand-checkable history, and the reference instant for it.

Two programs (Alpha, Beta), two departments, two mentors, five mentees, four mentorships
(one running and busy but with an overdue milestone, one completed, one ended early, one
silent since it started). The expected figures in the tests are worked out by hand from
the rows below; see the comments next to each row.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import (
    EngagementKind,
    EnrolmentRole,
    MentorshipStatus,
    ProgramKind,
)
from mentormatch_desktop.storage.models import (
    Department,
    EngagementEvent,
    Enrolment,
    Feedback,
    Mentorship,
    Milestone,
    Person,
    Program,
)

AS_OF = datetime(2026, 3, 1, tzinfo=UTC)


def at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def org(session: Session) -> dict[str, int]:
    """Insert the fixed organisation; returns ids by short name."""
    company = Department(name="Company")
    session.add(company)
    session.flush()
    eng = Department(name="Engineering", parent_id=company.id)
    sales = Department(name="Sales", parent_id=company.id)
    session.add_all([eng, sales])
    session.flush()
    alpha = Program(name="Alpha", kind=ProgramKind.ONE_TO_ONE)
    beta = Program(name="Beta", kind=ProgramKind.ONE_TO_ONE)
    session.add_all([alpha, beta])
    session.flush()

    def person(key: str, dept: Department, zone: str) -> Person:
        p = Person(
            email=f"{key}@example.org",
            full_name=f"Person {key}",
            department_id=dept.id,
            time_zone=zone,
        )
        session.add(p)
        return p

    m1, m2 = person("m1", eng, "UTC"), person("m2", sales, "America/New_York")
    a, b = person("a", eng, "Europe/Berlin"), person("b", eng, "UTC")
    c, d = person("c", sales, "America/New_York"), person("d", sales, "UTC")
    e = person("e", eng, "UTC")
    session.flush()

    def enrol(prog: Program, p: Person, role: EnrolmentRole, cohort: str, day: str, cap: int = 1):
        session.add(
            Enrolment(
                program_id=prog.id,
                person_id=p.id,
                role=role,
                cohort=cohort,
                capacity=cap,
                enrolled_at=at(day),
            )
        )

    mentor, mentee = EnrolmentRole.MENTOR, EnrolmentRole.MENTEE
    enrol(alpha, m1, mentor, "2026A", "2025-12-01", cap=2)
    enrol(alpha, m2, mentor, "2026A", "2025-12-01", cap=1)
    enrol(alpha, a, mentee, "2026A", "2026-01-01")
    enrol(alpha, b, mentee, "2026A", "2026-01-01")
    enrol(alpha, c, mentee, "2026B", "2026-01-10")
    enrol(alpha, d, mentee, "2026B", "2026-01-10")  # never matched
    enrol(beta, m1, mentor, "B1", "2025-12-01", cap=1)
    enrol(beta, e, mentee, "B1", "2026-01-05")

    def pair(prog, mentor_p, mentee_p, status, score, start, end=None) -> Mentorship:
        ms = Mentorship(
            program_id=prog.id,
            mentor_id=mentor_p.id,
            mentee_id=mentee_p.id,
            status=status,
            match_score=score,
            started_at=at(start),
            ended_at=at(end) if end else None,
        )
        session.add(ms)
        return ms

    s = MentorshipStatus
    p1 = pair(alpha, m1, a, s.ACTIVE, 0.9, "2026-01-11")  # 10 days after enrolling
    p2 = pair(alpha, m1, b, s.COMPLETED, 0.5, "2026-01-06", "2026-02-20")  # 5 days
    p3 = pair(alpha, m2, c, s.ENDED_EARLY, 0.2, "2026-01-15", "2026-02-10")  # 5 days
    p4 = pair(beta, m1, e, s.ACTIVE, 0.7, "2026-01-20")  # 15 days; silent ever since
    session.flush()

    k = EngagementKind

    def event(p: Person, prog: Program, ms: Mentorship | None, kind, when: datetime) -> None:
        session.add(
            EngagementEvent(
                person_id=p.id,
                program_id=prog.id,
                mentorship_id=ms.id if ms else None,
                kind=kind,
                occurred_at=when,
            )
        )

    # p1: three sessions on Tuesdays 10:00 UTC (11:00 in Berlin), one message on a Friday.
    for day in ("2026-01-13", "2026-01-20", "2026-01-27"):
        event(a, alpha, p1, k.SESSION_HELD, at(day, 10))
    event(a, alpha, p1, k.MESSAGE_SENT, at("2026-02-20", 9))
    # p2: three sessions on Thursdays 15:00 UTC.
    for day in ("2026-01-08", "2026-01-22", "2026-02-05"):
        event(b, alpha, p2, k.SESSION_HELD, at(day, 15))
    # p3: one session (Tue 09:00 in New York), then a missed one.
    event(c, alpha, p3, k.SESSION_HELD, at("2026-01-20", 14))
    event(c, alpha, p3, k.SESSION_MISSED, at("2026-02-03", 14))
    event(d, alpha, None, k.LOGIN, at("2026-02-02", 8))

    session.add_all(
        [
            Milestone(
                mentorship_id=p1.id,
                owner_id=a.id,
                title="Plan",
                due_on=date(2026, 2, 1),
                completed_at=at("2026-01-30"),
            ),
            Milestone(
                mentorship_id=p1.id, owner_id=a.id, title="Project", due_on=date(2026, 2, 15)
            ),  # overdue at AS_OF
            Milestone(
                mentorship_id=p2.id,
                owner_id=b.id,
                title="Goal",
                due_on=date(2026, 2, 10),
                completed_at=at("2026-02-12"),
            ),
            Milestone(
                mentorship_id=p4.id, owner_id=e.id, title="Kickoff", due_on=date(2026, 3, 15)
            ),
            Feedback(mentorship_id=p1.id, author_id=a.id, rating=4, created_at=at("2026-01-28")),
            Feedback(mentorship_id=p1.id, author_id=a.id, rating=5, created_at=at("2026-02-10")),
            Feedback(mentorship_id=p2.id, author_id=b.id, rating=5, created_at=at("2026-02-21")),
            Feedback(mentorship_id=p3.id, author_id=c.id, rating=2, created_at=at("2026-02-09")),
        ]
    )
    session.commit()
    return {
        "alpha": alpha.id,
        "beta": beta.id,
        "eng": eng.id,
        "sales": sales.id,
        "p1": p1.id,
        "p2": p2.id,
        "p3": p3.id,
        "p4": p4.id,
        "m1": m1.id,
        "m2": m2.id,
    }


@pytest.fixture
def dashboard(qtbot, qapp, demo_db_url: str) -> Iterator[object]:
    """The Dashboard on the demo database, loaded, light theme; freed in the GUI thread.
    Qt is imported here, not at the top: most tests of this folder never open a window."""
    from mentormatch_desktop.config import Settings
    from mentormatch_desktop.ui import theme
    from mentormatch_desktop.ui.context import AppContext
    from mentormatch_desktop.ui.views.dashboard import DashboardView
    from mentormatch_desktop.ui.workers import running_tasks

    theme.apply_theme(qapp, "light")
    context = AppContext(Settings(database_url=demo_db_url))
    view = DashboardView(context)
    qtbot.addWidget(view)
    view.resize(1400, 1800)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.activate()
    yield view
    qtbot.waitUntil(lambda: running_tasks() == 0, timeout=60_000)
    # Free the widgets here, in the GUI thread, rather than whenever (and wherever) the
    # garbage collector next runs.
    view.close()
    view.deleteLater()
    qapp.processEvents()
    gc.collect()
    context.close()
