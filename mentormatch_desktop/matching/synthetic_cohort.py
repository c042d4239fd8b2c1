"""A synthetic but realistic cohort (profiles, not scores) for benchmarks and tests.

People get skills at levels, goal and profile prose, weekly local availability in one of a
dozen time zones (including half-hour offsets), languages, seniority, departments, a
reporting line, enrolment wishes and a few pair preferences — everything the criteria
read, generated with numpy from one seed. ``benchmarks/scoring.py`` times the score
matrix on it; the solver benchmark may import :func:`synthetic_cohort` too.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from mentormatch_desktop.matching.cohort import Cohort, PersonRecord

ZONES = (
    "Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Sydney", "Africa/Lagos",
)  # fmt: skip
SKILLS = (
    "SQL", "Python", "Leadership", "Public speaking", "Negotiation", "Data modelling",
    "Machine learning", "Statistics", "Product management", "UX research", "Cloud architecture",
    "Security", "Finance", "Budgeting", "Hiring", "Coaching", "Writing", "Sales", "Marketing",
    "Project management", "Kubernetes", "Go", "Java", "Testing", "Design systems",
    "Accessibility", "Strategy", "Change management", "Conflict resolution", "Presenting",
    "Excel", "Forecasting", "Procurement", "Legal basics", "Compliance", "Customer success",
    "Operations", "Logistics", "Analytics", "Storytelling",
)  # fmt: skip
_WORD_BANK = (
    "grow confidence lead team projects stakeholders roadmap data pipelines reporting dashboards "
    "mentor career promotion manager transition strategy planning quarterly goals customers "
    "feedback communication presentations executives board funding hiring interviews culture "
    "remote distributed async documentation reviews quality reliability incidents on-call "
    "architecture migration platform scaling performance budget forecasting analysis research "
    "experiments metrics growth retention onboarding training workshops community partnerships "
    "vendors contracts negotiation pricing launch marketing brand content writing storytelling "
    "design prototypes usability accessibility research interviews surveys insights statistics "
    "modelling python sql spreadsheets automation cloud security compliance audits privacy risk"
)
WORDS = _WORD_BANK.split()
LANGS = ("de", "fr", "es", "pt", "ja", "hi")


def synthetic_cohort(
    n_mentees: int, n_mentors: int, *, seed: int = 0, week_of: date = date(2026, 3, 2)
) -> Cohort:
    """A bipartite cohort of ``n_mentees`` × ``n_mentors`` with capacities 1–5."""
    rng = np.random.default_rng(seed)
    skills = {i + 1: name for i, name in enumerate(SKILLS)}
    departments = {i + 1: f"Department {i + 1}" for i in range(12)}
    mentor_ids = np.arange(1, n_mentors + 1)
    mentee_ids = np.arange(n_mentors + 1, n_mentors + n_mentees + 1)
    mentors = [_person(rng, int(pid), "Mentor", True, None) for pid in mentor_ids]
    mentees = [_person(rng, int(pid), "Mentee", False, mentor_ids) for pid in mentee_ids]
    for rec in mentors:
        rec.capacity = int(rng.integers(1, 6))
    wishes: list[tuple[int, int, str]] = []
    for _ in range(max(1, n_mentees // 100)):
        kind = str(rng.choice(["prefer", "avoid", "must_not"], p=[0.6, 0.3, 0.1]))
        wishes.append((int(rng.choice(mentee_ids)), int(rng.choice(mentor_ids)), kind))
    return Cohort.from_records(
        mentees,
        mentors,
        skills=skills,
        departments=departments,
        pair_preferences=wishes,
        week_start=week_of,
        settings={"preferred_seniority_gap": 2, "availability_target_hours": 3},
        program_name="Synthetic",
    )


def _person(
    rng: np.random.Generator, pid: int, role: str, mentor: bool, managers: np.ndarray | None
) -> PersonRecord:
    n_sk = len(SKILLS)
    chosen = rng.choice(n_sk, size=int(rng.integers(3, 7 if mentor else 5)), replace=False)
    levels = (
        rng.integers(3, 6, size=len(chosen)) if mentor else rng.integers(1, 4, size=len(chosen))
    )
    skill_map = {int(s) + 1: int(lvl) for s, lvl in zip(chosen, levels, strict=True)}
    words = " ".join(rng.choice(WORDS, size=int(rng.integers(8, 20))))
    names = ", ".join(SKILLS[int(s)] for s in chosen)
    slots = []
    for _ in range(int(rng.integers(2, 5))):
        day = int(rng.integers(0, 5))
        start = int(rng.integers(8, 18)) * 60 + int(rng.choice([0, 30]))
        slots.append((day, start, min(1440, start + int(rng.choice([60, 90, 120, 180])))))
    languages = {"en": "fluent" if rng.random() < 0.8 else "working"}
    if rng.random() < 0.03:
        languages = {}
    if rng.random() < 0.3 or not languages:
        languages[str(rng.choice(LANGS))] = "native"
    seniority = int(rng.integers(3, 8) if mentor else rng.integers(1, 5))
    dept = int(rng.integers(1, 13))
    line: tuple[int, ...] = ()
    if managers is not None and rng.random() < 0.2:
        line = tuple(int(m) for m in rng.choice(managers, size=2, replace=False))
    prefs = {"cross_department": True} if rng.random() < 0.1 else {}
    return PersonRecord(
        person_id=pid,
        name=f"{role} {pid}",
        teach=skill_map if mentor else {},
        learn={} if mentor else skill_map,
        goal_text="" if mentor else f"I want to learn {names}. {words}",
        profile_text=f"{names}. {words}" if mentor else "",
        slots=slots,
        time_zone=str(rng.choice(ZONES)),
        languages=languages,
        seniority=seniority,
        years_experience=seniority * 3,
        department_id=dept,
        reporting_line=line,
        preferences=prefs,
    )
