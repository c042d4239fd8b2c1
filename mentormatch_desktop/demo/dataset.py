"""Rows of a generated demo, table by table, ready for bulk insertion.

Ids are assigned by the generator (1, 2, 3… per table) so related rows can reference each
other before anything touches the database, and the writer can use COPY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Insertion order: parents before children.
TABLE_ORDER = (
    "departments",
    "skill_categories",
    "skills",
    "skill_aliases",
    "people",
    "person_languages",
    "availability_slots",
    "contact_channels",
    "person_skills",
    "programs",
    "weight_sets",
    "enrolments",
    "pair_preferences",
    "match_runs",
    "match_proposals",
    "mentorships",
    "goals",
    "milestones",
    "meetings",
    "feedback",
    "threads",
    "thread_participants",
    "messages",
    "message_deliveries",
    "engagement_events",
    "audit_log",
)


@dataclass
class TableRows:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, *values: Any) -> None:
        self.rows.append(values)

    def next_id(self) -> int:
        """The id the next row will get (ids are 1-based, in row order)."""
        return len(self.rows) + 1


@dataclass
class DemoDataset:
    tables: dict[str, TableRows] = field(default_factory=dict)

    def table(self, name: str, columns: tuple[str, ...]) -> TableRows:
        if name not in TABLE_ORDER:
            raise KeyError(f"unknown demo table {name}")
        if name not in self.tables:
            self.tables[name] = TableRows(name, columns)
        return self.tables[name]

    def counts(self) -> dict[str, int]:
        return {name: len(self.tables[name].rows) for name in TABLE_ORDER if name in self.tables}
