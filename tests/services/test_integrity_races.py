"""Integrity under concurrency: approvals, decisions and raw SQL against the database's rules.

Races run for real: on PostgreSQL two threads, each with its own engine and connection; on
SQLite two processes on one database file. A barrier releases them together.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    MatchRunStatus,
    MentorshipStatus,
    ProposalStatus,
)
from mentormatch_desktop.domain.errors import StaleDecisionError
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import match_decisions, run_approval
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.match_records import MatchingError
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import (
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    Program,
)

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def seed(engine: Engine, *, mentors: int = 3, mentees: int = 6, capacity: int = 2) -> dict:
    """A program, its people, and one completed run proposing mentee i → mentor i % mentors."""
    with transaction(engine) as s:
        program = Program(name="Race program", starts_on=date(2026, 5, 1))
        s.add(program)
        s.flush()
        ids: dict[str, Any] = {"program": program.id, "mentors": [], "mentees": []}
        for role, n, key in ((EnrolmentRole.MENTOR, mentors, "mentors"),
                             (EnrolmentRole.MENTEE, mentees, "mentees")):  # fmt: skip
            for i in range(n):
                p = Person(full_name=f"{role.value.title()} {i}", email=f"{role.value}{i}@x.org")
                s.add(p)
                s.flush()
                cap = capacity if role == EnrolmentRole.MENTOR else 1
                s.add(Enrolment(program_id=program.id, person_id=p.id, role=role, capacity=cap))
                ids[key].append(p.id)
    ids["run"] = add_run(engine, ids)
    return ids


def add_run(engine: Engine, ids: dict, shift: int = 0) -> int:
    """A completed run pairing mentee i with mentor (i + shift) % mentors."""
    with transaction(engine) as s:
        run = MatchRun(
            program_id=ids["program"], strategy="test", status=MatchRunStatus.COMPLETED,
            started_at=NOW, finished_at=NOW,
        )  # fmt: skip
        s.add(run)
        s.flush()
        mentors = ids["mentors"]
        for i, mentee in enumerate(ids["mentees"]):
            s.add(
                MatchProposal(
                    run_id=run.id, mentee_id=mentee, mentor_id=mentors[(i + shift) % len(mentors)],
                    score=0.5 + i / 100,
                )
            )  # fmt: skip
        return run.id


def running_pairs(engine: Engine, program_id: int) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [
            (e, m)
            for e, m in conn.execute(
                sa.select(Mentorship.mentee_id, Mentorship.mentor_id).where(
                    Mentorship.program_id == program_id,
                    Mentorship.status.in_(["active", "paused"]),
                )
            )
        ]


# --- running actions at the same moment -------------------------------------------------


def _approve(url: str, run_id: int) -> str:
    engine = create_engine(url)
    try:
        with unit_of_work(engine, plugins=PluginHost(autoload=False)) as ctx:
            summary = run_approval.approve_run(ctx, run_id)
        return f"approved:{summary.mentorships_created}"
    finally:
        engine.dispose()


def _reject(url: str, proposal_id: int) -> str:
    engine = create_engine(url)
    try:
        with unit_of_work(engine, plugins=PluginHost(autoload=False)) as ctx:
            match_decisions.set_proposal_status(ctx, proposal_id, "reject")
        return "rejected"
    finally:
        engine.dispose()


def _outcome(fn: Callable[..., str], args: tuple[Any, ...]) -> str:
    try:
        return fn(*args)
    except (MatchingError, StaleDecisionError) as exc:
        return f"refused:{exc}"


def _process_main(fn, args, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    results.put(_outcome(fn, args))


def race(url: str, calls: list[tuple[Callable[..., str], tuple[Any, ...]]]) -> list[str]:
    """Run ``calls`` at once: threads with own engines on PostgreSQL, processes on SQLite."""
    if url.startswith("sqlite"):
        mp = multiprocessing.get_context("fork")
        barrier, results = mp.Barrier(len(calls)), mp.Queue()
        procs = [
            mp.Process(target=_process_main, args=(fn, a, barrier, results)) for fn, a in calls
        ]
        for p in procs:
            p.start()
        out = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
        return out
    tbarrier = threading.Barrier(len(calls))
    tresults: queue.Queue[str] = queue.Queue()

    def main(fn: Callable[..., str], args: tuple[Any, ...]) -> None:
        tbarrier.wait()
        tresults.put(_outcome(fn, args))

    threads = [threading.Thread(target=main, args=c) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return [tresults.get_nowait() for _ in threads]


# --- tests ------------------------------------------------------------------------------


def test_concurrent_approval_of_one_run_creates_one_set_of_mentorships(db_url):
    engine = create_engine(db_url)
    try:
        ids = seed(engine)
        for attempt in range(3):
            if attempt:
                ids = _reset(engine, ids)
            outcomes = race(db_url, [(_approve, (db_url, ids["run"]))] * 3)
            assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused", "refused"]
            assert "approved:6" in outcomes
            assert all("already approved" in o for o in outcomes if o.startswith("refused"))
            pairs = running_pairs(engine, ids["program"])
            assert len(pairs) == 6 == len(set(pairs))
    finally:
        engine.dispose()


def _reset(engine: Engine, ids: dict) -> dict:
    """End every running pairing and add a fresh completed run (the next race's subject)."""
    with transaction(engine) as s:
        s.execute(
            sa.update(Mentorship)
            .where(Mentorship.program_id == ids["program"])
            .values(status=MentorshipStatus.COMPLETED, ended_at=NOW)
        )
    return {**ids, "run": add_run(engine, ids)}


def test_reject_racing_an_approval_never_ends_accepted(db_url):
    engine = create_engine(db_url)
    try:
        ids = seed(engine)
        for attempt in range(4):
            if attempt:
                ids = _reset(engine, ids)
            with engine.connect() as conn:
                target = conn.scalar(
                    sa.select(MatchProposal.id)
                    .where(MatchProposal.run_id == ids["run"])
                    .order_by(MatchProposal.id)
                    .limit(1)
                )
            calls = [(_approve, (db_url, ids["run"])), (_reject, (db_url, target))]
            outcomes = race(db_url, calls if attempt % 2 else calls[::-1])
            with engine.connect() as conn:
                status, mentee, mentor = conn.execute(
                    sa.select(
                        MatchProposal.status, MatchProposal.mentee_id, MatchProposal.mentor_id
                    ).where(MatchProposal.id == target)
                ).one()
            paired = (mentee, mentor) in running_pairs(engine, ids["program"])
            if "rejected" in outcomes:  # the rejection landed first: approval honoured it
                assert status == ProposalStatus.REJECTED and not paired
                assert "approved:5" in outcomes
            else:  # approval first: the rejection was refused, the pair stands
                assert status == ProposalStatus.ACCEPTED and paired
                assert any("already approved" in o for o in outcomes)
    finally:
        engine.dispose()


def test_concurrent_approval_of_two_runs_of_one_program_approves_one(db_url):
    engine = create_engine(db_url)
    try:
        ids = seed(engine, mentors=3, mentees=6, capacity=2)
        second = add_run(engine, ids, shift=1)  # same seats, other pairs
        outcomes = race(db_url, [(_approve, (db_url, ids["run"])), (_approve, (db_url, second))])
        assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "refused"]
        assert any("discarded" in o for o in outcomes)
        pairs = running_pairs(engine, ids["program"])
        assert len(pairs) == 6
        load = {m: sum(1 for _, x in pairs if x == m) for m in ids["mentors"]}
        assert max(load.values()) <= 2 and len({e for e, _ in pairs}) == 6
        with engine.connect() as conn:
            states = dict(
                conn.execute(sa.select(MatchRun.id, MatchRun.status).where(
                    MatchRun.id.in_([ids["run"], second]))).all()
            )  # fmt: skip
        assert sorted(states.values()) == ["approved", "discarded"]
    finally:
        engine.dispose()


def test_approving_a_discarded_or_approved_run_is_refused(engine):
    ids = seed(engine)
    other = add_run(engine, ids, shift=1)
    host = PluginHost(autoload=False)
    with unit_of_work(engine, plugins=host) as ctx:
        summary = run_approval.approve_run(ctx, ids["run"])
    assert summary.mentorships_created == 6 and summary.discarded_runs == [other]
    for run_id, words in ((ids["run"], "already approved"), (other, "was discarded")):
        with pytest.raises(MatchingError, match=words), unit_of_work(engine, plugins=host) as ctx:
            run_approval.approve_run(ctx, run_id)
    with (
        pytest.raises(MatchingError, match="was discarded"),
        unit_of_work(engine, plugins=host) as ctx,
    ):
        first = ctx.session.scalar(sa.select(MatchProposal.id).where(MatchProposal.run_id == other))
        match_decisions.set_proposal_status(ctx, first, "reject")
    assert len(running_pairs(engine, ids["program"])) == 6


def test_approval_that_would_overfill_a_mentor_is_refused_naming_them(engine):
    ids = seed(engine, mentors=2, mentees=4, capacity=2)
    with transaction(engine) as s:  # a re-match elsewhere took one of mentor 0's seats
        extra = Person(full_name="Late Mentee", email="late@x.org")
        s.add(extra)
        s.flush()
        s.add(Mentorship(program_id=ids["program"], mentor_id=ids["mentors"][0],
                         mentee_id=extra.id, started_at=NOW))  # fmt: skip
    with (
        pytest.raises(
            MatchingError, match=r"Mentor 0 would have 3 running mentorships \(capacity 2\)"
        ),
        unit_of_work(engine, plugins=PluginHost(autoload=False)) as ctx,
    ):
        run_approval.approve_run(ctx, ids["run"])
    assert len(running_pairs(engine, ids["program"])) == 1


def test_stale_decision_is_refused_not_overwritten(engine):
    ids = seed(engine)
    with transaction(engine) as s:
        first = s.scalars(
            sa.select(MatchProposal).where(MatchProposal.run_id == ids["run"])
        ).first()
        seen = first.version
        target = first.id
    host = PluginHost(autoload=False)
    with unit_of_work(engine, plugins=host) as ctx:  # another coordinator locks it meanwhile
        view = match_decisions.set_proposal_status(ctx, target, "lock", expected_version=seen)
    assert view.version == seen + 1 and view.status == ProposalStatus.LOCKED
    with (
        pytest.raises(StaleDecisionError, match="changed by someone else"),
        unit_of_work(engine, plugins=host) as ctx,
    ):
        match_decisions.set_proposal_status(ctx, target, "reject", expected_version=seen)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(MatchProposal.status).where(MatchProposal.id == target)) == (
            ProposalStatus.LOCKED
        )


def test_stale_run_version_is_refused_at_approval(engine):
    ids = seed(engine)
    with (
        pytest.raises(StaleDecisionError),
        unit_of_work(engine, plugins=PluginHost(autoload=False)) as ctx,
    ):
        run_approval.approve_run(ctx, ids["run"], expected_version=7)
    assert running_pairs(engine, ids["program"]) == []


def _raw_insert(engine: Engine, program: int, mentee: int, mentor: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO mentorships (program_id, mentor_id, mentee_id, status, started_at, "
                "end_reason, created_at) VALUES (:p, :m, :e, 'active', :t, '', :t)"
            ),
            {"p": program, "m": mentor, "e": mentee, "t": NOW.replace(tzinfo=None)},
        )


def test_race_backstop_raw_sql_duplicate_running_pair_is_refused_by_the_database(engine):
    ids = seed(engine, capacity=5)
    mentee, mentor = ids["mentees"][0], ids["mentors"][0]
    _raw_insert(engine, ids["program"], mentee, mentor)
    with pytest.raises(IntegrityError, match=r"uq_mentorships_running_pair|UNIQUE constraint"):
        _raw_insert(engine, ids["program"], mentee, mentor)
    with engine.begin() as conn:  # once ended, the same pair may start again
        conn.execute(sa.text("UPDATE mentorships SET status = 'completed'"))
    _raw_insert(engine, ids["program"], mentee, mentor)
    assert running_pairs(engine, ids["program"]) == [(mentee, mentor)]


def test_race_backstop_raw_sql_mentorship_over_capacity_is_refused_by_the_database(engine):
    ids = seed(engine, capacity=1)
    mentor = ids["mentors"][0]
    _raw_insert(engine, ids["program"], ids["mentees"][0], mentor)
    with pytest.raises(DBAPIError, match="mentor over capacity"):
        _raw_insert(engine, ids["program"], ids["mentees"][1], mentor)
    with engine.begin() as conn:  # pausing and resuming re-checks; ending frees the seat
        conn.execute(sa.text("UPDATE mentorships SET status = 'paused'"))
        conn.execute(sa.text("UPDATE mentorships SET status = 'completed'"))
    _raw_insert(engine, ids["program"], ids["mentees"][1], mentor)
    assert running_pairs(engine, ids["program"]) == [(ids["mentees"][1], mentor)]


def _reassign(url: str, mentorship_id: int, mentor: int) -> str:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE mentorships SET mentor_id = :m WHERE id = :i"),
                {"m": mentor, "i": mentorship_id},
            )
        return "moved"
    except DBAPIError as exc:
        return f"refused:{exc.orig}"
    finally:
        engine.dispose()


def test_concurrent_raw_writes_cannot_overfill_a_mentor(db_url):
    """Two clients each move a pairing onto the last free seat of one mentor at once."""
    engine = create_engine(db_url)
    try:
        ids = seed(engine, mentors=3, mentees=2, capacity=1)
        m0, m1, m2 = ids["mentors"]
        _raw_insert(engine, ids["program"], ids["mentees"][0], m0)
        _raw_insert(engine, ids["program"], ids["mentees"][1], m1)
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("SELECT mentor_id, id FROM mentorships")).all())
        outcomes = race(db_url, [(_reassign, (db_url, rows[m0], m2)),
                                 (_reassign, (db_url, rows[m1], m2))])  # fmt: skip
        assert sorted(o.split(":")[0] for o in outcomes) == ["moved", "refused"]
        assert any("mentor over capacity" in o for o in outcomes)
        pairs = running_pairs(engine, ids["program"])
        assert sum(1 for _, m in pairs if m == m2) == 1
    finally:
        engine.dispose()
