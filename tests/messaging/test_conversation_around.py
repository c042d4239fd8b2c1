"""A conversation opened at one message (a search hit): the page around it, the pages after
it down to the newest, updates that respect the gap below a middle page, and read marks
that go only as far as what was seen — on both backends, and on PostgreSQL through
participant logins under row-level security."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.services import conversation, inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import Message

from .conftest import NOW

TOTAL = 60
#: 6 ties with 5 (same minute, the id orders them); 9 came from a clock running behind
MINUTE = {6: 5, 9: 2}
ORDER = ["m0", "m1", "m2", "m9", "m3", "m4", "m5", "m6", "m7", "m8"] + [
    f"m{i}" for i in range(10, TOTAL)
]


@pytest.fixture
def thread(org, as_person, engine) -> int:
    """Ada and Alan's thread: ``TOTAL`` messages, Alan's are even, Ada's odd."""
    with as_person(org["ada"]) as ctx:
        tid = inbox.ensure_mentorship_thread(ctx, org["mentorship"]).id
    rows = [
        {
            "thread_id": tid,
            "sender_id": org["ada"] if i % 2 else org["alan"],
            "kind": "text",
            "body": f"m{i}",
            "created_at": NOW + timedelta(minutes=MINUTE.get(i, i)),
            "fanout_pending": False,
        }
        for i in range(TOTAL)
    ]
    with engine.begin() as c:
        c.execute(sa.insert(Message), rows)
    return tid


def _id_of(ctx, thread: int, body: str) -> int:
    [hit] = [m for m in inbox.search_messages(ctx, body) if m.body == body]
    assert hit.thread_id == thread
    return hit.id


def _bodies(messages) -> list[str]:
    return [m.body for m in messages]


def _walk_down(ctx, thread: int, page: conversation.Page, limit: int) -> list[str]:
    """From ``page``, every page after it to the newest, as one list of bodies."""
    seen = list(page.messages)
    while page.has_newer:
        page = conversation.newer(ctx, thread, conversation.cursor_of(seen[-1]), limit=limit)
        seen.extend(page.messages)
    assert len({m.id for m in seen}) == len(seen)  # nothing twice
    return _bodies(seen)


def test_page_around_a_message_then_down_to_the_newest(org, as_person, thread):
    with as_person(org["alan"]) as ctx:
        target = _id_of(ctx, thread, "m30")
        page = conversation.around(ctx, thread, target, limit=11)
        at = ORDER.index("m30")
        assert _bodies(page.messages) == ORDER[at - 5 : at + 6]
        assert page.has_older and page.has_newer
        # every later message exactly once, in order, up to the newest
        assert _walk_down(ctx, thread, page, limit=7) == ORDER[at - 5 :]
        # and up from the page's top, as a thread opened at its end does
        up = conversation.older(ctx, thread, conversation.cursor_of(page.messages[0]), limit=50)
        assert _bodies(up.messages) == ORDER[: at - 5] and not up.has_older


def test_page_around_ties_and_a_late_clock_keep_their_order(org, as_person, thread):
    """m6 shares m5's minute (the id decides); m9 sorts before m3 by its older time."""
    with as_person(org["alan"]) as ctx:
        for body in ("m6", "m9"):
            page = conversation.around(ctx, thread, _id_of(ctx, thread, body), limit=5)
            at = ORDER.index(body)
            assert _bodies(page.messages) == ORDER[at - 2 : at + 3]


def test_page_around_near_either_end_fills_from_the_other_side(org, as_person, thread):
    with as_person(org["alan"]) as ctx:
        last = conversation.around(ctx, thread, _id_of(ctx, thread, f"m{TOTAL - 2}"), limit=10)
        assert _bodies(last.messages) == ORDER[-10:]
        assert last.has_older and not last.has_newer  # the newest page: live appends apply
        first = conversation.around(ctx, thread, _id_of(ctx, thread, "m1"), limit=10)
        assert _bodies(first.messages) == ORDER[:10]
        assert not first.has_older and first.has_newer


def test_page_around_refuses_a_message_of_another_thread(org, as_person, thread):
    with as_person(org["ada"]) as ctx:
        other = inbox.thread_with(ctx, org["alan"], subject="Side chat").id
        elsewhere = inbox.send_message(ctx, other, "in their other thread").message_id
    # Alan may read it, but it is not in this conversation: no page around it here.
    with as_person(org["alan"]) as ctx, pytest.raises(MessagingError, match="no message"):
        conversation.around(ctx, thread, elsewhere)
    with as_person(org["zora"]) as ctx, pytest.raises(MessagingError, match="not a member"):
        conversation.around(ctx, thread, elsewhere)


def test_updates_for_a_middle_page_bring_no_new_messages(org, as_person, thread, clock):
    """New messages belong after the gap below a middle page: the view is told only of
    edits and deletions among the rows it holds."""
    with as_person(org["alan"]) as ctx:
        page = conversation.around(ctx, thread, _id_of(ctx, thread, "m30"), limit=11)
        below = conversation.newer(ctx, thread, conversation.cursor_of(page.messages[-1]))
    sync = {
        "after_id": max(m.id for m in page.messages),
        "changed_since": page.watermark,
        "oldest": conversation.cursor_of(page.messages[0]),
        "newest": conversation.cursor_of(page.messages[-1]),
    }
    inside = next(m for m in page.messages if m.body == "m31")  # Ada's
    outside = next(m for m in below.messages if m.body == "m41")  # Ada's, in the gap
    clock.now = NOW + timedelta(minutes=35)  # m31 and m41 are still editable
    with as_person(org["ada"]) as ctx:
        inbox.send_message(ctx, thread, "fresh")
        inbox.edit_message(ctx, inside.id, "changed inside")
        inbox.edit_message(ctx, outside.id, "changed in the gap")
    with as_person(org["alan"]) as ctx:
        news = conversation.updates(ctx, thread, **sync)
    assert news.new == [] and not news.overflow
    assert [(m.id, m.body) for m in news.changed] == [(inside.id, "changed inside")]
    # Unbounded, the same question would hand the view the whole gap as "new" (and "fresh"
    # sorted among it by its time): what a middle page must not append.
    with as_person(org["alan"]) as ctx:
        open_end = conversation.updates(ctx, thread, **dict(sync, newest=None))
    gap = TOTAL - 1 - ORDER.index("m35")
    assert len(open_end.new) == gap + 1 and "fresh" in _bodies(open_end.new)


def test_read_through_what_was_seen_and_never_back(org, as_person, thread, clock):
    clock.now = NOW + timedelta(days=1)
    with as_person(org["alan"]) as ctx:
        assert inbox.list_threads(ctx)[0].unread == TOTAL // 2  # Ada's (odd) messages
        page = conversation.around(ctx, thread, _id_of(ctx, thread, "m30"), limit=11)
        seen = page.messages[-1]  # m35: Ada's m1 … m35 become read
        assert inbox.mark_read_through(ctx, thread, seen.created_at) == 18
        assert inbox.list_threads(ctx)[0].unread == TOTAL // 2 - 18
        # an older position read again changes nothing
        assert inbox.mark_read_through(ctx, thread, page.messages[0].created_at) == 0
        assert inbox.list_threads(ctx)[0].unread == TOTAL // 2 - 18
        assert inbox.mark_read(ctx, thread) == TOTAL // 2 - 18
        assert inbox.list_threads(ctx)[0].unread == 0


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_around_through_participant_logins_under_rls(org, thread, logins, host, clock):
    def as_(name: str):
        actor = Actor(person_id=org[name], login=None, role=AppRole.PARTICIPANT)
        return unit_of_work(logins[name], plugins=host, actor=actor, clock=clock)

    clock.now = NOW + timedelta(days=1)
    with as_("alan") as ctx:
        target = _id_of(ctx, thread, "m30")
        page = conversation.around(ctx, thread, target, limit=11)
        at = ORDER.index("m30")
        assert _bodies(page.messages) == ORDER[at - 5 : at + 6]
        assert _walk_down(ctx, thread, page, limit=20) == ORDER[at - 5 :]
        assert inbox.mark_read_through(ctx, thread, page.messages[-1].created_at) == 18
        assert inbox.list_threads(ctx)[0].unread == TOTAL // 2 - 18
    # Zora is in no thread with them: the database shows her no message to centre on.
    with as_("zora") as ctx, pytest.raises(MessagingError, match="no thread"):
        conversation.around(ctx, thread, target)
    with logins["zora"].connect() as conn:
        visible = conn.execute(
            sa.text("SELECT count(*) FROM messages WHERE id = :i"), {"i": target}
        ).scalar_one()
    assert visible == 0
