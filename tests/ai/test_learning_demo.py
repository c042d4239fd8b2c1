"""On the demo organisation, learned weights rediscover its documented hidden relation.

``docs/demo-data.md``: skill fit and common availability drive sessions held and ratings,
a large time-zone gap drives early endings; nothing else matters. So the true importance
order is skill_fit > availability > time_zone > the rest (0).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.matching.learning import NotEnoughOutcomes, rank_correlation
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.learning import (
    LearningError,
    apply_learned_weights,
    suggest_weights,
)
from mentormatch_desktop.storage.models import Program, WeightSet
from mentormatch_desktop.testing import fill_demo_database

# The structured criteria; semantic_fit is covered elsewhere (encoding a whole demo org is
# a benchmark's job, not a unit test's).
CRITERIA = [
    "skill_fit",
    "goal_fit",
    "availability",
    "time_zone",
    "language",
    "experience_gap",
    "department",
    "preferences",
]
TRUTH = {name: 0.0 for name in CRITERIA} | {"skill_fit": 3, "availability": 2, "time_zone": 1}


@pytest.mark.slow
def test_learned_weights_recover_the_demo_relation_and_apply_as_a_new_version(
    engine: Engine, ctx: ServiceContext
) -> None:
    summary = fill_demo_database(engine, participants=1500)
    session = ctx.session
    program_id = session.scalar(sa.select(Program.id).order_by(Program.id))
    suggestion = suggest_weights(ctx, program_id, only=CRITERIA, now=summary.now)
    learned = suggestion.learned
    rho = rank_correlation(learned, TRUTH)
    # Measured with 1500 participants (2026-11-27): rho 0.79, AUC 0.79 vs uniform 0.70
    # (428 outcomes).
    assert learned.n_outcomes >= 300
    assert rho >= 0.6, rho
    assert learned.cv_auc > learned.auc_uniform + 0.03
    top = sorted(learned.suggested, key=learned.suggested.get, reverse=True)[:2]
    assert top[0] == "skill_fit" and "availability" in top[:3]
    assert suggestion.effect is not None and suggestion.effect.mentees > 0

    before = session.scalar(
        sa.select(sa.func.max(WeightSet.version)).where(WeightSet.program_id == program_id)
    )
    applied = apply_learned_weights(ctx, suggestion)
    assert applied.version == (before or 0) + 1
    row = session.get(WeightSet, applied.weight_set_id)
    assert row.source == "learned" and row.evidence["outcomes"] == learned.n_outcomes
    assert row.weights["skill_fit"] == pytest.approx(learned.suggested["skill_fit"], abs=1e-3)
    # a stale suggestion cannot overwrite weights its author has not seen
    with pytest.raises(LearningError, match="weights changed"):
        apply_learned_weights(ctx, suggestion)


def test_a_small_history_gets_a_clear_message(engine: Engine, ctx: ServiceContext) -> None:
    summary = fill_demo_database(engine, participants=150)
    session = ctx.session
    program_id = session.scalar(sa.select(Program.id).order_by(Program.id))
    with pytest.raises(NotEnoughOutcomes, match=r"at least 60 mentorships") as info:
        suggest_weights(ctx, program_id, only=CRITERIA, now=summary.now)
    assert "more outcomes are needed" in str(info.value)
