"""``mentormatch solve``: round trip through the documented JSON, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

from mentormatch_desktop.cli import cli
from mentormatch_desktop.matching.solve_format import (
    SOLUTION_SCHEMA,
    SolveFormatError,
    load_problem,
    problem_document,
)
from mentormatch_desktop.matching.solvers.synthetic import random_small_problem

PROBLEM = {
    "schema": "mentormatch.problem/1",
    "mentees": [
        {"id": "ana", "attributes": {"department": "Sales"}},
        {"id": "bo", "attributes": {"department": "Sales"}},
        {"id": "cy", "attributes": {"department": "IT"}},
    ],
    "mentors": [
        {"id": "dee", "capacity": 2, "attributes": {"department": "Sales"}},
        {"id": "eli", "capacity": 1, "attributes": {"department": "IT"}},
    ],
    "scores": [
        ["ana", "dee", 0.9],
        ["bo", "dee", 0.8],
        ["cy", "dee", 0.7],
        ["ana", "eli", 0.6],
        ["cy", "eli", 0.65],
    ],
    "constraints": {
        "forbidden": [["cy", "dee"]],
        "required": [],
        "min_score": 0.1,
        "mentors_per_mentee": 1,
        "max_per_mentor_by_attribute": [{"attribute": "department", "max": 1}],
    },
    "objective": "total",
}


def run(tmp_path: Path, doc, *args: str):
    src = tmp_path / "problem.json"
    src.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    out = tmp_path / "solution.json"
    result = CliRunner().invoke(cli, ["solve", str(src), "-o", str(out), *args])
    return result, (json.loads(out.read_text()) if out.exists() else None)


def test_round_trip(tmp_path: Path) -> None:
    result, sol = run(tmp_path, PROBLEM)
    assert result.exit_code == 0, result.output
    jsonschema.validate(sol, SOLUTION_SCHEMA)
    assert sol["schema"] == "mentormatch.solution/1"
    assert sol["status"] == "optimal"
    # quota 1 per department: dee takes one of ana/bo; eli takes cy
    assert sorted(map(tuple, sol["assignments"])) == [("ana", "dee", 0.9), ("cy", "eli", 0.65)]
    assert sol["objective"] == {"matched": 2, "total_score": 1.55, "min_score": 0.65}
    assert sol["seconds"] >= 0 and sol["strategy"] == "optimizer"


@pytest.mark.parametrize("strategy", ["greedy", "stable", "optimizer"])
def test_every_strategy_writes_a_valid_solution(tmp_path: Path, strategy: str) -> None:
    result, sol = run(tmp_path, PROBLEM, "--strategy", strategy, "--time-limit", "5")
    assert result.exit_code == 0, result.output
    jsonschema.validate(sol, SOLUTION_SCHEMA)
    assert sol["strategy"] == strategy


def test_stdout_compare_and_why_not(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(json.dumps(PROBLEM))
    result = CliRunner().invoke(
        cli, ["solve", str(src), "--compare", "greedy,optimizer", "--why-not", "bo,dee"]
    )
    assert result.exit_code == 0, result.output
    assert '"schema": "mentormatch.solution/1"' in result.stdout
    assert "greedy" in result.stderr and "violations" in result.stderr
    assert "Pairing bo with dee" in result.stderr


def test_infeasible_writes_diagnosis_and_exits_1(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(PROBLEM))
    doc["constraints"]["required"] = [["ana", "eli"], ["cy", "eli"]]
    result, sol = run(tmp_path, doc)
    assert result.exit_code == 1
    assert sol["status"] == "infeasible"
    assert "eli has capacity 1 but 2 required/locked pairs: ana, cy" in sol["diagnosis"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(schema="mentormatch.problem/2"), "$.schema"),
        (
            lambda d: d["scores"].append(["ana", "zed", 0.5]),
            "$.scores[5][1]: unknown mentor id 'zed'",
        ),
        (
            lambda d: d["scores"].append(["ana", "dee", "high"]),
            "$.scores[5][2]: 'high' is not of type 'number'",
        ),
        (
            lambda d: d["mentors"][0].pop("capacity"),
            "$.mentors[0]: 'capacity' is a required property",
        ),
        (lambda d: d["mentees"].append({"id": "ana"}), "$.mentees[3].id: duplicate id 'ana'"),
        (
            lambda d: d["scores"].append(["ana", "dee", 0.1]),
            "$.scores[5]: pair repeats $.scores[0]",
        ),
        (
            lambda d: d["constraints"]["max_per_mentor_by_attribute"].append(
                {"attribute": "dept", "max": 1}
            ),
            "$.constraints.max_per_mentor_by_attribute[1].attribute: "
            "no mentee has attribute 'dept'",
        ),
        (
            lambda d: d["constraints"].update(required=[["ana", "nobody"]]),
            "$.constraints.required[0][1]",
        ),
        (lambda d: d.update(objective="best"), "$.objective"),
        (lambda d: d["scores"].append(["ana", "dee"]), "$.scores[5]: expected [mentee_id,"),
        (lambda d: d["scores"].append(["ana", "dee", True]), "$.scores[5][2]: True is not of"),
        (lambda d: d["scores"].append(["ana", None, 0.2]), "$.scores[5][1]: None is not of"),
        (lambda d: d.update(scores={}), "$.scores: {} is not of type 'array'"),
        (
            lambda d: d["constraints"].update(mentors_per_mentee=0),
            "$.constraints.mentors_per_mentee",
        ),
    ],
)
def test_bad_documents_name_the_path(tmp_path: Path, mutate, expected: str) -> None:
    doc = json.loads(json.dumps(PROBLEM))
    mutate(doc)
    result, sol = run(tmp_path, doc)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert sol is None


def test_not_json_and_missing_file(tmp_path: Path) -> None:
    result, _ = run(tmp_path, "{not json")
    assert result.exit_code == 2 and "not JSON" in result.output and "line 1" in result.output
    result = CliRunner().invoke(cli, ["solve", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "cannot read file" in result.output


def test_all_errors_reported_together() -> None:
    doc = json.loads(json.dumps(PROBLEM))
    doc["scores"] += [["x", "dee", 0.1], ["ana", "y", 0.2]]
    with pytest.raises(SolveFormatError) as info:
        load_problem(doc)
    assert len(info.value.issues) == 2


def test_unknown_strategy(tmp_path: Path) -> None:
    result, _ = run(tmp_path, PROBLEM, "--strategy", "nope")
    assert result.exit_code == 2 and "no matching strategy named 'nope'" in result.output


def test_peer_problem(tmp_path: Path) -> None:
    doc = {
        "schema": "mentormatch.problem/1",
        "kind": "peer",
        "mentees": [{"id": x} for x in "abcd"],
        "scores": [["a", "b", 0.9], ["c", "d", 0.8], ["a", "c", 0.5], ["b", "d", 0.4]],
    }
    result, sol = run(tmp_path, doc)
    assert result.exit_code == 0, result.output
    assert sol["status"] == "optimal" and sol["strategy"] == "peer"
    assert sol["objective"]["matched"] == 4
    assert sol["objective"]["bound"] == pytest.approx(1.7)
    doc["constraints"] = {"group_size": 4}
    result, sol = run(tmp_path, doc)
    assert sol["groups"] == [["a", "b", "c", "d"]]


def test_problem_document_round_trips() -> None:
    rng = np.random.default_rng(0)
    problem = random_small_problem(rng, 6, 3)
    problem.constraints.forbidden = [(0, 1)]
    again = load_problem(json.loads(json.dumps(problem_document(problem))))
    assert again.mentee_ids == problem.mentee_ids and again.mentor_ids == problem.mentor_ids
    np.testing.assert_array_equal(again.pair_mentee, problem.pair_mentee)
    np.testing.assert_allclose(again.pair_score, problem.pair_score)
    assert again.constraints.forbidden == [(0, 1)]
    assert again.mentee_attributes == problem.mentee_attributes


def test_strategy_for_the_wrong_kind_reports_an_error(tmp_path: Path) -> None:
    doc = {
        "schema": "mentormatch.problem/1",
        "kind": "peer",
        "mentees": [{"id": "a"}, {"id": "b"}],
        "scores": [["a", "b", 0.9]],
    }
    result, sol = run(tmp_path, doc, "--strategy", "optimizer")
    assert result.exit_code == 1
    assert sol["status"] == "error" and "use the 'peer' strategy" in sol["diagnosis"]
