"""The participant's own services and the identity lookup, on both backends (as the owner
here; tests/security/test_sign_in_ui.py runs them as a real participant login)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.services.identity import LOCAL, who_am_i
from mentormatch_desktop.services.me import my_profile, update_my_profile


def _mentee(engine: sa.Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                sa.text(
                    "SELECT p.id, p.email FROM mentorships m JOIN people p ON p.id = m.mentee_id"
                    " ORDER BY m.id LIMIT 1"
                )
            ).one()
        )


def test_my_profile_and_update(demo_engine: sa.Engine) -> None:
    me, _ = _mentee(demo_engine)
    actor = Actor(person_id=me, login="someone", role=AppRole.PARTICIPANT)
    host = PluginHost()
    with unit_of_work(demo_engine, plugins=host, actor=actor) as ctx:
        profile = my_profile(ctx)
    assert profile.person_id == me and profile.mentorships
    assert all(m.partner != "—" and m.my_side in ("mentor", "mentee") for m in profile.mentorships)
    with (
        pytest.raises(FieldError) as bad,
        unit_of_work(demo_engine, plugins=host, actor=actor) as ctx,
    ):
        update_my_profile(ctx, full_name="X", title="", time_zone="Mars/Olympus", bio="")
    assert bad.value.field == "time_zone"
    with unit_of_work(demo_engine, plugins=host, actor=actor) as ctx:
        update_my_profile(
            ctx, full_name="Renamed Person", title="Lead", time_zone="Europe/Lisbon", bio="hi"
        )
    with demo_engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT full_name, time_zone FROM people WHERE id = :me"), {"me": me}
        ).one()
        events = conn.execute(
            sa.text(
                "SELECT count(*) FROM engagement_events"
                " WHERE person_id = :me AND kind = 'profile_updated' AND payload IS NOT NULL"
            ),
            {"me": me},
        ).scalar_one()
    assert tuple(row) == ("Renamed Person", "Europe/Lisbon")
    assert events >= 1


def test_who_am_i(demo_engine: sa.Engine) -> None:
    me, email = _mentee(demo_engine)
    with Session(demo_engine) as session:
        plain = who_am_i(session)
        if demo_engine.dialect.name == "sqlite":
            assert plain == LOCAL
            viewed = who_am_i(session, as_email=email.upper())
            assert (viewed.person_id, viewed.role) == (me, "participant")
            with pytest.raises(FieldError):
                who_am_i(session, as_email="nobody@nowhere.example")
        else:
            assert plain.role == "owner"  # the superuser the tests connect as
