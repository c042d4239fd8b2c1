"""The one checker of a strategy's answer, as a match run and ``mentormatch solve`` use it.

(Merged from the run's ``feasibility`` tests and the solve command's ``solution_check``
tests: both paths now call :func:`check_solution`.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from mentormatch_desktop.cli import cli
from mentormatch_desktop.matching.feasibility import (
    InfeasibleSolution,
    check_solution,
    violations,
)
from mentormatch_desktop.matching.problem import (
    Assignment,
    Constraints,
    MatchProblem,
    MatchSolution,
)
from mentormatch_desktop.matching.solve_format import load_problem
from mentormatch_desktop.plugin import host as host_module
from mentormatch_desktop.plugin.hookspecs import hookimpl
from mentormatch_desktop.plugin.host import PluginHost

PROBLEM: dict[str, Any] = {
    "schema": "mentormatch.problem/1",
    "mentees": [{"id": "ana"}, {"id": "bo"}],
    "mentors": [{"id": "dee", "capacity": 1}, {"id": "eli", "capacity": 1}],
    "scores": [["ana", "dee", 0.9], ["bo", "dee", 0.8], ["bo", "eli", 0.5]],
}


def _problem(**constraints) -> MatchProblem:
    return MatchProblem(
        mentee_ids=["a", "b", "c"],
        mentor_ids=["x", "y"],
        capacity=np.array([1, 2], dtype=np.int32),
        pair_mentee=np.array([0, 0, 1, 1, 2], dtype=np.int32),
        pair_mentor=np.array([0, 1, 0, 1, 1], dtype=np.int32),
        pair_score=np.array([0.9, 0.5, 0.8, 0.4, 0.7]),
        constraints=Constraints(**constraints),
    )


def test_check_solution_names_each_kind_of_violation():
    problem = _problem(locked=[(2, 1)], required=[(1, 1)], mentors_per_mentee=1)
    bad = MatchSolution(
        "optimal",
        [Assignment(0, 0, 5), Assignment(0, 1, 5), Assignment(1, 0, 5), Assignment(2, 0, 5)],
        3, 20.0, 5.0, 0.0,
    )  # fmt: skip
    with pytest.raises(InfeasibleSolution) as err:
        check_solution(problem, bad, strategy="bad")
    v = err.value.violations
    assert "mentors over capacity: x has 3 mentees (capacity 1)" in v
    assert "mentees with more than 1 mentor(s): a has 2 mentors" in v
    assert "pairs the problem does not allow (no score): c – x" in v
    assert "locked pairs left out: c – y" in v
    assert "required pairs left out: b – y" in v
    assert "infeasible answer" in str(err.value) and "'bad'" in str(err.value)
    good = MatchSolution("optimal", [Assignment(0, 0, 1), Assignment(1, 1, 1),
                                     Assignment(2, 1, 1)], 3, 3.0, 1.0, 0.0)  # fmt: skip
    checked = check_solution(problem, good, strategy="ok")
    assert [a.score for a in checked.assignments] == [0.9, 0.4, 0.7]
    assert checked.total_score == pytest.approx(2.0) and checked.min_score == 0.4
    with pytest.raises(InfeasibleSolution, match="unknown people"):
        check_solution(
            problem, MatchSolution("optimal", [Assignment(7, 0, 1)], 1, 1, 1, 0), strategy="x"
        )


def test_scores_are_recomputed_for_a_run_and_judged_for_a_solution_file():
    problem = _problem()
    boasting = MatchSolution("optimal", [Assignment(0, 0, 9.0)], 1, 9.0, 9.0, 0.0)
    rescored = check_solution(problem, boasting, strategy="boasting")  # a run: replaced
    assert rescored.assignments[0].score == pytest.approx(0.9)
    assert rescored.total_score == pytest.approx(0.9) and rescored.matched == 1
    with pytest.raises(InfeasibleSolution) as err:  # the solve command: refused
        check_solution(problem, boasting, strategy="boasting", rescore=False)
    assert any("scores that are not the pair's" in v for v in err.value.violations)
    honest = MatchSolution("optimal", [Assignment(0, 0, 0.9)], 1, 0.9, 0.9, 0.0)
    assert check_solution(problem, honest, strategy="ok", rescore=False) is honest
    miscounted = MatchSolution("optimal", [Assignment(0, 0, 0.9)], 2, 0.9, 0.9, 0.0)
    assert violations(problem, miscounted) == ["matched says 2 but there are 1 mentees assigned"]
    assert violations(problem, miscounted, judge_scores=False) == []


def test_a_locked_pair_stands_even_outside_the_pair_list():
    """A coordinator's lock is kept whatever the rules say (the run explains it)."""
    problem = _problem(locked=[(2, 0)], forbidden=[(2, 0)])
    locked = MatchSolution("optimal", [Assignment(2, 0, 0.0)], 1, 0.0, 0.0, 0.0)
    assert violations(problem, locked) == []
    assert check_solution(problem, locked, strategy="ok").assignments[0].score == 0.0
    unlocked = _problem(forbidden=[(0, 0)])
    taken = MatchSolution("optimal", [Assignment(0, 0, 0.9)], 1, 0.9, 0.9, 0.0)
    assert violations(unlocked, taken) == ["forbidden pairs: a – x"]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"assignments": []}, "returned dict, not a MatchSolution"),
        (MatchSolution("great", [], 0, 0.0, None, 0.0), "status 'great' is not one of"),
        (MatchSolution("optimal", [Assignment(True, 0, 0.9)], 1, 0.9, 0.9, 0.0), "unknown"),
    ],
)
def test_answers_that_are_not_answers_are_named(answer, expected):
    assert any(expected in v for v in violations(_problem(), answer))


def test_an_error_answer_promises_no_assignments():
    failed = MatchSolution("error", [Assignment(9, 9, 1.0)], 0, 0.0, None, 0.0, "boom")
    assert check_solution(_problem(), failed, strategy="x") is failed


def test_a_broken_strategy_answer_is_refused_by_name() -> None:
    problem = load_problem(PROBLEM)
    good = PluginHost(autoload=False).load().strategy("optimizer").solve(problem)
    assert violations(problem, good) == []
    good.assignments.append(Assignment(0, 1, 0.3))  # ana–eli was never scored
    good.assignments.append(Assignment(7, 0, 0.3))
    found = violations(problem, good)
    assert any("no score" in p and "ana – eli" in p for p in found)
    assert any("unknown people" in p for p in found)


class Overfilling:
    """Puts every mentee on the first mentor, whatever its capacity."""

    name, label, description = "overfilling", "Overfilling", "ignores capacities"
    kinds = frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        pairs = [Assignment(e, 0, float(problem.pair_score[e])) for e in range(problem.n_mentees)]
        return MatchSolution("optimal", pairs, len(pairs), 1.7, 0.8, 0.01)


class ThirdParty:
    @hookimpl
    def register_match_strategies(self):
        return [Overfilling()]


def test_the_solve_command_refuses_with_the_same_checker_as_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = PluginHost(autoload=False)
    host.register(ThirdParty(), "third-party")
    monkeypatch.setattr(host_module, "_default_host", host.load())  # the process's host
    doc = {**PROBLEM, "scores": [["ana", "dee", 0.9], ["bo", "dee", 0.8]]}
    path, out = tmp_path / "p.json", tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(cli, ["solve", str(path), "--strategy", "overfilling", "-o", out])
    assert result.exit_code == 1 and not out.exists()
    problem = load_problem(doc)
    with pytest.raises(InfeasibleSolution) as err:
        check_solution(problem, Overfilling().solve(problem), strategy="overfilling")
    assert "mentors over capacity: dee has 2 mentees (capacity 1)" in err.value.violations
    assert str(err.value) in result.output  # word for word what a run would say


def test_an_answer_to_a_problem_without_scored_pairs_is_named_not_crashed():
    """Found by the fuzzer: a problem with no scored pair, and an answer that uses one."""
    problem = MatchProblem(
        mentee_ids=["e0"],
        mentor_ids=["m0"],
        capacity=np.array([0], dtype=np.int32),
        pair_mentee=np.zeros(0, dtype=np.int32),
        pair_mentor=np.zeros(0, dtype=np.int32),
        pair_score=np.zeros(0),
    )
    answer = MatchSolution("optimal", [Assignment(0, 0, 0.0)], 1, 0.0, 0.0, 0.0)
    assert violations(problem, answer) == [
        "pairs the problem does not allow (no score): e0 – m0",
        "mentors over capacity: m0 has 1 mentees (capacity 0)",
    ]
