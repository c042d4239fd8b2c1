"""Criterion weights of a program: read, save as a new version, and preview live.

Weights are versioned :class:`~mentormatch_desktop.storage.models.WeightSet` rows; saving
adds a version and never edits one, so every match run keeps pointing at the weights that
produced it. Criteria a weight set does not mention take their default weight (so a newly
installed criterion plugin joins with its default). ``preview_ranking`` backs the UI's
weight sliders: the program's criterion values are cached (see
:mod:`~mentormatch_desktop.services.matching_models`), so each slider move costs only the
recombination.

This module is the only write path for weights (programs, learned weights and the text
criterion switch all save through :func:`save_weights`): every version is validated against
the installed criteria and audited under the acting person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.matching.embeddings import SemanticUnavailable, semantic_status
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.embeddings import SEMANTIC_FIT, TEXT_CRITERIA
from mentormatch_desktop.storage.models import Program, WeightSet


class WeightsError(FieldError):
    """Weights that cannot be saved or used; ``field`` names the criterion at fault."""


@dataclass
class CriterionInfo:
    name: str
    label: str
    description: str
    default_weight: float


@dataclass
class WeightsView:
    """A program's weights as the UI shows them (all installed criteria present)."""

    program_id: int
    weights: dict[str, float]
    version: int | None  # None: no weight set saved yet (defaults)
    weight_set_id: int | None
    source: str
    notes: str = ""
    created_at: datetime | None = None
    criteria: list[CriterionInfo] = field(default_factory=list)


def criteria_catalogue(host: PluginHost) -> list[CriterionInfo]:
    """Every installed criterion, by name."""
    return [
        CriterionInfo(n, c.label, c.description, float(c.default_weight))
        for n, c in sorted(host.criteria().items())
    ]


def default_weights(program: Program, host: PluginHost) -> dict[str, float]:
    """Criteria defaults, with department on when the program prefers cross-department."""
    weights = {n: float(c.default_weight) for n, c in host.criteria().items()}
    if (program.settings or {}).get("prefer_cross_department") and "department" in weights:
        weights["department"] = max(weights["department"], 0.1)
    return weights


def latest_weight_set(session: Session, program_id: int) -> WeightSet | None:
    """The program's newest stored weight set (None before the first save)."""
    return session.scalars(
        sa.select(WeightSet)
        .where(WeightSet.program_id == program_id)
        .order_by(WeightSet.version.desc())
        .limit(1)
    ).first()


def _program(session: Session, program_id: int) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise WeightsError("program", f"no program with id {program_id}")
    return program


def current_weights(ctx: ServiceContext, program_id: int) -> WeightsView:
    """The program's latest weights, filled with defaults for criteria it does not name."""
    session, host = ctx.session, ctx.plugins
    program = _program(session, program_id)
    weights = default_weights(program, host)
    latest = latest_weight_set(session, program_id)
    if latest is None:
        return WeightsView(
            program_id, weights, None, None, "default", criteria=criteria_catalogue(host)
        )
    weights.update({k: float(v) for k, v in (latest.weights or {}).items() if k in weights})
    return WeightsView(
        program_id,
        weights,
        latest.version,
        latest.id,
        latest.source,
        latest.notes,
        latest.created_at,
        criteria_catalogue(host),
    )


def validate_weights(weights: Mapping[str, Any], host: PluginHost) -> dict[str, float]:
    """Clean weights: known criteria only, numbers ≥ 0, at least one positive."""
    known = host.criteria()
    clean: dict[str, float] = {}
    for name, value in weights.items():
        if name not in known:
            raise WeightsError(
                name, f"no criterion named {name!r} (known: {', '.join(sorted(known))})"
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WeightsError(name, f"weight must be a number, got {value!r}") from None
        if not np.isfinite(number) or number < 0:
            raise WeightsError(name, f"weight must be a number ≥ 0, got {value!r}")
        clean[name] = round(number, 6)
    if sum(clean.values()) <= 0:
        raise WeightsError("weights", "at least one criterion needs a weight above 0")
    return clean


def save_weights(
    ctx: ServiceContext,
    program_id: int,
    weights: Mapping[str, Any],
    *,
    source: str = "manual",
    notes: str = "",
    evidence: dict[str, Any] | None = None,
    only_if_changed: bool = False,
) -> WeightsView:
    """Store ``weights`` as the program's next version (validated, audited, flushed).

    With ``only_if_changed`` (the program editor), weights equal to the latest version are
    not stored again.
    """
    session = ctx.session
    _program(session, program_id)
    clean = validate_weights(weights, ctx.plugins)
    latest = latest_weight_set(session, program_id)
    if only_if_changed and latest is not None and _same(latest.weights or {}, clean):
        return current_weights(ctx, program_id)
    row = WeightSet(
        program_id=program_id,
        version=(latest.version if latest else 0) + 1,
        weights=clean,
        source=source,
        evidence=evidence or {},
        notes=notes,
        created_by_id=ctx.actor.person_id,
    )
    session.add(row)
    session.flush()
    ctx.audit(
        "weights.saved",
        "weight_set",
        row.id,
        {"program_id": program_id, "version": row.version, "source": source, "weights": clean},
    )
    session.flush()
    return current_weights(ctx, program_id)


def _same(stored: Mapping[str, Any], clean: Mapping[str, float]) -> bool:
    """Equal weights, ignoring float noise below four decimals."""

    def norm(w: Mapping[str, Any]) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in w.items()}

    return norm(stored) == norm(clean)


@dataclass(frozen=True)
class TextCriterionSwitch:
    program_id: int
    active: str
    weight: float
    version: int | None


def switch_text_criterion(
    ctx: ServiceContext, program_id: int, criterion: str
) -> TextCriterionSwitch:
    """Make ``criterion`` (``semantic_fit`` or ``goal_fit``) the program's text criterion.

    The other text criterion's weight moves onto it (so the balance with skills,
    availability… stays as the coordinator set it), saved as a new weight-set version.
    """
    if criterion not in TEXT_CRITERIA:
        raise ValueError(f"text criterion must be one of {', '.join(TEXT_CRITERIA)}")
    criteria = ctx.plugins.criteria()
    if criterion not in criteria:
        reason = semantic_status().reason if criterion == SEMANTIC_FIT else "not installed"
        raise SemanticUnavailable(f"{criterion} is not available: {reason}")
    weights = dict(current_weights(ctx, program_id).weights)
    other = next(c for c in TEXT_CRITERIA if c != criterion)
    moved = weights.get(other, 0.0) + weights.get(criterion, 0.0)
    if moved <= 0:
        moved = float(criteria[other].default_weight) if other in criteria else 1.0
    weights[criterion] = moved
    if other in weights:
        weights[other] = 0.0
    saved = save_weights(
        ctx,
        program_id,
        weights,
        source="manual",
        notes=f"text criterion switched to {criterion}",
    )
    return TextCriterionSwitch(program_id, criterion, moved, saved.version)


@dataclass
class RankedMentor:
    mentor_id: int
    name: str
    score: float


@dataclass
class RankingRow:
    mentee_id: int
    name: str
    top: list[RankedMentor]


@dataclass
class RankingPreview:
    """Each mentee's best mentors under the previewed weights, and summary figures."""

    weights: dict[str, float]  # normalised, as used
    rows: list[RankingRow]
    mean_best_score: float
    without_allowed_mentor: int  # mentees every mentor is forbidden for
    distinct_top_mentors: int  # how many mentors are somebody's first choice


def preview_ranking(
    ctx: ServiceContext,
    program_id: int,
    weights: Mapping[str, Any],
    *,
    top: int = 3,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RankingPreview:
    """Rank mentors for every mentee under ``weights`` without saving anything.

    The first call for a program builds its criterion values (seconds on a large program);
    later calls with other weights only recombine them (a fraction of a second).
    """
    _program(ctx.session, program_id)
    clean = validate_weights(weights, ctx.plugins)
    model = matching_models.score_model(ctx, program_id, progress=progress, cancel=cancel)
    from mentormatch_desktop.matching.scoring import normalise_weights

    used = normalise_weights(clean, model.names)
    cohort = model.cohort
    k = max(1, min(top, cohort.n_mentors))
    rows: list[RankingRow] = []
    best = np.full(cohort.n_mentees, -np.inf, dtype=np.float32)
    firsts: set[int] = set()
    for start, block in model.iter_blocks(used, cancel=cancel):
        if cohort.n_mentors == 0:
            break
        idx = (
            np.argpartition(-block, k - 1, axis=1)[:, :k]
            if k < block.shape[1]
            else np.tile(np.arange(block.shape[1]), (len(block), 1))
        )
        vals = np.take_along_axis(block, idx, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
        best[start : start + len(block)] = vals[:, 0]
        for r in range(len(block)):
            e = start + r
            mentors = [
                RankedMentor(int(cohort.mentors.person_ids[j]), cohort.mentors.names[j], float(v))
                for j, v in zip(idx[r].tolist(), vals[r].tolist(), strict=True)
                if np.isfinite(v)
            ]
            if mentors:
                firsts.add(mentors[0].mentor_id)
            rows.append(
                RankingRow(int(cohort.mentees.person_ids[e]), cohort.mentees.names[e], mentors)
            )
    finite = best[np.isfinite(best)]
    return RankingPreview(
        weights=used,
        rows=rows,
        mean_best_score=float(finite.mean()) if len(finite) else 0.0,
        without_allowed_mentor=int((~np.isfinite(best)).sum())
        if cohort.n_mentors
        else cohort.n_mentees,
        distinct_top_mentors=len(firsts),
    )
