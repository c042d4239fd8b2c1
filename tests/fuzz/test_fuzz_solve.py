"""Fuzzing the solve contract and the answers strategies hand back.

Properties:

1. any bytes given to ``mentormatch solve`` end with exit 0, 1 or 2 and a message, never a
   traceback; a schema-breaking document is exit 2 with JSON paths;
2. a schema-valid document loads, every built-in bipartite strategy answers it with a
   solution :func:`~mentormatch_desktop.matching.feasibility.violations`
   accepts, and the solution document validates;
3. a strategy's answer mutated in any way that breaks the problem is named by
   :func:`violations` (so ``solve`` refuses to write it), and a valid answer is
   never refused.

Budget: see ``tests/fuzz/conftest.py``.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from mentormatch_desktop.cli import cli
from mentormatch_desktop.matching.feasibility import violations
from mentormatch_desktop.matching.problem import Assignment, MatchSolution
from mentormatch_desktop.matching.solve_format import (
    SolveFormatError,
    load_problem,
    parse_json,
    solution_document,
)
from mentormatch_desktop.plugin.host import PluginHost

IDS = st.one_of(st.text(min_size=1, max_size=3, alphabet="abcxyz"), st.integers(0, 50))


@st.composite
def problem_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A schema-valid mentormatch.problem/1 document (bipartite), small."""
    n_e = draw(st.integers(1, 6))
    n_m = draw(st.integers(1, 4))
    mentees = [
        {"id": f"e{i}", "attributes": {"dept": draw(st.sampled_from("AB"))}} for i in range(n_e)
    ]
    mentors = [{"id": f"m{j}", "capacity": draw(st.integers(0, 3))} for j in range(n_m)]
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_e - 1), st.integers(0, n_m - 1)),
            unique=True,
            max_size=n_e * n_m,
        )
    )
    scores = [
        [f"e{e}", f"m{m}", draw(st.floats(-5, 5, allow_nan=False).map(lambda x: round(x, 3)))]
        for e, m in pairs
    ]
    constraints: dict[str, Any] = {}
    if pairs and draw(st.booleans()):
        e, m = draw(st.sampled_from(pairs))
        constraints["forbidden"] = [[f"e{e}", f"m{m}"]]
    if draw(st.booleans()):
        constraints["min_score"] = draw(st.sampled_from([None, -1.0, 0.0, 0.5]))
    if draw(st.booleans()):
        constraints["mentors_per_mentee"] = draw(st.integers(1, 2))
    return {
        "schema": "mentormatch.problem/1",
        "mentees": mentees,
        "mentors": mentors,
        "scores": scores,
        "constraints": constraints,
    }


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.sampled_from([10**400, 2**31]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


@st.composite
def broken_documents(draw: st.DrawFn) -> Any:
    """A valid document with one subtree replaced by arbitrary JSON."""
    doc = draw(problem_documents())
    path = draw(st.sampled_from(_paths(doc)))
    return _replace(doc, path, draw(JSON_VALUES))


@pytest.fixture(scope="module")
def strategies() -> dict[str, Any]:
    host = PluginHost().load()
    return {
        n: s
        for n, s in host.strategies().items()
        if "one_to_one" in s.kinds and n in ("optimizer", "greedy", "stable", "milp")
    }


@given(doc=st.one_of(problem_documents(), broken_documents()))
def test_documents_load_or_fail_with_paths(doc: Any) -> None:
    try:
        problem = load_problem(doc)
    except SolveFormatError as exc:
        assert exc.issues and all(i.path.startswith("$") and i.message for i in exc.issues)
        return
    assert problem.n_mentees >= 1
    assert all(math.isfinite(s) for s in problem.pair_score.tolist())


@given(doc=problem_documents())
def test_valid_documents_get_valid_answers(doc: dict[str, Any], strategies: dict[str, Any]) -> None:
    problem = load_problem(doc)
    for name, strategy in strategies.items():
        solution = strategy.solve(problem, time_limit=5)
        assert violations(problem, solution) == [], name
        if solution.status in ("optimal", "feasible"):
            solution_document(problem, solution, strategy=name)  # validates its own schema


@st.composite
def mutated_answers(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    doc = draw(problem_documents())
    kind = draw(
        st.sampled_from(
            ["index", "unscored", "repeat", "capacity", "score", "matched", "nan", "status", "type"]
        )
    )
    return doc, kind


def _break(problem: Any, solution: MatchSolution, kind: str) -> Any | None:
    """``solution`` broken in one way (None when this problem cannot be broken so)."""
    broken = copy.deepcopy(solution)
    a = broken.assignments
    scored = set(zip(problem.pair_mentee.tolist(), problem.pair_mentor.tolist(), strict=True))
    if kind == "type":
        return {"assignments": []}
    if kind == "status":
        broken.status = "great"
        return broken
    if kind == "index":
        a.append(Assignment(problem.n_mentees + 3, 0, 0.0))
    elif kind == "unscored":
        free = [
            (e, m)
            for e in range(problem.n_mentees)
            for m in range(problem.n_mentors)
            if (e, m) not in scored
        ]
        if not free:
            return None
        a.append(Assignment(free[0][0], free[0][1], 0.0))
    elif kind in ("repeat", "capacity") and a:
        a.append(copy.deepcopy(a[0]))
    elif kind == "score" and a:
        a[0].score += 1.0
    elif kind == "nan" and a:
        a[0].score = float("nan")
    elif kind == "matched":
        broken.matched += 1
    else:
        return None
    return broken


@given(case=mutated_answers())
def test_broken_answers_are_named(
    case: tuple[dict[str, Any], str], strategies: dict[str, Any]
) -> None:
    doc, kind = case
    problem = load_problem(doc)
    solution = strategies["optimizer"].solve(problem, time_limit=5)
    assert violations(problem, solution) == []
    broken = _break(problem, solution, kind)
    if broken is None:
        return
    assert violations(problem, broken), f"a {kind} break went unnoticed"


@given(
    payload=st.one_of(
        problem_documents().map(lambda d: json.dumps(d).encode()),
        broken_documents().map(lambda d: json.dumps(d).encode()),
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"[" * 100_000,
                '{"a": "\xe9"}'.encode("latin-1"),
                b'{"schema": "mentormatch.problem/1", "mentees": [], "scores": [],'
                b' "mentors": [], "constraints": {"min_score": NaN}}',
            ]
        ),
    )
)
def test_solve_command_never_ends_in_a_traceback(payload: bytes, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("solve")
    path = Path(folder) / "problem.json"
    path.write_bytes(payload)
    result = CliRunner().invoke(cli, ["solve", str(path), "-o", str(folder / "out.json")])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code == 2:
        assert "not" in result.output or "$" in result.output
    if result.exit_code == 0:
        json.loads((folder / "out.json").read_text())


def test_parse_json_edges() -> None:
    for payload, words in [
        (b"[" * 100_000, "nested too deeply"),
        ('{"a": "\xe9"}'.encode("latin-1"), "not UTF-8: byte 0xe9"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
        (b'{"x": Infinity}', "Infinity is not a JSON number"),
        (b'{"x": ' + b"9" * 5000 + b"}", "not valid JSON"),
    ]:
        with pytest.raises(SolveFormatError, match=words):
            parse_json(payload)
