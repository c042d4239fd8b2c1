"""The unit of work: who owns the transaction, who is acting, and what a client may migrate.

Services only flush; ``unit_of_work`` commits once, rolls back on an exception, and keeps a
failure record a service asked it to keep. The acting person comes from one place and is
named in every audit row. A client never migrates a shared (PostgreSQL) database.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mentormatch_desktop.cli import cli
from mentormatch_desktop.domain.enums import AppRole, MatchRunStatus, ProposalStatus
from mentormatch_desktop.plugin.host import PluginHost, default_host
from mentormatch_desktop.services import matching as svc
from mentormatch_desktop.services import programs
from mentormatch_desktop.services.context import (
    LOCAL_COORDINATOR,
    Actor,
    ServiceContext,
    forget_actor,
    resolve_actor,
    unit_of_work,
)
from mentormatch_desktop.services.match_records import fit_text
from mentormatch_desktop.services.programs import ProgramError, ProgramInput
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import (
    SchemaMismatch,
    check_schema,
    head_revision,
    prepare_schema,
)
from mentormatch_desktop.storage.models import (
    AuditLog,
    EngagementEvent,
    MatchProposal,
    MatchRun,
    Mentorship,
    Person,
    WeightSet,
)
from mentormatch_desktop.testing import UnitOfWork


def _seed_program():
    path = Path(__file__).with_name("test_matching_service.py")
    spec = importlib.util.spec_from_file_location("mm_matching_seed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.seed_program


seed_program = _seed_program()


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_approval_and_later_work_are_one_transaction(engine: Engine, uow: UnitOfWork) -> None:
    with uow() as ctx:
        ids = seed_program(ctx.session)
    with uow() as ctx:
        run_id = svc.run_matching(ctx, ids["program"], "optimizer").run_id

    class IntroductionsFailed(RuntimeError):
        pass

    with pytest.raises(IntroductionsFailed), uow() as ctx:
        summary = svc.approve_run(ctx, run_id)
        assert summary.mentorships_created == 6  # flushed: visible inside the unit of work
        assert ctx.session.scalar(sa.select(sa.func.count()).select_from(Mentorship)) == 6
        raise IntroductionsFailed("the outbox refused the introductions")
    # nothing of the approval survived the failure of the work that followed it
    assert _count(engine, Mentorship) == 0 and _count(engine, EngagementEvent) == 0
    with Session(engine) as s:
        assert s.get(MatchRun, run_id).status == MatchRunStatus.COMPLETED

    with uow() as ctx:
        svc.approve_run(ctx, run_id)
    assert _count(engine, Mentorship) == 6


def test_a_failed_run_is_kept_while_the_error_travels_on(engine: Engine, uow: UnitOfWork) -> None:
    with uow() as ctx:
        ids = seed_program(ctx.session)
    with pytest.raises(svc.MatchingError, match="no matching strategy") as err, uow() as ctx:
        svc.run_matching(ctx, ids["program"], "no-such-strategy")
    assert err.value.run_id is not None
    with Session(engine) as s:
        run = s.get(MatchRun, err.value.run_id)
        assert run.status == MatchRunStatus.FAILED and "no-such-strategy" in run.diagnosis
        failed = s.scalars(sa.select(AuditLog).where(AuditLog.action == "match_run.failed"))
        assert [a.entity_id for a in failed] == [str(run.id)]


def test_audit_rows_name_the_acting_person(engine: Engine, uow: UnitOfWork) -> None:
    with uow() as ctx:
        ids = seed_program(ctx.session)  # (seeding commits by itself)
    with uow() as ctx:
        coordinator = Person(
            email="coord@example.org", full_name="Cora Ordinator", app_role=AppRole.COORDINATOR
        )
        ctx.session.add(coordinator)
        ctx.session.flush()
        cora = Actor(person_id=coordinator.id, login="cora", role=AppRole.COORDINATOR)
    with uow(actor=cora) as ctx:
        run = svc.run_matching(ctx, ids["program"], "optimizer")
        view = svc.set_proposal_status(ctx, run.proposals[0].id, "reject")
    assert view.decided_by_id == cora.person_id
    with Session(engine) as s:
        rows = s.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        assert [r.action for r in rows] == ["match_run.completed", "proposal.rejected"]
        assert {(r.actor_id, r.actor_login) for r in rows} == {(cora.person_id, "cora")}
        assert s.get(MatchRun, run.run_id).created_by_id == cora.person_id


def test_the_actor_is_the_database_login_on_postgres_and_the_local_coordinator_on_sqlite(
    engine: Engine, uow: UnitOfWork
) -> None:
    if engine.dialect.name == "sqlite":
        assert resolve_actor(engine) is LOCAL_COORDINATOR
        return
    with engine.connect() as conn:
        login = conn.scalar(sa.text("SELECT current_user"))
    nobody = resolve_actor(engine)  # a login no person row names: a coordinator, no person
    assert (nobody.person_id, nobody.login, nobody.role) == (None, login, AppRole.COORDINATOR)
    with uow() as ctx:
        person = Person(
            email="ops@example.org", full_name="Ops Person", db_login=login, app_role="admin"
        )
        ctx.session.add(person)
    forget_actor(engine)
    with uow() as ctx:  # no actor given: resolved from current_user
        assert ctx.actor.person_id == person.id and ctx.actor.role == AppRole.ADMIN
        ctx.audit("test.acted", "person", person.id)
    with Session(engine) as s:
        row = s.scalars(sa.select(AuditLog).where(AuditLog.action == "test.acted")).one()
        assert (row.actor_id, row.actor_login) == (person.id, login)
    forget_actor(engine)


def test_read_only_services_leave_the_callers_pending_work_alone(
    ctx: ServiceContext,
) -> None:
    ids = seed_program(ctx.session)
    run = svc.run_matching(ctx, ids["program"], "optimizer")
    a, b = run.proposals[0], run.proposals[1]
    pending = ctx.session.get(MatchProposal, a.id)
    pending.note = "not saved yet"
    svc.preview_swap(ctx, a.id, b.id)  # used to roll the session back
    svc.why_not(ctx, run.run_id, a.mentee_id, b.mentor_id)
    assert ctx.session.get(MatchProposal, a.id).note == "not saved yet"
    assert ctx.session.get(MatchProposal, a.id).status == ProposalStatus.PROPOSED


def test_why_not_says_when_it_re_solved_with_the_optimizer(ctx: ServiceContext) -> None:
    ids = seed_program(ctx.session)
    greedy = svc.run_matching(ctx, ids["program"], "greedy")
    mentee = greedy.proposals[0]
    other = next(p.mentor_id for p in greedy.proposals if p.mentor_id != mentee.mentor_id)
    answer = svc.why_not(ctx, greedy.run_id, mentee.mentee_id, other)
    assert answer.solved_with == "optimizer"
    assert "re-solving with the optimizer" in answer.text and "'greedy'" in answer.text
    optimal = svc.run_matching(ctx, ids["program"], "optimizer")
    mine = optimal.proposals[0]
    other = next(p.mentor_id for p in optimal.proposals if p.mentor_id != mine.mentor_id)
    plain = svc.why_not(ctx, optimal.run_id, mine.mentee_id, other)
    assert plain.resolved_note == "" and "re-solving" not in plain.text


def test_long_explanations_and_notes_are_kept_whole(ctx: ServiceContext) -> None:
    ids = seed_program(ctx.session)
    run = svc.run_matching(ctx, ids["program"], "optimizer")
    note = "Checked with both managers. " * 30  # ~840 characters
    view = svc.set_proposal_status(ctx, run.proposals[0].id, "lock", note=note)
    ctx.session.expire_all()
    assert view.note == note and ctx.session.get(MatchProposal, view.id).note == note
    assert fit_text("x" * 5000) == "x" * 5000


def test_program_weights_take_the_one_validated_and_audited_path(ctx: ServiceContext) -> None:
    data = ProgramInput(name="Weighted", weights={"skill_fit": 2.0, "availability": 1.0})
    created = programs.create_program(ctx, data)
    assert created.weights == {"skill_fit": 2.0, "availability": 1.0}
    assert created.weights_version == 1
    programs.update_program(ctx, created.id, created.to_input())  # unchanged: no new version
    changed = created.to_input()
    changed.weights = {"skill_fit": 1.0}
    assert programs.update_program(ctx, created.id, changed).weights_version == 2
    with pytest.raises(ProgramError, match="no criterion named 'charm'") as err:
        bad = created.to_input()
        bad.weights = {"charm": 1.0}
        programs.update_program(ctx, created.id, bad)
    assert err.value.field == "weights.charm"
    versions = ctx.session.scalars(
        sa.select(WeightSet.version).where(WeightSet.program_id == created.id)
    ).all()
    assert sorted(versions) == [1, 2]
    saved = ctx.session.scalars(
        sa.select(AuditLog.details).where(AuditLog.action == "weights.saved")
    ).all()
    assert [d["version"] for d in saved] == [1, 2]


def test_the_plugin_host_is_loaded_once_per_process() -> None:
    assert default_host() is default_host()
    assert PluginHost().load() is not default_host()  # tests can still build their own


def test_unit_of_work_defaults_to_the_process_host(engine: Engine) -> None:
    with unit_of_work(engine) as ctx:
        assert ctx.plugins is default_host()


# ---- clients never migrate a shared database ---------------------------------------------


def test_a_shared_database_is_checked_never_migrated(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        if engine.dialect.name == "sqlite":  # the embedded file is the app's own: migrated
            prepare_schema(engine)
            check_schema(engine)
            return
        with pytest.raises(SchemaMismatch, match="run `mentormatch db upgrade`") as err:
            prepare_schema(engine)
        assert err.value.behind and err.value.needed == head_revision()
        assert "empty database" in str(err.value)
        assert sa.inspect(engine).get_table_names() == []  # nothing was created
    finally:
        engine.dispose()


def test_a_database_newer_than_the_app_says_so(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        with pytest.raises(SchemaMismatch, match="newer than this app") as err:
            prepare_schema(engine)  # also on SQLite: an old app must not touch a newer file
        assert not err.value.behind and "install a newer MentorMatch" in str(err.value)
    finally:
        engine.dispose()


def test_the_cli_names_the_fix_for_a_schema_behind_the_code(empty_db_url: str) -> None:
    if empty_db_url.startswith("sqlite"):
        pytest.skip("the embedded database is migrated on open")
    result = CliRunner().invoke(cli, ["match", "--program", "1", "--database", empty_db_url])
    assert result.exit_code == 3  # the database cannot be used as it is (README: exit status)
    assert "this version needs" in result.output and "mentormatch db upgrade" in result.output
    done = CliRunner().invoke(cli, ["db", "upgrade", "--database", empty_db_url])
    assert done.exit_code == 0, done.output
