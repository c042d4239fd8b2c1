"""Fairness audit of a match run: who gets matched, how well, and how it goes, by group.

For each grouping — department, region, role (mentee / mentor) and any protected attribute
the program lists in ``settings["protected_attributes"]`` (never used for matching, but
exactly what an audit must look at) — the audit reports per group of the people asking for
a match (mentees, or peers; mentors appear only under "role"): people, match rate,
mean proposed score, and for the program's mentorships the share that ended early and the
mean rating. Large gaps are flagged in words a coordinator can act on:

* match rate below four fifths of the cohort's (the "four-fifths rule" of adverse-impact
  analysis), when a binomial test says the gap is unlikely to be chance (p < 0.05);
* mean score more than 15 % below the run's mean;
* early-ending share 15 points or more above the program's (and unlikely to be chance).

Groups with fewer than :data:`MIN_GROUP` people are shown but never flagged: with a
handful of people a gap says nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole, EnrolmentStatus, MentorshipStatus
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    Department,
    Enrolment,
    Feedback,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    Program,
)

MIN_GROUP = 5
SIGNIFICANCE = 0.05
FOUR_FIFTHS = 0.8
SCORE_GAP = 0.15
EARLY_END_GAP = 0.15
UNKNOWN = "(not recorded)"


class AuditError(ValueError):
    """The run to audit does not exist."""


@dataclass(frozen=True)
class GroupStats:
    dimension: str  # "department" | "region" | "role" | a protected attribute key
    group: str
    people: int
    matched: int
    match_rate: float
    mean_score: float | None
    mentorships: int
    ended_early_rate: float | None
    mean_rating: float | None


@dataclass(frozen=True)
class GapFlag:
    """One large gap of one group, with the reason in words (screens highlight the group)."""

    dimension: str
    group: str
    reason: str  # e.g. "match rate 40% is below four fifths of the cohort's 70% (…)"

    @property
    def text(self) -> str:
        return f"{self.dimension} '{self.group}': {self.reason}"


@dataclass(frozen=True)
class FairnessAudit:
    run_id: int
    program_id: int
    overall_match_rate: float
    overall_mean_score: float | None
    overall_ended_early_rate: float | None
    groups: list[GroupStats] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # every gap as one sentence
    gaps: list[GapFlag] = field(default_factory=list)  # the same, per group

    def reasons(self, dimension: str, group: str) -> list[str]:
        """Why ``group`` of ``dimension`` was flagged (empty when it was not)."""
        return [g.reason for g in self.gaps if g.dimension == dimension and g.group == group]


def audit_run(ctx: ServiceContext, run_id: int) -> FairnessAudit:
    """Audit one match run (read-only)."""
    session = ctx.session
    run = session.get(MatchRun, run_id)
    if run is None:
        raise AuditError(f"no match run with id {run_id}")
    program = session.get(Program, run.program_id)
    protected = [
        str(k)
        for k in ((program.settings or {}) if program else {}).get("protected_attributes", [])
    ]
    people = _participants(session, run)
    scores: dict[int, list[float]] = defaultdict(list)
    for mentee, mentor, score in session.execute(
        sa.select(MatchProposal.mentee_id, MatchProposal.mentor_id, MatchProposal.score).where(
            MatchProposal.run_id == run_id
        )
    ):
        scores[mentee].append(float(score))
        scores[mentor].append(float(score))
        for pid, role in ((mentee, "mentee"), (mentor, "mentor")):
            people.setdefault(pid, role)
    outcomes = _outcomes(session, run.program_id)
    profiles = _profiles(session, list(people))

    groups: list[GroupStats] = []
    for dimension in ("department", "region", "role", *protected):
        buckets: dict[str, list[int]] = defaultdict(list)
        for pid, role in people.items():
            if dimension != "role" and role == "mentor":
                continue  # groups compare the people asking for a match
            if dimension == "role":
                key = role
            elif dimension in ("department", "region"):
                key = profiles.get(pid, {}).get(dimension) or UNKNOWN
            else:
                key = str(profiles.get(pid, {}).get("attributes", {}).get(dimension, UNKNOWN))
            buckets[key].append(pid)
        for key in sorted(buckets):
            groups.append(_stats(dimension, key, buckets[key], scores, outcomes))

    all_ids = [pid for pid, role in people.items() if role != "mentor"]
    overall = _stats("all", "all", all_ids, scores, outcomes)
    audit = FairnessAudit(
        run_id=run_id,
        program_id=run.program_id,
        overall_match_rate=overall.match_rate,
        overall_mean_score=overall.mean_score,
        overall_ended_early_rate=overall.ended_early_rate,
        groups=groups,
    )
    audit.gaps.extend(_flags(audit))
    audit.flags.extend(g.text for g in audit.gaps)
    return audit


def _participants(session: Session, run: MatchRun) -> dict[int, str]:
    """Everyone the run was about: active enrolled mentees/mentors/peers → role."""
    rows = session.execute(
        sa.select(Enrolment.person_id, Enrolment.role).where(
            Enrolment.program_id == run.program_id, Enrolment.status == EnrolmentStatus.ACTIVE
        )
    ).all()
    role_name = {EnrolmentRole.MENTEE: "mentee", EnrolmentRole.MENTOR: "mentor"}
    return {int(pid): role_name.get(role, "peer") for pid, role in rows}


def _profiles(session: Session, ids: list[int]) -> dict[int, dict[str, object]]:
    out: dict[int, dict[str, object]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            sa.select(Person.id, Department.name, Person.region, Person.attributes)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(Person.id.in_(chunk))
        )
        for pid, dept, region, attributes in session.execute(query):
            out[int(pid)] = {"department": dept, "region": region, "attributes": attributes or {}}
    return out


def _outcomes(session: Session, program_id: int) -> dict[int, list[tuple[bool, float | None]]]:
    """Per person: (ended early?, mean rating) of each of their mentorships in the program."""
    ratings = dict(
        session.execute(
            sa.select(Feedback.mentorship_id, sa.func.avg(Feedback.rating))
            .join(Mentorship, Mentorship.id == Feedback.mentorship_id)
            .where(Mentorship.program_id == program_id)
            .group_by(Feedback.mentorship_id)
        ).all()
    )
    out: dict[int, list[tuple[bool, float | None]]] = defaultdict(list)
    for mid, mentee, mentor, status in session.execute(
        sa.select(
            Mentorship.id, Mentorship.mentee_id, Mentorship.mentor_id, Mentorship.status
        ).where(Mentorship.program_id == program_id)
    ):
        rating = ratings.get(mid)
        record = (status == MentorshipStatus.ENDED_EARLY, float(rating) if rating else None)
        out[int(mentee)].append(record)
        out[int(mentor)].append(record)
    return out


def _stats(
    dimension: str,
    group: str,
    ids: list[int],
    scores: dict[int, list[float]],
    outcomes: dict[int, list[tuple[bool, float | None]]],
) -> GroupStats:
    matched = [pid for pid in ids if scores.get(pid)]
    pair_scores = [s for pid in ids for s in scores.get(pid, [])]
    records = [r for pid in ids for r in outcomes.get(pid, [])]
    rated = [r for _, r in records if r is not None]
    return GroupStats(
        dimension=dimension,
        group=group,
        people=len(ids),
        matched=len(matched),
        match_rate=len(matched) / len(ids) if ids else 0.0,
        mean_score=sum(pair_scores) / len(pair_scores) if pair_scores else None,
        mentorships=len(records),
        ended_early_rate=sum(e for e, _ in records) / len(records) if records else None,
        mean_rating=sum(rated) / len(rated) if rated else None,
    )


def _flags(audit: FairnessAudit) -> list[GapFlag]:
    flags: list[GapFlag] = []
    by_dimension: dict[str, list[GroupStats]] = defaultdict(list)
    for g in audit.groups:
        if g.people >= MIN_GROUP and g.group != UNKNOWN:
            by_dimension[g.dimension].append(g)
    for dimension, groups in by_dimension.items():
        if dimension == "role" or len(groups) < 2:
            continue  # mentors and mentees are matched at different rates by design
        overall = audit.overall_match_rate
        for g in groups:
            if g.match_rate < FOUR_FIFTHS * overall and _unlikely(g.matched, g.people, overall):
                flags.append(
                    GapFlag(
                        dimension,
                        g.group,
                        f"match rate {g.match_rate:.0%} is below four fifths of the cohort's "
                        f"{overall:.0%} ({g.matched} of {g.people} people)",
                    )
                )
            mean = audit.overall_mean_score
            if g.mean_score is not None and mean and g.mean_score < (1 - SCORE_GAP) * mean:
                flags.append(
                    GapFlag(
                        dimension,
                        g.group,
                        f"mean score {g.mean_score:.2f} is more than {SCORE_GAP:.0%} below "
                        f"the run's {mean:.2f}",
                    )
                )
            early = audit.overall_ended_early_rate
            if (
                g.ended_early_rate is not None
                and early is not None
                and g.mentorships >= MIN_GROUP
                and g.ended_early_rate >= early + EARLY_END_GAP
                and _unlikely(round(g.ended_early_rate * g.mentorships), g.mentorships, early)
            ):
                flags.append(
                    GapFlag(
                        dimension,
                        g.group,
                        f"{g.ended_early_rate:.0%} of mentorships ended early against "
                        f"{early:.0%} overall",
                    )
                )
    return flags


def _unlikely(successes: int, trials: int, rate: float) -> bool:
    """Would a group this size stray this far from ``rate`` by chance less than 5 % of the
    time? (Two-sided exact binomial test: small groups rarely get flagged, as they should.)"""
    from scipy.stats import binomtest

    if trials == 0 or not 0.0 < rate < 1.0:
        return False
    return bool(binomtest(int(successes), int(trials), rate).pvalue < SIGNIFICANCE)
