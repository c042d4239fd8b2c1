"""A participant opens their own mentorship's page from Home (Details, double-click, Enter)
and from My profile (Details, double-click, Enter), sees the pair's goals, sessions and
notes and their own feedback, never their partner's private goal, note or feedback nor the
coordinator's cards; marks their own milestone done there; and messages their partner.

Ada mentors Alan; both open the app as themselves (``--as`` on the test's database; on
PostgreSQL the owner's connection, so what is hidden here is hidden by the service itself:
``tests/security/test_my_mentorship_rls.py`` runs it on each person's own login).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget

from mentormatch_desktop.domain.enums import MentorshipStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.identity import Identity
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Mentorship
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.views.home import HomeView, MentorshipCard
from mentormatch_desktop.ui.views.my_mentorship import MyMentorshipDialog
from mentormatch_desktop.ui.views.my_profile import MyProfileView


@dataclass
class Org:
    url: str
    ids: dict[str, int]


@pytest.fixture
def org(db_url: str, shared_plugin_host: PluginHost, ui_seed) -> Iterator[Org]:
    owner = create_engine(db_url)
    seed = ui_seed
    ids = seed.seed_small_org(owner)
    with transaction(owner) as s:
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
        ids["thread"] = inbox.ensure_mentorship_thread(ctx, ids["mentorship"]).id
    ids |= seed.seed_pair_life(owner, ids["mentorship"], ids["ada"], ids["alan"],
                               datetime.now(UTC))  # fmt: skip
    yield Org(db_url, ids)
    owner.dispose()


def _window(main_windows, org: Org, who: str, name: str, size=None) -> MainWindow:
    return main_windows(
        org.url,
        identity=Identity("local", "participant", org.ids[who], name),
        plugin_host=PluginHost(),
        settings=f"{who}.ini",
        size=size,
    )


def _home(qtbot, window: MainWindow) -> HomeView:
    home = window.navigate("home")
    assert isinstance(home, HomeView)
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    return home


def _opened(qtbot, parent: QWidget) -> MyMentorshipDialog:
    [dialog] = parent.findChildren(MyMentorshipDialog)
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
    return dialog


#: the start of every string meant for one side only (tests/ui/seed.py:seed_pair_life)
MENTORS_ONLY = ("MENTOR private", "MENTOR feedback")
MENTEES_ONLY = ("MENTEE private", "MENTEE own", "MENTEE feedback")


def _texts(widget: QWidget) -> str:
    """Every word the page shows: labels, and the cells of its tables with their tooltips."""
    out = [label.text() for label in widget.findChildren(QLabel)]
    for table in widget.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None:
                    out += [item.text(), item.toolTip()]
    return "\n".join(out)


def test_home_details_shows_what_is_the_mentees_and_nothing_private_of_the_mentor(
    qtbot, org, main_windows
) -> None:
    window = _window(main_windows, org, "alan", "Alan Turing")
    home = _home(qtbot, window)
    [card] = home.findChildren(MentorshipCard)
    [details] = card.findChildren(QWidget, "mentorshipDetails")
    qtbot.waitUntil(details.isVisible, timeout=5_000)  # the new card is laid out
    assert details.text() == "Details"
    qtbot.mouseClick(details, Qt.MouseButton.LeftButton)
    dialog = _opened(qtbot, home)
    assert dialog.windowTitle() == "Mentorship with Ada Lovelace"
    assert set(dialog.cards) == {"people", "history", "feedback", "goals", "sessions"}
    text = _texts(dialog)
    for hidden in MENTORS_ONLY:  # Ada's private goals, private note and feedback
        assert hidden not in text, hidden
    assert "0.87" not in text and "match score" not in text  # the coordinator's
    for shown in (
        "Ship a feature",
        "Write the design note",
        "MENTEE own goal: speak at a meetup",
        "Hand over the weekly report",  # Ada's step: listed, its goal not
        "Shared by the mentor: read chapter 3",
        "Your private note: MENTEE private note: ask about promotion",
        "MENTEE feedback: very helpful",
        "Principal engineer",
        "Design review",  # the upcoming session's agenda
    ):
        assert shown in text, shown
    assert dialog.subtitle.text() == "Your mentor · Spring mentoring · Active since 2 Mar 2026"
    assert dialog.health.text().startswith("Next session ")
    dialog.close()


def test_home_card_opens_on_double_click_and_enter(qtbot, org, main_windows) -> None:
    window = _window(main_windows, org, "ada", "Ada Lovelace")
    home = _home(qtbot, window)
    [card] = home.findChildren(MentorshipCard)
    qtbot.mouseDClick(card, Qt.MouseButton.LeftButton)
    dialog = _opened(qtbot, home)
    text = _texts(dialog)
    for hidden in MENTEES_ONLY:  # Alan's own goal, private note and feedback
        assert hidden not in text, hidden
    assert "MENTOR private feedback: not sure it fits" in text  # hers, marked private
    assert "coordinators do not see it" in text
    _close(qtbot, home, dialog)

    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    _opened(qtbot, home).close()


def test_my_profile_opens_the_detail(qtbot, org, main_windows) -> None:
    window = _window(main_windows, org, "alan", "Alan Turing")
    view = window.navigate("my_profile")
    assert isinstance(view, MyProfileView)
    qtbot.waitUntil(lambda: view.profile is not None, timeout=30_000)
    table = view.mentorships
    assert not view.details_button.isEnabled()  # nothing selected yet
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    dialog = _opened(qtbot, view)
    assert not any(hidden in _texts(dialog) for hidden in MENTORS_ONLY)
    _close(qtbot, view, dialog)

    assert view.details_button.isEnabled()
    qtbot.mouseClick(view.details_button, Qt.MouseButton.LeftButton)
    _close(qtbot, view, _opened(qtbot, view))

    index = table.model().index(0, 1)
    centre = table.visualRect(index).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    _opened(qtbot, view).close()


def _close(qtbot, parent: QWidget, dialog: MyMentorshipDialog) -> None:
    dialog.close()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not parent.findChildren(MyMentorshipDialog), timeout=5_000)


def test_mark_own_milestone_done_and_message_the_partner(qtbot, org, main_windows) -> None:
    window = _window(main_windows, org, "alan", "Alan Turing")
    home = _home(qtbot, window)
    before = home.home.mentorships[0].open_milestones
    dialog = home.open_details(org.ids["mentorship"], "Ada Lovelace")
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=30_000)
    links = dialog.findChildren(QLabel, "markDone")
    # Alan's two open steps, not Ada's
    assert sorted(link.toolTip() for link in links) == [
        "Mark “Submit a talk proposal” done",
        "Mark “Write the design note” done",
    ]
    link = next(x for x in links if "design note" in x.toolTip())
    with qtbot.waitSignal(dialog.loaded, timeout=30_000):
        link.linkActivated.emit("#")
    step = next(m for g in dialog.detail.goals for m in g.milestones if m.id == org.ids["step0"])
    assert step.completed_at is not None
    assert len(dialog.findChildren(QLabel, "markDone")) == 1
    qtbot.waitUntil(lambda: home.home.mentorships[0].open_milestones == before - 1, timeout=30_000)

    assert dialog.message_button.text() == "Message Ada"
    qtbot.mouseClick(dialog.message_button, Qt.MouseButton.LeftButton)
    assert window.current_key() == "inbox"
    assert not dialog.isVisible()
