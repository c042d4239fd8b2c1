"""Issue 11: solve inputs that ended in tracebacks, and strategies' broken answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mentormatch_desktop.cli import cli
from mentormatch_desktop.matching.solve_format import SolveFormatError, load_problem

PROBLEM: dict[str, Any] = {
    "schema": "mentormatch.problem/1",
    "mentees": [{"id": "ana"}, {"id": "bo"}],
    "mentors": [{"id": "dee", "capacity": 1}, {"id": "eli", "capacity": 1}],
    "scores": [["ana", "dee", 0.9], ["bo", "dee", 0.8], ["bo", "eli", 0.5]],
}


def _solve(tmp_path: Path, payload: bytes | dict, *args: str):
    path = tmp_path / "problem.json"
    path.write_bytes(payload if isinstance(payload, bytes) else json.dumps(payload).encode())
    return CliRunner().invoke(cli, ["solve", str(path), *args])


def _with(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(PROBLEM))
    for dotted, value in changes.items():
        target = doc
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[int(key)] if key.isdigit() else target.setdefault(key, {})
        target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ('{"schema": "ñ"}'.encode("latin-1"), "not UTF-8: byte 0xf1"),
        (b"[" * 50_000, "nested too deeply"),
        (
            json.dumps(_with(scores__0__2=10**400)).encode(),
            "$.scores[0][2]: score 100000000000… must be a finite number",
        ),
        (json.dumps(_with(mentors__0__capacity=2**31)).encode(), "$.mentors[0].capacity"),
        (json.dumps(_with(mentors__0__capacity=10**30)).encode(), "$.mentors[0].capacity"),
        (
            json.dumps(_with(constraints__mentors_per_mentee=10**20)).encode(),
            "$.constraints.mentors_per_mentee",
        ),
        (
            json.dumps(_with(constraints__min_score=1)).replace("1}", "NaN}").encode(),
            "NaN is not a JSON number",
        ),
        (
            b'{"schema": "mentormatch.problem/1", "mentees": [], "scores": [], "mentors": [],'
            b' "constraints": {"min_cross_attribute_share":'
            b' [{"attribute": "a", "min_share": NaN}]}}',
            "NaN is not a JSON number",
        ),
    ],
    ids=[
        "latin-1",
        "deep",
        "score-10e400",
        "capacity-2e31",
        "capacity-10e30",
        "mpm-10e20",
        "min-score-nan",
        "min-share-nan",
    ],
)
def test_bad_documents_exit_2_with_a_message(tmp_path: Path, payload: bytes, words: str) -> None:
    result = _solve(tmp_path, payload)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_nan_options_given_in_code_are_refused() -> None:
    with pytest.raises(SolveFormatError, match="min_score must be a finite number"):
        load_problem(_with(constraints__min_score=float("nan")))
    doc = _with(mentees__0__attributes={"a": "x"})
    doc["constraints"] = {
        "min_cross_attribute_share": [{"attribute": "a", "min_share": float("nan")}]
    }
    with pytest.raises(SolveFormatError, match="min_share must be a number from 0 to 1"):
        load_problem(doc)


def test_time_limit_nan_is_refused(tmp_path: Path) -> None:
    result = _solve(tmp_path, PROBLEM, "--time-limit", "nan")
    assert result.exit_code == 2 and "nan is not a number of seconds" in result.output


def test_output_into_a_missing_folder_fails_before_solving(tmp_path: Path) -> None:
    result = _solve(tmp_path, PROBLEM, "-o", str(tmp_path / "no" / "out.json"))
    assert result.exit_code == 2 and "does not exist" in result.output


@pytest.mark.parametrize(
    "args",
    [("--why-not", "zed"), ("--why-not", "ana,zed"), ("--compare", "optimizer,nonesuch")],
)
def test_unknown_names_fail_before_any_file_is_written(tmp_path: Path, args) -> None:
    out = tmp_path / "out.json"
    result = _solve(tmp_path, PROBLEM, "-o", str(out), *args)
    assert result.exit_code == 2, result.output
    assert not out.exists()
