"""Criterion weights of a program: read, save as a new version, and preview live.

Weights are versioned :class:`~mentormatch_desktop.storage.models.WeightSet` rows; saving
adds a version and never edits one, so every match run keeps pointing at the weights that
produced it. Criteria a weight set does not mention take their default weight (so a newly
installed criterion plugin joins with its default). ``preview_ranking`` backs the UI's
weight sliders: the program's criterion values are cached (see
:mod:`~mentormatch_desktop.services.matching_models`), so each slider move costs only the
recombination.
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
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.storage.models import AuditLog, Program, WeightSet


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


def current_weights(
    session: Session, program_id: int, *, host: PluginHost | None = None
) -> WeightsView:
    """The program's latest weights, filled with defaults for criteria it does not name."""
    host = host or PluginHost().load()
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
    session: Session,
    program_id: int,
    weights: Mapping[str, Any],
    *,
    source: str = "manual",
    notes: str = "",
    evidence: dict[str, Any] | None = None,
    actor_id: int | None = None,
    host: PluginHost | None = None,
) -> WeightsView:
    """Store ``weights`` as the program's next version (one transaction, audited)."""
    host = host or PluginHost().load()
    _program(session, program_id)
    clean = validate_weights(weights, host)
    latest = latest_weight_set(session, program_id)
    row = WeightSet(
        program_id=program_id,
        version=(latest.version if latest else 0) + 1,
        weights=clean,
        source=source,
        evidence=evidence or {},
        notes=notes,
        created_by_id=actor_id,
    )
    session.add(row)
    session.flush()
    session.add(
        AuditLog(
            actor_id=actor_id,
            action="weights.saved",
            entity_type="weight_set",
            entity_id=str(row.id),
            details={"program_id": program_id, "version": row.version, "weights": clean},
        )
    )
    session.commit()
    return current_weights(session, program_id, host=host)


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
    session: Session,
    program_id: int,
    weights: Mapping[str, Any],
    *,
    top: int = 3,
    host: PluginHost | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RankingPreview:
    """Rank mentors for every mentee under ``weights`` without saving anything.

    The first call for a program builds its criterion values (seconds on a large program);
    later calls with other weights only recombine them (a fraction of a second).
    """
    host = host or PluginHost().load()
    _program(session, program_id)
    clean = validate_weights(weights, host)
    model = matching_models.score_model(session, program_id, host, progress=progress, cancel=cancel)
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
