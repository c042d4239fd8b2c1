"""Run queries behind the Matching screen, on the demo organisation (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.services import match_runs
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import Mentorship


def test_runs_newest_first_and_detail(demo_session: Session, demo_ctx: ServiceContext) -> None:
    programs = match_runs.matching_programs(demo_ctx)
    assert programs
    seen_any = False
    for program in programs:
        runs = match_runs.list_runs(demo_ctx, program.id)
        assert [r.started_at for r in runs] == sorted((r.started_at for r in runs), reverse=True)
        for run in runs:
            detail = match_runs.run_detail(demo_ctx, run.id)
            seen_any = True
            assert sum(detail.weights.values()) == pytest.approx(1.0)
            scores = [p.score for p in detail.proposals]
            assert scores == sorted(scores, reverse=True)
            running = set(
                demo_session.scalars(
                    sa.select(Mentorship.mentee_id).where(
                        Mentorship.program_id == program.id,
                        Mentorship.status == MentorshipStatus.ACTIVE,
                    )
                )
            )
            paired = {p.mentee_id for p in detail.proposals}
            assert not ({pid for pid, _ in detail.unmatched} & (running | paired))
    assert seen_any


def test_unknown_run(demo_ctx: ServiceContext) -> None:
    with pytest.raises(LookupError):
        match_runs.run_detail(demo_ctx, 999_999)
