"""The introduction written when a run is approved: template, reasons, one unit of work."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole, MatchRunStatus, ProposalStatus
from mentormatch_desktop.services import inbox, introductions
from mentormatch_desktop.services.match_decisions import approve_run
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import (
    MatchProposal,
    MatchRun,
    Mentorship,
    Message,
    MessageDelivery,
)


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
                score=0.82,
                status=ProposalStatus.PROPOSED,
                explanation="Teaches Negotiation, which you want to learn · Same time zone",
            )
        )
        return run.id


def test_introduction_names_why_the_pair_was_matched(engine, org, run_id, as_person):
    with as_person(None, AppRole.COORDINATOR) as ctx:
        approve_run(ctx, run_id)
        assert introductions.introduce_run(ctx, run_id) == 1
        assert introductions.introduce_run(ctx, run_id) == 0  # never twice
    with as_person(org["mary"]) as ctx:
        [thread] = inbox.list_threads(ctx)
        assert thread.kind == "mentorship" and thread.unread == 1
        [message] = inbox.read_page(ctx, thread.id).messages
    assert message.kind == "introduction" and message.sender_name == "MentorMatch"
    assert message.body.startswith("Hello Mary and Grace,")
    assert "- Teaches Negotiation, which you want to learn\n- Same time zone" in message.body
    # Paragraphs are one line each: the inbox and mail clients wrap them to the reader's width
    # (a hard break mid-sentence showed as a ragged line in the message bubble).
    assert "what you each hope to get out of the next months. Reply here to start." in message.body
    with engine.connect() as c:
        recipients = set(c.scalars(sa.select(MessageDelivery.recipient_id)))
    assert recipients == {org["mary"], org["grace"]}


def test_coordinator_edits_the_template_and_typos_are_refused(engine, org, run_id, as_person):
    with as_person(None, AppRole.COORDINATOR) as ctx:
        with pytest.raises(MessagingError, match="does not work"):
            introductions.set_introduction_template(ctx, org["program"], "Hi {{ mentee_nme }}")
        introductions.set_introduction_template(
            ctx,
            org["program"],
            "{{ mentee }} meets {{ mentor }} ({{ score }}%): {{ reasons | join('; ') }}",
        )
        approve_run(ctx, run_id)
        introductions.introduce_run(ctx, run_id)
    with engine.connect() as c:
        body = c.scalar(sa.select(Message.body))
    assert (
        body
        == "Mary meets Grace (82%): Teaches Negotiation, which you want to learn; Same time zone"
    )
    with as_person(org["mary"]) as ctx, pytest.raises(MessagingError, match="coordinators"):
        introductions.set_introduction_template(ctx, org["program"], "x")


def test_introductions_roll_back_with_the_unit_of_work(engine, org, run_id, as_person):
    with pytest.raises(RuntimeError), as_person(None, AppRole.COORDINATOR) as ctx:
        m = Mentorship(
            program_id=org["program"],
            mentor_id=org["grace"],
            mentee_id=org["mary"],
            proposal_id=ctx.session.scalar(sa.select(MatchProposal.id)),
            started_at=ctx.now(),
        )
        ctx.session.add(m)
        ctx.session.flush()
        assert introductions.introduce_run(ctx, run_id) == 1
        raise RuntimeError("approval failed later in the same unit of work")
    with engine.connect() as c:
        assert c.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
        assert c.scalar(sa.select(sa.func.count()).select_from(MessageDelivery)) == 0
