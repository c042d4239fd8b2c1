"""Standing (recurring) sessions are checked for clashes occurrence by occurrence, each
series at its own wall time in its own zone (dst: Europe and the US change weeks apart)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import sessions
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import Mentorship, Person, Program

NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def host() -> PluginHost:
    return PluginHost(autoload=False).load()


@pytest.fixture
def pair(engine, host) -> dict[str, int]:
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        s = ctx.session
        prog = Program(name="Clashes")
        ber = Person(email="ber@example.org", full_name="Bea", time_zone="Europe/Berlin")
        ny = Person(email="ny@example.org", full_name="Nia", time_zone="America/New_York")
        s.add_all([prog, ber, ny])
        s.flush()
        ms = Mentorship(program_id=prog.id, mentor_id=ber.id, mentee_id=ny.id, started_at=NOW)
        s.add(ms)
        s.flush()
        return {"ber": ber.id, "ny": ny.id, "ms": ms.id}


def propose(engine, host, pair, start, minutes=60, **kw):
    who = Actor(person_id=pair["ber"], login=None, role=AppRole.PARTICIPANT)
    with unit_of_work(engine, plugins=host, actor=who, clock=lambda: NOW) as ctx:
        return sessions.propose_session(ctx, pair["ms"], start, minutes, **kw)


def test_one_off_inside_a_later_week_of_a_series_clashes(engine, host, pair):
    first = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # Tue 17:00 Berlin (CET)
    propose(engine, host, pair, first, rrule="FREQ=WEEKLY;COUNT=10", time_zone="Europe/Berlin")
    third = datetime(2026, 3, 17, 16, 30, tzinfo=UTC)
    with pytest.raises(sessions.SessionError, match=r"standing session.*2026-03-17 16:00 UTC"):
        propose(engine, host, pair, third, 30)
    # After the EU change (29 Mar) the series is at 15:00 UTC: 16:00 UTC is free then.
    propose(engine, host, pair, datetime(2026, 3, 31, 16, 0, tzinfo=UTC), 30)
    with pytest.raises(sessions.SessionError, match="2026-03-31 15:00 UTC"):
        propose(engine, host, pair, datetime(2026, 3, 31, 15, 15, tzinfo=UTC), 30)


def test_two_series_in_zones_that_change_weeks_apart_dst(engine, host, pair):
    """17:00 Berlin and 11:00 New York are the same instant except between the US change
    (8 Mar) and the EU change (29 Mar): two series that only meet after 29 Mar clash there,
    and two that end before it do not."""
    berlin = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # Tue 17:00 CET
    propose(engine, host, pair, berlin, rrule="FREQ=WEEKLY;COUNT=4", time_zone="Europe/Berlin")
    new_york = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tue 11:00 EDT
    # A fourth week (31 Mar) meets Berlin's 17:00 CEST = 15:00 UTC.
    with pytest.raises(sessions.SessionError, match="2026-03-31 15:00 UTC"):
        propose(
            engine,
            host,
            pair,
            new_york,
            rrule="FREQ=WEEKLY;COUNT=4",
            time_zone="America/New_York",
        )
    # 10, 17, 24 Mar: New York 15:00–16:00 UTC, Berlin 16:00–17:00 UTC: back to back.
    propose(engine, host, pair, new_york, rrule="FREQ=WEEKLY;COUNT=3", time_zone="America/New_York")
