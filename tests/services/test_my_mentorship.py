"""A participant's own mentorship detail (``services.my_mentorship``), scoped by the acting
person in the ServiceContext: each side sees the pair's shared goals, sessions with both
sides' shared notes, their own private note and their own feedback; never the partner's
private goals, notes or feedback, nor the coordinator's score, reasons or end reason; an
outsider gets nothing (both backends, the owner's connection: the service's own scoping)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from mentormatch_desktop.domain.enums import AppRole, MentorshipStatus
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.mentorship_detail import MentorshipDetail
from mentormatch_desktop.services.mentorships import MentorshipError, end_mentorship
from mentormatch_desktop.services.my_mentorship import my_mentorship_detail
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import Mentorship


@pytest.fixture
def pair(engine, org, ui_seed) -> dict[str, int]:
    with transaction(engine) as s:
        m = Mentorship(
            program_id=org["program"],
            mentor_id=org["ada"],
            mentee_id=org["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        s.add(m)
        s.flush()
        mid = m.id
    life = ui_seed.seed_pair_life(engine, mid, org["ada"], org["alan"], datetime.now(UTC))
    return {**org, **life, "mentorship": mid}


def _as(engine, person: int):
    return unit_of_work(engine, actor=Actor(person_id=person, login=None, role=AppRole.PARTICIPANT))


def _all_text(detail: MentorshipDetail) -> str:
    return repr(asdict(detail))


def test_mentee_sees_the_pair_and_only_their_own_private_rows(engine, pair) -> None:
    with _as(engine, pair["alan"]) as ctx:
        d = my_mentorship_detail(ctx, pair["mentorship"])
    text = _all_text(d)
    assert "MENTOR" not in text  # the mentor's private goals, notes and feedback
    assert d.partner.name == "Ada Lovelace" and d.partner.email == "ada@example.org"
    assert d.partner.title == "Principal engineer" and d.mentee.role == "Mentee · you"
    assert d.program == "Spring mentoring" and d.status == MentorshipStatus.ACTIVE
    # the coordinator's: no score, reasons, risk, end reason, activity
    assert d.score is None and d.reasons == [] and not d.at_risk and d.activity == []
    goals = {g.title: g for g in d.goals}
    assert set(goals) == {"Ship a feature", "MENTEE own goal: speak at a meetup"}
    [step] = goals["Ship a feature"].milestones
    assert step.mine and step.owner == "You" and step.id == pair["step0"]
    # the mentor's step serves a goal of theirs Alan may not read: listed without it
    [loose] = d.loose_milestones
    assert loose.title == "Hand over the weekly report" and not loose.mine
    assert loose.owner == "Ada Lovelace"
    past, upcoming = d.sessions
    assert upcoming.starts_at > d.as_of > past.starts_at
    assert dict(past.shared_notes) == {
        "Ada Lovelace": "Shared by the mentor: read chapter 3",
        "You": "Shared by the mentee: will draft the note",
    }
    assert past.private_note == "MENTEE private note: ask about promotion"
    assert past.ratings == (4,)  # Alan's own rating, not Ada's 5
    assert [(f.author, f.comment) for f in d.feedback] == [("You", "MENTEE feedback: very helpful")]
    assert d.thread_id is None  # none made in this test


def test_mentor_sees_the_shared_goal_not_the_mentees_own(engine, pair) -> None:
    with _as(engine, pair["ada"]) as ctx:
        d = my_mentorship_detail(ctx, pair["mentorship"])
    text = _all_text(d)
    assert "MENTEE" not in text
    assert d.partner.name == "Alan Turing" and d.mentor.role == "Mentor · you"
    goals = {g.title: g for g in d.goals}  # the shared one, and her own one a step serves
    assert set(goals) == {"Ship a feature", "MENTOR private goal: delegate more"}
    [own_step] = goals["MENTOR private goal: delegate more"].milestones
    assert own_step.mine and own_step.title == "Hand over the weekly report"
    # Alan's step towards his own goal is the pair's milestone, its goal Alan's alone
    [loose] = d.loose_milestones
    assert loose.title == "Submit a talk proposal" and not loose.mine
    assert {(f.comment, f.private) for f in d.feedback} == {
        ("MENTOR feedback: great start", False),
        ("MENTOR private feedback: not sure it fits", True),
    }


def test_ended_mentorship_shows_dates_not_the_coordinators_reason(engine, pair) -> None:
    with unit_of_work(engine) as ctx:
        end_mentorship(ctx, pair["mentorship"], "COORDINATOR reason: mentor unresponsive")
    with _as(engine, pair["alan"]) as ctx:
        d = my_mentorship_detail(ctx, pair["mentorship"])
    assert "COORDINATOR" not in _all_text(d)
    assert d.ended_at is not None
    assert [c.label for c in d.history] == ["Started", "Ended early"]


def test_outsider_is_refused(engine, pair) -> None:
    with pytest.raises(MentorshipError, match="not one of your"), _as(engine, pair["mary"]) as ctx:
        my_mentorship_detail(ctx, pair["mentorship"])
