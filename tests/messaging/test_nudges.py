"""Coordinator nudges: which pairs are waiting for a first session, the message both people
get (through the outbox, in the same unit of work), and no second nudge within the cooldown."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, MeetingStatus, MentorshipStatus
from mentormatch_desktop.services import inbox, nudges
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import Meeting, Mentorship, Message, MessageDelivery

from .conftest import NOW


@pytest.fixture
def second_pair(engine, org) -> int:
    """Grace mentors Mary since 3 days after Ada & Alan."""
    with transaction(engine) as s:
        m = Mentorship(
            program_id=org["program"],
            mentor_id=org["grace"],
            mentee_id=org["mary"],
            started_at=NOW + timedelta(days=3),
        )
        s.add(m)
        s.flush()
        return m.id


def _waiting(as_person, **kw):
    with as_person(None, AppRole.COORDINATOR) as ctx:
        return nudges.waiting_pairs(ctx, **kw)


def test_waiting_pairs_after_n_days_without_a_session(engine, org, second_pair, as_person, clock):
    clock.now = NOW + timedelta(days=10)
    assert _waiting(as_person, after_days=14) == []
    clock.now = NOW + timedelta(days=15)
    [first] = _waiting(as_person, after_days=14)
    assert (first.mentorship_id, first.days_waiting) == (org["mentorship"], 15)
    assert (first.mentor_name, first.mentee_name) == ("Ada Lovelace", "Alan Turing")
    assert first.may_nudge and first.last_nudged_at is None
    clock.now = NOW + timedelta(days=20)
    waiting = _waiting(as_person, program_id=org["program"], after_days=14)
    assert [w.mentorship_id for w in waiting] == [org["mentorship"], second_pair]
    assert _waiting(as_person, program_id=org["program"] + 999) == []


def test_a_booked_or_held_session_ends_the_wait_but_a_cancelled_one_does_not(
    engine, org, second_pair, as_person, clock
):
    clock.now = NOW + timedelta(days=30)
    with transaction(engine) as s:
        for mid, status in ((org["mentorship"], MeetingStatus.CANCELLED), (second_pair, "held")):
            s.add(
                Meeting(
                    mentorship_id=mid,
                    organiser_id=org["ada"],
                    starts_at=NOW + timedelta(days=5),
                    ends_at=NOW + timedelta(days=5, hours=1),
                    status=MeetingStatus(status),
                )
            )
        s.get(Mentorship, second_pair)  # still active
    assert [w.mentorship_id for w in _waiting(as_person)] == [org["mentorship"]]
    with transaction(engine) as s:
        s.get(Mentorship, org["mentorship"]).status = MentorshipStatus.PAUSED
    assert _waiting(as_person) == []


def test_nudge_reaches_both_through_the_outbox_and_not_twice(engine, org, as_person, clock):
    clock.now = NOW + timedelta(days=15)
    with as_person(None, AppRole.COORDINATOR) as ctx:
        result = nudges.nudge_pairs(ctx, [org["mentorship"]])
        assert result.sent == (org["mentorship"],) and result.skipped == ()
        again = nudges.nudge_pairs(ctx, [org["mentorship"]])  # same unit of work
        assert again.sent == () and again.skipped == (org["mentorship"],)
    with as_person(org["alan"]) as ctx:
        [thread] = inbox.list_threads(ctx)
        [message] = inbox.read_page(ctx, thread.id).messages
    assert message.kind == "nudge"
    assert message.body.startswith("Hello Alan and Ada,")
    assert "not booked a first session" in message.body
    with engine.connect() as c:
        recipients = set(c.scalars(sa.select(MessageDelivery.recipient_id)))
    assert recipients == {org["ada"], org["alan"]}

    [pair] = _waiting(as_person)
    assert not pair.may_nudge and pair.last_nudged_at == clock.now
    clock.now = NOW + timedelta(days=15 + 10)
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).sent == ()
    clock.now = NOW + timedelta(days=15 + 15)
    assert _waiting(as_person)[0].may_nudge
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).sent == (org["mentorship"],)
    with engine.connect() as c:
        kinds = c.scalars(sa.select(Message.kind).order_by(Message.id)).all()
    assert kinds == ["nudge", "nudge"]


def test_nudge_suggests_three_common_times(engine, org, as_person, clock):
    from mentormatch_desktop.services.my_schedule import save_weekly_availability

    clock.now = NOW + timedelta(days=15)
    for pid in (org["ada"], org["alan"]):
        with as_person(pid) as ctx:
            save_weekly_availability(ctx, [(d, 9 * 60, 17 * 60) for d in range(5)])
    with as_person(None, AppRole.COORDINATOR) as ctx:
        nudges.nudge_pairs(ctx, [org["mentorship"]])
    with engine.connect() as c:
        body = c.scalar(sa.select(Message.body))
    suggested = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(suggested) == 3, body
    assert "Ada Lovelace:" in suggested[0] and "Alan Turing:" in suggested[0]


def test_participants_cannot_nudge(org, as_person, clock):
    clock.now = NOW + timedelta(days=15)
    with pytest.raises(MessagingError), as_person(org["alan"]) as ctx:
        nudges.nudge_pairs(ctx, [org["mentorship"]])


# ---- per-program policy ------------------------------------------------------------------
def _set_policy(as_person, program_id: int, after: int, cooldown: int) -> None:
    from mentormatch_desktop.services import programs

    with as_person(None, AppRole.COORDINATOR) as ctx:
        data = programs.get_program(ctx, program_id).to_input()
        data.nudges = programs.NudgePolicy(after_days=after, cooldown_days=cooldown)
        programs.update_program(ctx, program_id, data)


def test_nudges_threshold_and_cooldown_come_from_the_program(engine, org, as_person, clock):
    from mentormatch_desktop.services import programs

    with as_person(None, AppRole.COORDINATOR) as ctx:  # a program saved before: defaults
        assert programs.get_program(ctx, org["program"]).nudges == programs.NudgePolicy(14, 14)
    _set_policy(as_person, org["program"], after=5, cooldown=3)
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert programs.get_program(ctx, org["program"]).nudges == programs.NudgePolicy(5, 3)
    clock.now = NOW + timedelta(days=4)
    assert _waiting(as_person) == []
    clock.now = NOW + timedelta(days=6)
    [pair] = _waiting(as_person)
    assert pair.may_nudge and pair.cooldown_days == 3 and pair.program_id == org["program"]
    assert _waiting(as_person, after_days=14) == []  # a one-off look overrides the program
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).sent == (org["mentorship"],)
    clock.now = NOW + timedelta(days=8)  # 2 days later: inside the program's 3-day cooldown
    assert not _waiting(as_person)[0].may_nudge
    with as_person(None, AppRole.COORDINATOR) as ctx:
        assert nudges.nudge_pairs(ctx, [org["mentorship"]]).skipped == (org["mentorship"],)
    clock.now = NOW + timedelta(days=9)
    assert _waiting(as_person)[0].may_nudge
    assert not _waiting(as_person, cooldown_days=14)[0].may_nudge


def test_nudges_each_program_keeps_its_own_threshold(engine, org, as_person, clock):
    from mentormatch_desktop.storage.models import Program

    with transaction(engine) as s:
        other = Program(name="Sprint", settings={"nudges": {"after_days": 2, "cooldown_days": 1}})
        s.add(other)
        s.flush()
        m = Mentorship(
            program_id=other.id, mentor_id=org["grace"], mentee_id=org["mary"], started_at=NOW
        )
        s.add(m)
        s.flush()
        sprint_pair = m.id
    clock.now = NOW + timedelta(days=3)  # the sprint's pair waits; the 14-day one does not yet
    assert [(w.mentorship_id, w.cooldown_days) for w in _waiting(as_person)] == [(sprint_pair, 1)]
    assert _waiting(as_person, program_id=org["program"]) == []
    clock.now = NOW + timedelta(days=15)
    assert {w.mentorship_id for w in _waiting(as_person)} == {org["mentorship"], sprint_pair}


def test_nudges_policy_out_of_range_is_refused_naming_the_field():
    from mentormatch_desktop.services.programs import NudgePolicy, ProgramInput, validate_program

    errors = validate_program(ProgramInput(name="P", nudges=NudgePolicy(-1, 400)))
    assert {(e.field, e.message) for e in errors} == {
        ("nudge_after_days", "between 0 and 365 days"),
        ("nudge_cooldown_days", "between 0 and 365 days"),
    }


# ---- mentormatch nudges list|send ---------------------------------------------------------
def _cli(*args: str):
    from click.testing import CliRunner

    from mentormatch_desktop.cli import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_nudges_cli_lists_and_sends_with_the_programs_policy(engine, org, second_pair):
    import json
    from datetime import UTC, datetime

    url = engine.url.render_as_string(hide_password=False)
    now = datetime.now(UTC)
    with transaction(engine) as s:  # the CLI runs on the real clock
        s.get(Mentorship, org["mentorship"]).started_at = now - timedelta(days=20)
        s.get(Mentorship, second_pair).started_at = now - timedelta(days=4)
    listed = _cli("nudges", "list", "--database", url, "--format", "json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [(r["mentorship_id"], r["days_waiting"], r["may_nudge"]) for r in rows] == [
        (org["mentorship"], 20, True)
    ]
    short = json.loads(
        _cli("nudges", "list", "--database", url, "--days", "3", "--format", "json").output
    )
    assert [r["mentorship_id"] for r in short] == [org["mentorship"], second_pair]
    table = _cli("nudges", "list", "--database", url, "--program", str(org["program"]))
    assert "Ada Lovelace" in table.output and "never" in table.output

    sent = _cli("nudges", "send", "--database", url, "--format", "json")
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output) == {
        "sent": [org["mentorship"]],
        "skipped": [],
        "not_waiting": [],
    }
    again = _cli("nudges", "send", "--database", url, "--days", "3")
    assert f"Nudged 1 pair(s): {second_pair}" in again.output
    assert f"Skipped 1 nudged within their cooldown: {org['mentorship']}" in again.output
    with engine.connect() as c:
        assert c.scalar(sa.select(sa.func.count()).where(Message.kind == "nudge")) == 2
    listed = _cli("nudges", "list", "--database", url)
    assert "no (14 d cooldown)" in listed.output


def test_nudges_cli_names_an_unknown_program(engine, org):
    url = engine.url.render_as_string(hide_password=False)
    result = _cli("nudges", "list", "--database", url, "--program", "999999")
    assert result.exit_code == 1 and "no program with id 999999" in result.output
