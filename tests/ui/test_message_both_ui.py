"""Message both from the mentorship detail: enabled for a coordinator who is a person,
disabled (saying why) for the local coordinator; the compose dialog validates, sends in a
worker and shows a failure in itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from mentormatch_desktop.config import Settings
from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.identity import Identity
from mentormatch_desktop.services.mentorships import list_mentorships
from mentormatch_desktop.storage.db import transaction
from mentormatch_desktop.storage.models import (
    Mentorship,
    Message,
    MessageDelivery,
    Person,
    Thread,
    ThreadParticipant,
)
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views.mentorship_detail import MentorshipDetailDialog
from mentormatch_desktop.ui.views.message_both_dialog import MessageBothDialog

pytestmark = pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)


def _seed(engine: sa.Engine, ui_seed) -> dict[str, int]:
    ids = ui_seed.seed_small_org(engine)
    with transaction(engine) as s:
        cora = Person(
            full_name="Cora Ordinator",
            email="cora@example.org",
            time_zone="Europe/London",
            app_role=AppRole.COORDINATOR,
        )
        m = Mentorship(
            program_id=ids["program"],
            mentor_id=ids["ada"],
            mentee_id=ids["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        s.add_all([cora, m])
        s.flush()
        ids.update(cora=cora.id, mentorship=m.id)
    return ids


@pytest.fixture
def cora_context(db_url: str, shared_plugin_host: PluginHost, ui_seed) -> Iterator[AppContext]:
    """The app as Cora (``--as cora@example.org`` on SQLite), and the seeded ids."""
    context = AppContext(Settings(database_url=db_url), plugin_host=shared_plugin_host)
    context.ids = _seed(context.engine, ui_seed)
    context.identity = Identity("local", "coordinator", context.ids["cora"], "Cora Ordinator")
    yield context
    wait_idle(30)
    context.close()


def _detail(qtbot, context: AppContext) -> MentorshipDetailDialog:
    with context.unit_of_work() as ctx:
        (row,) = list_mentorships(ctx)
    dialog = MentorshipDetailDialog(context, row)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
    return dialog


def test_button_disabled_for_the_local_coordinator(qtbot, ui_context: AppContext, ui_seed) -> None:
    _seed(ui_context.engine, ui_seed)  # opened as the embedded database's user: nobody
    dialog = _detail(qtbot, ui_context)
    assert not dialog.message_button.isEnabled()
    tip = dialog.message_button.toolTip()
    assert "--as YOUR-EMAIL" in tip and "reply" in tip
    dialog.close()


def test_compose_validates_and_sends_to_both(qtbot, cora_context: AppContext) -> None:
    ids = cora_context.ids
    detail = _detail(qtbot, cora_context)
    assert detail.message_button.isEnabled()
    assert "private" in detail.message_button.toolTip()
    compose = detail.message_both()
    assert isinstance(compose, MessageBothDialog)
    assert compose.subject.text() == "Spring mentoring: checking in"
    assert compose.to.text() == "Alan Turing (mentee) and Ada Lovelace (mentor)"
    # nothing to send yet, and it says what is missing
    assert not compose.send_button.isEnabled()
    assert compose.status.text() == "Write a message to send."
    compose.body.setPlainText("   \n  ")
    assert not compose.send_button.isEnabled()
    compose.body.setPlainText("Hello both, how are the sessions going?")
    assert compose.send_button.isEnabled() and compose.status.text() == ""
    compose.subject.setText("  ")
    assert not compose.send_button.isEnabled()
    assert compose.status.text() == "Write a subject."
    assert compose.send() is None  # refused while invalid, nothing started
    compose.subject.setText("Spring mentoring: checking in")

    with qtbot.waitSignal(compose.sent, timeout=30_000):
        qtbot.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
    assert compose.result() == compose.DialogCode.Accepted
    assert "Sent to Alan Turing and Ada Lovelace" in detail.banner.message.text()
    sent = compose.result_message
    with transaction(cora_context.engine) as s:
        thread = s.get(Thread, sent.thread_id)
        assert thread.subject == "Spring mentoring: checking in" and thread.kind == "group"
        members = set(
            s.scalars(
                sa.select(ThreadParticipant.person_id).where(
                    ThreadParticipant.thread_id == thread.id
                )
            )
        )
        assert members == {ids["cora"], ids["ada"], ids["alan"]}
        body = s.scalar(sa.select(Message.body).where(Message.id == sent.message_id))
        assert body == "Hello both, how are the sessions going?"
        recipients = set(
            s.scalars(
                sa.select(MessageDelivery.recipient_id).where(
                    MessageDelivery.message_id == sent.message_id
                )
            )
        )
        assert recipients == {ids["ada"], ids["alan"]}
    detail.close()


def test_failure_is_shown_in_the_dialog(qtbot, cora_context: AppContext) -> None:
    detail = _detail(qtbot, cora_context)
    compose = detail.message_both()
    compose.body.setPlainText("Are you two still meeting?")
    # the pair is removed meanwhile (another coordinator): the send fails for real
    with transaction(cora_context.engine) as s:
        s.execute(sa.delete(Mentorship).where(Mentorship.id == cora_context.ids["mentorship"]))
    task = compose.send()
    assert task is not None and not compose.send_button.isEnabled()
    qtbot.waitUntil(lambda: task.done, timeout=30_000)
    qtbot.waitUntil(lambda: compose.banner.isVisible(), timeout=5_000)
    assert "Not sent: no mentorship with id" in compose.banner.message.text()
    assert compose.isVisible() and compose.result_message is None
    assert compose.body.toPlainText() == "Are you two still meeting?"  # kept for a retry
    assert compose.send_button.isEnabled()
    with transaction(cora_context.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0
    compose.reject()
    detail.close()


def test_compose_suggests_a_greeting_by_preferred_names(qtbot, cora_context: AppContext) -> None:
    with transaction(cora_context.engine) as s:
        s.get(Person, cora_context.ids["ada"]).preferred_name = "Countess Ada"
    detail = _detail(qtbot, cora_context)
    compose = detail.message_both()
    # Alan has none: the first word of his name.
    assert compose.body.placeholderText().startswith("e.g. Hello Alan and Countess Ada,")
    compose.reject()
    detail.close()
