"""A participant's milestones under row-level security: each person on their own
PostgreSQL login, as their desktop app connects. The mentee reads the pair's milestones and
marks their own done; the mentor reads them but may not tick off the mentee's; a third
participant reaches neither."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.activity import ActivityError
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.my_milestones import complete_my_milestone, my_milestones
from mentormatch_desktop.storage.db import create_engine


def test_milestones_on_each_persons_own_login(pg_demo_url: str, participant_login) -> None:
    host = PluginHost(autoload=False).load()
    owner = create_engine(pg_demo_url)
    engines: list[Engine] = []
    try:
        with owner.connect() as conn:
            ms, milestone, mentor, mentee = conn.execute(
                sa.text(
                    "SELECT m.id, x.id, r.email, e.email FROM mentorships m"
                    " JOIN milestones x ON x.mentorship_id = m.id AND x.owner_id = m.mentee_id"
                    " JOIN people r ON r.id = m.mentor_id JOIN people e ON e.id = m.mentee_id"
                    " WHERE m.status = 'active' AND x.completed_at IS NULL"
                    " ORDER BY m.id, x.id LIMIT 1"
                )
            ).one()
            third = conn.execute(
                sa.text(
                    "SELECT p.email FROM people p WHERE p.is_active AND p.email NOT IN (:a, :b)"
                    " AND NOT EXISTS (SELECT 1 FROM mentorships m WHERE m.id = :ms"
                    " AND p.id IN (m.mentor_id, m.mentee_id)) ORDER BY p.id LIMIT 1"
                ),
                {"a": mentor, "b": mentee, "ms": ms},
            ).scalar_one()
        e_mentee, e_mentor, e_third = (
            participant_login(owner, pg_demo_url, email) for email in (mentee, mentor, third)
        )
        engines += [e_mentee, e_mentor, e_third]

        with unit_of_work(e_mentor, plugins=host) as ctx:
            seen = {m.id: m for m in my_milestones(ctx, ms)}
            assert milestone in seen and not seen[milestone].mine
            with pytest.raises(ActivityError, match="only the person"):
                complete_my_milestone(ctx, milestone)

        with unit_of_work(e_mentee, plugins=host) as ctx:
            complete_my_milestone(ctx, milestone)
        with unit_of_work(e_mentee, plugins=host) as ctx:
            [done] = [m for m in my_milestones(ctx, ms) if m.id == milestone]
        assert done.done and done.mine and done.owner == "You"

        with unit_of_work(e_third, plugins=host) as ctx:
            with pytest.raises(ActivityError):
                my_milestones(ctx, ms)
            with pytest.raises(ActivityError):
                complete_my_milestone(ctx, milestone)
    finally:
        for engine in engines:
            engine.dispose()
        owner.dispose()
