"""JSON Schemas (draft 2020-12) of the solve contract: ``mentormatch.problem/1`` and
``mentormatch.solution/1`` (documented in ``docs/solve-format.md``).

Structure only; :mod:`.solve_format` checks what a schema cannot (unique ids, known ids,
repeated pairs, quota attributes that exist).
"""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA_ID = "mentormatch.problem/1"
SOLUTION_SCHEMA_ID = "mentormatch.solution/1"

# Bounds keep every number inside what the solvers compute with (int32 capacities, scores
# scaled by 10^5 into int64): 2**31 mentees per mentor or a score of 10**30 would
# overflow there instead of being refused here.
MAX_CAPACITY = 100_000
MAX_ABS_SCORE = 1_000_000
_SCORE = {"type": "number", "minimum": -MAX_ABS_SCORE, "maximum": MAX_ABS_SCORE}
_ID = {"type": ["string", "integer"]}
_PAIR = {"type": "array", "prefixItems": [_ID, _ID], "minItems": 2, "maxItems": 2}
_ATTRS = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": PROBLEM_SCHEMA_ID,
    "type": "object",
    "required": ["schema", "mentees", "scores"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": PROBLEM_SCHEMA_ID},
        "kind": {"enum": ["bipartite", "peer"]},
        "mentees": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "additionalProperties": False,
                "properties": {"id": _ID, "name": {"type": "string"}, "attributes": _ATTRS},
            },
        },
        "mentors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "capacity"],
                "additionalProperties": False,
                "properties": {
                    "id": _ID,
                    "name": {"type": "string"},
                    "capacity": {"type": "integer", "minimum": 0, "maximum": MAX_CAPACITY},
                    "attributes": _ATTRS,
                },
            },
        },
        "scores": {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [_ID, _ID, _SCORE],
                "minItems": 3,
                "maxItems": 3,
            },
        },
        "constraints": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "forbidden": {"type": "array", "items": _PAIR},
                "required": {"type": "array", "items": _PAIR},
                "locked": {"type": "array", "items": _PAIR},
                "min_score": {**_SCORE, "type": ["number", "null"]},
                "mentors_per_mentee": {"type": "integer", "minimum": 1, "maximum": 1_000},
                "max_per_mentor_by_attribute": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["attribute", "max"],
                        "additionalProperties": False,
                        "properties": {
                            "attribute": {"type": "string", "minLength": 1},
                            "max": {"type": "integer", "minimum": 0, "maximum": MAX_CAPACITY},
                        },
                    },
                },
                "min_cross_attribute_share": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["attribute", "min_share"],
                        "additionalProperties": False,
                        "properties": {
                            "attribute": {"type": "string", "minLength": 1},
                            "min_share": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                    },
                },
                "group_size": {"type": "integer", "minimum": 2, "maximum": 4},
            },
        },
        "objective": {"enum": ["total", "fair"]},
    },
}

SOLUTION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": SOLUTION_SCHEMA_ID,
    "type": "object",
    "required": ["schema", "status", "assignments", "objective", "seconds", "diagnosis"],
    "properties": {
        "schema": {"const": SOLUTION_SCHEMA_ID},
        "status": {"enum": ["optimal", "feasible", "infeasible", "cancelled", "error"]},
        "strategy": {"type": "string"},
        "assignments": {
            "type": "array",
            "items": {"type": "array", "prefixItems": [_ID, _ID, {"type": "number"}]},
        },
        "groups": {"type": "array", "items": {"type": "array", "items": _ID}},
        "objective": {
            "type": "object",
            "required": ["matched", "total_score", "min_score"],
            "properties": {
                "matched": {"type": "integer", "minimum": 0},
                "total_score": {"type": "number"},
                "min_score": {"type": ["number", "null"]},
                "bound": {"type": ["number", "null"]},
            },
        },
        "seconds": {"type": "number", "minimum": 0},
        "diagnosis": {"type": "string"},
    },
}
