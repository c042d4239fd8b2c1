"""Preferred names: how greetings, previews, introductions and nudges address people, and
who may change a preferred name (a participant their own, through their own login)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.domain.enums import AppRole, MatchRunStatus, ProposalStatus
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.services import home, inbox, introductions, nudges
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.match_decisions import approve_run
from mentormatch_desktop.services.me import my_profile, update_my_profile
from mentormatch_desktop.services.mentorship_detail import mentorship_detail
from mentormatch_desktop.services.my_mentorship import my_mentorship_detail
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import MatchProposal, MatchRun, Person
from mentormatch_desktop.testing import refused_by_database


def test_address_name_prefers_the_preferred_name_else_the_first_word():
    assert address_name("Jun Jie Goh", "Jun Jie") == "Jun Jie"
    assert address_name("Jun Jie Goh", None) == "Jun"  # the documented fallback
    assert address_name("Jun Jie Goh", "   ") == "Jun"  # blank counts as unset
    assert address_name("  Ada   Lovelace ", "") == "Ada"
    assert address_name("", None) == ""


def _prefer(engine: Engine, person_id: int, name: str | None) -> None:
    with transaction(engine) as s:
        s.get(Person, person_id).preferred_name = name


def _profile_fields(ctx, **changes) -> dict[str, str]:
    p = my_profile(ctx)
    fields = {"full_name": p.full_name, "title": p.title, "time_zone": p.time_zone, "bio": p.bio}
    return fields | changes


def test_participant_sets_and_clears_their_preferred_name(engine, org, as_person):
    with as_person(org["alan"]) as ctx:
        update_my_profile(ctx, **_profile_fields(ctx, preferred_name="  Al  "))
    with as_person(org["alan"]) as ctx:
        assert my_profile(ctx).preferred_name == "Al"  # spaces normalised
        assert home.my_home(ctx).address == "Al"
        # Callers that do not pass it leave it alone.
        update_my_profile(ctx, **_profile_fields(ctx, title="Data engineer"))
    with as_person(org["alan"]) as ctx:
        assert my_profile(ctx).preferred_name == "Al"
        update_my_profile(ctx, **_profile_fields(ctx, preferred_name=""))
    with as_person(org["alan"]) as ctx:
        assert my_profile(ctx).preferred_name == ""
        assert home.my_home(ctx).address == "Alan"
    with engine.connect() as c:
        stored = c.scalar(sa.select(Person.preferred_name).where(Person.id == org["alan"]))
    assert stored is None  # cleared, not an empty string
    with pytest.raises(FieldError) as long, as_person(org["alan"]) as ctx:
        update_my_profile(ctx, **_profile_fields(ctx, preferred_name="x" * 81))
    assert long.value.field == "preferred_name"


def test_inbox_previews_call_the_sender_by_their_preferred_name(engine, org, as_person):
    _prefer(engine, org["ada"], "Countess Ada")
    with as_person(org["ada"]) as ctx:
        thread = inbox.ensure_mentorship_thread(ctx, org["mentorship"])
        inbox.send_message(ctx, thread.id, "Shall we meet on Tuesday?")
    with as_person(org["alan"]) as ctx:
        [preview] = inbox.last_messages(ctx, [thread.id]).values()
    assert preview.sender_name == "Ada Lovelace"  # the full name stays for the message header
    assert preview.sender_short == "Countess Ada"
    _prefer(engine, org["ada"], None)
    with as_person(org["alan"]) as ctx:
        [preview] = inbox.last_messages(ctx, [thread.id]).values()
    assert preview.sender_short == "Ada"


@pytest.fixture
def run_id(engine, org) -> int:
    with transaction(engine) as s:
        run = MatchRun(
            program_id=org["program"], strategy="optimizer", status=MatchRunStatus.COMPLETED
        )
        s.add(run)
        s.flush()
        s.add(
            MatchProposal(
                run_id=run.id,
                mentee_id=org["mary"],
                mentor_id=org["grace"],
                score=0.7,
                status=ProposalStatus.PROPOSED,
                explanation="Same time zone",
            )
        )
        return run.id


def test_introduction_and_nudge_greet_by_preferred_names(engine, org, run_id, as_person):
    _prefer(engine, org["mary"], "Mary J")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        approve_run(ctx, run_id)
        assert introductions.introduce_run(ctx, run_id) == 1
    with as_person(org["mary"]) as ctx:
        [thread] = inbox.list_threads(ctx)
        [message] = inbox.read_page(ctx, thread.id).messages
    # Grace has none: the first word of her full name, as before preferred names.
    assert message.body.startswith("Hello Mary J and Grace,")
    assert "Grace Hopper as mentor, Mary Jackson as mentee" in message.body

    _prefer(engine, org["alan"], "Al")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        result = nudges.nudge_pairs(ctx, [org["mentorship"]])
    assert result.sent == (org["mentorship"],)
    with as_person(org["alan"]) as ctx:
        thread = inbox.ensure_mentorship_thread(ctx, org["mentorship"])
        body = inbox.read_page(ctx, thread.id).messages[-1].body
    assert body.startswith("Hello Al and Ada,")


def test_mentorship_pages_carry_how_to_address_each_person(engine, org, as_person):
    """The coordinator's page (Message both's greeting) and the participant's own page
    ("Message Countess Ada") know each person's form of address."""
    _prefer(engine, org["ada"], "Countess Ada")
    with as_person(None, AppRole.COORDINATOR) as ctx:
        detail = mentorship_detail(ctx, org["mentorship"])
    assert (detail.mentor.address, detail.mentee.address) == ("Countess Ada", "Alan")
    with as_person(org["alan"]) as ctx:
        own = my_mentorship_detail(ctx, org["mentorship"])
    assert (own.mentor.address, own.mentee.address) == ("Countess Ada", "Alan")


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_preferred_name_under_rls_own_only(engine, org, logins, host):
    """Through her own login Mary sets her own preferred name with the profile service; a
    raw UPDATE of someone else's row changes nothing, and the grant is that column alone."""
    actor = Actor(person_id=org["mary"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(logins["mary"], plugins=host, actor=actor) as ctx:
        update_my_profile(ctx, **_profile_fields(ctx, preferred_name="MJ"))
    with unit_of_work(logins["mary"], plugins=host, actor=actor) as ctx:
        assert my_profile(ctx).preferred_name == "MJ"
        assert home.my_home(ctx).address == "MJ"

    with logins["mary"].connect() as conn:
        changed = conn.execute(
            sa.text("UPDATE people SET preferred_name = 'Hacked' WHERE id = :other"),
            {"other": org["ada"]},
        ).rowcount
        conn.commit()
    assert changed == 0
    with engine.connect() as conn:
        names = dict(conn.execute(sa.select(Person.id, Person.preferred_name)).all())
    assert names[org["ada"]] is None and names[org["mary"]] == "MJ"
    # Column grants: the preferred name is hers to change, the e-mail is not.
    assert refused_by_database(
        logins["mary"], "UPDATE people SET email = 'x@example.org' WHERE id = :me", {"me": 0}
    )

    # Alan may not read Ada's row, yet the preview of her message names her as she chose:
    # through mm_person_addresses, the directory's rule with the preferred name.
    _prefer(engine, org["ada"], "Countess Ada")
    with unit_of_work(engine, plugins=host) as ctx:  # threads are opened by the app's owner
        thread = inbox.ensure_mentorship_thread(ctx, org["mentorship"])
    ada = Actor(person_id=org["ada"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(logins["ada"], plugins=host, actor=ada) as ctx:
        inbox.send_message(ctx, thread.id, "See you Tuesday")
    alan = Actor(person_id=org["alan"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(logins["alan"], plugins=host, actor=alan) as ctx:
        [preview] = inbox.last_messages(ctx, [thread.id]).values()
    assert (preview.sender_name, preview.sender_short) == ("Ada Lovelace", "Countess Ada")
    with unit_of_work(logins["alan"], plugins=host, actor=alan) as ctx:
        own = my_mentorship_detail(ctx, org["mentorship"])
    assert (own.mentor.address, own.mentee.address) == ("Countess Ada", "Alan")
    with logins["alan"].connect() as conn:
        visible = conn.execute(sa.text("SELECT array_agg(id) FROM people")).scalar_one()
    assert visible == [org["alan"]]
