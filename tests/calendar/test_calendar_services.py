"""Sessions land in both sides' calendars (Radicale via caldav, the local Google server),
follow reschedules and cancellations, and synced busy time feeds the slot finder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import caldav
import httpx
import pytest
from sqlalchemy import select

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars, schedule, sessions
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    BusyBlock,
    Mentorship,
    Person,
    Program,
)
from mentormatch_plugins.calendar import oauth, secrets
from mentormatch_plugins.calendar.google import oauth_config

NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


def browser(url: str) -> None:
    httpx.get(httpx.get(url).headers["Location"])


@pytest.fixture
def booked(engine, host, cloud, radicale, memory_keyring):
    """Asha (Tokyo, Google) and Rui (Bogotá, Radicale), both connected."""
    dav = caldav.DAVClient(url=radicale.url, username=radicale.username, password=radicale.password)
    cal = dav.principal().make_calendar(name=f"rui-{uuid.uuid4().hex[:6]}")
    secrets.set_secret("rui", radicale.password)
    g_settings = cloud.settings(base_url=f"{cloud.base}/calendar/v3")
    secrets.set_token(
        "asha", oauth.authorize(oauth_config(g_settings), open_browser=browser, timeout=10)
    )
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        s = ctx.session
        prog = Program(name="Calendars")
        asha = Person(email="asha@example.org", full_name="Asha", time_zone="Asia/Tokyo")
        rui = Person(email="rui@example.org", full_name="Rui", time_zone="America/Bogota")
        s.add_all([prog, asha, rui])
        s.flush()
        # Asha 07:00–10:00 Tokyo = 22:00–01:00 UTC; Rui 17:00–20:00 Bogotá = 22:00–01:00 UTC
        s.add_all(
            [
                AvailabilitySlot(person_id=asha.id, weekday=d, start_minute=420, end_minute=600)
                for d in range(7)
            ]
        )
        s.add_all(
            [
                AvailabilitySlot(person_id=rui.id, weekday=d, start_minute=1020, end_minute=1200)
                for d in range(7)
            ]
        )
        ms = Mentorship(program_id=prog.id, mentor_id=rui.id, mentee_id=asha.id, started_at=NOW)
        s.add(ms)
        s.flush()
        g = calendars.connect_calendar(
            ctx, asha.id, "google", "asha@example.org", settings=g_settings, secret_ref="asha"
        )
        c = calendars.connect_calendar(
            ctx,
            rui.id,
            "caldav",
            "mentor",
            settings={"url": radicale.url, "calendar_url": str(cal.url)},
            secret_ref="rui",
        )
        ids = {"asha": asha.id, "rui": rui.id, "ms": ms.id, "google": g, "caldav": c}
    return ids, cal


def actor(pid: int) -> Actor:
    return Actor(person_id=pid, login=None, role=AppRole.PARTICIPANT)


def test_caldav_google_session_lands_in_both_calendars_and_follows_changes(
    engine, host, cloud, booked
):
    ids, cal = booked
    with unit_of_work(engine, plugins=host, actor=actor(ids["asha"]), clock=lambda: NOW) as ctx:
        slot = schedule.find_slots(ctx, [ids["asha"], ids["rui"]], minutes=45, weeks=1)[0]
        info = sessions.propose_session(
            ctx, ids["ms"], slot.start, 45, video_link="https://meet.example.org/a"
        )
    assert {v.time_zone for v in slot.people} == {"Asia/Tokyo", "America/Bogota"}
    with unit_of_work(engine, plugins=host, actor=actor(ids["rui"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
        report = calendars.publish_session(ctx, info.id)
    assert not report.failures and set(report.published) == {ids["google"], ids["caldav"]}
    g_event = cloud.state.g_events[report.published[ids["google"]]]
    assert g_event["iCalUID"] == info.uid and g_event["location"] == "https://meet.example.org/a"
    (dav_event,) = cal.events()
    assert str(dav_event.icalendar_component["uid"]) == info.uid

    moved = slot.start + timedelta(days=1)
    with unit_of_work(engine, plugins=host, actor=actor(ids["rui"]), clock=lambda: NOW) as ctx:
        sessions.reschedule_session(ctx, info.id, moved)
    with unit_of_work(engine, plugins=host, actor=actor(ids["asha"]), clock=lambda: NOW) as ctx:
        sessions.accept_session(ctx, info.id)
        again = calendars.publish_session(ctx, info.id)
    assert again.published == report.published  # updated in place, not added
    assert (
        cloud.state.g_events[again.published[ids["google"]]]["start"]["dateTime"]
        == moved.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")).isoformat()
    )
    (dav_event,) = cal.events()
    assert dav_event.icalendar_component.decoded("dtstart") == moved
    assert len(cloud.state.g_events) == 1

    with unit_of_work(engine, plugins=host, actor=actor(ids["asha"]), clock=lambda: NOW) as ctx:
        sessions.cancel_session(ctx, info.id)
        gone = calendars.publish_session(ctx, info.id)
    assert sorted(gone.cancelled) == sorted([ids["google"], ids["caldav"]])
    assert cal.events() == []
    assert cloud.state.g_events[report.published[ids["google"]]]["status"] == "cancelled"


def test_google_sync_fills_busy_blocks_incrementally_and_steers_slots(engine, host, cloud, booked):
    ids, _ = booked
    first_evening = datetime(2026, 3, 2, 22, tzinfo=UTC)
    for i in range(7):
        s = first_evening + timedelta(days=i)
        cloud.state.add_google_event(
            {
                "id": f"b{i}",
                "status": "confirmed",
                "start": {"dateTime": s.isoformat()},
                "end": {"dateTime": (s + timedelta(hours=2)).isoformat()},
            }
        )
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        first = calendars.sync_calendar(ctx, ids["google"])
        slots = schedule.find_slots(ctx, [ids["asha"], ids["rui"]], minutes=45, weeks=1, limit=50)
    assert first.full and first.written == 7
    assert all(s.start.hour in (0,) for s in slots)  # only 00:00–01:00 UTC is left each day
    cloud.state.g_events["b0"]["status"] = "cancelled"
    cloud.state.g_changed["b0"] = next(cloud.state.clock)
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        second = calendars.sync_calendar(ctx, ids["google"])
        rows = ctx.session.scalars(
            select(BusyBlock.source_uid).where(BusyBlock.connection_id == ids["google"])
        ).all()
    assert not second.full and second.removed_events == 1
    assert sorted(rows) == [f"b{i}" for i in range(1, 7)]
    cloud.state.refresh.clear()
    cloud.state.expire_all()
    with (
        unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx,
        pytest.raises(calendars.CalendarError, match="Reconnect your calendar"),
    ):
        calendars.sync_calendar(ctx, ids["google"])
