"""A search hit 5,000 messages back in a 10,000-message thread (pytest-qt, offscreen): activating
it opens the thread at that message — loaded, centred on screen, tinted with the searched
words marked —, a live message does not land after the gap below, the thread is read only
through what was on screen, scrolling down reads the pages after it in order (nothing
twice, nothing skipped) to the newest, and "Jump to latest ↓" goes to the end. On SQLite,
and on PostgreSQL signed in through Alan's own participant login (row-level security)."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from sqlalchemy.engine import make_url

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import inbox
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.sign_in import sign_in
from mentormatch_desktop.ui.views.conversation_position import newest_seen
from mentormatch_desktop.ui.views.inbox import RESULT_ROLE
from mentormatch_desktop.ui.views.message_highlight import mark_colour, tint_colour

from .conftest import TOTAL

HIT = 5_000
LIVE = "a live one while Alan reads the past"


def number(m: inbox.MessageView) -> int:
    """The ``i`` of a seeded ``message i`` (its place in the thread)."""
    return int(m.body.split()[1])


def minute(i: int) -> int:
    """The seed's clock: message 1, 11, 21 … share the minute of the one before."""
    return i - (1 if i % 10 == 1 else 0)


def unread_after(i: int) -> int:
    """Ada's messages (``i % 3 != 0``) sent after message ``i``: what Alan has not seen."""
    return sum(1 for j in range(TOTAL) if j % 3 and minute(j) > minute(i))


def close(a: QColor, b: QColor, tolerance: int = 8) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def bubble_of(view, message_id: int):
    index = view.model.index(view.model.row_of(message_id))
    return view.bubbles.geometry(view.view.visualRect(index), index, view.view.font())


def pixel(image: QImage, point: QPoint) -> QColor:
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))


def send_as_ada(url: str, ids: dict, text: str) -> None:
    """Ada writes in the thread from elsewhere (her own unit of work on the database)."""
    owner = create_engine(url)
    ada = Actor(person_id=ids["ada"], login=None, role=AppRole.PARTICIPANT)
    try:
        with unit_of_work(owner, plugins=PluginHost(), actor=ada) as ctx:
            inbox.send_message(ctx, ids["thread"], text)
    finally:
        owner.dispose()


def activate_result(qtbot, view, *, key: bool = False) -> inbox.MessageView:
    """Click (or select and press Enter on) the first search result."""
    item = view.thread_list.item(0)
    hit = item.data(RESULT_ROLE)
    if key:
        view.thread_list.setFocus()
        view.thread_list.setCurrentItem(item)
        qtbot.keyClick(view.thread_list, Qt.Key.Key_Return)
    else:
        rect = view.thread_list.visualItemRect(item)
        qtbot.mouseClick(view.thread_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.model.row_of(hit.id) is not None, timeout=30_000)
    return hit


@pytest.fixture
def alan_own_login(big_thread, main_windows, shared_plugin_host, login_names: list[str]):
    """Alan's window signed in through a participant login of his own (PostgreSQL)."""
    from mentormatch_desktop.services.org import grant_login

    url, _ids = big_thread
    owner = create_engine(url)
    login = f"mm_alan_{uuid.uuid4().hex[:8]}"
    try:
        with unit_of_work(owner, plugins=shared_plugin_host) as ctx:
            grant_login(ctx, "alan@example.org", "participant", login=login)
        login_names.append(login)
    finally:
        owner.dispose()
    own = make_url(url).set(username=login, password=None).render_as_string(False)
    window = main_windows(sign_in(own), plugin_host=shared_plugin_host, size=(1280, 800))
    assert window.context.identity.role == "participant"
    yield window
    main_windows.close(window)


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_search_hit_opens_the_thread_at_the_message(qtbot, big_thread, alan):
    read_from_a_search_hit_to_the_newest(qtbot, alan, *big_thread)


@pytest.mark.parametrize("database_factory", ["postgresql"], indirect=True)
def test_search_hit_under_rls_as_a_participant_login(qtbot, big_thread, alan_own_login):
    read_from_a_search_hit_to_the_newest(qtbot, alan_own_login, *big_thread)


def read_from_a_search_hit_to_the_newest(qtbot, alan, url: str, ids: dict) -> None:
    backend = make_url(url).get_backend_name()
    view = alan.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    assert view.unread_of(ids["thread"]) == unread_after(-1)
    view.search_box.setText(f"message {HIT}")
    view.search(view.search_box.text())
    qtbot.waitUntil(lambda: view.results is not None, timeout=30_000)
    assert view.thread_list.count() == 1

    hit = activate_result(qtbot, view)
    # Opened at the hit: the page around it, not the newest, nothing read yet.
    assert number(hit) == HIT and view.thread_id == ids["thread"]
    model = view.model
    assert model.rowCount() == 50 and model.has_older and model.has_newer
    assert [number(m) for m in model.rows] == list(range(HIT - 24, HIT + 26))
    # Centred in the viewport, tinted, the searched words marked.
    geometry = bubble_of(view, hit.id)
    viewport = view.view.viewport().rect()
    assert viewport.contains(geometry.bubble)
    assert abs(geometry.bubble.center().y() - viewport.center().y()) < geometry.bubble.height()
    assert view.highlight.message_id == hit.id and view.highlight.tint(hit.id) == 1.0
    assert view.highlight.term == f"message {HIT}"
    wait_idle(30)
    image = view.view.viewport().grab().toImage()
    inside = QPoint(geometry.bubble.left() + 5, geometry.bubble.center().y())
    assert close(pixel(image, inside), tint_colour())
    before = bubble_of(view, model.rows[model.row_of(hit.id) - 1].id).bubble
    plain = pixel(image, QPoint(before.left() + 5, before.center().y()))
    assert close(plain, QColor(theme.current().surface_alt))
    body = geometry.body
    marked = [
        pixel(image, QPoint(x, body.center().y())) for x in range(body.left(), body.right(), 2)
    ]
    assert any(close(c, mark_colour(), 12) for c in marked)  # "message 5000" on its marker
    alan.grab().save(f"/tmp/inbox_search_hit_{backend}.png")

    # Read through what was on screen only, not the 5,000 messages below.
    view.mark_seen()
    wait_idle(30)
    seen = newest_seen(view.view, model)
    assert seen is not None and HIT <= number(seen) < HIT + 26
    qtbot.waitUntil(
        lambda: view.unread_of(ids["thread"]) == unread_after(number(seen)), timeout=15_000
    )

    # A message arriving meanwhile does not land after the gap: "Jump to latest" shows.
    send_as_ada(url, ids, LIVE)
    view.reload()
    wait_idle(30)
    assert LIVE not in [m.body for m in model.rows] and model.rowCount() == 50
    assert view.latest_button.isVisible()
    alan.grab().save(f"/tmp/inbox_search_gap_{backend}.png")

    # Scrolling down reads the pages after, in order, each once, up to the newest.
    bar = view.view.verticalScrollBar()
    for _ in range(3):  # a few pages of the usual size, then bigger ones to keep it short
        rows = model.rowCount()
        bar.setValue(bar.maximum())
        qtbot.waitUntil(lambda n=rows: model.rowCount() > n, timeout=30_000)
        wait_idle(30)
        assert [number(m) for m in model.rows] == list(range(HIT - 24, HIT - 24 + len(model.rows)))
    model.page_size = 500
    for _ in range(40):
        if not model.has_newer:
            break
        bar.setValue(bar.maximum())
        wait_idle(30)
    assert not model.has_newer
    wait_idle(30)
    *seeded, live = model.rows
    assert [number(m) for m in seeded] == list(range(HIT - 24, TOTAL))
    assert live.body == LIVE  # the message that arrived, once, at its place after the gap
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: not view.latest_button.isVisible(), timeout=5_000)
    view.mark_seen()  # the end on screen: read as a thread opened at its end
    qtbot.waitUntil(lambda: view.unread_of(ids["thread"]) == 0, timeout=15_000)

    # From the end on, live messages append as in a thread opened at its end.
    send_as_ada(url, ids, "and one after the reader caught up")
    view.reload()
    qtbot.waitUntil(
        lambda: model.rows[-1].body == "and one after the reader caught up", timeout=15_000
    )
    assert model.rows[-2].body == LIVE and not model.has_newer


@pytest.mark.parametrize("database_factory", ["sqlite"], indirect=True)
def test_jump_to_latest_leaves_the_middle_for_the_newest_page(qtbot, big_thread, alan):
    _url, ids = big_thread
    view = alan.navigate("inbox")
    qtbot.waitUntil(lambda: view.state is not None, timeout=30_000)
    view.search_box.setText(f"message {HIT}")
    view.search(view.search_box.text())
    qtbot.waitUntil(lambda: view.results is not None, timeout=30_000)
    assert view.thread_list.count() == 1
    hit = activate_result(qtbot, view, key=True)  # Enter activates a result as a click does
    wait_idle(30)
    assert view.model.has_newer and view.highlight.message_id == hit.id
    assert view.latest_button.isVisible()
    # The tint goes once the reader clicks in the conversation; the words stay marked.
    qtbot.mouseClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.waitUntil(lambda: view.highlight.tint(hit.id) == 0.0, timeout=5_000)
    assert view.highlight.term_for(hit.id) == f"message {HIT}"

    qtbot.mouseClick(view.latest_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: view.model.rowCount() == 50 and not view.model.has_newer, timeout=30_000
    )
    wait_idle(30)
    assert [number(m) for m in view.messages] == list(range(TOTAL - 50, TOTAL))
    bar = view.view.verticalScrollBar()
    assert bar.value() == bar.maximum()
    assert view.highlight.message_id is None and not view.latest_button.isVisible()
    qtbot.waitUntil(lambda: view.unread_of(ids["thread"]) == 0, timeout=15_000)
