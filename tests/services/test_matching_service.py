"""Matching services on both backends: runs, failures, decisions, approval, why-not, weights."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from mentormatch_desktop.cli import cli
from mentormatch_desktop.domain.enums import (
    AppRole,
    EnrolmentRole,
    MatchRunStatus,
    PairPreferenceKind,
    ProgramKind,
    ProgramStatus,
    ProposalStatus,
    SkillDirection,
)
from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.plugin.hookspecs import hookimpl
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching as svc
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, Actor, ServiceContext
from mentormatch_desktop.services.weights import (
    WeightsError,
    current_weights,
    preview_ranking,
    save_weights,
)
from mentormatch_desktop.storage.models import (
    AuditLog,
    AvailabilitySlot,
    Department,
    EngagementEvent,
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    PairPreference,
    Person,
    PersonLanguage,
    PersonSkill,
    Program,
    Skill,
)

TOPICS = ["SQL", "Python", "Leadership", "Public speaking", "Budgeting"]
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York"]


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    matching_models.clear()
    yield
    matching_models.clear()


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


@pytest.fixture
def plugin_host(host: PluginHost) -> PluginHost:
    """``ctx`` runs on the built-ins only (this module's host)."""
    return host


def acting(ctx: ServiceContext, person_id: int) -> ServiceContext:
    """``ctx`` on the same session, acted by ``person_id`` (a coordinator)."""
    actor = Actor(person_id=person_id, login=None, role=AppRole.COORDINATOR)
    return ServiceContext(ctx.session, actor, ctx.plugins)


def seed_program(
    session: Session, n_mentees: int = 6, n_mentors: int = 3, kind=ProgramKind.ONE_TO_ONE
) -> dict:
    """A program whose mentees each want one topic that one mentor teaches well."""
    depts = [Department(name=f"Dept {i}") for i in range(2)]
    skills = [Skill(name=t) for t in TOPICS]
    session.add_all([*depts, *skills])
    program = Program(name=f"Program {kind}", kind=kind, starts_on=date(2026, 1, 14))
    session.add(program)
    session.flush()
    people: dict[str, int] = {}

    def person(key: str, i: int) -> Person:
        p = Person(
            email=f"{key}@x.org",
            full_name=key.title(),
            time_zone=ZONES[i % 3],
            seniority=2 if key.startswith("mentee") else 4,
            department_id=depts[i % 2].id,
            bio=f"Expert in {TOPICS[i % len(TOPICS)]}",
        )
        session.add(p)
        session.flush()
        people[key] = p.id
        session.add(PersonLanguage(person_id=p.id, language="en", level="fluent"))
        session.add(
            AvailabilitySlot(person_id=p.id, weekday=i % 2, start_minute=600, end_minute=780)
        )
        return p

    roles = (
        [("peer", f"peer{i}", i) for i in range(n_mentees)]
        if kind == ProgramKind.PEER
        else [("mentor", f"mentor{i}", i) for i in range(n_mentors)]
        + [("mentee", f"mentee{i}", i) for i in range(n_mentees)]
    )
    for role, key, i in roles:
        p = person(key, i)
        session.add(
            Enrolment(
                program_id=program.id,
                person_id=p.id,
                role=EnrolmentRole(role),
                capacity=2 if role == "mentor" else 1,
            )
        )
        skill = skills[i % n_mentors].id
        direction = SkillDirection.TEACH if role == "mentor" else SkillDirection.LEARN
        session.add(
            PersonSkill(
                person_id=p.id,
                skill_id=skill,
                direction=direction,
                level=5 if role == "mentor" else 1,
            )
        )
        if role == "peer":
            session.add(
                PersonSkill(
                    person_id=p.id,
                    skill_id=skills[(i + 1) % 5].id,
                    direction=SkillDirection.TEACH,
                    level=5,
                )
            )
    session.commit()
    return {**people, "program": program.id}


def proposals(session: Session, run_id: int) -> list[MatchProposal]:
    return session.scalars(sa.select(MatchProposal).where(MatchProposal.run_id == run_id)).all()


def test_run_stores_proposals_with_breakdown_and_explanation(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    ticks: list[float] = []
    summary = svc.run_matching(
        ctx, ids["program"], "optimizer", progress=lambda f, _m: ticks.append(f)
    )
    assert summary.solver_status == "optimal" and summary.matched == 6 and not summary.unmatched_ids
    assert ticks[-1] == 1.0 and ticks == sorted(ticks)
    run = session.get(MatchRun, summary.run_id)
    assert run.status == MatchRunStatus.COMPLETED and run.weight_set_id is not None
    stored = proposals(session, run.id)
    assert len(stored) == 6 == len(summary.proposals)
    by_mentor: dict[int, int] = {}
    for p in stored:
        by_mentor[p.mentor_id] = by_mentor.get(p.mentor_id, 0) + 1
        assert 0 < p.score <= 1 and p.status == ProposalStatus.PROPOSED
        assert set(p.breakdown) >= {"skill_fit", "availability", "language"}
        assert "Teaches 1 of 1 target skills" in p.explanation
    assert max(by_mentor.values()) <= 2  # capacity
    assert summary.total_score == pytest.approx(sum(p.score for p in stored))


def test_dry_run_stores_nothing(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    summary = svc.run_matching(ctx, ids["program"], "greedy", dry_run=True)
    assert summary.run_id is None and summary.matched == 6 and summary.proposals
    assert session.scalar(sa.select(sa.func.count()).select_from(MatchRun)) == 0


class Exploding:
    name, label, description, kinds = "exploding", "Exploding", "fails", frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        raise RuntimeError("solver crashed")


class ExplodingPlugin:
    @hookimpl
    def register_match_strategies(self):
        return [Exploding()]


def test_failed_run_is_recorded_without_proposals_and_the_plugin_disabled(session):
    ids = seed_program(session)
    host = PluginHost(autoload=False)
    host.register(ExplodingPlugin(), "exploding-plugin")
    host.load()
    ctx = ServiceContext(session, LOCAL_COORDINATOR, host)
    with pytest.raises(svc.MatchingError, match="solver crashed") as err:
        svc.run_matching(ctx, ids["program"], "exploding")
    run = session.get(MatchRun, err.value.run_id)
    assert run.status == MatchRunStatus.FAILED and "solver crashed" in run.diagnosis
    assert proposals(session, run.id) == []
    assert "exploding" not in host.strategies()
    with pytest.raises(svc.MatchingError, match="no matching strategy named 'nope'"):
        svc.run_matching(ctx, ids["program"], "nope")


class Duplicating:
    """Returns one pair twice (the (run, mentee, mentor) key would refuse the second insert;
    the answer check refuses it first)."""

    name, label, description = "duplicating", "Duplicating", "bad answer"
    kinds = frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        from mentormatch_desktop.matching.problem import Assignment, MatchSolution

        pair = Assignment(int(problem.pair_mentee[0]), int(problem.pair_mentor[0]), 0.5)
        return MatchSolution("feasible", [pair, pair], 1, 1.0, 0.5, 0.0)


class DuplicatingPlugin:
    @hookimpl
    def register_match_strategies(self):
        return [Duplicating()]


def test_a_failure_while_storing_leaves_no_half_written_proposals(session):
    ids = seed_program(session)
    host = PluginHost(autoload=False)
    host.register(DuplicatingPlugin(), "duplicating-plugin")
    host.load()
    ctx = ServiceContext(session, LOCAL_COORDINATOR, host)
    with pytest.raises(svc.MatchingError) as err:
        svc.run_matching(ctx, ids["program"], "duplicating")
    runs = session.scalars(sa.select(MatchRun)).all()
    assert [r.id for r in runs] == [err.value.run_id]
    assert runs[0].status == MatchRunStatus.FAILED
    assert "pairs given more than once: Mentee0 – Mentor0" in runs[0].diagnosis
    assert session.scalar(sa.select(sa.func.count()).select_from(MatchProposal)) == 0


def test_cancelled_run_leaves_a_failed_row(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        svc.run_matching(ctx, ids["program"], "optimizer", cancel=token)
    runs = session.scalars(sa.select(MatchRun)).all()
    assert [(r.status, r.diagnosis) for r in runs] == [
        (MatchRunStatus.FAILED, "cancelled by the user")
    ]
    assert session.scalar(sa.select(sa.func.count()).select_from(MatchProposal)) == 0


def test_locked_pairs_survive_a_rerun_even_against_the_optimum(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    first = svc.run_matching(ctx, ids["program"], "optimizer")
    # lock a deliberately poor pair: mentee0 with the mentor that does not teach their topic
    p0 = next(p for p in first.proposals if p.mentee_id == ids["mentee0"])
    other = ids["mentor1"] if p0.mentor_id != ids["mentor1"] else ids["mentor2"]
    mine = next(p for p in first.proposals if p.mentor_id == other)
    svc.apply_swap(acting(ctx, ids["mentor0"]), p0.id, mine.id)
    view = svc.set_proposal_status(acting(ctx, ids["mentor0"]), p0.id, "lock")
    assert view.status == "locked" and view.decided_by_id == ids["mentor0"]
    second = svc.run_matching(ctx, ids["program"], "optimizer")
    kept = [p for p in second.proposals if p.mentee_id == ids["mentee0"]]
    assert [(p.mentor_id, p.status) for p in kept] == [(other, "locked")]
    assert session.get(MatchRun, second.run_id).parent_run_id == first.run_id
    with pytest.raises(svc.MatchingError, match="unknown decision"):
        svc.set_proposal_status(ctx, kept[0].id, "maybe")


def test_swap_preview_and_apply(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    run = svc.run_matching(ctx, ids["program"], "optimizer")
    a, b = sorted((p for p in run.proposals), key=lambda p: p.mentor_id)[:: len(run.proposals) - 1]
    preview = svc.preview_swap(ctx, a.id, b.id)
    assert preview.allowed and preview.delta < 0  # the optimum cannot be improved by a swap
    assert session.get(MatchProposal, a.id).mentor_id == a.mentor_id  # preview changes nothing
    done = svc.apply_swap(ctx, a.id, b.id)
    assert done.delta == pytest.approx(preview.delta)
    pa = session.get(MatchProposal, a.id)
    assert pa.mentor_id == b.mentor_id and pa.score == pytest.approx(preview.new_scores[0])
    assert session.scalar(sa.select(AuditLog).where(AuditLog.action == "proposal.swapped"))


def test_approve_run_creates_mentorships_in_one_go(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    run = svc.run_matching(ctx, ids["program"], "optimizer")
    svc.set_proposal_status(ctx, run.proposals[0].id, "reject")
    result = svc.approve_run(acting(ctx, ids["mentor0"]), run.run_id)
    assert (result.mentorships_created, result.rejected_skipped) == (5, 1)
    assert session.get(MatchRun, run.run_id).status == MatchRunStatus.APPROVED
    assert session.scalar(sa.select(sa.func.count()).select_from(Mentorship)) == 5
    assert session.scalar(sa.select(sa.func.count()).select_from(EngagementEvent)) == 10
    with pytest.raises(svc.MatchingError, match="already approved"):
        svc.approve_run(ctx, run.run_id)
    rerun = svc.run_matching(ctx, ids["program"], "optimizer")
    assert rerun.n_mentees == 1  # only the rejected mentee is left to match


def test_why_not_explains_hard_rules_and_solver_answers(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    session.add(
        PairPreference(
            program_id=ids["program"],
            person_id=ids["mentee1"],
            other_person_id=ids["mentor1"],
            kind=PairPreferenceKind.MUST_NOT,
        )
    )
    session.commit()
    run = svc.run_matching(ctx, ids["program"], "optimizer")
    answer = svc.why_not(ctx, run.run_id, ids["mentee1"], ids["mentor1"])
    assert not answer.possible and "must not be matched" in answer.text
    current = next(p.mentor_id for p in run.proposals if p.mentee_id == ids["mentee0"])
    other = next(m for m in (ids["mentor0"], ids["mentor2"]) if m != current)
    answer = svc.why_not(ctx, run.run_id, ids["mentee0"], other)
    assert answer.possible and answer.delta_total < 0 and answer.text


def test_compare_strategies_table(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    rows = svc.compare_strategies(ctx, ids["program"], ["greedy", "stable", "optimizer"])
    by = {r.strategy: r for r in rows}
    assert set(by) == {"greedy", "stable", "optimizer"}
    assert by["optimizer"].total_score >= by["greedy"].total_score - 1e-9
    assert all(r.violations == [] for r in rows)


def test_peer_program_matches_pairs_from_one_pool(session, host, ctx: ServiceContext):
    ids = seed_program(session, n_mentees=6, kind=ProgramKind.PEER)
    summary = svc.run_matching(ctx, ids["program"], "peer")
    people = [p.mentee_id for p in summary.proposals] + [p.mentor_id for p in summary.proposals]
    assert len(summary.proposals) == 3 and len(set(people)) == 6


def test_weights_versions_and_live_preview(session, host, ctx: ServiceContext):
    ids = seed_program(session)
    view = current_weights(ctx, ids["program"])
    assert view.version is None and view.weights["skill_fit"] > 0
    saved = save_weights(ctx, ids["program"], {"skill_fit": 1, "availability": 0.5})
    assert saved.version == 1 and saved.weights["skill_fit"] == 1
    assert save_weights(ctx, ids["program"], {"skill_fit": 2}).version == 2
    with pytest.raises(WeightsError, match="no criterion named 'charm'"):
        save_weights(ctx, ids["program"], {"charm": 1})
    with pytest.raises(WeightsError, match="≥ 0"):
        save_weights(ctx, ids["program"], {"skill_fit": -1})
    skills_only = preview_ranking(ctx, ids["program"], {"skill_fit": 1})
    mentee0 = next(r for r in skills_only.rows if r.mentee_id == ids["mentee0"])
    assert mentee0.top[0].mentor_id == ids["mentor0"] and mentee0.top[0].score == 1.0
    assert skills_only.without_allowed_mentor == 0 and len(skills_only.rows) == 6
    avail = preview_ranking(ctx, ids["program"], {"availability": 1})
    assert avail.weights == {"availability": 1.0} and avail.rows[0].top


def test_cli_match_prints_summary_and_explanations(db_url):
    from mentormatch_desktop.storage.db import create_engine

    engine = create_engine(db_url)
    with Session(engine) as s:
        ids = seed_program(s)
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(
        cli, ["match", "--program", "Program one_to_one", "--database", db_url, "--top", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "optimizer: optimal (run " in result.output and "matched 6 of 6 mentees" in result.output
    assert "Teaches 1 of 1 target skills" in result.output
    dry = runner.invoke(
        cli,
        [
            "match",
            "--program",
            str(ids["program"]),
            "--strategy",
            "greedy",
            "--dry-run",
            "--database",
            db_url,
        ],
    )
    assert dry.exit_code == 0 and "dry run, not stored" in dry.output
    table = runner.invoke(
        cli,
        [
            "match",
            "--program",
            str(ids["program"]),
            "--compare",
            "greedy,optimizer",
            "--database",
            db_url,
        ],
    )
    assert table.exit_code == 0, table.output
    assert "greedy" in table.output and "optimal" in table.output and "violations" in table.output
    bad = runner.invoke(cli, ["match", "--program", "Nope", "--database", db_url])
    assert bad.exit_code != 0 and "no program 'Nope'" in bad.output


def test_pruned_problems_keep_locked_and_asked_pairs(monkeypatch):
    from mentormatch_desktop.matching.scoring import ScoreModel
    from mentormatch_desktop.matching.synthetic_cohort import synthetic_cohort
    from mentormatch_desktop.services import matching_problem
    from mentormatch_plugins.matching.criteria import BUILTIN_CRITERIA

    criteria = {c.name: c for c in BUILTIN_CRITERIA.items}
    model = ScoreModel(synthetic_cohort(200, 40, seed=9), criteria)
    weights = {"skill_fit": 1.0}
    full, info = matching_problem.build_problem(model, weights)
    assert not info.pruned
    monkeypatch.setattr(matching_problem, "FULL_PAIRS", 0)
    model.cohort.settings["candidate_k"] = 1
    scores = model.score_matrix(weights)
    worst = np.unravel_index(np.argmin(np.where(np.isfinite(scores), scores, 9)), scores.shape)
    other = np.unravel_index(
        np.argsort(np.where(np.isfinite(scores), scores, 9), axis=None)[1], scores.shape
    )
    locked, asked = [tuple(map(int, worst))], [tuple(map(int, other))]
    pruned, info = matching_problem.build_problem(model, weights, locked=locked, include=asked)
    assert info.pruned and info.k == 1 and pruned.n_pairs < full.n_pairs
    found = pruned.find_pairs(locked + asked)
    assert (found >= 0).all()
    assert pruned.constraints.locked == locked
    np.testing.assert_allclose(
        pruned.pair_score[found], scores[tuple(np.array(locked + asked).T)], atol=1e-5
    )


def test_every_demo_program_matches_with_explanations(demo_session, host, demo_ctx: ServiceContext):
    programs = demo_session.scalars(sa.select(Program).order_by(Program.id)).all()
    assert programs
    for program in programs:
        strategy = "peer" if program.kind == ProgramKind.PEER else "optimizer"
        if program.status == ProgramStatus.CLOSED:  # finished: matching it is refused
            with pytest.raises(svc.MatchingError, match="is closed"):
                svc.run_matching(demo_ctx, program.id, strategy)
            continue
        summary = svc.run_matching(demo_ctx, program.id, strategy)
        assert summary.solver_status in ("optimal", "feasible"), summary.diagnosis
        if summary.n_mentees and summary.n_mentors:
            assert summary.proposals, program.name
        for p in summary.proposals:
            assert p.explanation and 0 <= p.score <= 1
            assert set(p.breakdown) == {n for n, w in summary.weights.items() if w > 0}
