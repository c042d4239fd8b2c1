"""The documented JSON contract of ``mentormatch solve`` (``docs/solve-format.md``).

``load_problem`` validates a ``mentormatch.problem/1`` document with JSON Schema, then checks
what a schema cannot (unique ids, known ids in pairs, quota attributes that exist) and
collects *every* problem with its JSON path (``$.scores[3][1]: unknown mentor id 'm9'``)
before raising one :class:`SolveFormatError`. ``dump_solution`` writes
``mentormatch.solution/1``. Ids are strings; numeric ids are accepted and become strings.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np

from mentormatch_desktop.matching.problem import (
    AttributeQuota,
    Constraints,
    CrossAttributeShare,
    MatchProblem,
    MatchSolution,
)
from mentormatch_desktop.matching.solve_schema import (
    MAX_ABS_SCORE,
    PROBLEM_SCHEMA,
    PROBLEM_SCHEMA_ID,
    SOLUTION_SCHEMA,
    SOLUTION_SCHEMA_ID,
)


@dataclass(frozen=True)
class FormatIssue:
    """One problem in a document, at a JSON path such as ``$.scores[3][1]``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SolveFormatError(ValueError):
    """A problem document is invalid; ``issues`` lists every reason with its path."""

    def __init__(self, issues: list[FormatIssue], source: str = "problem") -> None:
        self.issues = issues
        self.source = source
        shown = "\n".join(f"  {i}" for i in issues[:50])
        more = f"\n  … and {len(issues) - 50} more" if len(issues) > 50 else ""
        super().__init__(f"{source} is not a valid {PROBLEM_SCHEMA_ID} document:\n{shown}{more}")


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def read_problem(path: str | Path) -> MatchProblem:
    """Load and validate a problem file; errors name the file and the JSON path."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SolveFormatError(
            [FormatIssue("$", f"cannot read file: {exc.strerror or exc}")], name
        ) from exc
    return load_problem(parse_json(data, name), source=name)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def parse_json(data: bytes | str, source: str = "problem") -> Any:
    """Strict JSON: UTF-8 only, no NaN/Infinity, nesting within the parser's reach.

    Every failure is a :class:`SolveFormatError` at ``$`` saying what is wrong where."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            issue = FormatIssue(
                "$",
                f"not UTF-8: byte 0x{data[exc.start : exc.start + 1].hex()} at byte position "
                f"{exc.start}; save the file as UTF-8",
            )
            raise SolveFormatError([issue], source) from exc
    else:
        text = data
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        issue = FormatIssue("$", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        raise SolveFormatError([issue], source) from exc
    except RecursionError as exc:
        issue = FormatIssue("$", "not a problem document: arrays or objects nested too deeply")
        raise SolveFormatError([issue], source) from exc
    except ValueError as exc:  # NaN/Infinity, or an integer too long to read
        raise SolveFormatError([FormatIssue("$", f"not valid JSON: {exc}")], source) from exc


def load_problem(doc: Any, *, source: str = "problem") -> MatchProblem:
    """A :class:`MatchProblem` from a parsed ``mentormatch.problem/1`` document."""
    validator = jsonschema.Draft202012Validator(PROBLEM_SCHEMA)
    try:
        return _load_problem(doc, validator, source)
    except RecursionError as exc:  # a hand-built document nested past Python's reach
        issue = FormatIssue("$", "not a problem document: arrays or objects nested too deeply")
        raise SolveFormatError([issue], source) from exc


def _finite(value: Any) -> bool:
    """A JSON number that is a finite double (``10**400`` is an int no float can hold)."""
    try:
        return math.isfinite(float(value))
    except (OverflowError, TypeError, ValueError):
        return False


def _load_problem(doc: Any, validator: Any, source: str) -> MatchProblem:
    # ``scores`` can hold millions of rows: the schema validator takes ~40 µs per row, so
    # the rows are checked by hand (same rules, same messages) and the rest by the schema
    scores = doc.get("scores") if isinstance(doc, dict) else None
    shallow = {**doc, "scores": []} if isinstance(scores, list) else doc
    issues = [
        FormatIssue(_path(e.absolute_path), e.message)
        for e in sorted(
            validator.iter_errors(shallow), key=lambda e: list(map(str, e.absolute_path))
        )
    ]
    if isinstance(scores, list):
        issues.extend(_score_row_issues(scores))
    if issues:
        raise SolveFormatError(issues, source)
    kind = doc.get("kind", "bipartite")
    peer = kind == "peer"
    if peer and doc.get("mentors"):
        issues.append(
            FormatIssue("$.mentors", "a peer problem lists its pool under 'mentees' only")
        )
    if not peer and "mentors" not in doc:
        issues.append(FormatIssue("$", "'mentors' is a required property"))
    mentees = doc["mentees"]
    mentors = mentees if peer else doc.get("mentors", [])
    mentee_index = _index(mentees, "mentees", issues)
    mentor_index = mentee_index if peer else _index(mentors, "mentors", issues)
    pe, pm, ps = [], [], []
    seen: dict[tuple[int, int], int] = {}
    for k, (e_id, m_id, score) in enumerate(doc["scores"]):
        e = mentee_index.get(str(e_id))
        m = mentor_index.get(str(m_id))
        if e is None:
            issues.append(FormatIssue(f"$.scores[{k}][0]", f"unknown mentee id {str(e_id)!r}"))
        if m is None:
            side = "participant" if peer else "mentor"
            issues.append(FormatIssue(f"$.scores[{k}][1]", f"unknown {side} id {str(m_id)!r}"))
        if e is None or m is None:
            continue
        if peer and e == m:
            issues.append(FormatIssue(f"$.scores[{k}]", "a participant cannot pair with themself"))
            continue
        key = (min(e, m), max(e, m)) if peer else (e, m)
        if key in seen:
            issues.append(FormatIssue(f"$.scores[{k}]", f"pair repeats $.scores[{seen[key]}]"))
            continue
        seen[key] = k
        pe.append(key[0])
        pm.append(key[1])
        ps.append(float(score))
    constraints = _constraints(
        doc.get("constraints", {}), mentee_index, mentor_index, mentees, issues, peer
    )
    if issues:
        raise SolveFormatError(issues, source)
    return MatchProblem(
        mentee_ids=[str(x["id"]) for x in mentees],
        mentor_ids=[str(x["id"]) for x in mentors],
        capacity=np.array([1 if peer else x["capacity"] for x in mentors], dtype=np.int32),
        pair_mentee=np.array(pe, dtype=np.int32),
        pair_mentor=np.array(pm, dtype=np.int32),
        pair_score=np.array(ps, dtype=np.float64),
        mentee_attributes=_attributes(mentees),
        mentor_attributes=_attributes(mentors),
        constraints=constraints,
        objective=doc.get("objective", "total"),
        kind=kind,
        mentee_names=[x.get("name", str(x["id"])) for x in mentees]
        if any("name" in x for x in mentees)
        else None,
        mentor_names=[x.get("name", str(x["id"])) for x in mentors]
        if any("name" in x for x in mentors)
        else None,
    )


def _score_row_issues(rows: list[Any]) -> list[FormatIssue]:
    """``[mentee_id, mentor_id, score]`` rows, checked as the schema would."""
    out: list[FormatIssue] = []
    for k, row in enumerate(rows):
        if not isinstance(row, list):
            out.append(FormatIssue(f"$.scores[{k}]", f"{row!r} is not of type 'array'"))
            continue
        if len(row) != 3:
            out.append(
                FormatIssue(
                    f"$.scores[{k}]", f"expected [mentee_id, mentor_id, score], got {row!r}"
                )
            )
            continue
        for i in (0, 1):
            if isinstance(row[i], bool) or not isinstance(row[i], str | int):
                out.append(
                    FormatIssue(
                        f"$.scores[{k}][{i}]", f"{row[i]!r} is not of type 'string', 'integer'"
                    )
                )
        if isinstance(row[2], bool) or not isinstance(row[2], int | float):
            out.append(FormatIssue(f"$.scores[{k}][2]", f"{row[2]!r} is not of type 'number'"))
        elif not _finite(row[2]) or abs(row[2]) > MAX_ABS_SCORE:
            shown = repr(row[2]) if len(repr(row[2])) < 40 else f"{str(row[2])[:12]}…"
            out.append(
                FormatIssue(
                    f"$.scores[{k}][2]",
                    f"score {shown} must be a finite number from -{MAX_ABS_SCORE:,} to "
                    f"{MAX_ABS_SCORE:,}",
                )
            )
    return out


def _index(people: list[dict[str, Any]], where: str, issues: list[FormatIssue]) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, person in enumerate(people):
        key = str(person["id"])
        if key in index:
            issues.append(
                FormatIssue(
                    f"$.{where}[{i}].id", f"duplicate id {key!r} (also $.{where}[{index[key]}])"
                )
            )
        else:
            index[key] = i
    return index


def _attributes(people: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names = sorted({a for p in people for a in p.get("attributes", {})})
    return {a: [p.get("attributes", {}).get(a) for p in people] for a in names}


def _constraints(
    raw: dict[str, Any],
    mentee_index: dict[str, int],
    mentor_index: dict[str, int],
    mentees: list[dict[str, Any]],
    issues: list[FormatIssue],
    peer: bool,
) -> Constraints:
    def pairs(name: str) -> list[tuple[int, int]]:
        out = []
        for k, (e_id, m_id) in enumerate(raw.get(name, [])):
            e, m = mentee_index.get(str(e_id)), mentor_index.get(str(m_id))
            if e is None:
                issues.append(
                    FormatIssue(f"$.constraints.{name}[{k}][0]", f"unknown mentee id {str(e_id)!r}")
                )
            if m is None:
                side = "participant" if peer else "mentor"
                issues.append(
                    FormatIssue(f"$.constraints.{name}[{k}][1]", f"unknown {side} id {str(m_id)!r}")
                )
            if e is not None and m is not None:
                out.append((e, m))
        return out

    known = {a for p in mentees for a in p.get("attributes", {})}
    quotas = []
    for k, q in enumerate(raw.get("max_per_mentor_by_attribute", [])):
        if q["attribute"] not in known:
            issues.append(
                FormatIssue(
                    f"$.constraints.max_per_mentor_by_attribute[{k}].attribute",
                    f"no mentee has attribute {q['attribute']!r}",
                )
            )
        quotas.append(AttributeQuota(q["attribute"], int(q["max"])))
    shares = []
    for k, q in enumerate(raw.get("min_cross_attribute_share", [])):
        if q["attribute"] not in known:
            issues.append(
                FormatIssue(
                    f"$.constraints.min_cross_attribute_share[{k}].attribute",
                    f"no mentee has attribute {q['attribute']!r}",
                )
            )
        if not _finite(q["min_share"]):
            issues.append(
                FormatIssue(f"$.constraints.min_cross_attribute_share[{k}].min_share",
                            "min_share must be a number from 0 to 1")
            )  # fmt: skip
            continue
        shares.append(CrossAttributeShare(q["attribute"], float(q["min_share"])))
    min_score = raw.get("min_score")
    if min_score is not None and not _finite(min_score):
        issues.append(FormatIssue("$.constraints.min_score", "min_score must be a finite number"))
        min_score = None
    return Constraints(
        forbidden=pairs("forbidden"),
        required=pairs("required"),
        locked=pairs("locked"),
        min_score=min_score,
        mentors_per_mentee=int(raw.get("mentors_per_mentee", 1)),
        max_per_mentor_by_attribute=quotas,
        min_cross_attribute_share=shares,
        group_size=int(raw.get("group_size", 2)),
    )


def solution_document(
    problem: MatchProblem, solution: MatchSolution, *, strategy: str | None = None
) -> dict[str, Any]:
    """The ``mentormatch.solution/1`` document for ``solution`` (ids, not indices)."""
    mentor_ids = problem.mentee_ids if problem.kind == "peer" else problem.mentor_ids
    doc: dict[str, Any] = {
        "schema": SOLUTION_SCHEMA_ID,
        "status": solution.status,
        "assignments": [
            [problem.mentee_ids[a.mentee], mentor_ids[a.mentor], _num(a.score)]
            for a in solution.assignments
        ],
        "objective": {
            "matched": int(solution.matched),
            "total_score": _num(solution.total_score),
            "min_score": None if solution.min_score is None else _num(solution.min_score),
        },
        "seconds": round(float(solution.seconds), 6),
        "diagnosis": solution.diagnosis,
    }
    if solution.bound is not None:
        doc["objective"]["bound"] = _num(solution.bound)
    if strategy:
        doc["strategy"] = strategy
    if solution.groups:
        doc["groups"] = [[problem.mentee_ids[i] for i in g] for g in solution.groups]
    # our own output: check the shape (on a sample of rows, which can be many)
    jsonschema.validate({**doc, "assignments": doc["assignments"][:100]}, SOLUTION_SCHEMA)
    return doc


def _num(x: float) -> float:
    return round(float(x), 9)


def dump_solution(
    problem: MatchProblem, solution: MatchSolution, *, strategy: str | None = None
) -> str:
    return json.dumps(solution_document(problem, solution, strategy=strategy), indent=2) + "\n"


def problem_document(problem: MatchProblem) -> dict[str, Any]:
    """The ``mentormatch.problem/1`` document for ``problem`` (round-trips ``load_problem``)."""
    peer = problem.kind == "peer"
    mentor_ids = problem.mentee_ids if peer else problem.mentor_ids
    c = problem.constraints

    def people(ids, attrs, names, capacity=None):
        out = []
        for i, pid in enumerate(ids):
            item: dict[str, Any] = {"id": pid}
            if names:
                item["name"] = names[i]
            if capacity is not None:
                item["capacity"] = int(capacity[i])
            item["attributes"] = {a: _plain(v[i]) for a, v in attrs.items() if v[i] is not None}
            out.append(item)
        return out

    def ids(pairs):
        return [[problem.mentee_ids[e], mentor_ids[m]] for e, m in pairs]

    doc: dict[str, Any] = {
        "schema": PROBLEM_SCHEMA_ID,
        "kind": problem.kind,
        "mentees": people(problem.mentee_ids, problem.mentee_attributes, problem.mentee_names),
        "scores": [
            [problem.mentee_ids[e], mentor_ids[m], float(s)]
            for e, m, s in zip(
                problem.pair_mentee.tolist(),
                problem.pair_mentor.tolist(),
                problem.pair_score.tolist(),
                strict=True,
            )
        ],
        "constraints": {
            "forbidden": ids(c.forbidden),
            "required": ids(c.required),
            "locked": ids(c.locked),
            "min_score": c.min_score,
            "mentors_per_mentee": c.mentors_per_mentee,
            "max_per_mentor_by_attribute": [
                {"attribute": q.attribute, "max": q.max} for q in c.max_per_mentor_by_attribute
            ],
            "min_cross_attribute_share": [
                {"attribute": q.attribute, "min_share": q.min_share}
                for q in c.min_cross_attribute_share
            ],
            "group_size": c.group_size,
        },
        "objective": problem.objective,
    }
    if not peer:
        doc["mentors"] = people(
            problem.mentor_ids, problem.mentor_attributes, problem.mentor_names, problem.capacity
        )
    return doc


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
