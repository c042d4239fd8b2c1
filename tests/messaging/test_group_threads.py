"""Group conversations started by participants (peer circles), on both backends; on
PostgreSQL also through the participants' own logins, where row-level security must refuse
in raw SQL what the service refuses.

Ada mentors Alan and Mary; Zora is enrolled but nobody's partner. Ada may write to Alan and
Mary, so she may start a circle with them; nobody may bring in Zora.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import groups, inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import Mentorship, Person
from mentormatch_desktop.testing import refused_by_database

from .conftest import NOW


@pytest.fixture
def circle_org(org: dict[str, int], engine: Engine) -> dict[str, int]:
    with transaction(engine) as s:
        s.add(
            Mentorship(
                program_id=org["program"],
                mentor_id=org["ada"],
                mentee_id=org["mary"],
                started_at=NOW,
            )
        )
    return org


def test_group_started_by_a_participant_reaches_its_members(circle_org, as_person):
    org = circle_org
    with as_person(org["ada"]) as ctx:
        names = [c.name for c in groups.messageable_people(ctx)]
        assert names == ["Alan Turing", "Mary Jackson"]  # her mentees, nobody else
        thread = groups.start_group(ctx, "  Ada's   circle ", [org["alan"], org["mary"]])
        sent = inbox.send_message(ctx, thread.id, "First circle on Friday?")
    assert sent.deliveries == 2
    for name in ("alan", "mary"):
        with as_person(org[name]) as ctx:
            [t] = inbox.list_threads(ctx)
            assert (t.kind, t.subject, t.unread) == ("group", "Ada's circle", 1)
            assert "Ada Lovelace" in t.members
    with as_person(org["zora"]) as ctx:
        assert inbox.list_threads(ctx) == []
        with pytest.raises(MessagingError, match="not a member"):
            inbox.read_page(ctx, thread.id)


def test_group_cannot_include_someone_one_may_not_message(circle_org, as_person):
    org = circle_org
    with as_person(org["ada"]) as ctx:
        with pytest.raises(MessagingError, match=f"no person with id {org['zora']}"):
            groups.start_group(ctx, "Circle", [org["alan"], org["zora"]])
        with pytest.raises(MessagingError, match="name the group"):
            groups.start_group(ctx, "   ", [org["alan"]])
        with pytest.raises(MessagingError, match="at least one other person"):
            groups.start_group(ctx, "Just me", [org["ada"]])
        with pytest.raises(MessagingError, match="no person with id 999999"):
            groups.start_group(ctx, "Circle", [999_999])
    with as_person(org["alan"]) as ctx:  # Alan may write to Ada only
        assert [c.name for c in groups.messageable_people(ctx)] == ["Ada Lovelace"]
        with pytest.raises(MessagingError, match=f"no person with id {org['mary']}"):
            groups.start_group(ctx, "Circle", [org["ada"], org["mary"]])
    with as_person(org["alan"]) as ctx:
        assert inbox.list_threads(ctx) == []  # nothing half-made


def test_only_the_creator_adds_members_later(circle_org, as_person, engine):
    org = circle_org
    with as_person(org["ada"]) as ctx:
        thread_id = groups.start_group(ctx, "Circle", [org["alan"]]).id
    with as_person(org["alan"]) as ctx:
        assert groups.group_info(ctx, thread_id)[0] is False
        with pytest.raises(MessagingError, match="only the person who started"):
            groups.add_members(ctx, thread_id, [org["ada"]])
    with as_person(org["ada"]) as ctx:
        can_add, members = groups.group_info(ctx, thread_id)
        assert can_add and members == {org["ada"], org["alan"]}
        with pytest.raises(MessagingError, match=f"no person with id {org['zora']}"):
            groups.add_members(ctx, thread_id, [org["mary"], org["zora"]])
    with as_person(org["ada"]) as ctx:
        assert groups.add_members(ctx, thread_id, [org["mary"], org["alan"]]) == [org["mary"]]
        assert groups.add_members(ctx, thread_id, [org["mary"]]) == []  # already in
    with as_person(org["mary"]) as ctx:
        assert [t.id for t in inbox.list_threads(ctx)] == [thread_id]


def test_coordinators_of_the_program_may_be_in_a_participants_group(circle_org, as_person, engine):
    org = circle_org
    with transaction(engine) as s:
        coordinator = Person(
            full_name="Katherine Johnson",
            email="katherine@example.org",
            time_zone="UTC",
            app_role=AppRole.COORDINATOR,
        )
        s.add(coordinator)
        s.flush()
        kj = coordinator.id
    with as_person(org["alan"]) as ctx:  # a coordinator of every program; Alan is enrolled
        assert {c.id for c in groups.messageable_people(ctx)} == {org["ada"], kj}
        thread = groups.start_group(ctx, "Alan, Ada and Katherine", [org["ada"], kj])
        assert groups.group_info(ctx, thread.id) == (True, {org["alan"], org["ada"], kj})


# ---- PostgreSQL: the participants' own logins, row-level security on -------------------


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_group_under_rls_participant_logins(circle_org, logins, host):
    org = circle_org

    def as_(name: str):
        actor = Actor(person_id=org[name], login=None, role=AppRole.PARTICIPANT)
        return unit_of_work(logins[name], plugins=host, actor=actor)

    with as_("ada") as ctx:  # through the database's own list and policies
        assert [c.name for c in groups.messageable_people(ctx)] == ["Alan Turing", "Mary Jackson"]
        thread_id = groups.start_group(ctx, "Circle", [org["alan"]]).id
        sent = inbox.send_message(ctx, thread_id, "SECRETCIRCLE hello")
        assert sent.fanout_pending
        with pytest.raises(MessagingError, match=f"no person with id {org['zora']}"):
            groups.add_members(ctx, thread_id, [org["zora"]])
    with as_("ada") as ctx:
        assert groups.add_members(ctx, thread_id, [org["mary"]]) == [org["mary"]]
    for name in ("alan", "mary"):
        with as_(name) as ctx:
            assert [t.id for t in inbox.list_threads(ctx)] == [thread_id]
            assert inbox.read_page(ctx, thread_id).messages[-1].body == "SECRETCIRCLE hello"
    with as_("alan") as ctx, pytest.raises(MessagingError, match="only the person who started"):
        groups.add_members(ctx, thread_id, [org["ada"]])

    # Raw SQL as the creator: nobody she may not write to, and no mentorship threads.
    add = (
        "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
        " VALUES (:t, :p, now(), false)"
    )
    assert refused_by_database(logins["ada"], add, {"t": thread_id, "p": org["zora"]})
    assert refused_by_database(
        logins["ada"],
        "INSERT INTO threads (kind, subject, created_by_id, created_at, mentorship_id)"
        " VALUES ('group', 'x', :me, now(), NULL) RETURNING id",
        {"me": org["alan"]},  # a group in someone else's name
    )
    assert refused_by_database(
        logins["ada"],
        "INSERT INTO threads (kind, subject, created_by_id, created_at)"
        " VALUES ('direct', 'x', :me, now())",
        {"me": org["ada"]},  # only groups
    )
    # A member who did not start it adds nobody, not even a person they may write to.
    assert refused_by_database(logins["alan"], add, {"t": thread_id, "p": org["ada"]})
    # Zora is in no group: raw SQL reads nothing of it, and she cannot join it.
    with logins["zora"].connect() as conn:
        for query in (
            "SELECT count(*) FROM threads WHERE id = :t",
            "SELECT count(*) FROM thread_participants WHERE thread_id = :t",
            "SELECT count(*) FROM messages WHERE thread_id = :t",
            "SELECT count(*) FROM messages WHERE body LIKE '%SECRETCIRCLE%'",
        ):
            assert conn.execute(sa.text(query), {"t": thread_id}).scalar_one() == 0, query
        assert conn.execute(sa.text("SELECT count(*) FROM mm_messageable_people()")).scalar() == 0
    assert refused_by_database(logins["zora"], add, {"t": thread_id, "p": org["zora"]})
    with as_("zora") as ctx, pytest.raises(MessagingError, match="no thread"):
        groups.add_members(ctx, thread_id, [org["zora"]])


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_group_cli_starts_and_extends_a_group(db_url, circle_org, as_person):
    from click.testing import CliRunner

    from mentormatch_desktop.cli import cli

    def run(*args: str):
        return CliRunner().invoke(cli, ["group", "--database", db_url, *args])

    out = run("--as", "ada@example.org", "--name", "Circle", "--with", "alan@example.org")
    assert out.exit_code == 0, out.output
    assert "started group" in out.output and "1 member(s) besides you" in out.output
    tid = int(out.output.split("started group ")[1].split(":")[0])
    refused = run("--as", "ada@example.org", "--thread", str(tid), "--with", "zora@example.org")
    assert refused.exit_code != 0 and "that you may write to" in refused.output
    not_mine = run("--as", "alan@example.org", "--thread", str(tid), "--with", "ada@example.org")
    assert not_mine.exit_code != 0 and "only the person who started" in not_mine.output
    added = run("--as", "ada@example.org", "--thread", str(tid), "--with", "mary@example.org")
    assert added.exit_code == 0 and "1 new member(s)" in added.output
    with as_person(circle_org["mary"]) as ctx:
        assert [t.id for t in inbox.list_threads(ctx)] == [tid]
    usage = run("--as", "ada@example.org", "--with", "alan@example.org")
    assert usage.exit_code == 2 and "exactly one of --name" in usage.output
