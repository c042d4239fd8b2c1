"""Keeping the embedding cache warm: ``mentormatch embeddings refresh`` and matching runs.

Encoding is the only slow part of semantic matching (~3 ms per short text on 2 cores), and
its results never change for a given text and model. So vectors live in the database
(``text_embeddings``), and these services make sure a program's goal and profile texts, and
the phrases explanations quote, are there before anyone waits for them. Only texts not yet
cached are encoded; a cancelled refresh stores nothing.

New vectors are added to the caller's unit of work, like any other write: a matching run
or a weight suggestion that warms the cache commits them with its own result. This module
sits below :mod:`.weights` and :mod:`.matching_models` and imports neither.
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
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import Enrolment, Program

SEMANTIC_FIT = "semantic_fit"
TEXT_CRITERIA = ("goal_fit", SEMANTIC_FIT)


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

    Returns None when the semantic extra is not installed. The caller's unit of work
    commits the new vectors (a matching run that records its failure keeps them too).
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


def refresh_embeddings(
    ctx: ServiceContext,
    program_id: int | None = None,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> RefreshResult:
    """Encode every not-yet-cached text of one program (or of every program with active
    enrolments) and add the vectors to the unit of work. Raises :class:`SemanticUnavailable`
    without the extra, naming how to install it."""
    session = ctx.session
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
        session.flush()
    report(progress, 1.0, f"{encoded} texts encoded, {cached} already cached")
    return RefreshResult(len(programs), texts, encoded, cached, time.perf_counter() - started)
