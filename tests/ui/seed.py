"""A handful of people, skills and programs written through the ORM, for UI and service tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    MeetingStatus,
    ProgramKind,
    SkillDirection,
)
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import (
    Department,
    Enrolment,
    Feedback,
    Goal,
    Meeting,
    Mentorship,
    Milestone,
    Person,
    PersonSkill,
    Program,
    SessionLog,
    Skill,
)


def seed_small_org(engine: Engine) -> dict[str, int]:
    """Two departments, three skills, one program with two mentors and three mentees."""
    ids: dict[str, int] = {}
    with transaction(engine) as s:
        eng = Department(name="Engineering")
        sales = Department(name="Sales")
        python, sql, negotiation = (
            Skill(name="Python"),
            Skill(name="SQL"),
            Skill(name="Negotiation"),
        )
        program = Program(
            name="Spring mentoring", kind=ProgramKind.ONE_TO_ONE, starts_on=date(2026, 3, 1)
        )
        s.add_all([eng, sales, python, sql, negotiation, program])
        s.flush()
        people = [
            ("Ada Lovelace", "ada@example.org", eng, "Principal engineer", EnrolmentRole.MENTOR),
            ("Grace Hopper", "grace@example.org", eng, "Staff engineer", EnrolmentRole.MENTOR),
            ("Alan Turing", "alan@example.org", eng, "Engineer", EnrolmentRole.MENTEE),
            ("Mary Jackson", "mary@example.org", sales, "Account executive", EnrolmentRole.MENTEE),
            ("Zora Neale", "zora@example.org", sales, "Sales lead", EnrolmentRole.MENTEE),
        ]
        for name, email, dept, title, role in people:
            person = Person(
                full_name=name,
                email=email,
                department_id=dept.id,
                title=title,
                time_zone="Europe/London",
            )
            s.add(person)
            s.flush()
            s.add(Enrolment(program_id=program.id, person_id=person.id, role=role, capacity=2))
            direction = (
                SkillDirection.TEACH if role == EnrolmentRole.MENTOR else SkillDirection.LEARN
            )
            skill = negotiation if dept is sales else python
            s.add(PersonSkill(person_id=person.id, skill_id=skill.id, direction=direction, level=4))
            if name.startswith("Ada"):
                s.add(
                    PersonSkill(person_id=person.id, skill_id=sql.id, direction=direction, level=5)
                )
            ids[name.split()[0].lower()] = person.id
        ids.update(
            program=program.id,
            engineering=eng.id,
            sales=sales.id,
            python=python.id,
            sql=sql.id,
            negotiation=negotiation.id,
        )
    return ids


def seed_pair_life(
    engine: Engine, mentorship_id: int, mentor_id: int, mentee_id: int, now: datetime
) -> dict[str, int]:
    """What a running pair accumulates, with rows each side may see and rows that are the
    partner's or the coordinator's alone (for the participant's mentorship detail).

    Shared goal "Ship a feature" (the mentee's, attached to the pair) with the mentee's
    milestone; a private goal of each person (not attached) that one milestone of theirs
    serves; a private goal of the mentor's with no milestone; a held session a week ago
    logged by both (shared and private notes, ratings as feedback); an upcoming session;
    feedback of each side, the mentor's also private. Strings meant for one side only
    start with ``MENTOR`` or ``MENTEE`` and say so.
    """
    week = timedelta(days=7)
    with transaction(engine) as s:
        m = s.get(Mentorship, mentorship_id)
        m.match_score = 0.87  # the coordinator's number: never on the participant's page
        shared = Goal(person_id=mentee_id, mentorship_id=mentorship_id, title="Ship a feature")
        mentee_own = Goal(person_id=mentee_id, title="MENTEE own goal: speak at a meetup")
        mentor_private = Goal(person_id=mentor_id, title="MENTOR private goal: delegate more")
        mentor_bare = Goal(person_id=mentor_id, title="MENTOR private goal: run a marathon")
        s.add_all([shared, mentee_own, mentor_private, mentor_bare])
        s.flush()
        steps = [
            Milestone(mentorship_id=mentorship_id, owner_id=mentee_id, goal_id=shared.id,
                      title="Write the design note", due_on=(now + week).date()),
            Milestone(mentorship_id=mentorship_id, owner_id=mentee_id, goal_id=mentee_own.id,
                      title="Submit a talk proposal"),
            Milestone(mentorship_id=mentorship_id, owner_id=mentor_id, goal_id=mentor_private.id,
                      title="Hand over the weekly report"),
        ]  # fmt: skip
        s.add_all(steps)
        held = Meeting(mentorship_id=mentorship_id, organiser_id=mentor_id,
                       starts_at=now - week, ends_at=now - week + timedelta(hours=1),
                       status=MeetingStatus.HELD, agenda="Kick-off")  # fmt: skip
        upcoming = Meeting(mentorship_id=mentorship_id, organiser_id=mentee_id,
                           starts_at=now + 2 * week, ends_at=now + 2 * week + timedelta(hours=1),
                           status=MeetingStatus.SCHEDULED, agenda="Design review")  # fmt: skip
        s.add_all([held, upcoming])
        s.flush()
        s.add_all([
            SessionLog(meeting_id=held.id, author_id=mentor_id, held=True, rating=5,
                       shared_notes="Shared by the mentor: read chapter 3",
                       private_notes="MENTOR private note: seems shy", logged_at=now - week),
            SessionLog(meeting_id=held.id, author_id=mentee_id, held=True, rating=4,
                       shared_notes="Shared by the mentee: will draft the note",
                       private_notes="MENTEE private note: ask about promotion",
                       logged_at=now - week),
            Feedback(mentorship_id=mentorship_id, meeting_id=held.id, author_id=mentee_id,
                     rating=4, comment="MENTEE feedback: very helpful"),
            Feedback(mentorship_id=mentorship_id, meeting_id=held.id, author_id=mentor_id,
                     rating=5, comment="MENTOR feedback: great start"),
            Feedback(mentorship_id=mentorship_id, author_id=mentor_id, rating=2,
                     comment="MENTOR private feedback: not sure it fits", is_private=True),
        ])  # fmt: skip
        s.flush()
        return {"held": held.id, "upcoming": upcoming.id, "shared_goal": shared.id,
                **{f"step{i}": x.id for i, x in enumerate(steps)}}  # fmt: skip
