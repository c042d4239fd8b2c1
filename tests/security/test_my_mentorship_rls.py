"""A participant's own mentorship detail under row-level security: the mentor and the mentee
each on their own PostgreSQL login, as their desktop app connects. Each reads the pair's
shared goals, sessions with both sides' shared notes, their own private note and feedback;
neither reads the other's private goals, notes or feedback; a third participant reads
nothing of it (not even that it exists)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.mentorships import MentorshipError
from mentormatch_desktop.services.my_mentorship import my_mentorship_detail
from mentormatch_desktop.storage.db import create_engine


def test_detail_on_each_persons_own_login(pg_demo_url: str, participant_login, ui_seed) -> None:
    host = PluginHost(autoload=False).load()
    owner = create_engine(pg_demo_url)
    engines: list[Engine] = []
    try:
        with owner.connect() as conn:
            ms, mentor_id, mentee_id, mentor, mentee = conn.execute(
                sa.text(
                    "SELECT m.id, m.mentor_id, m.mentee_id, r.email, e.email FROM mentorships m"
                    " JOIN people r ON r.id = m.mentor_id JOIN people e ON e.id = m.mentee_id"
                    " WHERE m.status = 'active' AND r.is_active AND e.is_active"
                    " ORDER BY m.id LIMIT 1"
                )
            ).one()
            third = conn.execute(
                sa.text(
                    "SELECT p.email FROM people p WHERE p.is_active AND p.id NOT IN (:a, :b)"
                    " AND p.app_role = 'participant' ORDER BY p.id LIMIT 1"
                ),
                {"a": mentor_id, "b": mentee_id},
            ).scalar_one()
        ids = ui_seed.seed_pair_life(owner, ms, mentor_id, mentee_id, datetime.now(UTC))
        e_mentee, e_mentor, e_third = (
            participant_login(owner, pg_demo_url, email) for email in (mentee, mentor, third)
        )
        engines += [e_mentee, e_mentor, e_third]

        with unit_of_work(e_mentee, plugins=host) as ctx:
            d = my_mentorship_detail(ctx, ms)
        text = repr(asdict(d))
        assert "MENTOR" not in text
        assert "Ship a feature" in [g.title for g in d.goals]
        assert "MENTEE own goal: speak at a meetup" in [g.title for g in d.goals]
        assert d.partner.id == mentor_id and d.partner.email == mentor  # mm_mentorship_people
        assert d.partner.time_zone  # the directory's public profile
        held = next(s for s in d.sessions if s.id == ids["held"])
        assert ("You", "Shared by the mentee: will draft the note") in held.shared_notes
        assert any(t == "Shared by the mentor: read chapter 3" for _, t in held.shared_notes)
        assert held.private_note == "MENTEE private note: ask about promotion"
        assert held.ratings == (4,)
        assert [f.comment for f in d.feedback if f.comment.startswith("MENTEE")] == [
            "MENTEE feedback: very helpful"
        ]
        assert {f.author for f in d.feedback} <= {"You"}
        step = next(m for g in d.goals for m in g.milestones if m.title == "Write the design note")
        assert step.mine
        assert "Hand over the weekly report" in [m.title for m in d.loose_milestones]

        with unit_of_work(e_mentor, plugins=host) as ctx:
            d = my_mentorship_detail(ctx, ms)
        text = repr(asdict(d))
        assert "MENTEE" not in text
        assert d.partner.id == mentee_id and d.mentor.role.endswith("you")
        titles = [g.title for g in d.goals]
        assert "Ship a feature" in titles and "MENTOR private goal: delegate more" in titles
        assert "MENTOR private goal: run a marathon" not in titles  # serves no milestone here
        assert {f.comment for f in d.feedback} >= {
            "MENTOR feedback: great start",
            "MENTOR private feedback: not sure it fits",
        }
        assert "Submit a talk proposal" in [m.title for m in d.loose_milestones]

        refused = pytest.raises(MentorshipError, match="not one of your")
        with unit_of_work(e_third, plugins=host) as ctx, refused:
            my_mentorship_detail(ctx, ms)
    finally:
        for engine in engines:
            engine.dispose()
        owner.dispose()
