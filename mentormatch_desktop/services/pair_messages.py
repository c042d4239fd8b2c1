"""A coordinator writes to both people of a mentorship at once ("Message both").

Where the message goes is decided by privacy and by who can answer:

* **Not the pair's own mentorship thread.** Every member of a thread reads all of it, so
  adding the coordinator there would hand them everything the two have said to each
  other. Their conversation stays theirs.
* **A new conversation of three** — the coordinator, the mentor and the mentee — of kind
  ``group``, started by the coordinator, with the program set. Both can reply (to the
  coordinator and to each other), and a reply reaches the coordinator like any member's:
  through the outbox, by e-mail or chat as their notification settings say. Each "Message
  both" is a new conversation with its own subject, as an e-mail would be; earlier ones
  stay in the pair's Inbox. Being a group the coordinator started, the mentor and mentee
  can neither add anyone to it nor read any other group (``89_group_threads.sql``).

So the coordinator must be a person: a PostgreSQL login mapped to a person
(``mentormatch org grant``), or ``--as EMAIL`` on SQLite. The local coordinator of an
embedded database (``ctx.actor.person_id is None``) is refused, and the desktop keeps the
button disabled with a tooltip saying how to become one (:func:`refusal`). A notice from
"Program coordinator" that nobody reads the answers to was the alternative; we chose not
to send it: a stalled pair told "replies are not monitored" has less reason to answer
than before, and the step that makes the real thing work (one flag) is cheap.

Under row-level security the coordinator's own login does all of it with the policies
already in place (``20_policies.sql``): coordinators insert threads, memberships and
deliveries in their programs and messages in their own name. The only thing a coordinator
login cannot do is read message bodies (the column grant leaves ``body`` out), which is
why coordinators have no Inbox screen: they read replies in the e-mails the outbox sends
them.
"""

from __future__ import annotations

import sqlalchemy as sa

from mentormatch_desktop.services.context import Actor, ServiceContext
from mentormatch_desktop.services.inbox import SentMessage, new_group_thread, post
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import Mentorship

MAX_SUBJECT = 200


def default_subject(program: str) -> str:
    """The subject the compose dialog starts with: "<program>: checking in"."""
    return f"{program}: checking in" if program.strip() else "Checking in"


def refusal(actor: Actor, *, embedded: bool) -> str | None:
    """Why ``actor`` cannot message both people of a mentorship, or None when they can.

    ``embedded`` says the database is the SQLite file (where ``--as EMAIL`` makes the
    coordinator a person) rather than a shared PostgreSQL one (where their own login does).
    """
    if not actor.is_coordinator:
        return "Only coordinators write to both people of a mentorship"
    if actor.person_id is not None:
        return None
    if embedded:
        how = (
            "start MentorMatch with --as YOUR-EMAIL (your own person in this database) so "
            "the two can reply to you"
        )
    else:
        how = (
            "sign in with a login of your own (mentormatch org grant YOUR-EMAIL --role "
            "coordinator) so the two can reply to you"
        )
    return f"You are signed in as nobody the pair could answer: {how}"


def message_both(ctx: ServiceContext, mentorship_id: int, subject: str, body: str) -> SentMessage:
    """The acting coordinator starts a conversation with the mentor and the mentee of
    ``mentorship_id`` and writes ``body`` in it; returns the sent message.

    One unit of work: the thread, its three members, the message, its deliveries (one
    per recipient and channel, as :func:`~.inbox.post` queues them) and an audit row.
    """
    if ctx.actor.person_id is None or not ctx.actor.is_coordinator:
        raise MessagingError(
            "as", refusal(ctx.actor, embedded=ctx.session.get_bind().dialect.name == "sqlite")
        )
    me = ctx.actor.person_id
    title = " ".join(subject.split())
    if not title:
        raise MessagingError("subject", "write a subject")
    if len(title) > MAX_SUBJECT:
        raise MessagingError("subject", f"the subject is longer than {MAX_SUBJECT} characters")
    if not body.strip():
        raise MessagingError("text", "the message is empty")
    found = ctx.session.execute(
        sa.select(Mentorship.mentor_id, Mentorship.mentee_id, Mentorship.program_id).where(
            Mentorship.id == mentorship_id
        )
    ).first()
    if found is None:  # also what row-level security shows a coordinator of other programs
        raise MessagingError("mentorship", f"no mentorship with id {mentorship_id}")
    mentor_id, mentee_id, program_id = found
    if me in (mentor_id, mentee_id):
        raise MessagingError(
            "mentorship", "you are one of this pair: write in your mentorship's own conversation"
        )
    thread = new_group_thread(ctx, [me, mentor_id, mentee_id], title, program_id=program_id)
    sent = post(ctx, thread, body, sender_id=me)
    ctx.audit(
        "mentorship.message_both",
        "mentorship",
        mentorship_id,
        {"thread_id": thread.id, "message_id": sent.message_id},
    )
    return sent
