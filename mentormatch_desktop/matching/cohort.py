"""The cohort: everything matching needs to know about one program's participants, as arrays.

A :class:`Cohort` is read once from the database (:func:`load_cohort`) or built from plain
records (:meth:`Cohort.from_records`, used by tests, benchmarks and notebooks), and then
never touches the database again. Criteria (``plugins/matching/criteria.py`` and any
third-party criterion) turn it into ``(n_mentees, n_mentors)`` matrices; they must only read
it. Row ``i`` of every mentee array is the same person, and so for mentors.

For peer programs there is one pool: ``cohort.mentors is cohort.mentees``.

Availability is a weekly bitmap of 15-minute UTC slots (672 per week) computed with
:mod:`zoneinfo` from each person's local weekly slots for one reference week
(``week_start``, a UTC Monday), so people in different zones compare directly and a DST
change moves the UTC bits, never the local ones.

``cache`` is a scratch dict criteria may use to keep derived features (TF-IDF vectors…)
for this cohort; it is dropped with the cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from mentormatch_desktop.scheduling.availability import PersonAvailability, availability_mask
from mentormatch_desktop.scheduling.grid import Horizon

if TYPE_CHECKING:
    # Imported where a matrix is built, not here: the criteria plugins import this module
    # and every ``mentormatch`` command loads them (``solve`` needs no scipy).
    import scipy.sparse as sp

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY  # 672
MINUTES_PER_WEEK = 7 * 24 * 60

PREFER, AVOID, MUST_NOT = 1, -1, -2
"""Codes of :attr:`PairPreferences.kind`."""


@dataclass
class PersonRecord:
    """One participant as plain data: the input of :meth:`Cohort.from_records`.

    ``teach`` / ``learn`` map skill id → level 1–5 (for ``learn``: the level the person
    has now). ``slots`` are local weekly windows ``(weekday 0=Mon, start_minute,
    end_minute)`` in ``time_zone``. ``reporting_line`` lists the person's managers, nearest
    first (manager, manager's manager…).
    """

    person_id: int
    name: str
    capacity: int = 1
    teach: dict[int, int] = field(default_factory=dict)
    learn: dict[int, int] = field(default_factory=dict)
    goal_text: str = ""
    profile_text: str = ""
    slots: Sequence[tuple[int, int, int]] = ()
    time_zone: str = "UTC"
    languages: dict[str, str] = field(default_factory=dict)  # code → native|fluent|working
    seniority: int = 1
    years_experience: int = 0
    department_id: int | None = None
    reporting_line: Sequence[int] = ()
    preferences: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Participants:
    """One side of a cohort (mentees or mentors), one row per person."""

    person_ids: np.ndarray  # int64
    names: list[str]
    capacity: np.ndarray  # int32: mentees a mentor takes / mentors a mentee wants
    teach: sp.csr_matrix  # (n, n_skills) float32 level 1–5 a person can teach, 0 = none
    learn: sp.csr_matrix  # (n, n_skills) float32 current level of a skill to learn
    goal_texts: list[str]  # prose: what the person wants to learn (goals, motivation)
    profile_texts: list[str]  # prose: bio + title + skill names the person can teach
    availability: np.ndarray  # bool (n, 672): free 15-min UTC slots of the reference week
    time_zones: list[str]
    utc_offset_minutes: np.ndarray  # int32, offset during the reference week
    languages: list[dict[str, str]]  # per person: language code → level
    seniority: np.ndarray  # int16, 1 junior … 7 executive
    years_experience: np.ndarray  # int16
    department_ids: np.ndarray  # int64, -1 when unknown
    reporting_lines: list[tuple[int, ...]]  # person ids of managers, nearest first
    preferences: list[dict[str, Any]]  # enrolment preferences (see criteria docs)

    def __len__(self) -> int:
        return len(self.person_ids)

    def index_of(self, person_id: int) -> int:
        """Row of ``person_id``; raises KeyError naming the id when absent."""
        lookup = self._lookup()
        if person_id not in lookup:
            raise KeyError(f"person {person_id} is not in this side of the cohort")
        return lookup[person_id]

    def indices_of(self, person_ids: Sequence[int]) -> np.ndarray:
        """Rows of many person ids at once (-1 where absent)."""
        lookup = self._lookup()
        return np.array([lookup.get(int(p), -1) for p in person_ids], dtype=np.int64)

    def _lookup(self) -> dict[int, int]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {int(p): i for i, p in enumerate(self.person_ids)}
            self.__dict__["_index"] = cached
        return cached

    def take(self, rows: np.ndarray) -> Participants:
        """Only the people at ``rows`` (cohort indices), in that order."""
        import scipy.sparse as sp

        rows = np.asarray(rows, dtype=np.int64)
        values: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) or sp.issparse(value):
                values[f.name] = value[rows]
            elif isinstance(value, list):
                values[f.name] = [value[i] for i in rows.tolist()]
            else:
                values[f.name] = value
        return Participants(**values)

    def available_hours(self) -> np.ndarray:
        """Hours per week each person is available (float32)."""
        return self.availability.sum(axis=1, dtype=np.float32) * (SLOT_MINUTES / 60)


@dataclass(eq=False)
class PairPreferences:
    """Participants' wishes about specific others, as cohort indices.

    ``kind`` holds :data:`PREFER`, :data:`AVOID` or :data:`MUST_NOT`. A wish by either
    side is stored once in (mentee, mentor) orientation; ``by_mentee`` says whose it is.
    """

    mentee: np.ndarray  # int64
    mentor: np.ndarray  # int64
    kind: np.ndarray  # int8
    by_mentee: np.ndarray  # bool

    @classmethod
    def empty(cls) -> PairPreferences:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z.copy(), np.zeros(0, dtype=np.int8), np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.kind)


@dataclass(eq=False)
class Cohort:
    """The participants of one program, ready for scoring (see module docstring)."""

    program_id: int | None
    kind: str  # "one_to_one" | "group" | "peer"
    mentees: Participants
    mentors: Participants  # the same object as ``mentees`` for peer programs
    skill_ids: np.ndarray  # int64, column order of teach/learn matrices
    skill_names: list[str]
    department_names: dict[int, str]
    pair_preferences: PairPreferences
    week_start: datetime  # UTC Monday 00:00 of the reference week
    settings: dict[str, Any] = field(default_factory=dict)  # program settings
    program_name: str = ""
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_peer(self) -> bool:
        return self.mentors is self.mentees

    @property
    def n_mentees(self) -> int:
        return len(self.mentees)

    @property
    def n_mentors(self) -> int:
        return len(self.mentors)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_mentees, self.n_mentors)

    @property
    def learn(self) -> sp.csr_matrix:
        """Mentees' skills to learn: (n_mentees, n_skills), current level, 0 = not wanted."""
        return self.mentees.learn

    @property
    def teach(self) -> sp.csr_matrix:
        """Mentors' skills they teach: (n_mentors, n_skills), level, 0 = cannot teach."""
        return self.mentors.teach

    @property
    def goal_texts(self) -> list[str]:
        return self.mentees.goal_texts

    @property
    def profile_texts(self) -> list[str]:
        return self.mentors.profile_texts

    def restrict(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> Cohort:
        """The same cohort with only some mentees and mentors (indices into each side).

        Used when only a few pairs' criterion values are needed: criteria compute whole
        matrices, so scoring 3,000 pairs out of a 15,000 × 5,000 cohort would otherwise
        cost 75 million cells. Pair wishes between the kept people are kept (re-indexed);
        a peer cohort stays a peer cohort only when both row lists are the same.
        """
        mentee_rows = np.asarray(mentee_rows, dtype=np.int64)
        mentor_rows = np.asarray(mentor_rows, dtype=np.int64)
        mentees = self.mentees.take(mentee_rows)
        same = self.is_peer and np.array_equal(mentee_rows, mentor_rows)
        mentors = mentees if same else self.mentors.take(mentor_rows)
        e_new = np.full(self.n_mentees, -1, dtype=np.int64)
        e_new[mentee_rows] = np.arange(len(mentee_rows))
        m_new = np.full(self.n_mentors, -1, dtype=np.int64)
        m_new[mentor_rows] = np.arange(len(mentor_rows))
        prefs = self.pair_preferences
        if len(prefs):
            e, m = e_new[prefs.mentee], m_new[prefs.mentor]
            keep = (e >= 0) & (m >= 0)
            prefs = PairPreferences(e[keep], m[keep], prefs.kind[keep], prefs.by_mentee[keep])
        kind = self.kind if same or not self.is_peer else "one_to_one"
        return replace(self, kind=kind, mentees=mentees, mentors=mentors,
                       pair_preferences=prefs, cache={})  # fmt: skip

    def skill_name(self, column: int) -> str:
        return self.skill_names[column]

    # ----------------------------------------------------------------- building
    @classmethod
    def from_records(
        cls,
        mentees: Sequence[PersonRecord],
        mentors: Sequence[PersonRecord] | None,
        *,
        skills: dict[int, str],
        departments: dict[int, str] | None = None,
        pair_preferences: Sequence[tuple[int, int, str]] = (),
        week_start: date | datetime | None = None,
        kind: str = "one_to_one",
        settings: dict[str, Any] | None = None,
        program_id: int | None = None,
        program_name: str = "",
    ) -> Cohort:
        """Build a cohort from plain records; ``mentors=None`` makes a peer cohort.

        ``pair_preferences`` holds ``(person_id, other_person_id, kind)`` with kind
        ``prefer`` / ``avoid`` / ``must_not``; wishes about people outside the cohort are
        ignored.
        """
        week = reference_week(week_start)
        skill_ids = np.array(sorted(skills), dtype=np.int64)
        column = {int(s): i for i, s in enumerate(skill_ids)}
        mentee_side = _participants(mentees, column, week)
        mentor_side = mentee_side if mentors is None else _participants(mentors, column, week)
        prefs = _pair_preferences(pair_preferences, mentee_side, mentor_side, peer=mentors is None)
        return cls(
            program_id=program_id,
            kind="peer" if mentors is None else kind,
            mentees=mentee_side,
            mentors=mentor_side,
            skill_ids=skill_ids,
            skill_names=[skills[int(s)] for s in skill_ids],
            department_names=dict(departments or {}),
            pair_preferences=prefs,
            week_start=week,
            settings=dict(settings or {}),
            program_name=program_name,
        )


def reference_week(when: date | datetime | None = None) -> datetime:
    """The UTC Monday 00:00 starting the week containing ``when`` (default: now)."""
    if when is None:
        day = datetime.now(UTC).date()
    elif isinstance(when, datetime):
        day = (when.astimezone(UTC) if when.tzinfo else when).date()
    else:
        day = when
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def weekly_bitmap(slots: Sequence[tuple[int, int, int]], zone: str, week: datetime) -> np.ndarray:
    """The UTC 15-minute bitmap (672 bools) of local weekly ``slots`` in ``zone``.

    One implementation with the slot finder (:mod:`mentormatch_desktop.scheduling`): each
    UTC quarter hour of the week is looked up on the person's wall clock, so edges round
    inward to the 15-minute grid, windows near the week's ends wrap naturally, and a DST
    change inside the reference week is honoured slot by slot.
    """
    windows = [(int(d), int(a), int(b)) for d, a, b in slots if int(b) > int(a)]
    person = PersonAvailability.from_rows(0, zone, windows)
    start = int((week - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() // 60)
    return availability_mask(person, Horizon(start, SLOTS_PER_WEEK))


def utc_offset_minutes(zone: str, week: datetime) -> int:
    """The zone's UTC offset in minutes at Wednesday noon of the reference week."""
    instant = (week + timedelta(days=2, hours=12)).astimezone(_zone(zone))
    offset = instant.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _levels(rows: Sequence[dict[int, int]], column: dict[int, int], n_skills: int) -> sp.csr_matrix:
    import scipy.sparse as sp

    r, c, v = [], [], []
    for i, levels in enumerate(rows):
        for skill, level in levels.items():
            if int(skill) in column:
                r.append(i)
                c.append(column[int(skill)])
                v.append(float(level))
    return sp.csr_matrix(
        (np.asarray(v, dtype=np.float32), (np.asarray(r, dtype=np.int64), np.asarray(c))),
        shape=(len(rows), n_skills),
        dtype=np.float32,
    )


def _participants(
    records: Sequence[PersonRecord], column: dict[int, int], week: datetime
) -> Participants:
    n_skills = len(column)
    seen: set[int] = set()
    for rec in records:
        if rec.person_id in seen:
            raise ValueError(f"person {rec.person_id} appears twice on one side of the cohort")
        seen.add(rec.person_id)
    availability = np.zeros((len(records), SLOTS_PER_WEEK), dtype=bool)
    for i, rec in enumerate(records):
        availability[i] = weekly_bitmap(rec.slots, rec.time_zone, week)
    return Participants(
        person_ids=np.array([r.person_id for r in records], dtype=np.int64),
        names=[r.name for r in records],
        capacity=np.array([r.capacity for r in records], dtype=np.int32),
        teach=_levels([r.teach for r in records], column, n_skills),
        learn=_levels([r.learn for r in records], column, n_skills),
        goal_texts=[r.goal_text for r in records],
        profile_texts=[r.profile_text for r in records],
        availability=availability,
        time_zones=[r.time_zone for r in records],
        utc_offset_minutes=np.array(
            [utc_offset_minutes(r.time_zone, week) for r in records], dtype=np.int32
        ),
        languages=[dict(r.languages) for r in records],
        seniority=np.array([r.seniority for r in records], dtype=np.int16),
        years_experience=np.array([r.years_experience for r in records], dtype=np.int16),
        department_ids=np.array(
            [-1 if r.department_id is None else r.department_id for r in records], dtype=np.int64
        ),
        reporting_lines=[tuple(int(p) for p in r.reporting_line) for r in records],
        preferences=[dict(r.preferences) for r in records],
    )


_KIND_CODES = {"prefer": PREFER, "avoid": AVOID, "must_not": MUST_NOT}


def _pair_preferences(
    wishes: Sequence[tuple[int, int, str]],
    mentees: Participants,
    mentors: Participants,
    *,
    peer: bool,
) -> PairPreferences:
    e_idx = mentees._lookup()
    m_idx = mentors._lookup()
    rows: list[int] = []
    cols: list[int] = []
    kinds: list[int] = []
    by_mentee: list[bool] = []
    for person, other, kind in wishes:
        code = _KIND_CODES.get(str(kind))
        if code is None:
            raise ValueError(f"unknown pair preference kind {kind!r}")
        person, other = int(person), int(other)
        if person in e_idx and other in m_idx:
            pair, mine = (e_idx[person], m_idx[other]), True
        elif person in m_idx and other in e_idx:
            pair, mine = (e_idx[other], m_idx[person]), False
        else:
            continue
        if peer and pair[0] > pair[1]:
            pair = (pair[1], pair[0])
        rows.append(pair[0])
        cols.append(pair[1])
        kinds.append(code)
        by_mentee.append(mine)
    return PairPreferences(
        mentee=np.asarray(rows, dtype=np.int64),
        mentor=np.asarray(cols, dtype=np.int64),
        kind=np.asarray(kinds, dtype=np.int8),
        by_mentee=np.asarray(by_mentee, dtype=bool),
    )
