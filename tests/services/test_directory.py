"""The participants table query: filters in SQL, columns aligned, lookups."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import EnrolmentRole
from mentormatch_desktop.services import directory
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.directory import ParticipantFilter


def test_table_lists_everyone_sorted_with_roles_and_skills(
    session: Session, org, ctx: ServiceContext
) -> None:
    table = directory.participant_table(ctx)
    assert table.names == sorted(table.names)
    assert len(table) == 5
    ada = table.names.index("Ada Lovelace")
    assert table.roles[ada] == "Mentor"
    assert table.programs[ada] == "Spring mentoring"
    assert table.teaches[ada] == "SQL 5, Python 4"  # strongest first
    assert table.capacity[ada] == 2
    assert table.departments[ada] == "Engineering"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (ParticipantFilter(role=EnrolmentRole.MENTOR), {"Ada Lovelace", "Grace Hopper"}),
        (ParticipantFilter(text="SALES"), {"Zora Neale"}),  # title match, case-insensitive
        (ParticipantFilter(text="mary@"), {"Mary Jackson"}),
    ],
)
def test_filters(
    session: Session, org, flt: ParticipantFilter, expected: set[str], ctx: ServiceContext
) -> None:
    assert set(directory.participant_table(ctx, flt).names) == expected


def test_filters_by_ids(session: Session, org, ctx: ServiceContext) -> None:
    by_dept = directory.participant_table(ctx, ParticipantFilter(department_id=org["sales"]))
    assert set(by_dept.names) == {"Mary Jackson", "Zora Neale"}
    by_skill = directory.participant_table(ctx, ParticipantFilter(skill_id=org["sql"]))
    assert by_skill.names == ["Ada Lovelace"]
    combined = ParticipantFilter(
        program_id=org["program"], role=EnrolmentRole.MENTEE, department_id=org["engineering"]
    )
    assert directory.participant_table(ctx, combined).names == ["Alan Turing"]


def test_filter_options_and_lookups(session: Session, org, ctx: ServiceContext) -> None:
    options = directory.filter_options(ctx)
    assert [c.label for c in options.programs] == ["Spring mentoring"]
    assert [c.label for c in options.departments] == ["Engineering", "Sales"]
    assert [c.label for c in options.skills] == ["Negotiation", "Python", "SQL"]
    assert options.people_total == 5
    found = directory.find_people(ctx, "GRA", exclude=org["ada"])
    assert [c.id for c in found] == [org["grace"]]


def test_empty_database(session: Session, ctx: ServiceContext) -> None:
    assert len(directory.participant_table(ctx)) == 0
    assert directory.filter_options(ctx).people_total == 0
