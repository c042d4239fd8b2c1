"""A participant's milestones (``services.my_milestones``): they read their own pair's,
tick off only their own, and never reach another pair's (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mentormatch_desktop.domain.enums import AppRole, EngagementKind
from mentormatch_desktop.services.activity import ActivityError
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.my_milestones import complete_my_milestone, my_milestones
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import EngagementEvent, Mentorship, Milestone


@pytest.fixture
def pair(engine, org) -> dict[str, int]:
    """Ada mentors Alan; Alan has two milestones (one done), Ada one."""
    with transaction(engine) as s:
        m = Mentorship(
            program_id=org["program"],
            mentor_id=org["ada"],
            mentee_id=org["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        s.add(m)
        s.flush()
        done = datetime(2026, 3, 20, tzinfo=UTC)
        rows = [
            Milestone(mentorship_id=m.id, owner_id=org["alan"], title="Pair on a review",
                      due_on=date(2026, 4, 1)),
            Milestone(mentorship_id=m.id, owner_id=org["alan"], title="Read the style guide",
                      due_on=date(2026, 3, 15), completed_at=done),
            Milestone(mentorship_id=m.id, owner_id=org["ada"], title="Send reading list"),
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return {**org, "mentorship": m.id, **{f"ms{i}": r.id for i, r in enumerate(rows)}}


def _as(engine, person: int):
    return unit_of_work(engine, actor=Actor(person_id=person, login=None, role=AppRole.PARTICIPANT))


def test_reads_open_first_and_marks_whose(engine, pair) -> None:
    with _as(engine, pair["alan"]) as ctx:
        listed = my_milestones(ctx, pair["mentorship"])
    assert [m.title for m in listed] == [
        "Pair on a review",
        "Send reading list",
        "Read the style guide",
    ]
    assert [(m.owner, m.mine, m.done) for m in listed] == [
        ("You", True, False),
        ("Ada Lovelace", False, False),
        ("You", True, True),
    ]


def test_owner_marks_done_with_an_engagement_event(engine, pair) -> None:
    with _as(engine, pair["alan"]) as ctx:
        complete_my_milestone(ctx, pair["ms0"])
    with _as(engine, pair["alan"]) as ctx:
        [first] = [m for m in my_milestones(ctx, pair["mentorship"]) if m.id == pair["ms0"]]
        events = ctx.session.query(EngagementEvent).filter_by(
            person_id=pair["alan"], kind=EngagementKind.MILESTONE_COMPLETED
        )
        assert events.count() == 1
    assert first.done


def test_partner_and_outsider_are_refused(engine, pair) -> None:
    with pytest.raises(ActivityError, match="only the person"), _as(engine, pair["ada"]) as ctx:
        complete_my_milestone(ctx, pair["ms0"])
    with pytest.raises(ActivityError, match="not one of your"), _as(engine, pair["mary"]) as ctx:
        my_milestones(ctx, pair["mentorship"])
    with pytest.raises(ActivityError, match="not one of your"), _as(engine, pair["mary"]) as ctx:
        complete_my_milestone(ctx, pair["ms2"])
