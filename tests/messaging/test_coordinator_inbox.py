"""A coordinator who is a person reads and answers the conversations they are a member of
(Message both), and only those: on SQLite through the services, on PostgreSQL through a
coordinator's own login (every program, and limited to one), with row-level security on."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import conversation, inbox, pair_messages
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Message, Person, Thread, ThreadParticipant
from mentormatch_desktop.testing import refused_by_database


@pytest.fixture
def coord_org(org: dict[str, int], engine: Engine) -> dict[str, int]:
    """The messaging org plus two coordinators who are people: Cora, and Otto whose own
    conversation with the pair Cora must never read."""
    with transaction(engine) as s:
        for key, name in (("cora", "Cora Ordinator"), ("otto", "Otto Other")):
            person = Person(
                full_name=name,
                email=f"{key}@example.org",
                time_zone="Europe/London",
                app_role=AppRole.COORDINATOR,
            )
            s.add(person)
            s.flush()
            org[key] = person.id
    return org


def _plant_others(engine: Engine, org: dict[str, int]) -> int:
    """Otto's conversation with the pair (a secret in it); returns its id."""
    with transaction(engine) as s:
        thread = Thread(
            kind="group",
            subject="Otto checks in",
            program_id=org["program"],
            created_by_id=org["otto"],
        )
        s.add(thread)
        s.flush()
        for pid in (org["otto"], org["ada"], org["alan"]):
            s.add(ThreadParticipant(thread_id=thread.id, person_id=pid, muted=False))
        s.add(Message(thread_id=thread.id, sender_id=org["otto"], body="OTTOSECRET"))
        return thread.id


def _bodies(ctx, thread_id: int) -> list[str]:
    return [m.body for m in conversation.newest(ctx, thread_id).messages]


def test_coordinator_reads_and_answers_own_conversation_sqlite(coord_org, as_person, engine):
    org = coord_org
    with as_person(org["cora"], AppRole.COORDINATOR) as ctx:
        sent = pair_messages.message_both(ctx, org["mentorship"], "Checking in", "How is it?")
    with as_person(org["alan"], AppRole.PARTICIPANT) as ctx:
        pair = inbox.thread_with(ctx, org["ada"])
        inbox.send_message(ctx, pair.id, "PAIRSECRET")
        inbox.send_message(ctx, sent.thread_id, "Going well")
    other = _plant_others(engine, org)
    with as_person(org["cora"], AppRole.COORDINATOR) as ctx:
        threads = inbox.list_threads(ctx)
        assert [(t.id, t.unread) for t in threads] == [(sent.thread_id, 1)]
        assert inbox.unread_total(ctx) == 1
        assert _bodies(ctx, sent.thread_id) == ["How is it?", "Going well"]
        assert inbox.last_messages(ctx, [sent.thread_id, pair.id, other]).keys() == {sent.thread_id}
        assert [m.body for m in inbox.search_messages(ctx, "SECRET")] == []
        inbox.send_message(ctx, sent.thread_id, "Glad to hear it")
        assert inbox.mark_read(ctx, sent.thread_id) == 1
        assert inbox.unread_total(ctx) == 0
    with as_person(org["ada"], AppRole.PARTICIPANT) as ctx:
        assert _bodies(ctx, sent.thread_id)[-1] == "Glad to hear it"


# ---- PostgreSQL: the coordinator's own login, row-level security on ---------------------


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
@pytest.mark.parametrize("scope", ["program", "all"])
def test_coordinator_inbox_under_rls(coord_org, logins, host, engine, login_names, scope):
    org = coord_org
    from mentormatch_desktop.services.org import grant_login

    login = f"mm_cora_{uuid.uuid4().hex[:8]}"
    programs = ["Spring mentoring"] if scope == "program" else None
    with unit_of_work(engine, plugins=host) as ctx:
        grant_login(ctx, "cora@example.org", "coordinator", programs=programs, login=login)
    login_names.append(login)
    cora = create_engine(
        make_url(engine.url).set(username=login, password=None).render_as_string(False)
    )
    actor = Actor(person_id=org["cora"], login=login, role=AppRole.COORDINATOR)

    def as_(name: str):
        who = Actor(person_id=org[name], login=None, role=AppRole.PARTICIPANT)
        return unit_of_work(logins[name], plugins=host, actor=who)

    try:
        with unit_of_work(cora, plugins=host, actor=actor) as ctx:
            sent = pair_messages.message_both(ctx, org["mentorship"], "Checking in", "How is it?")
        with as_("alan") as ctx:
            pair = inbox.thread_with(ctx, org["ada"])
            inbox.send_message(ctx, pair.id, "PAIRSECRET")
            inbox.send_message(ctx, sent.thread_id, "Going well")
        other = _plant_others(engine, org)

        with unit_of_work(cora, plugins=host, actor=actor) as ctx:
            assert [(t.id, t.unread) for t in inbox.list_threads(ctx)] == [(sent.thread_id, 1)]
            assert _bodies(ctx, sent.thread_id) == ["How is it?", "Going well"]
            assert inbox.read_page(ctx, sent.thread_id).messages[-1].body == "Going well"
            assert inbox.search_messages(ctx, "SECRET") == []
            reply = inbox.send_message(ctx, sent.thread_id, "Glad to hear it")
            assert not reply.fanout_pending and reply.deliveries == 2
            assert inbox.mark_read(ctx, sent.thread_id) == 1
            assert inbox.unread_total(ctx) == 0
        with as_("ada") as ctx:
            assert _bodies(ctx, sent.thread_id)[-1] == "Glad to hear it"

        # Raw SQL over Cora's own login: her conversation, nothing of anyone else's.
        with cora.connect() as conn:
            mine = "SELECT body FROM mm_member_messages() WHERE thread_id = :t ORDER BY id"
            assert conn.execute(sa.text(mine), {"t": sent.thread_id}).scalars().all() == [
                "How is it?",
                "Going well",
                "Glad to hear it",
            ]
            for thread in (pair.id, other):
                assert conn.execute(sa.text(mine), {"t": thread}).all() == []
            assert (
                conn.execute(
                    sa.text("SELECT count(*) FROM mm_member_messages() WHERE body LIKE '%SECRET%'")
                ).scalar_one()
                == 0
            )
        assert refused_by_database(
            cora, "SELECT body FROM messages WHERE thread_id = :t", {"t": pair.id}
        )
        # She cannot make herself a member of the pair's thread or Otto's conversation,
        # neither by adding a row, nor by moving one, nor by claiming to have started it.
        add = (
            "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
            " VALUES (:t, :p, now(), false)"
        )
        move = "UPDATE thread_participants SET person_id = :p WHERE thread_id = :t"
        claim = "UPDATE threads SET created_by_id = :p WHERE id = :t"
        for thread in (pair.id, other):
            for statement in (add, move, claim):
                assert refused_by_database(cora, statement, {"t": thread, "p": org["cora"]}), (
                    statement
                )
        # Had Cora opened the pair's thread herself (introductions do) and its mentorship
        # been deleted since, it is still the pair's: a mentorship thread nobody joins.
        with transaction(engine) as s:
            s.execute(
                sa.update(Thread)
                .where(Thread.id == pair.id)
                .values(created_by_id=org["cora"], mentorship_id=None)
            )
        assert refused_by_database(cora, add, {"t": pair.id, "p": org["cora"]})
        # The pair's messages stayed theirs: Cora's login still reads 0 bodies there.
        with cora.connect() as conn:
            assert conn.execute(sa.text(mine), {"t": pair.id}).all() == []
    finally:
        cora.dispose()
