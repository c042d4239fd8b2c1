"""Keeping the embedding cache warm: ``mentormatch embeddings refresh`` and matching runs.

Encoding is the only slow part of semantic matching (~3 ms per short text on 2 cores), and
its results never change for a given text and model. So vectors live in the database
(``text_embeddings``), and these services make sure a program's goal and profile texts, and
the phrases explanations quote, are there before anyone waits for them. Only texts not yet
cached are encoded; a cancelled refresh stores nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentStatus
from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.cohort_db import load_cohort
from mentormatch_desktop.matching.embeddings import (
    EmbedStats,
    Encoder,
    SemanticUnavailable,
    semantic_status,
)
from mentormatch_desktop.matching.text_vectors import cohort_vectors
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.storage.models import Enrolment, Program


@dataclass(frozen=True)
class RefreshResult:
    programs: int
    texts: int  # goal, profile and phrase texts looked at (unique per program)
    encoded: int  # newly encoded and stored
    cached: int  # already in the cache
    seconds: float


def warm_cohort(
    session: Session,
    cohort: Cohort,
    *,
    encoder: Encoder | None = None,
    with_phrases: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> EmbedStats | None:
    """Load (or encode and add to the session) the cohort's vectors for ``semantic_fit``.

    Returns None when the semantic extra is not installed. The caller commits; until then
    new vectors live in its transaction (a failed run loses only cache entries).
    """
    if encoder is None and not semantic_status().available:
        return None
    vectors = cohort_vectors(
        cohort,
        encoder,
        session=session,
        with_phrases=with_phrases,
        progress=progress,
        cancel=cancel,
    )
    return vectors.stats[-1] if vectors.stats else None


def warm_cohort_cache(
    session: Session,
    cohort: Cohort,
    *,
    with_phrases: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> EmbedStats | None:
    """:func:`warm_cohort` in a short transaction of its own on the session's database.

    For the matching service: vectors are committed at once, so a dry run or a failed run
    still leaves the cache warm for the next one, and the caller's transaction is untouched.
    """
    if not semantic_status().available:
        return None
    with Session(session.get_bind()) as own:
        stats = warm_cohort(
            own, cohort, with_phrases=with_phrases, progress=progress, cancel=cancel
        )
        own.commit()
    return stats


def refresh_embeddings(
    session: Session,
    program_id: int | None = None,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RefreshResult:
    """Encode every not-yet-cached text of one program (or of every program with active
    enrolments) and commit the vectors. Raises :class:`SemanticUnavailable` without the
    extra, naming how to install it."""
    status = semantic_status()
    if encoder is None and not status.available:
        raise SemanticUnavailable(status.reason)
    if program_id is not None:
        if session.get(Program, program_id) is None:
            raise ValueError(f"no program with id {program_id}")
        programs = [program_id]
    else:
        programs = list(
            session.scalars(
                sa.select(Enrolment.program_id)
                .where(Enrolment.status == EnrolmentStatus.ACTIVE)
                .distinct()
                .order_by(Enrolment.program_id)
            )
        )
    started = time.perf_counter()
    texts = encoded = cached = 0
    for k, pid in enumerate(programs):
        check(cancel)
        lo, hi = k / max(1, len(programs)), (k + 1) / max(1, len(programs))

        def sub(fraction: float, message: str, lo: float = lo, hi: float = hi) -> None:
            report(progress, lo + (hi - lo) * fraction, message)

        cohort = load_cohort(session, pid, exclude_matched=False)
        stats = warm_cohort(
            session,
            cohort,
            encoder=encoder,
            progress=sub if progress is not None else None,
            cancel=cancel,
        )
        if stats is not None:
            texts += stats.unique
            encoded += stats.encoded
            cached += stats.cached
        check(cancel)
        session.commit()
    report(progress, 1.0, f"{encoded} texts encoded, {cached} already cached")
    return RefreshResult(len(programs), texts, encoded, cached, time.perf_counter() - started)


SEMANTIC_FIT = "semantic_fit"
TEXT_CRITERIA = ("goal_fit", SEMANTIC_FIT)


@dataclass(frozen=True)
class TextCriterionSwitch:
    program_id: int
    active: str
    weight: float
    version: int | None


def switch_text_criterion(
    session: Session,
    program_id: int,
    criterion: str,
    *,
    actor_id: int | None = None,
    host: PluginHost | None = None,
) -> TextCriterionSwitch:
    """Make ``criterion`` (``semantic_fit`` or ``goal_fit``) the program's text criterion.

    The other text criterion's weight moves onto it (so the balance with skills,
    availability… stays as the coordinator set it), saved as a new weight-set version.
    """
    # Imported here: services.weights → matching_models → this module (cache warming).
    from mentormatch_desktop.services.weights import current_weights, save_weights

    if criterion not in TEXT_CRITERIA:
        raise ValueError(f"text criterion must be one of {', '.join(TEXT_CRITERIA)}")
    host = host or PluginHost().load()
    if criterion not in host.criteria():
        reason = semantic_status().reason if criterion == "semantic_fit" else "not installed"
        raise SemanticUnavailable(f"{criterion} is not available: {reason}")
    view = current_weights(session, program_id, host=host)
    weights = dict(view.weights)
    other = next(c for c in TEXT_CRITERIA if c != criterion)
    moved = weights.get(other, 0.0) + weights.get(criterion, 0.0)
    if moved <= 0:
        moved = float(host.criteria()[other].default_weight) if other in host.criteria() else 1.0
    weights[criterion] = moved
    if other in weights:
        weights[other] = 0.0
    saved = save_weights(
        session,
        program_id,
        weights,
        source="manual",
        notes=f"text criterion switched to {criterion}",
        actor_id=actor_id,
        host=host,
    )
    return TextCriterionSwitch(program_id, criterion, moved, saved.version)
