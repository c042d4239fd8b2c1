"""Suggesting criterion weights learned from outcomes, and applying them on request.

``suggest_weights`` reads the program's mentorships (finished, and ongoing ones that ran
for at least two session cycles), recomputes each pair's criterion values with the
installed criteria, labels each outcome (see :func:`~mentormatch_desktop.matching.learning.
outcome_quality`) and fits the readable model of :mod:`mentormatch_desktop.matching.learning`.
It changes nothing. ``apply_learned_weights`` stores the suggestion as a new versioned
:class:`WeightSet` (``source="learned"``, with its evidence) — only when a coordinator asks.

Protected attributes (``Program.settings["protected_attributes"]``) are never features:
only criterion values are, and a criterion named after a protected attribute is dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus, ProgramKind
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.cohort_db import load_cohort
from mentormatch_desktop.matching.learning import (
    GOOD_QUALITY,
    ExpectedEffect,
    LearnedWeights,
    OutcomeTable,
    drop_protected,
    expected_effect,
    fit_weights,
    outcome_quality,
)
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.embeddings import warm_cohort
from mentormatch_desktop.services.weights import save_weights
from mentormatch_desktop.storage.models import (
    Feedback,
    Meeting,
    Mentorship,
    Milestone,
    Program,
    WeightSet,
)

_FINISHED = (MentorshipStatus.COMPLETED, MentorshipStatus.ENDED_EARLY)
_ONGOING = (MentorshipStatus.ACTIVE, MentorshipStatus.PAUSED)
MIN_ONGOING_CYCLES = 2.0
SEMANTIC = "semantic_fit"


class LearningError(ValueError):
    """The program cannot be learned from (unknown program, no criteria installed…)."""


@dataclass(frozen=True)
class WeightSuggestion:
    """What the review dialog shows: learned vs current weights and the evidence."""

    program_id: int
    current_version: int | None
    learned: LearnedWeights
    effect: ExpectedEffect | None
    skipped: int  # mentorships left out (participant no longer enrolled, too recent…)


def current_weight_map(
    session: Session, program_id: int, host: PluginHost
) -> tuple[dict[str, float], int | None]:
    """The program's current weights (latest version) and its version; criteria defaults
    fill criteria the set does not mention."""
    latest = session.scalars(
        sa.select(WeightSet)
        .where(WeightSet.program_id == program_id)
        .order_by(WeightSet.version.desc())
        .limit(1)
    ).first()
    weights = {name: float(c.default_weight) for name, c in host.criteria().items()}
    if latest is not None:
        weights.update({k: float(v) for k, v in (latest.weights or {}).items()})
    return weights, latest.version if latest is not None else None


def protected_attributes(session: Session, program_ids: list[int]) -> list[str]:
    keys: set[str] = set()
    for settings in session.scalars(sa.select(Program.settings).where(Program.id.in_(program_ids))):
        keys.update(str(k) for k in (settings or {}).get("protected_attributes", []))
    return sorted(keys)


def build_outcome_table(
    session: Session,
    program_id: int,
    host: PluginHost,
    *,
    history: list[int] | None = None,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[OutcomeTable, int, dict[str, np.ndarray]]:
    """Outcomes of mentorships in ``history`` (program ids; default: every mentor/mentee
    program of the organisation, since what makes a pairing work rarely stops at a
    program's edge; peer programs are left out because their two sides are arbitrary, so
    directional criteria such as skill fit mean something else there) with their pairs'
    criterion values.

    Returns the table, how many mentorships were skipped, and the criterion matrices of
    ``program_id``'s cohort (used to preview the effect on its next run).
    """
    if session.get(Program, program_id) is None:
        raise LearningError(f"no program with id {program_id}")
    criteria = host.criteria()
    if not criteria:
        raise LearningError("no matching criteria are installed")
    now = now or datetime.now(UTC)
    sources = history or list(
        session.scalars(
            sa.select(Program.id).where(Program.kind != ProgramKind.PEER).order_by(Program.id)
        )
    )
    protected = protected_attributes(session, [program_id, *sources])
    unknown = sorted(set(only or ()) - set(criteria))
    if unknown:
        raise LearningError(f"unknown criteria: {', '.join(unknown)}")
    names, dropped = drop_protected(sorted(only or criteria), protected)
    parts: list[OutcomeTable] = []
    skipped = 0
    for k, source in enumerate(sources):
        check(cancel)
        report(progress, 0.05 + 0.65 * k / len(sources), f"reading outcomes of program {source}")
        cohort = load_cohort(session, source, exclude_matched=False)
        part, n_skipped = _program_outcomes(session, source, host, names, cohort, now)
        parts.append(part)
        skipped += n_skipped
    check(cancel)
    report(progress, 0.72, "scoring the next run's candidates")
    target = _preview_matrices(session, program_id, host, names)
    table = OutcomeTable(
        criteria=names,
        features=np.vstack([p.features for p in parts]),
        good=np.concatenate([p.good for p in parts]),
        quality=np.concatenate([p.quality for p in parts]),
        ongoing=np.concatenate([p.ongoing for p in parts]),
        mentorship_ids=[i for p in parts for i in p.mentorship_ids],
        dropped=dropped,
    )
    return table, skipped, target


def _criterion_matrices(
    session: Session, cohort: Cohort, host: PluginHost, names: list[str]
) -> dict[str, np.ndarray]:
    """Every criterion's matrix over ``cohort`` (keep it small: see its callers)."""
    if SEMANTIC in names:  # read (and add new vectors to) the embedding cache
        warm_cohort(session, cohort, with_phrases=False)
    criteria = host.criteria()
    matrices: dict[str, np.ndarray] = {}
    for name in names:
        with host.guard("register_match_criteria", name):
            matrices[name] = np.asarray(criteria[name].compute(cohort), dtype=np.float32)
    return matrices


#: Mentees the effect preview looks at; an evenly spread sample above this keeps the
#: preview's matrices (mentees × mentors × criteria) within tens of megabytes.
PREVIEW_MENTEES = 1_000


def _preview_matrices(
    session: Session, program_id: int, host: PluginHost, names: list[str]
) -> dict[str, np.ndarray]:
    """Criterion matrices of the people ``program_id``'s next run would match (people
    already in a running pair are left out, as the run leaves them out)."""
    cohort = load_cohort(session, program_id)
    if cohort.n_mentees == 0 or cohort.n_mentors == 0:
        return {}
    if cohort.n_mentees > PREVIEW_MENTEES:
        rows = np.linspace(0, cohort.n_mentees - 1, PREVIEW_MENTEES).round().astype(np.int64)
        cohort = cohort.restrict(np.unique(rows), np.arange(cohort.n_mentors))
    return _criterion_matrices(session, cohort, host, names)


def _program_outcomes(
    session: Session,
    program_id: int,
    host: PluginHost,
    names: list[str],
    cohort: Cohort,
    now: datetime,
) -> tuple[OutcomeTable, int]:
    """The program's outcomes with their pairs' criterion values.

    Criteria compute whole matrices, so they run on the cohort restricted to the people
    who are in one of these pairs: a 20,000-person organisation has a few thousand pairs
    per program, not the tens of millions of cells of its full mentee × mentor matrix.
    """
    program = session.get(Program, program_id)
    if program is None:
        raise LearningError(f"no program with id {program_id}")

    rows = session.execute(
        sa.select(
            Mentorship.id,
            Mentorship.mentee_id,
            Mentorship.mentor_id,
            Mentorship.status,
            Mentorship.started_at,
            Mentorship.ended_at,
        ).where(Mentorship.program_id == program_id, Mentorship.status.in_(_FINISHED + _ONGOING))
    ).all()
    cadence = max(1, int(program.session_cadence_days or 14))
    e_idx = cohort.mentees.indices_of([r.mentee_id for r in rows])
    m_idx = cohort.mentors.indices_of([r.mentor_id for r in rows])
    kept: list[tuple[Any, int, int, float]] = []
    skipped = 0
    for r, i, j in zip(rows, e_idx.tolist(), m_idx.tolist(), strict=True):
        end = _aware(r.ended_at) if r.ended_at is not None else now
        expected = (end - _aware(r.started_at)).total_seconds() / 86400 / cadence
        if i < 0 or j < 0 or (r.status in _ONGOING and expected < MIN_ONGOING_CYCLES):
            skipped += 1
            continue
        kept.append((r, i, j, expected))

    ids = [r.id for r, *_ in kept]
    held = _count_by(session, Meeting.mentorship_id, ids, Meeting.status == MeetingStatus.HELD)
    ratings = _mean_rating(session, ids)
    ms_total = _count_by(session, Milestone.mentorship_id, ids)
    ms_done = _count_by(session, Milestone.mentorship_id, ids, Milestone.completed_at.is_not(None))

    features = np.zeros((len(kept), len(names)), dtype=np.float64)
    if kept:
        mentee_rows, e_local = np.unique([i for _, i, _, _ in kept], return_inverse=True)
        mentor_rows, m_local = np.unique([j for _, _, j, _ in kept], return_inverse=True)
        small = cohort.restrict(mentee_rows, mentor_rows)
        matrices = _criterion_matrices(session, small, host, names)
        for c, name in enumerate(names):
            features[:, c] = matrices[name][e_local, m_local]

    quality = [
        outcome_quality(
            ended_early=r.status == MentorshipStatus.ENDED_EARLY,
            sessions_held=held.get(r.id, 0),
            sessions_expected=max(expected, 1.0),
            mean_rating=ratings.get(r.id),
            milestones_total=ms_total.get(r.id, 0),
            milestones_done=ms_done.get(r.id, 0),
        )
        for r, _, _, expected in kept
    ]
    table = OutcomeTable(
        criteria=names,
        features=features,
        good=np.asarray([q >= GOOD_QUALITY for q in quality], dtype=bool),
        quality=np.asarray(quality, dtype=np.float64),
        ongoing=np.asarray([r.status in _ONGOING for r, *_ in kept], dtype=bool),
        mentorship_ids=ids,
    )
    return table, skipped


def suggest_weights(
    ctx: ServiceContext,
    program_id: int,
    *,
    history: list[int] | None = None,
    only: Sequence[str] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> WeightSuggestion:
    """Learned weights next to the current ones; raises
    :class:`~mentormatch_desktop.matching.learning.NotEnoughOutcomes` with a clear message
    when the program has too few outcomes. ``only`` restricts the model to some criteria
    (default: every installed one); ``history`` picks the programs whose outcomes count.
    Read-only (apart from embedding vectors it may add to the cache)."""
    session, host = ctx.session, ctx.plugins
    if only is None:
        only = _criteria_in_use(session, program_id, host)
    table, skipped, matrices = build_outcome_table(
        session,
        program_id,
        host,
        history=history,
        only=only,
        now=now or ctx.now(),
        progress=progress,
        cancel=cancel,
    )
    current, version = current_weight_map(session, program_id, host)
    report(progress, 0.75, f"fitting on {table.n} outcomes")
    learned = fit_weights(table, current)
    effect = None
    if matrices and all(m.size for m in matrices.values()):
        effect = expected_effect(matrices, learned)
    report(progress, 1.0, "done")
    return WeightSuggestion(program_id, version, learned, effect, skipped)


def _criteria_in_use(session: Session, program_id: int, host: PluginHost) -> list[str]:
    """Every installed criterion, except semantic fit while the program has not switched it
    on: encoding every participant's texts is the slow part of learning (minutes on a
    20,000-person organisation), and its weight is moot until a coordinator chooses it."""
    current, _version = current_weight_map(session, program_id, host)
    names = sorted(host.criteria())
    if current.get(SEMANTIC, 0.0) <= 0.0:
        names = [n for n in names if n != SEMANTIC]
    return names


@dataclass(frozen=True)
class AppliedWeights:
    weight_set_id: int
    version: int
    weights: dict[str, float]


def apply_learned_weights(
    ctx: ServiceContext, suggestion: WeightSuggestion, *, notes: str = ""
) -> AppliedWeights:
    """Store the suggestion as the program's next weight-set version, with its evidence.

    Refuses if someone saved another version since the suggestion was made, so a
    coordinator never overwrites weights they have not seen.
    """
    latest = ctx.session.scalar(
        sa.select(sa.func.max(WeightSet.version)).where(
            WeightSet.program_id == suggestion.program_id
        )
    )
    if latest != suggestion.current_version:
        raise LearningError(
            f"the program's weights changed (now version {latest}, the suggestion was made "
            f"against version {suggestion.current_version}); ask for a new suggestion"
        )
    weights = dict(suggestion.learned.current)
    weights.update(suggestion.learned.suggested)
    evidence = suggestion.learned.evidence()
    if suggestion.effect is not None:
        evidence["expected_good_rate"] = {
            "current": round(suggestion.effect.current_rate, 4),
            "suggested": round(suggestion.effect.suggested_rate, 4),
        }
    saved = save_weights(
        ctx,
        suggestion.program_id,
        {k: round(float(v), 4) for k, v in sorted(weights.items())},
        source="learned",
        notes=notes or f"learned from {suggestion.learned.n_outcomes} outcomes",
        evidence=evidence,
    )
    assert saved.weight_set_id is not None and saved.version is not None
    return AppliedWeights(saved.weight_set_id, saved.version, dict(saved.weights))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _count_by(
    session: Session, column: sa.ColumnElement[int], ids: list[int], *where: sa.ColumnElement[bool]
) -> dict[int, int]:
    out: dict[int, int] = defaultdict(int)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = sa.select(column, sa.func.count()).where(column.in_(chunk), *where)
        for key, n in session.execute(query.group_by(column)):
            out[int(key)] = int(n)
    return out


def _mean_rating(session: Session, ids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = (
            sa.select(Feedback.mentorship_id, sa.func.avg(Feedback.rating))
            .where(Feedback.mentorship_id.in_(chunk))
            .group_by(Feedback.mentorship_id)
        )
        out.update({int(k): float(v) for k, v in session.execute(query)})
    return out
