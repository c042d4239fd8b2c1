"""A demo written to SQLite and PostgreSQL: complete, coherent and telling its story."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from scipy.stats import spearmanr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mentormatch_desktop.analytics.facts import activity_totals
from mentormatch_desktop.demo.evidence import mentorship_outcomes
from mentormatch_desktop.services.demo import (
    DemoDatabaseNotEmpty,
    database_is_empty,
    ensure_demo_database,
    fill_demo,
)
from mentormatch_desktop.storage.models import (
    EngagementEvent,
    Goal,
    Meeting,
    Mentorship,
    Message,
    Milestone,
    PairPreference,
    Person,
    Program,
    SkillAlias,
    WeightSet,
)
from mentormatch_desktop.testing import DemoInfo, UnitOfWork, fill_demo_database

NOW = datetime(2026, 5, 20, tzinfo=UTC)


def _scalar(session: Session, statement: sa.Select) -> object:
    return session.execute(statement).scalar()


def test_demo_database_is_complete_and_consistent(
    demo_session: Session, demo_info: DemoInfo
) -> None:
    s, now = demo_session, demo_info.now
    assert _scalar(s, sa.select(sa.func.count()).select_from(Person)) == demo_info.participants
    if s.bind.dialect.name == "sqlite":
        assert s.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    # One CEO; every reporting line ends there.
    managers = dict(s.execute(sa.select(Person.id, Person.manager_id)).all())
    assert [p for p, m in managers.items() if m is None] == [1]
    for person in managers:
        seen = set()
        while managers[person] is not None:
            assert person not in seen
            seen.add(person)
            person = managers[person]
    zones = set(s.scalars(sa.select(Person.time_zone).distinct()))
    assert zones <= zoneinfo.available_timezones()
    assert len({z.split("/")[0] for z in zones}) >= 3
    assert _scalar(s, sa.select(SkillAlias.skill_id).where(SkillAlias.alias == "ml")) is not None
    kinds = {(str(k), str(st)) for k, st in s.execute(sa.select(Program.kind, Program.status))}
    assert {k for k, _ in kinds} == {"one_to_one", "peer", "group"}
    assert ("one_to_one", "closed") in kinds and ("one_to_one", "active") in kinds
    defaults = s.scalars(sa.select(WeightSet.program_id).where(WeightSet.source == "default"))
    assert set(defaults) == set(s.scalars(sa.select(Program.id)))
    assert _scalar(s, sa.select(sa.func.count()).where(PairPreference.kind == "must_not")) >= 1
    mentee_goals = s.execute(
        sa.select(Goal.person_id, sa.func.count()).group_by(Goal.person_id)
    ).all()
    assert mentee_goals and min(n for _, n in mentee_goals) >= 2

    # History: about six months up to "now", with a few sessions already planned.
    earliest = now - timedelta(days=200)
    for column in (Meeting.starts_at, Message.created_at, EngagementEvent.occurred_at):
        assert _scalar(s, sa.select(sa.func.min(column))) >= earliest
    for column in (Message.created_at, EngagementEvent.occurred_at):
        assert _scalar(s, sa.select(sa.func.max(column))) <= now
    held = sa.select(sa.func.max(Meeting.starts_at)).where(Meeting.status == "held")
    assert _scalar(s, held) < now
    statuses = set(s.scalars(sa.select(Mentorship.status).distinct()))
    assert {"active", "completed", "ended_early"} <= {str(x) for x in statuses}
    meeting_statuses = {str(x) for x in s.scalars(sa.select(Meeting.status).distinct())}
    assert {"held", "missed", "scheduled"} <= meeting_statuses


def test_some_pairs_are_clearly_at_risk(demo_session: Session, demo_info: DemoInfo) -> None:
    s, now = demo_session, demo_info.now
    totals = activity_totals(now)  # last activity as every screen reads it: from the log
    quiet = s.scalars(
        sa.select(Mentorship.id)
        .outerjoin(totals, totals.c.mentorship_id == Mentorship.id)
        .where(
            Mentorship.status == "active",
            sa.or_(totals.c.last_activity.is_(None),
                   totals.c.last_activity < now - timedelta(days=30)),
        )
    ).all()  # fmt: skip
    assert quiet, "no active pair has been silent for 30 days"
    for mentorship_id in quiet:  # silence means no held session and no message either
        recent = sa.select(sa.func.count()).where(
            Meeting.mentorship_id == mentorship_id,
            Meeting.status == "held",
            Meeting.starts_at > now - timedelta(days=30),
        )
        assert _scalar(s, recent) == 0
    overdue = (
        sa.select(sa.func.count())
        .select_from(Milestone)
        .join(Mentorship)
        .where(
            Mentorship.status == "active",
            Milestone.completed_at.is_(None),
            Milestone.due_on < now.date(),
        )
    )
    assert _scalar(s, overdue) > 0


def test_hidden_relation_is_visible_in_stored_data(engine: Engine) -> None:
    fill_demo_database(engine, participants=600, seed=11, now=NOW)
    with engine.connect() as conn:
        outcomes = mentorship_outcomes(conn, NOW)
    assert len(outcomes) > 150
    fit_vs_sessions = spearmanr(outcomes.skill_fit, outcomes.held_per_30_days).statistic
    assert fit_vs_sessions > 0.3
    rated = outcomes.dropna(subset=["mean_rating"])
    assert spearmanr(rated.skill_fit, rated.mean_rating).statistic > 0.3
    far = outcomes[outcomes.tz_gap_hours >= 6].ended_early.mean()
    near = outcomes[outcomes.tz_gap_hours <= 1].ended_early.mean()
    assert far > near


def test_demo_fills_only_an_empty_database(engine: Engine, uow: UnitOfWork) -> None:
    with uow() as ctx:
        assert database_is_empty(ctx.session)
        assert ensure_demo_database(ctx, participants=40, seed=1, now=NOW) is True
    with uow() as ctx:
        assert ensure_demo_database(ctx, participants=40, seed=1, now=NOW) is False
    with pytest.raises(DemoDatabaseNotEmpty), uow() as ctx:
        fill_demo(ctx, participants=40, now=NOW)
    with Session(engine) as s:
        assert _scalar(s, sa.select(sa.func.count()).select_from(Person)) == 40
        # Sequences continue after the generated ids: new rows insert normally.
        s.add(Person(email="new.person@example.com", full_name="New Person"))
        s.commit()


def test_cancelled_demo_writes_nothing(engine: Engine, uow: UnitOfWork) -> None:
    from mentormatch_desktop.domain.progress import Cancelled, CancelToken

    token = CancelToken()

    def progress(fraction: float, message: str) -> None:
        if message.startswith("writing people"):
            token.cancel()

    with pytest.raises(Cancelled), uow() as ctx:
        fill_demo(ctx, participants=40, now=NOW, progress=progress, cancel=token)
    with uow() as ctx:
        assert database_is_empty(ctx.session)


def test_bulk_load_restores_every_index_and_foreign_key(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mentormatch_desktop.demo import writer
    from mentormatch_desktop.storage.migrations import schema_differences

    monkeypatch.setattr(writer, "BULK_ROWS", 100)  # take the PostgreSQL bulk path for most tables
    fill_demo_database(engine, participants=60, seed=5, now=NOW)
    with engine.connect() as conn:
        assert schema_differences(conn) == []
        fks = {fk["name"] for fk in sa.inspect(conn).get_foreign_keys("engagement_events")}
    assert len(fks) == 3


def test_demo_leaves_planner_statistics_for_what_it_loaded(engine: Engine) -> None:
    # Autovacuum may be off or not come round for a minute; until then PostgreSQL plans a
    # freshly loaded demo with no statistics at all (and SQLite always does).
    summary = fill_demo_database(engine, participants=40, seed=3, now=NOW)
    loaded = sorted(name for name, count in summary.rows.items() if count)
    assert "people" in loaded and "enrolments" in loaded
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # last_analyze is set by an explicit ANALYZE only (autovacuum's is another column).
            analysed = set(
                conn.execute(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables"
                        " WHERE last_analyze IS NOT NULL AND relname = ANY (:names)"
                    ),
                    {"names": loaded},
                ).scalars()
            )
            with_stats = set(
                conn.execute(
                    sa.text(
                        "SELECT DISTINCT tablename FROM pg_stats"
                        " WHERE schemaname = current_schema() AND tablename = ANY (:names)"
                    ),
                    {"names": loaded},
                ).scalars()
            )
            assert with_stats == set(loaded)
        else:
            analysed = set(conn.execute(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars())
    assert set(loaded) <= analysed


def test_peer_proposals_never_speak_of_a_mentee(demo_session: Session) -> None:
    """A peer pair has no mentee: the stored explanations used the mentor/mentee wording."""
    from mentormatch_desktop.domain.enums import ProgramKind
    from mentormatch_desktop.storage.models import MatchProposal, MatchRun

    def explanations(kind: ProgramKind) -> list[str]:
        return list(demo_session.scalars(
            sa.select(MatchProposal.explanation)
            .join(MatchRun, MatchRun.id == MatchProposal.run_id)
            .join(Program, Program.id == MatchRun.program_id)
            .where(Program.kind == kind)
        ))  # fmt: skip

    peer = explanations(ProgramKind.PEER)
    assert peer and not any("mentee" in text for text in peer)
    assert any("mentee" in text for text in explanations(ProgramKind.ONE_TO_ONE))


def test_no_pair_plans_the_same_milestone_twice(demo_session: Session) -> None:
    repeats = demo_session.execute(
        sa.select(Milestone.mentorship_id, Milestone.title)
        .group_by(Milestone.mentorship_id, Milestone.title)
        .having(sa.func.count() > 1)
    ).all()
    assert repeats == []
