"""Writing one validated participant record onto a :class:`Person` (import and editor).

Each step compares before it writes and reports whether anything changed, so a re-import
of an unchanged file counts every row as unchanged and touches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.participants import ParticipantRecord, email_key
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Department,
    Enrolment,
    Goal,
    PairPreference,
    Person,
    PersonLanguage,
    PersonSkill,
    Program,
    Skill,
    SkillAlias,
)


@dataclass
class ApplyContext:
    program: Program | None
    skills: dict[str, int]  # lower-cased name or alias → skill id
    departments: dict[str, int]  # lower-cased name → id
    created_skills: list[str]
    created_departments: list[str]
    emails: dict[str, int] = field(default_factory=dict)
    enrolments: dict[int, list[Enrolment]] = field(default_factory=dict)
    must_not: dict[int, dict[int, PairPreference]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        session: Session,
        program: Program | None,
        created_skills: list[str],
        created_departments: list[str],
    ) -> ApplyContext:
        skills = {
            name.lower(): sid for sid, name in session.execute(sa.select(Skill.id, Skill.name))
        }
        for sid, alias in session.execute(sa.select(SkillAlias.skill_id, SkillAlias.alias)):
            skills.setdefault(alias.lower(), sid)
        departments = {
            name.lower(): did
            for did, name in session.execute(sa.select(Department.id, Department.name))
        }
        ctx = cls(program, skills, departments, created_skills, created_departments)
        ctx.emails = {
            email_key(e): pid for pid, e in session.execute(sa.select(Person.id, Person.email))
        }
        if program is not None:
            for enrolment in session.scalars(
                sa.select(Enrolment).where(Enrolment.program_id == program.id)
            ):
                ctx.enrolments.setdefault(enrolment.person_id, []).append(enrolment)
        scope = program.id if program is not None else None
        prefs = sa.select(PairPreference).where(
            PairPreference.kind == "must_not",
            PairPreference.program_id.is_(None)
            if scope is None
            else PairPreference.program_id == scope,
        )
        for pref in session.scalars(prefs):
            ctx.must_not.setdefault(pref.person_id, {})[pref.other_person_id] = pref
        return ctx

    def remember_people(self, emails: dict[str, int]) -> None:
        self.emails.update(emails)

    def skill_id(self, session: Session, label: str) -> int:
        """The skill a label names (name or alias, any case); an unknown label creates one."""
        key = label.strip().lower()
        if key not in self.skills:
            skill = Skill(name=label.strip())
            session.add(skill)
            session.flush()
            self.skills[key] = skill.id
            self.created_skills.append(label.strip())
        return self.skills[key]

    def department_id(self, session: Session, name: str) -> int:
        key = name.strip().lower()
        if key not in self.departments:
            department = Department(name=name.strip())
            session.add(department)
            session.flush()
            self.departments[key] = department.id
            self.created_departments.append(name.strip())
        return self.departments[key]


def _goal_title(text: str) -> str:
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= 120 else first[:117].rstrip() + "…"


def apply_record(
    session: Session, ctx: ApplyContext, rec: ParticipantRecord, person: Person
) -> bool:
    """Make ``person`` match ``rec`` (only the columns it carries); True if anything changed."""
    changed = False

    def put(attr: str, value: object) -> None:
        nonlocal changed
        if getattr(person, attr) != value:
            setattr(person, attr, value)
            changed = True

    present = rec.present
    put("email", rec.email)
    put("full_name", rec.full_name)
    put("time_zone", rec.time_zone)
    if rec.external_id:  # an empty cell never erases a stable id
        put("external_id", rec.external_id)
    if "preferred_name" in present:
        put("preferred_name", rec.preferred_name or None)
    if "title" in present:
        put("title", rec.title or None)
    if "bio" in present:
        put("bio", rec.bio or "")
    if "department" in present:
        put("department_id", ctx.department_id(session, rec.department) if rec.department else None)
    if "manager_email" in present:
        put("manager_id", ctx.emails[email_key(rec.manager_email)] if rec.manager_email else None)
    if "languages" in present and {x.language: x.level for x in person.languages} != rec.languages:
        person.languages = [PersonLanguage(language=c, level=v) for c, v in rec.languages.items()]
        changed = True
    current_windows = sorted((s.weekday, s.start_minute, s.end_minute) for s in person.availability)
    if "availability" in present and current_windows != rec.availability:
        person.availability = [
            AvailabilitySlot(weekday=d, start_minute=s, end_minute=e)
            for d, s, e in rec.availability
        ]
        changed = True
    for column, direction in (("teaches", "teach"), ("learns", "learn")):
        if column in present:
            wanted = {
                ctx.skill_id(session, label): level for label, level in getattr(rec, column).items()
            }
            changed |= _sync_skills(person, direction, wanted)
    if "goals" in present:
        known = {(g.description or g.title).strip().casefold() for g in person.goals}
        for text in rec.goals:
            if text.casefold() not in known:
                person.goals.append(Goal(title=_goal_title(text), description=text))
                known.add(text.casefold())
                changed = True
    if ctx.program is not None and rec.role:
        changed |= _sync_enrolment(session, ctx, rec, person)
    if "must_not_match" in present:
        changed |= _sync_must_not(session, ctx, rec, person)
    return changed


def _sync_skills(person: Person, direction: str, wanted: dict[int, int]) -> bool:
    changed = False
    have = {ps.skill_id: ps for ps in person.skills if str(ps.direction) == direction}
    for skill_id, row in have.items():
        if skill_id not in wanted:
            person.skills.remove(row)
            changed = True
        elif row.level != wanted[skill_id]:
            row.level = wanted[skill_id]
            changed = True
    for skill_id, level in wanted.items():
        if skill_id not in have:
            person.skills.append(PersonSkill(skill_id=skill_id, direction=direction, level=level))
            changed = True
    return changed


def _sync_enrolment(
    session: Session, ctx: ApplyContext, rec: ParticipantRecord, person: Person
) -> bool:
    assert ctx.program is not None
    rows = ctx.enrolments.get(person.id, [])
    enrolment = next(
        (e for e in rows if str(e.role) == rec.role), rows[0] if len(rows) == 1 else None
    )
    if enrolment is None:
        enrolment = Enrolment(
            program_id=ctx.program.id,
            person_id=person.id,
            role=rec.role,
            capacity=rec.capacity,
            cohort=rec.cohort,
        )
        session.add(enrolment)
        ctx.enrolments.setdefault(person.id, []).append(enrolment)
        return True
    changed = False
    wanted = {"role": rec.role}
    if "capacity" in rec.present:
        wanted["capacity"] = rec.capacity
    if "cohort" in rec.present:
        wanted["cohort"] = rec.cohort
    for attr, value in wanted.items():
        if (str(getattr(enrolment, attr)) if attr == "role" else getattr(enrolment, attr)) != value:
            setattr(enrolment, attr, value)
            changed = True
    return changed


def _sync_must_not(
    session: Session, ctx: ApplyContext, rec: ParticipantRecord, person: Person
) -> bool:
    scope = ctx.program.id if ctx.program is not None else None
    have = ctx.must_not.setdefault(person.id, {})
    wanted = {ctx.emails[email_key(e)] for e in rec.must_not_match}
    changed = False
    for other, pref in list(have.items()):
        if other not in wanted:
            session.delete(pref)
            del have[other]
            changed = True
    for other in wanted - set(have):
        existing = session.scalars(
            sa.select(PairPreference).where(
                PairPreference.person_id == person.id,
                PairPreference.other_person_id == other,
                PairPreference.program_id.is_(None)
                if scope is None
                else PairPreference.program_id == scope,
            )
        ).first()
        if existing is not None:  # an "avoid"/"prefer" wish becomes a hard rule
            existing.kind = "must_not"
            pref = existing
        else:
            pref = PairPreference(
                program_id=scope,
                person_id=person.id,
                other_person_id=other,
                kind="must_not",
                reason="imported",
            )
            session.add(pref)
        have[other] = pref
        changed = True
    return changed
