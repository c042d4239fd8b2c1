"""A peer circle finds one time for all its members, across zones on both hemispheres."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import schedule
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    BusyBlock,
    Mentorship,
    Person,
    Program,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)
# Weekday windows that all contain 12:00–14:00 UTC in March 2026 (before any DST change
# but the US one on 8 Mar, which moves New York's window by an hour, still covering it).
CIRCLE = [
    ("ny@example.org", "America/New_York", 7 * 60, 11 * 60),  # 12:00–16:00 UTC (EST)
    ("sp@example.org", "America/Sao_Paulo", 8 * 60, 12 * 60),  # 11:00–15:00 UTC
    ("ber@example.org", "Europe/Berlin", 12 * 60, 16 * 60),  # 11:00–15:00 UTC
    ("syd@example.org", "Australia/Sydney", 22 * 60, 24 * 60),  # 11:00–13:00 UTC (AEDT)
]


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


def test_group_slots_suit_every_member_of_a_circle(engine, host):
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        s = ctx.session
        prog = Program(name="Circles")
        people = [Person(email=e, full_name=e.split("@")[0], time_zone=z) for e, z, *_ in CIRCLE]
        s.add(prog)
        s.add_all(people)
        s.flush()
        for p, (_, _, a, b) in zip(people, CIRCLE, strict=True):
            s.add_all(
                [
                    AvailabilitySlot(person_id=p.id, weekday=d, start_minute=a, end_minute=b)
                    for d in range(7)
                ]
            )
        # A circle: consecutive peers paired, one group key. Berlin is busy Tuesday noon.
        for a, b in itertools.pairwise(people):
            s.add(
                Mentorship(
                    program_id=prog.id,
                    mentor_id=a.id,
                    mentee_id=b.id,
                    group_key="circle-1",
                    started_at=NOW,
                )
            )
        tuesday = NOW + timedelta(days=1, hours=11)
        s.add(
            BusyBlock(
                person_id=people[2].id, starts_at=tuesday, ends_at=tuesday + timedelta(hours=3)
            )
        )
        s.flush()
        ids, program_id = [p.id for p in people], prog.id
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        assert schedule.group_members(ctx, program_id, "circle-1") == sorted(ids)
        slots = schedule.find_group_slots(ctx, program_id, "circle-1", minutes=60, weeks=1)
        with pytest.raises(schedule.ScheduleError, match="no running group"):
            schedule.group_members(ctx, program_id, "circle-9")
    assert slots
    for slot in slots:
        assert {v.person_id for v in slot.people} == set(ids)
        start = slot.start.astimezone(UTC)
        assert start.hour >= 11 and slot.end.astimezone(UTC) <= start.replace(hour=13)
        assert not (tuesday <= start < tuesday + timedelta(hours=3))
