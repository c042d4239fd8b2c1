"""A handful of people, skills and programs written through the ORM, for UI and service tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import EnrolmentRole, ProgramKind, SkillDirection
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import (
    Department,
    Enrolment,
    Person,
    PersonSkill,
    Program,
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
