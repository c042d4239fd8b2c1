"""The e-mail's bytes on the wire: the fast header path writes exactly what the classic
``compat32`` policy writes, and every part survives a round trip through a parser."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import compat32, default

import pytest

from mentormatch_desktop.plugin.contracts import Attachment, Delivery, DeliveryItem
from mentormatch_plugins.messaging.mail import _WIRE, SmtpSettings, build_email

CLASSIC = compat32.clone(linesep="\r\n", max_line_length=998)
WHEN = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)


def _item(n: int, body: str, subject: str = "", sender: str = "Alan Turing") -> DeliveryItem:
    invite = Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\n")
    return DeliveryItem(
        message_id=n,
        thread_id=7,
        thread_subject=subject,
        sender_name=sender,
        body=body,
        sent_at=WHEN,
        idempotency_key=f"msg.{n}.email",
        attachments=(invite,) if n == 3 else (),
    )


def _delivery(items: tuple[DeliveryItem, ...], name: str, url: str | None) -> Delivery:
    return Delivery(
        idempotency_key=items[0].idempotency_key if len(items) == 1 else "digest.abc",
        channel="email",
        topic="new_message",
        recipient_id=2,
        recipient_address="ada@example.org",
        recipient_name=name,
        recipient_time_zone="Europe/London",
        items=items,
        unsubscribe_url=url,
        unsubscribe_token="tok",
    )


CASES = {
    "plain": _delivery((_item(1, "hello"),), "Ada Lovelace", None),
    "non-ascii names and subject": _delivery(
        (_item(2, "Grüße — see you", "Réunion über Kaffee", "Zoë Ørsted"),),
        "Åda Lövelace",
        "https://mm.example.org/u/tok",
    ),
    "long subject folded": _delivery(
        (_item(4, "x", "word " * 250),), "Ada, Countess of Lovelace", "http://mm.local/u/t"
    ),
    "invitation attached": _delivery((_item(3, "session"),), "Ada Lovelace", None),
    "digest": _delivery((_item(5, "one"), _item(6, "two")), "Ada Lovelace", None),
}


@pytest.mark.parametrize("case", CASES)
def test_email_wire_bytes_equal_the_classic_policy(case: str) -> None:
    settings = SmtpSettings(
        "127.0.0.1", 25, False, False, None, None, "Mentor Mätch <mm@example.org>", None, 5
    )
    msg = build_email(CASES[case], settings)
    wire = msg.as_bytes(policy=_WIRE)
    assert wire == msg.as_bytes(policy=CLASSIC)
    parsed = message_from_bytes(wire, policy=default)
    assert parsed["Message-ID"] == msg["Message-ID"]
    text = parsed.get_body(("plain",)).get_content()
    assert all(item.body in text for item in CASES[case].items)
    assert "<html>" in parsed.get_body(("html",)).get_content()
    files = [p.get_filename() for p in parsed.walk() if p.get_filename()]
    assert files == (["invite.ics"] if case == "invitation attached" else [])
