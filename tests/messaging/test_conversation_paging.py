"""Keyset pages of one conversation by ``(created_at, id)``, and the updates a paged view
asks for (new by id, edits and deletions since its watermark), on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from mentormatch_desktop.services import conversation, inbox
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import Message

from .conftest import NOW


@pytest.fixture
def thread(org, as_person, engine) -> int:
    """Ada and Alan's thread with 23 messages; 5 and 6 share a timestamp, and 9 was written
    by a clock running behind (older created_at, higher id)."""
    with as_person(org["ada"]) as ctx:
        tid = inbox.ensure_mentorship_thread(ctx, org["mentorship"]).id
    rows = []
    for i in range(23):
        minute = {6: 5, 9: 2}.get(i, i)
        rows.append(
            {
                "thread_id": tid,
                "sender_id": org["ada"] if i % 2 else org["alan"],
                "kind": "text",
                "body": f"m{i}",
                "created_at": NOW + timedelta(minutes=minute),
                "fanout_pending": False,
            }
        )
    with engine.begin() as c:
        c.execute(sa.insert(Message), rows)
    return tid


def _bodies(messages) -> list[str]:
    return [m.body for m in messages]


ORDER = ["m0", "m1", "m2", "m9", "m3", "m4", "m5", "m6", "m7", "m8"] + [
    f"m{i}" for i in range(10, 23)
]


def test_pages_walk_back_by_created_at_then_id(org, as_person, thread):
    with as_person(org["alan"]) as ctx:
        first = conversation.newest(ctx, thread, limit=10)
        assert _bodies(first.messages) == ORDER[-10:] and first.has_older
        assert first.watermark is None
        second = conversation.older(
            ctx, thread, conversation.cursor_of(first.messages[0]), limit=10
        )
        assert _bodies(second.messages) == ORDER[3:13] and second.has_older
        last = conversation.older(ctx, thread, conversation.cursor_of(second.messages[0]), limit=10)
        assert _bodies(last.messages) == ORDER[:3] and not last.has_older
        everything = last.messages + second.messages + first.messages
        assert len({m.id for m in everything}) == 23
        assert conversation.count(ctx, thread) == 23
        with pytest.raises(MessagingError, match="1 to 500"):
            conversation.newest(ctx, thread, limit=0)
    with as_person(org["zora"]) as ctx, pytest.raises(MessagingError, match="not a member"):
        conversation.newest(ctx, thread)  # not a member


def test_updates_bring_new_and_changed_messages_only(org, as_person, thread, clock):
    with as_person(org["alan"]) as ctx:
        page = conversation.newest(ctx, thread, limit=5)
    sync = {
        "after_id": max(m.id for m in page.messages),
        "changed_since": page.watermark,
        "oldest": conversation.cursor_of(page.messages[0]),
    }
    with as_person(org["alan"]) as ctx:
        nothing = conversation.updates(ctx, thread, **sync)
    assert (nothing.new, nothing.changed, nothing.overflow) == ([], [], False)
    clock.now = NOW + timedelta(minutes=25)  # m19 (Ada's) is 6 minutes old: editable
    ada_msg = next(m for m in page.messages if m.body == "m19")
    with as_person(org["ada"]) as ctx:
        sent = inbox.send_message(ctx, thread, "fresh")
        inbox.edit_message(ctx, ada_msg.id, "changed")
    with as_person(org["alan"]) as ctx:
        news = conversation.updates(ctx, thread, **sync)
    assert _bodies(news.new) == ["fresh"] and news.new[0].id == sent.message_id
    assert [(m.id, m.body) for m in news.changed] == [(ada_msg.id, "changed")]
    assert news.watermark is not None and not news.overflow
    # From the new watermark on, the same edit is not reported again.
    again = dict(sync, after_id=sent.message_id, changed_since=news.watermark)
    with as_person(org["alan"]) as ctx:
        quiet = conversation.updates(ctx, thread, **again)
    assert (quiet.new, quiet.changed) == ([], [])
