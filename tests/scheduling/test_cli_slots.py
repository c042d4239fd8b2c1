"""``mentormatch slots`` and ``mentormatch calendar export`` on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import icalendar
from click.testing import CliRunner
from sqlalchemy.orm import Session

from mentormatch_desktop.cli import cli
from mentormatch_desktop.domain.enums import MeetingStatus
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Meeting,
    Mentorship,
    Person,
    Program,
)


def seed(engine) -> None:
    with Session(engine) as s:
        prog = Program(name="CLI")
        a = Person(email="asha@example.org", full_name="Asha", time_zone="Asia/Kolkata")
        b = Person(email="rui@example.org", full_name="Rui", time_zone="America/New_York")
        c = Person(email="kim@example.org", full_name="Kim", time_zone="Europe/Berlin")
        s.add_all([prog, a, b, c])
        s.flush()
        for p in (a, b, c):
            s.add_all(
                AvailabilitySlot(person_id=p.id, weekday=d, start_minute=0, end_minute=1440)
                for d in range(7)
            )
        ms = Mentorship(
            program_id=prog.id, mentor_id=b.id, mentee_id=a.id, started_at=datetime.now(UTC)
        )
        s.add(ms)
        s.flush()
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        s.add(
            Meeting(
                mentorship_id=ms.id,
                organiser_id=b.id,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=MeetingStatus.SCHEDULED,
                series_uid="x@mentormatch.local",
                time_zone="America/New_York",
            )
        )
        s.commit()


def test_slots_json_lists_utc_and_each_persons_local_time(engine, db_url):
    seed(engine)
    result = CliRunner().invoke(
        cli,
        [
            "slots",
            "--between",
            "asha@example.org",
            "rui@example.org",
            "kim@example.org",
            "--weeks",
            "1",
            "--minutes",
            "30",
            "--format",
            "json",
            "--database",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    slots = json.loads(result.output)
    assert slots and len(slots) == 10
    first = slots[0]
    assert datetime.fromisoformat(first["start"]).utcoffset() == timedelta(0)
    zones = {p["time_zone"]: datetime.fromisoformat(p["start"]) for p in first["people"]}
    assert set(zones) == {"Asia/Kolkata", "America/New_York", "Europe/Berlin"}
    assert zones["Asia/Kolkata"].utcoffset() == timedelta(hours=5, minutes=30)
    assert len({z.astimezone(UTC) for z in zones.values()}) == 1
    table = CliRunner().invoke(
        cli,
        [
            "slots",
            "--between",
            "asha@example.org",
            "--between",
            "rui@example.org",
            "--database",
            db_url,
        ],
    )
    assert table.exit_code == 0 and "asha@example.org" in table.output.splitlines()[0]


def test_slots_names_an_unknown_email(engine, db_url):
    seed(engine)
    result = CliRunner().invoke(
        cli, ["slots", "--between", "asha@example.org", "nobody@example.org", "--database", db_url]
    )
    assert result.exit_code != 0 and "nobody@example.org" in result.output


def test_calendar_export_writes_the_persons_sessions(engine, db_url, tmp_path):
    seed(engine)
    out = tmp_path / "asha.ics"
    result = CliRunner().invoke(
        cli,
        ["calendar", "export", "--as", "asha@example.org", "-o", str(out), "--database", db_url],
    )
    assert result.exit_code == 0, result.output
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert [str(e["uid"]) for e in cal.walk("VEVENT")] == ["x@mentormatch.local"]
    assert str(cal["method"]) == "PUBLISH"
