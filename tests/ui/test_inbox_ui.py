"""The participant's Home and Inbox screens (pytest-qt, offscreen), on both backends.

Alan (a mentee) opens the app as himself — on PostgreSQL through his own login, so row-level
security applies to every read — while Ada (his mentor) writes from elsewhere. Covered:
unread counts (navigation badge, home, thread list), reading marks read, composing sends,
and the live inbox: a *second process* sends and the open window shows the message by
itself (PostgreSQL: LISTEN/NOTIFY through a QSocketNotifier; SQLite: polling), with the
time from commit to display measured; on PostgreSQL also a lost listener connection that
catches up on reconnect.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy.engine import Engine, make_url

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine, transaction
from mentormatch_desktop.storage.models import Mentorship, Thread
from mentormatch_desktop.ui.main_window import MainWindow
from mentormatch_desktop.ui.sign_in import sign_in


@dataclass
class Pair:
    url: str  # the owner's URL (a coordinator's / operator's connection)
    alan_url: str  # what Alan's app connects with (his own login on PostgreSQL)
    owner: Engine
    host: PluginHost
    ids: dict[str, int]
    thread: int

    @property
    def postgres(self) -> bool:
        return self.owner.dialect.name == "postgresql"

    def send_as_ada(self, text: str) -> inbox.SentMessage:
        actor = Actor(person_id=self.ids["ada"], login=None, role=AppRole.PARTICIPANT)
        with unit_of_work(self.owner, plugins=self.host, actor=actor) as ctx:
            return inbox.send_message(ctx, self.thread, text)

    def threads_of(self, who: str) -> list[inbox.ThreadSummary]:
        actor = Actor(person_id=self.ids[who], login=None, role=AppRole.PARTICIPANT)
        with unit_of_work(self.owner, plugins=self.host, actor=actor) as ctx:
            return inbox.list_threads(ctx)


@pytest.fixture
def pair(
    db_url: str, shared_plugin_host: PluginHost, login_names: list[str], ui_seed
) -> Iterator[Pair]:
    """Ada mentors Alan; their thread holds two messages from Ada that Alan has not read."""
    owner = create_engine(db_url)
    ids = ui_seed.seed_small_org(owner)
    with transaction(owner) as s:
        m = Mentorship(
            program_id=ids["program"],
            mentor_id=ids["ada"],
            mentee_id=ids["alan"],
            started_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
        s.add(m)
        s.flush()
        ids["mentorship"] = m.id
    with unit_of_work(owner, plugins=shared_plugin_host) as ctx:
        thread = inbox.ensure_mentorship_thread(ctx, ids["mentorship"]).id
    alan_url = db_url
    if owner.dialect.name == "postgresql":
        from mentormatch_desktop.services.org import grant_login

        login = f"mm_alan_{uuid.uuid4().hex[:8]}"
        with unit_of_work(owner, plugins=shared_plugin_host) as ctx:
            grant_login(ctx, "alan@example.org", "participant", login=login)
        login_names.append(login)
        alan_url = make_url(db_url).set(username=login, password=None).render_as_string(False)
    world = Pair(db_url, alan_url, owner, shared_plugin_host, ids, thread)
    world.send_as_ada("Welcome, Alan! Shall we meet on Thursday?")
    world.send_as_ada("Here is the reading list: https://example.org/reading")
    yield world
    owner.dispose()


@pytest.fixture
def alan_window(pair: Pair, main_windows, shared_plugin_host: PluginHost) -> Iterator[MainWindow]:
    """Alan's own app: signed in as him (his login on PostgreSQL, ``--as`` on SQLite)."""
    signed = sign_in(pair.alan_url, as_email=None if pair.postgres else "alan@example.org")
    assert signed.identity.role == "participant"
    assert signed.identity.person_id == pair.ids["alan"]
    window = main_windows(signed, plugin_host=shared_plugin_host)
    yield window
    main_windows.close(window)  # stops the live inbox (listener connection / poll timer)


def test_participant_sees_participant_screens_only(alan_window: MainWindow) -> None:
    assert alan_window.keys() == ["home", "inbox", "my_profile", "schedule"]
    assert alan_window.current_key() == "home"  # a participant starts at home


def test_unread_counts_in_badge_home_and_thread_list(qtbot, pair: Pair, alan_window) -> None:
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 2, timeout=30_000)
    home = alan_window.screen("home")
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    assert home.home.unread == 2
    assert home.unread_tile.value.text() == "2"
    [mine] = home.home.mentorships
    assert (mine.partner, mine.my_side, mine.unread) == ("Ada Lovelace", "mentee", 2)
    todo = " ".join(label.text() for label in home.todo_card.findChildren(QLabel))
    assert "2 new messages in your conversation with Ada Lovelace" in todo
    assert [t.kind for t in home.home.todo] == ["reply"]
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    assert view.thread_ids() == [pair.thread]
    assert view.unread_of(pair.thread) == 2
    assert view.list_title.text() == "1 conversation · 2 unread"
    [summary] = view.state.threads
    assert summary.members == ["Ada Lovelace"]  # names through the directory under RLS
    assert view.state.previews[pair.thread].sender_name == "Ada Lovelace"


def test_opening_a_thread_marks_it_read(qtbot, pair: Pair, alan_window, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []  # the system's browser is not started from a test
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(pair.thread)
    qtbot.waitUntil(lambda: "reading list" in view.conversation_text(), timeout=30_000)
    qtbot.waitUntil(lambda: view.unread_of(pair.thread) == 0, timeout=30_000)
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 0, timeout=30_000)
    # the link is a link: clicking it on the bubble opens it
    link_message = next(m for m in view.messages if "reading list" in m.body)
    point, url = _link_point(view, link_message.id)
    assert url.toString() == "https://example.org/reading"
    with qtbot.waitSignal(view.bubbles.link_activated, timeout=5_000) as clicked:
        qtbot.mouseClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert clicked.args[0].toString() == "https://example.org/reading"
    assert opened == ["https://example.org/reading"]
    # in the database, not only on screen
    [thread] = pair.threads_of("alan")
    assert thread.unread == 0
    home = alan_window.navigate("home")
    qtbot.waitUntil(lambda: home.home is not None and home.home.unread == 0, timeout=30_000)


def test_composing_sends_the_message(qtbot, pair: Pair, alan_window) -> None:
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(pair.thread)
    qtbot.waitUntil(lambda: "reading list" in view.conversation_text(), timeout=30_000)
    view.composer.setPlainText("Thursday works.\nSee you at 10:00!")
    assert view.send_button.isEnabled()
    view.send()
    qtbot.waitUntil(lambda: "See you at 10:00!" in view.conversation_text(), timeout=30_000)
    assert view.composer.toPlainText() == ""
    [ada_thread] = pair.threads_of("ada")
    assert ada_thread.unread == 1  # Ada has it, unread


def test_search_finds_own_messages(qtbot, pair: Pair, alan_window) -> None:
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.search_box.setText("reading")
    view.search_box.returnPressed.emit()
    qtbot.waitUntil(lambda: view.results is not None, timeout=30_000)
    [found] = view.results
    assert found.body == "Here is the reading list: https://example.org/reading"
    assert found.sender_name == "Ada Lovelace"  # through the directory under RLS too
    assert view.list_title.text() == "1 message found"
    view.search_box.setText("")  # back to the threads
    assert view.results is None and view.thread_list.count() == 1


def test_search_result_in_a_short_thread_opens_it_whole_and_read(
    qtbot, pair: Pair, alan_window
) -> None:
    """A hit in a thread that fits on screen: all of it shows, the hit tinted, no "Jump to
    latest"; its newest message is on screen, so the thread is read as when opened."""
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    assert view.unread_of(pair.thread) == 2
    view.search_box.setText("READING")
    view.search_box.returnPressed.emit()
    qtbot.waitUntil(lambda: view.results is not None, timeout=30_000)
    item = view.thread_list.item(0)
    qtbot.mouseClick(
        view.thread_list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.thread_list.visualItemRect(item).center(),
    )
    qtbot.waitUntil(lambda: len(view.messages) == 2, timeout=30_000)
    [hit] = view.results
    assert view.highlight.message_id == hit.id and view.highlight.term == "READING"
    assert not view.model.has_older and not view.model.has_newer
    assert not view.latest_button.isVisible()
    assert view.thread_title.text()  # the header names the thread, results still listed
    view.mark_seen()
    qtbot.waitUntil(lambda: view.unread_of(pair.thread) == 0, timeout=30_000)
    assert [t.unread for t in pair.threads_of("alan")] == [0]


# ---- live: a second process sends -----------------------------------------------------

SENDER = textwrap.dedent(
    """
    import json, sys, time
    from mentormatch_desktop.domain.enums import AppRole
    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_desktop.services import inbox
    from mentormatch_desktop.services.context import Actor, unit_of_work
    from mentormatch_desktop.storage.db import create_engine

    url, thread, sender, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    gap = float(sys.argv[5])
    engine = create_engine(url)
    host = PluginHost(autoload=False).load()
    actor = Actor(person_id=sender, login=None, role=AppRole.PARTICIPANT)
    print("ready", flush=True)
    for i in range(count):
        time.sleep(gap)
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            inbox.send_message(ctx, thread, f"live message {i}")
        print(json.dumps({"i": i, "committed": time.time()}), flush=True)
    engine.dispose()
    """
)


def _run_sender(pair: Pair, count: int, gap: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            SENDER,
            pair.url,
            str(pair.thread),
            str(pair.ids["ada"]),
            str(count),
            str(gap),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _open_live_inbox(qtbot, pair: Pair, window: MainWindow):
    view = window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(pair.thread)
    qtbot.waitUntil(lambda: view.unread_of(pair.thread) == 0, timeout=30_000)
    qtbot.waitUntil(lambda: window.live is not None and window.live.live is True, timeout=30_000)
    return view


def test_live_message_from_another_process_appears_by_itself(
    qtbot, pair: Pair, alan_window
) -> None:
    view = _open_live_inbox(qtbot, pair, alan_window)
    mode = alan_window.live.mode
    assert mode == ("notify" if pair.postgres else "poll")
    count, gap = (8, 0.6) if pair.postgres else (4, 2.5)
    wakes: list[float] = []
    alan_window.live.changed.connect(lambda _payload: wakes.append(time.time()))
    sender = _run_sender(pair, count, gap)
    shown: dict[int, float] = {}

    def check() -> bool:
        text = view.conversation_text()
        for i in range(count):
            if i not in shown and f"live message {i}" in text:
                shown[i] = time.time()
        return len(shown) == count

    try:
        qtbot.waitUntil(
            check,
            timeout=60_000,
        )
    finally:
        out, err = sender.communicate(timeout=60)
    assert sender.returncode == 0, err
    committed = {d["i"]: d["committed"] for d in map(json.loads, out.splitlines()[1:])}
    latencies = sorted(shown[i] - committed[i] for i in range(count))
    median, worst = statistics.median(latencies), latencies[-1]
    # The sender stamps "committed" after its commit returns, so the app may be woken a hair
    # before that stamp; the wake-up figure is for the printout only.
    woke = [
        min((w for w in wakes if w >= committed[i] - 0.1), default=shown[i]) - committed[i]
        for i in range(count)
    ]
    print(
        f"\nlive inbox ({mode}, {pair.owner.dialect.name}): send→display "
        f"median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms over {count} messages; "
        f"send→wake-up median {statistics.median(woke) * 1000:.0f} ms"
    )
    # Loose bounds (the benchmark has the targets): NOTIFY means no waiting for a poll.
    limit = 2.0 if pair.postgres else 2.0 + 1.5  # SQLite: a poll interval plus a read
    assert worst < limit, latencies
    # read at once because the thread is open and visible: nothing unread, no badge
    qtbot.waitUntil(lambda: view.unread_of(pair.thread) == 0, timeout=30_000)
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 0, timeout=30_000)


def test_live_badge_counts_messages_for_a_thread_not_open(qtbot, pair: Pair, alan_window) -> None:
    """The CLI sends (a real second process); the badge and home move without a click."""
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 2, timeout=30_000)
    home = alan_window.screen("home")
    qtbot.waitUntil(lambda: home.home is not None, timeout=30_000)
    if pair.postgres:
        # the CLI sends as Ada's own login; participant sending under RLS waits for rls-send
        sender = _run_sender(pair, 1, 0.0)
    else:
        sender = subprocess.Popen(
            [sys.executable, "-m", "mentormatch_desktop.cli", "send", "--database", pair.url,
             "--as", "ada@example.org", "--thread", str(pair.thread), "One more thing"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    _out, err = sender.communicate(timeout=120)
    assert sender.returncode == 0, err
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 3, timeout=15_000)
    qtbot.waitUntil(lambda: home.home.unread == 3, timeout=15_000)
    assert alan_window.windowTitle().startswith("(3)")


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_live_listener_reconnects_and_catches_up(qtbot, pair: Pair, alan_window) -> None:
    """The listening connection dies; a message sent meanwhile still shows after reconnect."""
    view = _open_live_inbox(qtbot, pair, alan_window)
    live = alan_window.live
    live._reconnect_timer.setInterval(500)
    pid = live._listener.backend_pid()
    with pair.owner.begin() as c:
        c.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    qtbot.waitUntil(lambda: live.live is False, timeout=15_000)
    pair.send_as_ada("sent while you were away")
    qtbot.waitUntil(lambda: "sent while you were away" in view.conversation_text(), timeout=15_000)
    qtbot.waitUntil(lambda: live.live is True, timeout=15_000)
    assert live._listener.backend_pid() != pid
    pair.send_as_ada("and this one through the new listener")
    qtbot.waitUntil(lambda: "through the new listener" in view.conversation_text(), timeout=5_000)


# ---- editing and deleting one's own messages --------------------------------------------


def _open(qtbot, pair: Pair, window: MainWindow):
    view = window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.open_thread(pair.thread)
    qtbot.waitUntil(lambda: "reading list" in view.conversation_text(), timeout=30_000)
    return view


def _send(qtbot, view, text: str) -> inbox.MessageView:
    view.composer.setPlainText(text)
    view.send()
    qtbot.waitUntil(lambda: any(m.body == text for m in view.messages), timeout=30_000)
    return next(m for m in view.messages if m.body == text)


def _point_of(view, message_id: int):
    """Where a message's bubble is on screen (viewport coordinates)."""
    return view.point_of(message_id)


def _geometry(view, message_id: int):
    index = view.model.index(view.model.row_of(message_id))
    view.view.scrollTo(index)
    return view.bubbles.geometry(view.view.visualRect(index), index, view.view.font())


def _inline_actions(view, message_id: int) -> bool:
    """Whether the bubble shows "Edit" and "Delete"."""
    g = _geometry(view, message_id)
    return g.edit is not None and g.delete is not None


def _link_point(view, message_id: int):
    """A point over the first link in a message's bubble, and the link."""
    from PySide6.QtCore import QPoint, QUrl

    g = _geometry(view, message_id)
    index = view.model.index(view.model.row_of(message_id))
    rect = view.view.visualRect(index)
    for y in range(g.body.top() + 2, g.body.bottom(), 3):
        for x in range(g.body.left() + 2, g.body.right(), 4):
            hit = view.bubbles.target(QPoint(x, y), rect, index, view.view.font())
            if isinstance(hit, QUrl):
                return QPoint(x, y), hit
    raise AssertionError("no link in the bubble")


def _stored(pair: Pair, message_id: int) -> tuple[str, object, object]:
    with pair.owner.connect() as c:
        return tuple(
            c.execute(
                sa.text("SELECT body, edited_at, deleted_at FROM messages WHERE id = :i"),
                {"i": message_id},
            ).one()
        )


def test_editing_and_deleting_own_message_from_the_conversation(
    qtbot, pair: Pair, alan_window
) -> None:
    view = _open(qtbot, pair, alan_window)
    mine = _send(qtbot, view, "Thursday wroks for me")
    # the message under the mouse is the one the context menu acts on
    assert view.message_at(_point_of(view, mine.id)).id == mine.id
    ada_message = view.messages[0]
    assert view.message_at(_point_of(view, ada_message.id)).id == ada_message.id
    menu = view.message_menu(mine)
    edit, delete = menu.actions()[:2]
    assert (edit.text(), edit.isEnabled()) == ("Edit message", True)
    assert (delete.text(), delete.isEnabled()) == ("Delete message", True)
    assert _inline_actions(view, mine.id)  # the inline "Edit · Delete" links
    # Ada's message: not Alan's to change
    theirs = view.message_menu(ada_message).actions()[:2]
    assert [a.isEnabled() for a in theirs] == [False, False]
    assert "only edit or delete your own" in theirs[0].toolTip()
    assert not _inline_actions(view, ada_message.id)

    view.composer.setPlainText("a draft I am typing")
    # a click on the bubble's own "Edit": the composer now edits the message
    qtbot.mouseClick(
        view.view.viewport(), Qt.MouseButton.LeftButton, pos=_geometry(view, mine.id).edit.center()
    )
    assert view.editing == mine.id and view.edit_bar.isVisibleTo(view)
    assert view.composer.toPlainText() == "Thursday wroks for me"
    assert view.send_button.text() == "Save"
    view.composer.setPlainText("Thursday works for me")
    view.grab().save("/tmp/inbox_editing.png")
    view.send()
    qtbot.waitUntil(lambda: "Thursday works for me" in view.conversation_text(), timeout=30_000)
    assert "wroks" not in view.conversation_text()
    assert "edited" in view.conversation_text()
    assert view.editing is None and view.send_button.text() == "Send"
    assert view.composer.toPlainText() == "a draft I am typing"  # the draft is back
    view.composer.clear()
    body, edited_at, deleted_at = _stored(pair, mine.id)
    assert (body, deleted_at) == ("Thursday works for me", None) and edited_at is not None
    assert len([m for m in view.messages if m.id == mine.id]) == 1  # changed, not added
    view.view.resize(900, 400)
    alan_window.resize(1280, 760)
    view.grab().save("/tmp/inbox_edited.png")

    view.delete_message(mine.id, confirm=False)
    qtbot.waitUntil(lambda: "Message deleted" in view.conversation_text(), timeout=30_000)
    assert "Thursday works for me" not in view.conversation_text()
    assert not _inline_actions(view, mine.id)
    body, _edited, deleted_at = _stored(pair, mine.id)
    assert body == "" and deleted_at is not None
    gone = view.message_menu(next(m for m in view.messages if m.id == mine.id)).actions()[:2]
    assert [a.isEnabled() for a in gone] == [False, False]
    assert gone[0].toolTip() == "This message was deleted."
    view.grab().save("/tmp/inbox_deleted.png")
    # Ada sees it deleted too
    actor = Actor(person_id=pair.ids["ada"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(pair.owner, plugins=pair.host, actor=actor) as ctx:
        [shown] = [m for m in inbox.read_page(ctx, pair.thread).messages if m.id == mine.id]
    assert shown.deleted and shown.body == ""


def test_own_message_older_than_the_window_cannot_be_changed(
    qtbot, pair: Pair, alan_window
) -> None:
    view = _open(qtbot, pair, alan_window)
    mine = _send(qtbot, view, "An old message")
    with pair.owner.begin() as c:  # sent 20 minutes ago
        c.execute(
            sa.text("UPDATE messages SET created_at = :t WHERE id = :i"),
            {"t": datetime.now(UTC) - inbox.EDIT_WINDOW - timedelta(minutes=5), "i": mine.id},
        )
    view.open_thread(pair.thread)
    qtbot.waitUntil(
        lambda: any(
            m.id == mine.id and datetime.now(UTC) - _aware(m.created_at) > inbox.EDIT_WINDOW
            for m in view.messages
        ),
        timeout=30_000,
    )
    message = next(m for m in view.messages if m.id == mine.id)
    menu = view.message_menu(message)
    edit, delete = menu.actions()[:2]
    menu.popup(view.view.viewport().mapToGlobal(_point_of(view, mine.id)))
    menu.grab().save("/tmp/inbox_menu_expired.png")
    menu.close()
    assert [edit.isEnabled(), delete.isEnabled()] == [False, False]
    assert "for 15 minutes after sending" in edit.toolTip()
    assert edit.toolTip() == delete.toolTip()
    assert not _inline_actions(view, mine.id)
    assert view.start_edit(mine.id) is False and view.editing is None
    assert view.delete_message(mine.id, confirm=False) is None
    assert "15 minutes" in view.banner.message.text()
    assert _stored(pair, mine.id)[0] == "An old message"  # nothing changed


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- a coordinator's announcement ---------------------------------------------------------


@pytest.fixture
def coordinator_window(
    pair: Pair, main_windows, shared_plugin_host: PluginHost, login_names: list[str]
) -> Iterator[MainWindow]:
    """A coordinator's app: the local coordinator on SQLite, a coordinator's own login
    (row-level security on) on PostgreSQL."""
    url = pair.url
    if pair.postgres:
        from mentormatch_desktop.services.org import grant_login
        from mentormatch_desktop.storage.models import Person

        with transaction(pair.owner) as s:
            s.add(
                Person(
                    full_name="Katherine Johnson",
                    email="katherine@example.org",
                    time_zone="Europe/London",
                )
            )
        login = f"mm_kj_{uuid.uuid4().hex[:8]}"
        with unit_of_work(pair.owner, plugins=shared_plugin_host) as ctx:
            grant_login(ctx, "katherine@example.org", "coordinator", login=login)
        login_names.append(login)
        url = make_url(pair.url).set(username=login, password=None).render_as_string(False)
    signed = sign_in(url)
    assert signed.identity.role in ("coordinator", "owner")
    window = main_windows(signed, plugin_host=shared_plugin_host, settings="c.ini")
    yield window
    main_windows.close(window)


def test_coordinator_sends_an_announcement_from_programs(
    qtbot, pair: Pair, coordinator_window, alan_window
) -> None:
    programs = coordinator_window.navigate("programs")
    qtbot.waitUntil(lambda: programs.announce_button.isEnabled(), timeout=30_000)
    assert programs.announce_button.isVisible()
    dialog = programs.new_announcement(show=False)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.cohort.count() > 0, timeout=30_000)
    assert dialog.program.currentData() == pair.ids["program"]
    assert dialog.recipients() == 5  # the five enrolled in Spring mentoring
    assert dialog.reach.text() == "Reaches 5 active participants."
    assert not dialog.send_button.isEnabled()  # no subject or text yet
    dialog.subject.setText("Kick-off on Thursday")
    dialog.body.setPlainText("Welcome to Spring mentoring!\nAgenda: https://example.org/kickoff")
    assert dialog.send_button.isEnabled()
    dialog.resize(620, 480)
    dialog.show()
    dialog.grab().save("/tmp/announcement_dialog.png")
    dialog.send()
    qtbot.waitUntil(lambda: dialog.sent is not None, timeout=30_000)
    sent = dialog.sent
    assert not sent.fanout_pending
    with pair.owner.connect() as c:
        kind, program_id = c.execute(
            sa.text("SELECT kind, program_id FROM threads WHERE id = :t"), {"t": sent.thread_id}
        ).one()
        members = c.execute(
            sa.text("SELECT count(*) FROM thread_participants WHERE thread_id = :t"),
            {"t": sent.thread_id},
        ).scalar_one()
        deliveries = c.execute(
            sa.text(
                "SELECT count(DISTINCT recipient_id), count(*) FROM message_deliveries"
                " WHERE message_id = :m AND topic = 'announcement'"
            ),
            {"m": sent.message_id},
        ).one()
    assert (kind, program_id) == ("announcement", pair.ids["program"])
    assert members == (6 if pair.postgres else 5)  # + the coordinator when a person
    # queued in the same unit of work, one per recipient (e-mail by default)
    assert deliveries == (5, sent.deliveries) and sent.deliveries >= 5
    # Alan's open app shows it, read-only
    view = alan_window.navigate("inbox")
    qtbot.waitUntil(lambda: sent.thread_id in view.thread_ids(), timeout=30_000)
    view.open_thread(sent.thread_id)
    qtbot.waitUntil(lambda: "Agenda" in view.conversation_text(), timeout=30_000)
    assert view.read_only_hint.isVisibleTo(view) and not view.composer_box.isVisibleTo(view)
    qtbot.waitUntil(lambda: alan_window.badge("inbox") == 2, timeout=30_000)  # read on opening
    alan_window.resize(1280, 760)
    alan_window.grab().save("/tmp/announcement_in_inbox.png")


def test_home_names_the_conversation_not_a_sender_who_did_not_write(pair: Pair) -> None:
    """A coordinator's note in the pair's thread (the introduction) is not the partner's:
    the to-do used to say "3 new messages from Ada Lovelace" after it."""
    from mentormatch_desktop.services.home import my_home

    with unit_of_work(pair.owner, plugins=pair.host) as ctx:
        inbox.post(ctx, ctx.session.get(Thread, pair.thread), "Hello both, welcome!",
                   sender_id=pair.ids["grace"])  # fmt: skip
    actor = Actor(person_id=pair.ids["alan"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(pair.owner, plugins=pair.host, actor=actor) as ctx:
        [todo] = my_home(ctx).todo
    assert todo.text == "3 new messages in your conversation with Ada Lovelace"


# ---- a coordinator's own conversations ----------------------------------------------------


def test_coordinator_who_is_a_person_has_an_inbox_the_local_one_none(
    qtbot, pair: Pair, main_windows, shared_plugin_host: PluginHost, login_names: list[str]
) -> None:
    """Cora (her own login on PostgreSQL, ``--as`` on SQLite) reads her Message both
    conversation in the Inbox, with the pair's reply counted unread; the coordinator who
    is nobody (the embedded database's user, the owner login) gets no Inbox."""
    from mentormatch_desktop.services import pair_messages
    from mentormatch_desktop.storage.models import Person

    with transaction(pair.owner) as s:
        cora = Person(
            full_name="Cora Ordinator",
            email="cora@example.org",
            time_zone="Europe/London",
            app_role=AppRole.COORDINATOR,
        )
        s.add(cora)
        s.flush()
        pair.ids["cora"] = cora.id
    as_cora = Actor(person_id=pair.ids["cora"], login=None, role=AppRole.COORDINATOR)
    with unit_of_work(pair.owner, plugins=pair.host, actor=as_cora) as ctx:
        sent = pair_messages.message_both(ctx, pair.ids["mentorship"], "Checking in", "How is it?")
    as_alan = Actor(person_id=pair.ids["alan"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(pair.owner, plugins=pair.host, actor=as_alan) as ctx:
        inbox.send_message(ctx, sent.thread_id, "Going well, thank you")

    url, as_email = pair.url, "cora@example.org"
    if pair.postgres:
        from mentormatch_desktop.services.org import grant_login

        login = f"mm_cora_{uuid.uuid4().hex[:8]}"
        with unit_of_work(pair.owner, plugins=shared_plugin_host) as ctx:
            grant_login(ctx, "cora@example.org", "coordinator", login=login)
        login_names.append(login)
        url = make_url(pair.url).set(username=login, password=None).render_as_string(False)
        as_email = None
    signed = sign_in(url, as_email=as_email)
    assert (signed.identity.role, signed.identity.person_id) == ("coordinator", pair.ids["cora"])
    window = main_windows(signed, plugin_host=shared_plugin_host, settings="cora.ini")
    screens = window.keys()
    assert "inbox" in screens and "home" not in screens
    qtbot.waitUntil(lambda: window.badge("inbox") == 1, timeout=30_000)
    view = window.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    assert view.thread_ids() == [sent.thread_id]  # never the pair's own thread
    assert view.unread_of(sent.thread_id) == 1
    assert view.state.previews[sent.thread_id].body == "Going well, thank you"
    assert not view.new_group_button.isVisible()
    view.open_thread(sent.thread_id)
    qtbot.waitUntil(lambda: view.unread_of(sent.thread_id) == 0, timeout=30_000)
    qtbot.waitUntil(lambda: window.badge("inbox") == 0, timeout=30_000)
    assert not view.add_people_button.isVisible()
    # live, as for participants: a reply while she is elsewhere shows on the badge by itself
    qtbot.waitUntil(lambda: window.live is not None and window.live.live is True, timeout=30_000)
    window.navigate("programs")
    with unit_of_work(pair.owner, plugins=pair.host, actor=as_alan) as ctx:
        inbox.send_message(ctx, sent.thread_id, "One more thing")
    qtbot.waitUntil(lambda: window.badge("inbox") == 1, timeout=30_000)
    main_windows.close(window)

    nobody = sign_in(pair.url)  # the local coordinator / the owner login: no person
    assert nobody.identity.person_id is None
    local = main_windows(nobody, plugin_host=shared_plugin_host, settings="local.ini")
    screens = local.keys()
    assert "inbox" not in screens and "programs" in screens
    assert local.live is None
    main_windows.close(local)
