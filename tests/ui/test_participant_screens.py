"""The participant's screens as a demanding user sees them (pytest-qt, offscreen, both
backends): nothing cut off on a small window, words and dates as on every other screen, an
empty table that says why, buttons enabled only when they can do something, and times in
the person's own zone everywhere.

Alan (a mentee) mentors nobody; Ada mentors him. Both open the app as themselves
(``--as`` on the test's database).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea

from mentormatch_desktop.domain.enums import MeetingStatus, MentorshipStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.identity import Identity
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Meeting, Mentorship, Milestone, Person
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.find_time import LogSessionDialog
from mentormatch_desktop.ui.views.home import HomeView
from mentormatch_desktop.ui.views.milestones_dialog import MilestonesDialog
from mentormatch_desktop.ui.views.my_profile import MyProfileView
from mentormatch_desktop.ui.views.schedule import ScheduleView
from mentormatch_desktop.ui.widgets import ReadOnlyTable


@dataclass
class Org:
    url: str
    ids: dict[str, int]


@pytest.fixture
def org_with_pair(db_url: str, shared_plugin_host: PluginHost, ui_seed) -> Iterator[Org]:
    """Ada mentors Alan (active, with a thread); Alan lives in Singapore."""
    owner = create_engine(db_url)
    ids = ui_seed.seed_small_org(owner)
    with transaction(owner) as s:
        s.get(Person, ids["alan"]).time_zone = "Asia/Singapore"
        m = Mentorship(
            program_id=ids["program"],
            mentor_id=ids["ada"],
            mentee_id=ids["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
            status=MentorshipStatus.ACTIVE,
        )
        s.add(m)
        s.flush()
        ids["mentorship"] = m.id
    with unit_of_work(owner, plugins=shared_plugin_host) as ctx:
        inbox.ensure_mentorship_thread(ctx, ids["mentorship"])
    yield Org(db_url, ids)
    owner.dispose()


def _open(main_windows, org: Org, who: str, name: str, size=None) -> MainWindow:
    return main_windows(
        org.url,
        identity=Identity("local", "participant", org.ids[who], name),
        plugin_host=PluginHost(),
        settings=f"{who}.ini",
        size=size,
    )


def test_home_stacks_its_columns_on_a_small_window(qtbot, org_with_pair, main_windows) -> None:
    """At 1100×700 the right-hand column was pushed past a sideways scroll bar; now the
    columns stack, what waits for the person first, and nothing scrolls sideways."""
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing", size=(1100, 700))
    home = window.navigate("home")
    assert isinstance(home, HomeView)
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    scroll = home.findChild(QScrollArea)
    qtbot.wait(50)  # the layout settles on the next turns
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()
    assert home.stacked()

    window.resize(1440, 900)
    qtbot.waitUntil(lambda: not home.stacked(), timeout=5_000)
    assert not scroll.horizontalScrollBar().isVisible()


def test_my_profile_words_dates_and_save_button(qtbot, org_with_pair, main_windows) -> None:
    """The mentorships table says "Mentee"/"Active" and "2 Mar 2026" like the rest of the
    app (it showed "mentee", "active", "2026-03-02"); Save is offered only after an edit,
    and again disabled once the edit is undone or saved."""
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("my_profile")
    assert isinstance(view, MyProfileView)
    qtbot.waitUntil(lambda: view.profile is not None, timeout=30_000)
    row = [view.mentorships.item(0, c).text() for c in range(view.mentorships.columnCount())]
    assert row[1:] == ["Ada Lovelace", "Mentee", "Active", "2 Mar 2026"]
    assert not view.save_button.isEnabled()
    assert not view.mentorships.showing_empty_text()

    view.title.setText("Research engineer")
    assert view.save_button.isEnabled()
    view.title.setText("Engineer")  # back to what is stored
    assert not view.save_button.isEnabled()

    view.title.setText("Research engineer")
    view.save()
    qtbot.waitUntil(lambda: view.profile.title == "Research engineer", timeout=30_000)
    assert not view.save_button.isEnabled()
    completer = view.time_zone.completer()
    assert completer is not None and completer.model().rowCount() > 300


def test_my_profile_without_mentorships_says_so(qtbot, org_with_pair, main_windows) -> None:
    window = _open(main_windows, org_with_pair, "zora", "Zora Neale")
    view = window.navigate("my_profile")
    qtbot.waitUntil(lambda: view.profile is not None, timeout=30_000)
    assert view.mentorships.rowCount() == 0
    assert view.mentorships.showing_empty_text()
    assert "No mentorships yet" in view.mentorships.empty_text


def test_empty_schedule_tables_say_why(qtbot, org_with_pair, main_windows) -> None:
    """No sessions and no time off: each table says so instead of a bare header."""
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    assert isinstance(view, ScheduleView)
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    view.finish_building()
    for table in (view.upcoming, view.past, view.exceptions):
        assert isinstance(table, ReadOnlyTable)
        assert table.showing_empty_text(), table.empty_text
    assert "Find a time" in view.upcoming.empty_text
    # The sentence is painted: the empty viewport is no longer one flat colour.
    picture = view.upcoming.viewport().grab().toImage()
    colours = {picture.pixel(x, y) for x in range(picture.width()) for y in range(0, 40)}
    assert len(colours) > 2


def _past_meeting(org: Org, status: MeetingStatus, hours_ago: int) -> datetime:
    owner = create_engine(org.url)
    start = (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(microsecond=0)
    with transaction(owner) as s:
        s.add(
            Meeting(
                mentorship_id=org.ids["mentorship"],
                organiser_id=org.ids["ada"],
                starts_at=start,
                ends_at=start + timedelta(minutes=45),
                status=status,
            )
        )
    owner.dispose()
    return start


def test_past_session_never_logged_is_not_called_booked(qtbot, org_with_pair, main_windows) -> None:
    """A booked session whose time has passed waits for a log: under *Past* it said
    "Booked", as if nothing were left to do."""
    _past_meeting(org_with_pair, MeetingStatus.SCHEDULED, hours_ago=30)
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    assert view.past.rowCount() == 1
    assert view.past.item(0, 3).text() == "Not logged yet"
    assert not view.past.showing_empty_text()
    view.past.selectRow(0)
    assert view.log_button.isEnabled()


def test_log_dialog_shows_the_session_in_the_persons_zone(
    qtbot, org_with_pair, main_windows
) -> None:
    """The log dialog's title said the stored UTC time ("06:00 UTC") while the table beside
    it said "14:00 UTC+08"; both now use the person's own zone."""
    _past_meeting(org_with_pair, MeetingStatus.SCHEDULED, hours_ago=30)
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    [past] = view.schedule.past
    dialog = LogSessionDialog(past, view._tz(), view)
    qtbot.addWidget(dialog)
    title = dialog.findChildren(type(view.zone_label))[0].text()
    shown_in_table = view.past.item(0, 0).text()
    assert shown_in_table.split(" ")[:4] == title.split(", ", 1)[1].split(" ")[:4]
    assert title.endswith(shown_in_table.split(" ")[-1])  # the same zone, named alike
    assert " UTC" not in title.replace("UTC+08", "")  # not the stored UTC time


def test_conversation_start_hint_only_with_the_first_message_in_view(
    qtbot, org_with_pair, main_windows
) -> None:
    """ "This is the start of the conversation." sat above a list scrolled to its end,
    over a half-hidden message; it shows only while the top is in view."""
    owner = create_engine(org_with_pair.url)
    with owner.connect() as conn:
        thread = conn.execute(sa.text("SELECT id FROM threads")).scalar_one()
    from mentormatch_desktop.domain.enums import AppRole
    from mentormatch_desktop.services.context import Actor

    actor = Actor(person_id=org_with_pair.ids["ada"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(owner, plugins=PluginHost(), actor=actor) as ctx:
        for i in range(30):
            inbox.send_message(ctx, thread, f"Line {i} of a long welcome")
    owner.dispose()
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing", size=(1100, 700))
    view = window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(thread)
    qtbot.waitUntil(lambda: view.model.rowCount() >= 30, timeout=30_000)
    bar = view.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=10_000)
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: not view.older_hint.isVisible(), timeout=5_000)
    assert not view.model.has_older  # the whole thread is loaded: only the scroll hides it
    bar.setValue(bar.minimum())
    qtbot.waitUntil(lambda: view.older_hint.isVisible(), timeout=5_000)
    assert view.older_hint.text() == "This is the start of the conversation."


def _meeting(org: Org, status: MeetingStatus, start: datetime, **extra: object) -> None:
    owner = create_engine(org.url)
    with transaction(owner) as s:
        s.add(
            Meeting(
                mentorship_id=org.ids["mentorship"],
                organiser_id=org.ids["ada"],
                starts_at=start,
                ends_at=start + timedelta(minutes=45),
                status=status,
                **extra,
            )
        )
    owner.dispose()


def test_home_proposal_to_answer_leads_to_the_schedule(qtbot, org_with_pair, main_windows) -> None:
    """ "Confirm the session Ada proposed" had no link (a reply had one); it now has an
    Answer link that opens the Schedule."""
    soon = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    _meeting(org_with_pair, MeetingStatus.PROPOSED, soon, proposed_by_id=org_with_pair.ids["ada"])
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    home = window.navigate("home")
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    assert [t.kind for t in home.home.todo] == ["confirm"]
    [link] = home.todo_card.findChildren(QLabel, "todoLink")
    assert "Answer" in link.text()
    link.linkActivated.emit("#")
    assert window.current_key() == "schedule"


def test_schedule_selects_one_session_at_a_time(qtbot, org_with_pair, main_windows) -> None:
    """A row picked under Upcoming and another under Past left both highlighted; picking
    in one table now clears the other, so the buttons act on what is highlighted."""
    now = datetime.now(UTC).replace(microsecond=0)
    _meeting(org_with_pair, MeetingStatus.SCHEDULED, now + timedelta(days=2))
    _meeting(org_with_pair, MeetingStatus.HELD, now - timedelta(days=2))
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    view.upcoming.selectRow(0)
    assert view.reschedule_button.isEnabled()
    view.past.selectRow(0)
    assert not view.upcoming.selectionModel().hasSelection()
    assert not view.reschedule_button.isEnabled()
    assert view.log_button.isEnabled()
    view.upcoming.selectRow(0)
    assert not view.past.selectionModel().hasSelection()
    assert not view.log_button.isEnabled()


def test_inbox_search_says_what_it_did(qtbot, org_with_pair, main_windows) -> None:
    """Enter on one letter did nothing, silently; no hit said only "Nothing found"."""
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    listed = view.list_title.text()
    assert listed.startswith("1 conversation")
    view.search_box.setText("q")
    assert view.search("q") is None
    assert view.list_title.text() == "Type at least 2 letters to search"
    view.search_box.setText("qx")  # typing on: the hint goes
    assert view.list_title.text() == listed
    view.search_box.setText("zzzz")
    view.search("zzzz")
    qtbot.waitUntil(lambda: view.results is not None, timeout=30_000)
    assert view.list_title.text() == "No messages contain \u201czzzz\u201d"


def test_home_milestone_count_opens_them_and_marks_one_done(
    qtbot, org_with_pair, main_windows
) -> None:
    """ "1 open milestone" on a Home card led nowhere; it opens the pair's milestones,
    where the person marks their own done (not their partner's), and Home's count drops."""
    owner = create_engine(org_with_pair.url)
    with transaction(owner) as s:
        mine = Milestone(
            mentorship_id=org_with_pair.ids["mentorship"],
            owner_id=org_with_pair.ids["alan"],
            title="Pair on a code review",
        )
        theirs = Milestone(
            mentorship_id=org_with_pair.ids["mentorship"],
            owner_id=org_with_pair.ids["ada"],
            title="Send the reading list",
        )
        s.add_all([mine, theirs])
    owner.dispose()
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    home = window.navigate("home")
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    [link] = home.findChildren(QLabel, "factLink")
    assert "2 open milestones" in link.text()
    link.linkActivated.emit("#")
    [dialog] = home.findChildren(MilestonesDialog)
    qtbot.waitUntil(lambda: dialog.milestones is not None, timeout=30_000)
    titles = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert titles == ["Pair on a code review", "Send the reading list"]
    dialog.table.selectRow(1)  # Ada's: not Alan's to tick off
    assert not dialog.done_button.isEnabled()
    assert "Ada Lovelace" in dialog.done_button.toolTip()
    dialog.table.selectRow(0)
    assert dialog.done_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=30_000):
        dialog.mark_selected_done()
    assert dialog.table.item(1, 4).text() != "Open"  # done rows sort last
    assert dialog.summary.text() == "1 open milestone · 1 done"
    qtbot.waitUntil(lambda: home.home.mentorships[0].open_milestones == 1, timeout=30_000)
    dialog.close()


def test_home_next_session_tile_opens_the_schedule(qtbot, org_with_pair, main_windows) -> None:
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    home = window.navigate("home")
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    assert home.session_tile.hint.text() == "nothing planned yet"
    assert home.goal_tile.hint.text() == "none open"  # a blank line before
    qtbot.mouseClick(home.session_tile, Qt.MouseButton.LeftButton)
    assert window.current_key() == "schedule"


def test_log_dialog_rates_only_a_session_that_happened(qtbot, org_with_pair, main_windows) -> None:
    """ "No, it did not happen" with four stars saved a rating of a meeting nobody had."""
    _past_meeting(org_with_pair, MeetingStatus.SCHEDULED, hours_ago=30)
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    dialog = LogSessionDialog(view.schedule.past[0], view._tz(), view)
    qtbot.addWidget(dialog)
    dialog.rating.setCurrentIndex(2)  # four stars
    assert dialog.values()["rating"] == 4
    dialog.held.setCurrentIndex(1)  # "No, it did not happen"
    assert not dialog.rating.isEnabled()
    assert dialog.values()["rating"] is None
    dialog.held.setCurrentIndex(0)
    assert dialog.rating.isEnabled()


def test_zone_without_an_abbreviation_reads_as_an_offset_from_utc(
    qtbot, org_with_pair, main_windows
) -> None:
    """Singapore has no abbreviation in the time-zone database: times read "14:00 +08",
    under a heading that says "UTC+08:00"; they now read "14:00 UTC+08"."""
    from zoneinfo import ZoneInfo

    from mentormatch_desktop.ui.views.slot_picker import when, zone_label

    assert zone_label(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/Berlin"))) == "CET"
    assert when(datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("America/Sao_Paulo"))).endswith("UTC-03")
    _past_meeting(org_with_pair, MeetingStatus.HELD, hours_ago=30)
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    assert view.past.item(0, 0).text().endswith("UTC+08")


def test_time_off_cannot_end_before_it_starts(qtbot, org_with_pair, main_windows) -> None:
    window = _open(main_windows, org_with_pair, "alan", "Alan Turing")
    view = window.navigate("schedule")
    qtbot.waitUntil(lambda: view.schedule is not None, timeout=30_000)
    view.finish_building()
    later = view.off_from.date().addDays(10)
    view.off_from.setDate(later)
    assert view.off_to.date() == later  # moved along with the first day
    view.off_to.setDate(later.addDays(-3))
    assert view.off_to.date() == later
