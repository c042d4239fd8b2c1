"""A small cache of scored cohorts, so re-weighting and repeated runs skip the slow part.

Reading a cohort and building its criterion representations (TF-IDF, availability…) takes
seconds on a large program; recombining them for new weights takes a fraction of a second.
The cache keys a :class:`~mentormatch_desktop.matching.scoring.ScoreModel` by database,
program and options, and checks a *fingerprint* of the program's data (a handful of
aggregate queries) on every use: any edit to enrolments, profiles, skills, goals,
availability, languages, wishes, mentorships or program settings rebuilds the model.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.progress import CancelToken, Progress
from mentormatch_desktop.matching.cohort_db import load_cohort
from mentormatch_desktop.matching.scoring import ScoreModel
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.embeddings import SEMANTIC_FIT, warm_cohort
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Enrolment,
    Goal,
    Mentorship,
    PairPreference,
    Person,
    PersonLanguage,
    PersonSkill,
    Program,
)

MAX_MODELS = 4
_lock = threading.Lock()
_models: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], ScoreModel]] = OrderedDict()


def fingerprint(session: Session, program_id: int) -> tuple[Any, ...]:
    """Aggregates that change whenever anything a cohort is built from changes."""
    enrolled = sa.select(Enrolment.person_id).where(Enrolment.program_id == program_id)
    parts: list[Any] = []
    program = session.execute(
        sa.select(Program.kind, Program.settings, Program.starts_on).where(Program.id == program_id)
    ).one_or_none()
    parts.append(json.dumps(list(program or ()), sort_keys=True, default=str))
    parts.extend(
        session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(Enrolment.id),
                sa.func.sum(Enrolment.capacity),
                sa.func.max(Enrolment.id),
            ).where(Enrolment.program_id == program_id)
        ).one()
    )
    parts.append(
        session.execute(
            sa.select(sa.func.count(), sa.func.max(Person.updated_at)).where(
                Person.id.in_(enrolled)
            )
        ).one()
    )
    status = session.execute(
        sa.select(Enrolment.status, Enrolment.role, Enrolment.preferences)
        .where(Enrolment.program_id == program_id)
        .order_by(Enrolment.id)
    ).all()
    parts.append(hash(json.dumps([list(r) for r in status], sort_keys=True, default=str)))
    for model, extra in (
        (PersonSkill, PersonSkill.level),
        (Goal, Goal.id),
        (AvailabilitySlot, AvailabilitySlot.start_minute + AvailabilitySlot.end_minute),
        (PersonLanguage, sa.func.length(PersonLanguage.level)),
        (PairPreference, PairPreference.id),
    ):
        parts.append(
            tuple(
                session.execute(
                    sa.select(sa.func.count(), sa.func.sum(extra)).where(
                        model.person_id.in_(enrolled)
                    )
                ).one()
            )
        )
    parts.append(
        tuple(
            session.execute(
                sa.select(sa.func.count(), sa.func.max(Mentorship.id)).where(
                    Mentorship.program_id == program_id
                )
            ).one()
        )
    )
    return tuple(str(p) for p in parts)


def score_model(
    ctx: ServiceContext,
    program_id: int,
    *,
    exclude_matched: bool = True,
    names: Iterable[str] | None = (),
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> ScoreModel:
    """The program's score model, from the cache when its data has not changed.

    Criteria are built lazily; pass ``names`` to build those now (with progress). Building
    ``semantic_fit`` adds the vectors it had to encode to the unit of work."""
    session, host = ctx.session, ctx.plugins
    bind = session.get_bind()
    key = (str(bind.url), program_id, exclude_matched, tuple(sorted(host.criteria())))
    stamp = fingerprint(session, program_id)
    with _lock:
        hit = _models.get(key)
        if hit is not None and hit[0] == stamp:
            _models.move_to_end(key)
            model = hit[1]
    if hit is not None and hit[0] == stamp:
        model.prepare(names, progress=progress, cancel=cancel)
        return model
    cohort = load_cohort(session, program_id, exclude_matched=exclude_matched)
    if names and SEMANTIC_FIT in names:
        # vectors from (and new ones into) the DB cache, written with the unit of work
        warm_cohort(session, cohort, progress=progress, cancel=cancel)
    model = ScoreModel(
        cohort, host.criteria(), guard=lambda name: host.guard("register_match_criteria", name)
    )
    with _lock:
        _models[key] = (stamp, model)
        while len(_models) > MAX_MODELS:
            _models.popitem(last=False)
    model.prepare(names, progress=progress, cancel=cancel)
    return model


def clear() -> None:
    """Forget every cached model (tests; a plugin was enabled or disabled)."""
    with _lock:
        _models.clear()
