"""A 10,000-message thread in the Inbox (pytest-qt, offscreen, SQLite): opening it loads one
page, scrolling to the top fetches the pages before (keyset on ``(created_at, id)``, ties
included), the reader's place is kept, and the row count ends right.

Also the group conversation UI: "New group…" with its member picker, and "Add people…".
"""

from __future__ import annotations

import pytest

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import sign_in

from .conftest import TOTAL


def _ordered(messages) -> bool:
    keys = [(m.created_at, m.id) for m in messages]
    return keys == sorted(keys) and len({m.id for m in messages}) == len(messages)


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_ten_thousand_message_thread_pages_in_as_one_scrolls_up(qtbot, big_thread, alan):
    _url, ids = big_thread
    view = alan.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(ids["thread"])
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=30_000)
    wait_idle(30)
    # Opening loads the newest page and nothing else, and shows its end.
    assert view.model.rowCount() == 50
    assert view.model.has_older
    assert [m.body for m in view.messages[-2:]] == ["message 9998", "message 9999"]
    assert _ordered(view.messages)
    bar = view.view.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    qtbot.wait(300)
    assert view.model.rowCount() == 50  # sitting at the bottom fetches nothing
    alan.grab().save("/tmp/inbox_10k_open.png")

    # Scrolling to the top fetches the page before; what was on screen stays on screen.
    first_before = view.messages[0]  # at the top once scrolled there
    bar.setValue(0)
    qtbot.waitUntil(lambda: view.model.rowCount() >= 100, timeout=30_000)
    wait_idle(30)
    assert view.model.rowCount() == 100  # one page more, not everything
    assert view.messages[0].body.startswith(f"message {TOTAL - 100}")
    # the reader is not thrown to the new top: the message they saw at the top is still
    # there, with the new page above it, off screen
    shown = view.view.visualRect(view.model.index(view.model.row_of(first_before.id)))
    assert view.view.viewport().rect().intersects(shown)
    assert abs(shown.top()) < 80
    assert bar.value() > 400
    assert _ordered(view.messages)

    # All the way up (bigger pages to keep the test short): every message exactly once.
    view.model.page_size = 500
    for _ in range(60):
        if not view.model.has_older:
            break
        bar.setValue(0)
        wait_idle(30)
    assert view.model.rowCount() == TOTAL
    assert not view.model.has_older
    assert _ordered(view.messages)
    assert view.messages[0].body.startswith("message 0")
    assert [m.body for m in view.messages[:3]] == [
        "message 0 — see https://example.org/n",
        "message 1",
        "message 2",
    ]
    bar.setValue(0)
    qtbot.waitUntil(lambda: view.older_hint.text().startswith("This is the start"), timeout=5_000)
    alan.grab().save("/tmp/inbox_10k_top.png")


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_live_message_appends_to_a_paged_thread_and_edits_show(qtbot, big_thread, alan):
    """A new message from elsewhere lands at the end without reloading the 50 shown; an
    edit made elsewhere replaces the bubble in place."""
    url, ids = big_thread
    view = alan.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(ids["thread"])
    qtbot.waitUntil(lambda: view.model.rowCount() == 50, timeout=30_000)
    qtbot.waitUntil(lambda: alan.live is not None and alan.live.live is True, timeout=30_000)
    from mentormatch_desktop.domain.enums import AppRole
    from mentormatch_desktop.services.context import Actor

    owner = create_engine(url)
    ada = Actor(person_id=ids["ada"], login=None, role=AppRole.PARTICIPANT)
    try:
        with unit_of_work(owner, plugins=PluginHost(), actor=ada) as ctx:
            sent = inbox.send_message(ctx, ids["thread"], "a live one")
        qtbot.waitUntil(lambda: view.messages[-1].body == "a live one", timeout=15_000)
        assert view.model.rowCount() == 51
        bar = view.view.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.value() == bar.maximum(), timeout=5_000)
        with unit_of_work(owner, plugins=PluginHost(), actor=ada) as ctx:
            inbox.edit_message(ctx, sent.message_id, "a live one, edited")
        qtbot.waitUntil(lambda: view.messages[-1].body == "a live one, edited", timeout=15_000)
        assert view.messages[-1].edited_at is not None
        assert "edited" in view.conversation_text()
        assert view.model.rowCount() == 51
    finally:
        owner.dispose()


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_drafts_stay_with_their_thread(qtbot, big_thread, alan):
    _url, ids = big_thread
    view = alan.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(ids["thread"])
    qtbot.waitUntil(lambda: view.model.rowCount() == 50, timeout=30_000)
    view.composer.setPlainText("half a thought")
    dialog = view.new_group(show=False)  # a second thread to switch to
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=30_000)
    dialog.name.setText("Ada & me")
    dialog.check([ids["ada"]])
    dialog.accept_choice()
    qtbot.waitUntil(lambda: dialog.result_thread is not None, timeout=30_000)
    qtbot.waitUntil(lambda: view.thread_id == dialog.result_thread, timeout=30_000)
    assert view.composer.toPlainText() == ""  # a new thread, an empty composer
    view.open_thread(ids["thread"])
    assert view.composer.toPlainText() == "half a thought"


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_new_group_picker_offers_only_messageable_people_and_creator_adds_later(
    qtbot, big_thread, main_windows, shared_plugin_host
):
    url, ids = big_thread

    def window_of(email: str):
        return main_windows(
            sign_in(url, as_email=email),
            plugin_host=shared_plugin_host,
            settings=f"{email}.ini",
            size=(1280, 800),
        )

    ada = window_of("ada@example.org")
    try:
        view = ada.navigate("inbox")
        qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
        assert view.new_group_button.isVisible()
        dialog = view.new_group(show=False)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(lambda: dialog.loaded, timeout=30_000)
        offered = [dialog.people.item(i).text() for i in range(dialog.people.count())]
        assert offered == ["Alan Turing", "Mary Jackson"]  # her mentees; not Zora or Grace
        assert not dialog.ok_button.isEnabled()
        dialog.check([ids["alan"]])
        assert not dialog.ok_button.isEnabled()  # no name yet
        dialog.name.setText("Ada's circle")
        assert dialog.ok_button.isEnabled()
        dialog.filter.setText("mar")
        assert [dialog.people.item(i).isHidden() for i in range(2)] == [True, False]
        dialog.resize(460, 520)
        dialog.show()
        dialog.grab().save("/tmp/inbox_new_group.png")
        dialog.accept_choice()
        qtbot.waitUntil(lambda: dialog.result_thread is not None, timeout=30_000)
        group = dialog.result_thread
        qtbot.waitUntil(
            lambda: view.thread_id == group and group in view.thread_ids(), timeout=30_000
        )
        qtbot.waitUntil(lambda: view.add_people_button.isVisibleTo(view), timeout=30_000)
        assert view.thread_title.text() == "Ada's circle"
        assert "Group · with Alan Turing" in view.thread_members.text()

        adding = view.add_people(show=False)
        qtbot.addWidget(adding)
        qtbot.waitUntil(lambda: adding.loaded, timeout=30_000)
        assert adding.chosen() == []  # Alan is in already: shown ticked, not offered
        adding.check([ids["alan"], ids["mary"]])
        assert adding.chosen() == [ids["mary"]]
        adding.accept_choice()
        qtbot.waitUntil(lambda: adding.result_thread == group, timeout=30_000)
        qtbot.waitUntil(lambda: "Mary Jackson" in view.thread_members.text(), timeout=30_000)
        view.composer.setPlainText("Welcome to the circle, both of you!")
        view.send()
        qtbot.waitUntil(lambda: bool(view.messages), timeout=30_000)
        ada.grab().save("/tmp/inbox_group.png")
    finally:
        main_windows.close(ada)
    # Alan, a member who did not start it, sees it but gets no "Add people…"
    alan = window_of("alan@example.org")
    try:
        view = alan.navigate("inbox")
        qtbot.waitUntil(
            lambda: view.state is not None and group in view.thread_ids(), timeout=30_000
        )
        view.open_thread(group)
        qtbot.waitUntil(lambda: "Welcome to the circle" in view.conversation_text(), timeout=30_000)
        assert not view.add_people_button.isVisibleTo(view)
    finally:
        main_windows.close(alan)
