"""A coordinator writes to both people of a mentorship ("Message both"): a new conversation
of three, never the pair's private thread; on both databases, and on PostgreSQL through a
coordinator's own login with row-level security on."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import inbox, outbox, pair_messages
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, Actor, unit_of_work
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import (
    AuditLog,
    Message,
    MessageDelivery,
    Person,
    Thread,
    ThreadParticipant,
)
from mentormatch_desktop.testing import refused_by_database


@pytest.fixture
def coord_org(org: dict[str, int], engine: Engine) -> dict[str, int]:
    """The messaging org plus Cora, a coordinator who is a person (enrolled nowhere)."""
    with transaction(engine) as s:
        cora = Person(
            full_name="Cora Ordinator",
            email="cora@example.org",
            time_zone="Europe/London",
            app_role=AppRole.COORDINATOR,
        )
        s.add(cora)
        s.flush()
        org["cora"] = cora.id
    return org


def _deliveries(engine: Engine, message_id: int) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(MessageDelivery.recipient_id, MessageDelivery.channel).where(
                MessageDelivery.message_id == message_id
            )
        ).all()
    return sorted((int(r), c) for r, c in rows)


def test_message_both_starts_a_conversation_of_three(coord_org, as_person, engine):
    org = coord_org
    with as_person(org["cora"], AppRole.COORDINATOR) as ctx:
        sent = pair_messages.message_both(
            ctx, org["mentorship"], "  Spring mentoring:   checking in ", "How is it going?"
        )
    with transaction(engine) as s:
        thread = s.get(Thread, sent.thread_id)
        assert (thread.kind, thread.subject) == ("group", "Spring mentoring: checking in")
        assert thread.program_id == org["program"] and thread.mentorship_id is None
        assert thread.created_by_id == org["cora"]
        members = set(
            s.scalars(
                sa.select(ThreadParticipant.person_id).where(
                    ThreadParticipant.thread_id == thread.id
                )
            )
        )
        assert members == {org["cora"], org["ada"], org["alan"]}
        # the pair's own conversation is neither created nor joined by the coordinator
        assert s.scalar(sa.select(Thread.id).where(Thread.mentorship_id.is_not(None))) is None
        audit = s.scalars(
            sa.select(AuditLog).where(AuditLog.action == "mentorship.message_both")
        ).one()
        assert audit.entity_id == str(org["mentorship"]) or audit.entity_id == org["mentorship"]
        assert audit.details["thread_id"] == thread.id
    # one e-mail each to the mentor and the mentee, none to the sender
    assert sent.deliveries == 2
    assert _deliveries(engine, sent.message_id) == sorted(
        [(org["ada"], "email"), (org["alan"], "email")]
    )
    for name in ("ada", "alan"):
        with as_person(org[name]) as ctx:
            assert sent.thread_id in [t.id for t in inbox.list_threads(ctx)]
            page = inbox.read_page(ctx, sent.thread_id)
            assert [(m.sender_name, m.body) for m in page.messages] == [
                ("Cora Ordinator", "How is it going?")
            ]
    # the mentee replies: the coordinator is a member, so the reply is delivered to her
    with as_person(org["alan"]) as ctx:
        reply = inbox.send_message(ctx, sent.thread_id, "Stuck on finding a time, sorry!")
    assert (org["cora"], "email") in _deliveries(engine, reply.message_id)
    # someone else in the program reads nothing of it
    with as_person(org["mary"]) as ctx, pytest.raises(MessagingError, match="not a member"):
        inbox.read_page(ctx, sent.thread_id)


def test_message_both_refuses_what_it_should(coord_org, as_person, engine):
    org = coord_org
    with as_person(org["cora"], AppRole.COORDINATOR) as ctx:
        with pytest.raises(MessagingError, match="subject"):
            pair_messages.message_both(ctx, org["mentorship"], "   ", "Hello")
        with pytest.raises(MessagingError, match="empty"):
            pair_messages.message_both(ctx, org["mentorship"], "Checking in", " \n ")
        with pytest.raises(MessagingError, match="no mentorship"):
            pair_messages.message_both(ctx, 99_999, "Checking in", "Hello")
    with (
        as_person(org["ada"], AppRole.COORDINATOR) as ctx,  # one of the pair
        pytest.raises(MessagingError, match="one of this pair"),
    ):
        pair_messages.message_both(ctx, org["mentorship"], "Checking in", "Hello")
    with as_person(org["mary"]) as ctx, pytest.raises(MessagingError, match="Only coordinators"):
        pair_messages.message_both(ctx, org["mentorship"], "Checking in", "Hello")
    with (
        unit_of_work(engine, actor=LOCAL_COORDINATOR) as ctx,
        pytest.raises(MessagingError, match="signed in as nobody"),
    ):
        pair_messages.message_both(ctx, org["mentorship"], "Checking in", "Hello")
    with engine.connect() as conn:  # nothing half-written by the refusals
        assert conn.execute(sa.select(sa.func.count()).select_from(Thread)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(Message)).scalar() == 0


def test_refusal_says_how_to_become_a_person():
    local = pair_messages.refusal(LOCAL_COORDINATOR, embedded=True)
    assert local is not None and "--as YOUR-EMAIL" in local
    owner = Actor(person_id=None, login="postgres", role=AppRole.COORDINATOR)
    shared = pair_messages.refusal(owner, embedded=False)
    assert shared is not None and "mentormatch org grant" in shared
    me = Actor(person_id=7, login="cora", role=AppRole.COORDINATOR)
    assert pair_messages.refusal(me, embedded=False) is None
    assert pair_messages.refusal(me, embedded=True) is None
    assert pair_messages.default_subject("Spring mentoring") == "Spring mentoring: checking in"


# ---- PostgreSQL: the coordinator's own login, row-level security on ---------------------


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
@pytest.mark.parametrize("scope", ["program", "all"])
def test_message_both_under_rls_coordinator_login(
    coord_org, logins, host, engine, login_names, scope
):
    org = coord_org
    from mentormatch_desktop.services.org import grant_login

    login = f"mm_cora_{uuid.uuid4().hex[:8]}"
    programs = ["Spring mentoring"] if scope == "program" else None
    with unit_of_work(engine, plugins=host) as ctx:
        grant_login(ctx, "cora@example.org", "coordinator", programs=programs, login=login)
    login_names.append(login)
    coord_engine = create_engine(
        make_url(engine.url).set(username=login, password=None).render_as_string(False)
    )
    try:
        actor = Actor(person_id=org["cora"], login=login, role=AppRole.COORDINATOR)
        with unit_of_work(coord_engine, plugins=host, actor=actor) as ctx:
            sent = pair_messages.message_both(
                ctx, org["mentorship"], "Spring mentoring: checking in", "SECRETCHECK hello"
            )
        assert not sent.fanout_pending and sent.deliveries == 2
    finally:
        coord_engine.dispose()
    assert _deliveries(engine, sent.message_id) == sorted(
        [(org["ada"], "email"), (org["alan"], "email")]
    )

    def as_(name: str):
        actor = Actor(person_id=org[name], login=None, role=AppRole.PARTICIPANT)
        return unit_of_work(logins[name], plugins=host, actor=actor)

    for name in ("ada", "alan"):  # both see the thread and the message through their login
        with as_(name) as ctx:
            summary = [t for t in inbox.list_threads(ctx) if t.id == sent.thread_id]
            assert summary and summary[0].members == sorted(
                ["Cora Ordinator", "Ada Lovelace" if name == "alan" else "Alan Turing"]
            )
            assert inbox.read_page(ctx, sent.thread_id).messages[-1].body == "SECRETCHECK hello"
    with as_("alan") as ctx:  # the reply: the worker queues the coordinator's e-mail
        reply = inbox.send_message(ctx, sent.thread_id, "Thanks, we meet Friday")
        assert reply.fanout_pending
    with unit_of_work(engine, plugins=host) as ctx:
        assert outbox.fan_out(ctx) == 1
    assert _deliveries(engine, reply.message_id) == sorted(
        [(org["ada"], "email"), (org["cora"], "email")]
    )

    # Mary, in the same program but not in it, reads nothing and cannot join.
    with logins["mary"].connect() as conn:
        for query in (
            "SELECT count(*) FROM threads WHERE id = :t",
            "SELECT count(*) FROM thread_participants WHERE thread_id = :t",
            "SELECT count(*) FROM messages WHERE thread_id = :t",
            "SELECT count(*) FROM messages WHERE body LIKE '%SECRETCHECK%'",
        ):
            assert conn.execute(sa.text(query), {"t": sent.thread_id}).scalar_one() == 0, query
    add = (
        "INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)"
        " VALUES (:t, :p, now(), false)"
    )
    assert refused_by_database(logins["mary"], add, {"t": sent.thread_id, "p": org["mary"]})
    # A member who did not start it adds nobody; a participant starts no thread in the
    # coordinator's name (nor a group with people they may not write to).
    assert refused_by_database(logins["alan"], add, {"t": sent.thread_id, "p": org["mary"]})
    assert refused_by_database(
        logins["mary"],
        "INSERT INTO threads (kind, subject, created_by_id, created_at)"
        " VALUES ('group', 'x', :c, now())",
        {"c": org["cora"]},
    )
