"""A strategy's answer is checked and rescored before it is stored, whoever wrote it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole, MatchRunStatus, PairPreferenceKind
from mentormatch_desktop.matching.problem import (
    Assignment,
    MatchSolution,
)
from mentormatch_desktop.plugin.hookspecs import hookimpl
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import matching as svc
from mentormatch_desktop.services import matching_models
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, ServiceContext
from mentormatch_desktop.storage.models import (
    Enrolment,
    MatchProposal,
    MatchRun,
    Mentorship,
    PairPreference,
    Person,
    PersonLanguage,
    Program,
)


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    matching_models.clear()
    yield
    matching_models.clear()


class Overfilling:
    """Puts every mentee on the first mentor, whatever its capacity or the rules say."""

    name, label, description = "overfilling", "Overfilling", "ignores capacities and rules"
    kinds = frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        pairs = [Assignment(e, 0, 1.0) for e in range(problem.n_mentees)]
        return MatchSolution("optimal", pairs, len(pairs), float(len(pairs)), 1.0, 0.01)


class Boasting:
    """Returns a feasible answer (each mentee its best allowed mentor, within capacity)
    but claims every pair scores 9."""

    name, label, description = "boasting", "Boasting", "inflates its scores"
    kinds = frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        seats = problem.capacity.copy()
        out, taken = [], set()
        for k in sorted(range(problem.n_pairs), key=lambda k: -problem.pair_score[k]):
            e, m = int(problem.pair_mentee[k]), int(problem.pair_mentor[k])
            if e not in taken and seats[m] > 0:
                seats[m] -= 1
                taken.add(e)
                out.append(Assignment(e, m, 9.0))
        return MatchSolution("feasible", out, len(out), 9.0 * len(out), 9.0, 0.01)


class ThirdParty:
    @hookimpl
    def register_match_strategies(self):
        return [Overfilling(), Boasting()]


@pytest.fixture
def host() -> PluginHost:
    host = PluginHost(autoload=False)
    host.register(ThirdParty(), "third-party-strategies")
    return host.load()


def seed(session: Session, *, mentees: int, mentor_capacities: list[int]) -> dict:
    program = Program(name="Feasibility", starts_on=date(2026, 5, 1))
    session.add(program)
    session.flush()
    ids: dict = {"program": program.id, "mentors": [], "mentees": []}
    for role, caps, key in ((EnrolmentRole.MENTOR, mentor_capacities, "mentors"),
                            (EnrolmentRole.MENTEE, [1] * mentees, "mentees")):  # fmt: skip
        for i, cap in enumerate(caps):
            p = Person(full_name=f"{role.value.title()} {i}", email=f"{role.value}{i}@x.org")
            session.add(p)
            session.flush()
            session.add(PersonLanguage(person_id=p.id, language="en", level="fluent"))
            session.add(Enrolment(program_id=program.id, person_id=p.id, role=role, capacity=cap))
            ids[key].append(p.id)
    session.commit()
    return ids


def test_malicious_strategy_overfilling_a_mentor_fails_the_run_naming_violations(session, host):
    ids = seed(session, mentees=15, mentor_capacities=[1])
    session.add(PairPreference(program_id=ids["program"], person_id=ids["mentees"][0],
                               other_person_id=ids["mentors"][0],
                               kind=PairPreferenceKind.MUST_NOT))  # fmt: skip
    session.commit()
    with pytest.raises(svc.MatchingError) as err:
        svc.run_matching(ServiceContext(session, LOCAL_COORDINATOR, host), ids["program"],
                         "overfilling")  # fmt: skip
    message = str(err.value)
    assert "infeasible answer" in message
    assert "mentors over capacity: Mentor 0 has 15 mentees (capacity 1)" in message
    assert "forbidden pairs: Mentee 0 – Mentor 0 (must not be matched)" in message
    runs = session.scalars(sa.select(MatchRun)).all()
    assert [(r.id, r.status) for r in runs] == [(err.value.run_id, MatchRunStatus.FAILED)]
    assert "mentors over capacity" in runs[0].diagnosis
    assert session.scalar(sa.select(sa.func.count()).select_from(MatchProposal)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Mentorship)) == 0


def test_a_strategys_scores_are_recomputed_from_the_score_model(session, host):
    ids = seed(session, mentees=4, mentor_capacities=[2, 2])
    ctx = ServiceContext(session, LOCAL_COORDINATOR, host)
    honest = svc.run_matching(ctx, ids["program"], "greedy", dry_run=True)
    boasted = svc.run_matching(ctx, ids["program"], "boasting")
    stored = session.scalars(
        sa.select(MatchProposal).where(MatchProposal.run_id == boasted.run_id)
    ).all()
    assert len(stored) == 4 and all(0 <= p.score <= 1 for p in stored)
    truth = {(p.mentee_id, p.mentor_id): p.score for p in honest.proposals}
    model = matching_models.score_model(ctx, ids["program"], exclude_matched=False)
    for p in stored:
        e = model.cohort.mentees.indices_of([p.mentee_id])
        m = model.cohort.mentors.indices_of([p.mentor_id])
        assert p.score == pytest.approx(float(model.pair_scores(honest.weights, e, m)[0]))
        if (p.mentee_id, p.mentor_id) in truth:
            assert p.score == pytest.approx(truth[(p.mentee_id, p.mentor_id)])
    assert boasted.total_score == pytest.approx(sum(p.score for p in stored))
    run = session.get(MatchRun, boasted.run_id)
    assert run.objective["total_score"] == pytest.approx(boasted.total_score)
    assert boasted.total_score < 4
