"""A group session lands once in every attendee's connected calendar (Radicale via caldav,
the local Google server): one UID everywhere, ATTENDEE lines with PARTSTAT, removed from the
calendar of whoever declines, and cancelled everywhere by the organiser."""

from __future__ import annotations

from datetime import timedelta

from mentormatch_desktop.services import calendars, group_sessions
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.models import Mentorship, Person
from tests.calendar.test_calendar_services import NOW, actor, booked, host  # noqa: F401


def test_group_session_in_each_attendees_calendar_and_out_for_who_declines(
    engine,
    host,  # noqa: F811
    cloud,
    booked,  # noqa: F811
):
    ids, cal = booked
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        ken = Person(email="ken@example.org", full_name="Ken", time_zone="Europe/Madrid")
        ctx.session.add(ken)
        ctx.session.flush()
        program = ctx.session.get(Mentorship, ids["ms"]).program_id
        ctx.session.add(
            Mentorship(program_id=program, mentor_id=ids["rui"], mentee_id=ken.id, started_at=NOW)
        )
        ken_id = ken.id
    start = NOW + timedelta(days=2, hours=23)
    with unit_of_work(engine, plugins=host, actor=actor(ids["rui"]), clock=lambda: NOW) as ctx:
        info = group_sessions.propose_group_session(
            ctx, [ids["asha"], ken_id], start, 45, video_link="https://meet.example.org/g"
        )
        report = calendars.publish_session(ctx, info.id)
    assert not report.failures and set(report.published) == {ids["google"], ids["caldav"]}
    g_event = cloud.state.g_events[report.published[ids["google"]]]
    assert g_event["iCalUID"] == info.session.uid
    (dav_event,) = cal.events()
    component = dav_event.icalendar_component
    assert str(component["uid"]) == info.session.uid
    attendees = component.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert sorted(str(a) for a in attendees) == [
        "mailto:asha@example.org",
        "mailto:ken@example.org",
    ]
    assert {a.params["PARTSTAT"] for a in attendees} == {"NEEDS-ACTION"}

    # Asha declines: the event leaves her calendar only.
    with unit_of_work(engine, plugins=host, actor=actor(ids["asha"]), clock=lambda: NOW) as ctx:
        group_sessions.respond_group_session(ctx, info.id, "declined")
        after = calendars.publish_session(ctx, info.id)
    assert after.cancelled == [ids["google"]] and set(after.published) == {ids["caldav"]}
    assert cloud.state.g_events[report.published[ids["google"]]]["status"] == "cancelled"
    (dav_event,) = cal.events()
    partstats = {
        str(a): a.params["PARTSTAT"] for a in dav_event.icalendar_component.get("attendee")
    }
    assert partstats == {
        "mailto:asha@example.org": "DECLINED",
        "mailto:ken@example.org": "NEEDS-ACTION",
    }

    # The organiser cancels: gone from the calendars that still hold it.
    with unit_of_work(engine, plugins=host, actor=actor(ids["rui"]), clock=lambda: NOW) as ctx:
        group_sessions.cancel_group_session(ctx, info.id)
        gone = calendars.publish_session(ctx, info.id)
    assert gone.cancelled == [ids["caldav"]]
    assert cal.events() == []
