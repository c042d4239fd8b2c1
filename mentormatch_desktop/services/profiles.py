"""Loading and saving one participant's whole profile, as the profile editor shows it.

A profile spans several tables (person, languages, skills, goals, availability,
enrolments, must-not-match preferences). :func:`save_profile` validates everything first
and reports every problem at once (each naming its field), then writes in one transaction:
a profile is never half-saved.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain import participants as rules
from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    GoalStatus,
    PairPreferenceKind,
    SkillDirection,
)
from mentormatch_desktop.domain.participants import FieldProblem
from mentormatch_desktop.services.context import ServiceContext
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


@dataclass(frozen=True)
class ProfileIssue:
    """One problem with a profile: ``field`` is e.g. ``email`` or ``skills[2].level``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ProfileInvalid(ValueError):
    def __init__(self, issues: list[ProfileIssue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


@dataclass
class SkillEntry:
    skill: str
    direction: SkillDirection
    level: int = 3


@dataclass
class SlotEntry:
    weekday: int  # 0 = Monday
    start_minute: int
    end_minute: int


@dataclass
class EnrolmentEntry:
    program_id: int
    program: str
    role: EnrolmentRole
    capacity: int = 1


@dataclass
class BlockedPerson:
    person_id: int
    label: str
    reason: str = ""


@dataclass
class Profile:
    """Everything the editor shows; ``id`` is ``None`` for a person not saved yet."""

    id: int | None = None
    full_name: str = ""
    preferred_name: str = ""  # empty: addressed by the first word of full_name
    email: str = ""
    title: str = ""
    department: str = ""
    time_zone: str = "UTC"
    bio: str = ""
    languages: list[tuple[str, str]] = field(default_factory=list)  # (ISO 639-1, level)
    skills: list[SkillEntry] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)  # open goals, one line each
    availability: list[SlotEntry] = field(default_factory=list)
    enrolments: list[EnrolmentEntry] = field(default_factory=list)
    must_not_match: list[BlockedPerson] = field(default_factory=list)


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_profile(profile: Profile, known_skills: set[str] | None = None) -> list[ProfileIssue]:
    """Every problem in ``profile``; ``known_skills`` (lower-cased) checks skill names.

    Field rules are the import's (:mod:`mentormatch_desktop.domain.participants`), so a
    profile the editor accepts is one an import file could hold, and the other way round.
    """
    issues: list[ProfileIssue] = []

    def check(field: str, rule: Callable[[], object]) -> None:
        try:
            rule()
        except FieldProblem as exc:
            issues.append(ProfileIssue(field, str(exc)))

    if not profile.full_name.strip():
        issues.append(ProfileIssue("full_name", "a name is required"))
    for name in ("full_name", "preferred_name", "title", "department", "bio"):
        check(name, lambda n=name: rules.check_length(n, getattr(profile, n).strip()))
        check(name, lambda n=name: rules.check_characters(n, getattr(profile, n).strip()))
    check("email", lambda: rules.parse_email(profile.email.strip()))
    check("time_zone", lambda: rules.parse_time_zone(profile.time_zone.strip()))
    seen_languages: set[str] = set()
    for i, (code, level) in enumerate(profile.languages):
        check(f"languages[{i}]", lambda c=code, lv=level: rules.parse_languages(f"{c}:{lv}"))
        if code.lower() in seen_languages:
            issues.append(ProfileIssue(f"languages[{i}]", f"{code} is listed twice"))
        seen_languages.add(code.lower())
    seen_skills: set[tuple[str, SkillDirection]] = set()
    for i, entry in enumerate(profile.skills):
        name = entry.skill.strip()
        if not name:
            issues.append(ProfileIssue(f"skills[{i}]", "skill name is empty"))
        elif known_skills is not None and name.lower() not in known_skills:
            issues.append(ProfileIssue(f"skills[{i}]", f"{name!r} is not in the skill taxonomy"))
        check(f"skills[{i}].level", lambda e=entry: rules.parse_skill_levels(f"x:{e.level}"))
        if (name.lower(), entry.direction) in seen_skills:
            issues.append(
                ProfileIssue(f"skills[{i}]", f"{name} ({entry.direction}) is listed twice")
            )
        seen_skills.add((name.lower(), entry.direction))
    for i, goal in enumerate(profile.goals):
        check(f"goals[{i}]", lambda g=goal: rules.parse_goals(g))
    windows = [(s.weekday, s.start_minute, s.end_minute) for s in profile.availability]
    for i, window in enumerate(windows):
        check(f"availability[{i}]", lambda w=window: rules.parse_availability(_window_text(w)))
    if not any(i.field.startswith("availability") for i in issues):
        check("availability", lambda: rules.parse_availability(_windows_text(windows)))
    for i, enrolment in enumerate(profile.enrolments):
        check(
            f"enrolments[{i}].capacity", lambda e=enrolment: rules.parse_capacity(str(e.capacity))
        )
        if enrolment.role == EnrolmentRole.MENTOR and enrolment.capacity == 0:
            issues.append(
                ProfileIssue(f"enrolments[{i}].capacity", "a mentor needs room for one mentee")
            )
    for i, blocked in enumerate(profile.must_not_match):
        if profile.id is not None and blocked.person_id == profile.id:
            issues.append(ProfileIssue(f"must_not_match[{i}]", "cannot exclude oneself"))
    return issues


def _window_text(window: tuple[int, int, int]) -> str:
    day, start, end = window
    weekday = rules.WEEKDAYS[day] if 0 <= day <= 6 else str(day)
    return f"{weekday} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _windows_text(windows: list[tuple[int, int, int]]) -> str:
    return f"{rules.LIST_SEPARATOR} ".join(_window_text(w) for w in windows)


def _skill_index(session: Session) -> dict[str, int]:
    index = {name.lower(): sid for sid, name in session.execute(sa.select(Skill.id, Skill.name))}
    for sid, alias in session.execute(sa.select(SkillAlias.skill_id, SkillAlias.alias)):
        index.setdefault(alias.lower(), sid)
    return index


def load_profile(ctx: ServiceContext, person_id: int) -> Profile:
    session = ctx.session
    person = session.get(Person, person_id)
    if person is None:
        raise LookupError(f"no participant with id {person_id}")
    enrolments = session.execute(
        sa.select(Enrolment, Program.name)
        .join(Program, Program.id == Enrolment.program_id)
        .where(Enrolment.person_id == person_id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .order_by(Program.name)
    ).all()
    blocked = session.execute(
        sa.select(
            PairPreference.other_person_id, Person.full_name, Person.email, PairPreference.reason
        )
        .join(Person, Person.id == PairPreference.other_person_id)
        .where(
            PairPreference.person_id == person_id,
            PairPreference.kind == PairPreferenceKind.MUST_NOT,
            PairPreference.program_id.is_(None),
        )
    ).all()
    return Profile(
        id=person.id,
        full_name=person.full_name,
        preferred_name=person.preferred_name or "",
        email=person.email,
        title=person.title or "",
        department=person.department.name if person.department else "",
        time_zone=person.time_zone,
        bio=person.bio,
        languages=[(lang.language, lang.level) for lang in person.languages],
        skills=sorted(
            (SkillEntry(s.skill.name, SkillDirection(s.direction), s.level) for s in person.skills),
            key=lambda e: (e.direction != SkillDirection.TEACH, -e.level, e.skill),
        ),
        goals=[g.title for g in person.goals if g.status == GoalStatus.OPEN],
        availability=[
            SlotEntry(a.weekday, a.start_minute, a.end_minute) for a in person.availability
        ],
        enrolments=[
            EnrolmentEntry(e.program_id, name, EnrolmentRole(e.role), e.capacity)
            for e, name in enrolments
        ],
        must_not_match=[
            BlockedPerson(pid, f"{name} <{email}>", reason or "")
            for pid, name, email, reason in blocked
        ],
    )


def save_profile(ctx: ServiceContext, profile: Profile) -> int:
    """Validate and write the whole profile (flushed into the caller's unit of work);
    returns the person's id."""
    session = ctx.session
    skill_ids = _skill_index(session)
    issues = validate_profile(profile, set(skill_ids))
    try:  # the one normalised form (rules.parse_email); validate_profile reports a bad one
        email = rules.parse_email(profile.email.strip()).lower()
    except FieldProblem:
        email = profile.email.strip().lower()
    clash = session.scalar(
        sa.select(Person.id).where(
            sa.func.lower(Person.email) == email, Person.id != (profile.id or -1)
        )
    )
    if clash is not None:
        issues.append(ProfileIssue("email", f"{email} already belongs to another participant"))
    if issues:
        raise ProfileInvalid(issues)

    person = session.get(Person, profile.id) if profile.id is not None else Person()
    if person is None:
        raise ProfileInvalid([ProfileIssue("id", f"participant {profile.id} no longer exists")])
    person.full_name = profile.full_name.strip()
    person.preferred_name = " ".join(profile.preferred_name.split()) or None
    person.email = email
    person.title = profile.title.strip() or None
    person.time_zone = profile.time_zone
    person.bio = profile.bio
    person.department_id = _department_id(session, profile.department.strip())
    if profile.id is None:
        session.add(person)
    session.flush()
    pid = person.id

    # Empty the collections first: the unit of work inserts before it deletes, and the
    # re-added rows would collide with the old ones on their unique keys.
    person.languages.clear()
    person.skills.clear()
    person.availability.clear()
    session.flush()
    person.languages = [PersonLanguage(language=c.lower(), level=lv) for c, lv in profile.languages]
    person.skills = [
        PersonSkill(
            skill_id=skill_ids[e.skill.strip().lower()], direction=e.direction, level=e.level
        )
        for e in profile.skills
    ]
    person.availability = [
        AvailabilitySlot(weekday=s.weekday, start_minute=s.start_minute, end_minute=s.end_minute)
        for s in profile.availability
    ]
    _save_goals(person, profile.goals)
    session.flush()
    _save_enrolments(session, pid, profile.enrolments)
    _save_blocked(session, pid, profile.must_not_match)
    ctx.audit("profile.created" if profile.id is None else "profile.saved", "person", pid)
    session.flush()
    return pid


def _department_id(session: Session, name: str) -> int | None:
    if not name:
        return None
    found = session.scalar(
        sa.select(Department.id).where(sa.func.lower(Department.name) == name.lower())
    )
    if found is not None:
        return found
    department = Department(name=name)
    session.add(department)
    session.flush()
    return department.id


def _save_goals(person: Person, titles: list[str]) -> None:
    wanted = [t.strip() for t in titles if t.strip()]
    open_goals = [g for g in person.goals if g.status == GoalStatus.OPEN]
    for goal in open_goals:
        if goal.title not in wanted:
            goal.status = GoalStatus.DROPPED  # keep the history; mentorship milestones refer to it
    existing = {g.title for g in open_goals}
    for title in wanted:
        if title not in existing:
            person.goals.append(Goal(title=title))


def _save_enrolments(session: Session, person_id: int, entries: list[EnrolmentEntry]) -> None:
    current = {
        (e.program_id, EnrolmentRole(e.role)): e
        for e in session.scalars(sa.select(Enrolment).where(Enrolment.person_id == person_id))
    }
    wanted = {(e.program_id, e.role): e for e in entries}
    for key, enrolment in current.items():
        if key in wanted:
            enrolment.status = EnrolmentStatus.ACTIVE
            enrolment.capacity = wanted[key].capacity
        else:
            enrolment.status = EnrolmentStatus.WITHDRAWN  # past runs and mentorships refer to it
    for key, entry in wanted.items():
        if key not in current:
            session.add(
                Enrolment(
                    program_id=entry.program_id,
                    person_id=person_id,
                    role=entry.role,
                    capacity=entry.capacity,
                )
            )


def _save_blocked(session: Session, person_id: int, blocked: list[BlockedPerson]) -> None:
    session.execute(
        sa.delete(PairPreference).where(
            PairPreference.person_id == person_id,
            PairPreference.kind == PairPreferenceKind.MUST_NOT,
            PairPreference.program_id.is_(None),
        )
    )
    for other in {b.person_id: b for b in blocked}.values():
        session.add(
            PairPreference(
                person_id=person_id,
                other_person_id=other.person_id,
                kind=PairPreferenceKind.MUST_NOT,
                reason=other.reason,
            )
        )


def program_choices(ctx: ServiceContext) -> list[tuple[int, str]]:
    rows = ctx.session.execute(sa.select(Program.id, Program.name).order_by(Program.name))
    return [(pid, name) for pid, name in rows]
