"""The worker's periodic calendar sync (google against the local server): each connection
is synced once a period, and a revoked token is kept as "reconnect your calendar"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from mentormatch_desktop import jobs
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.storage.models import BusyBlock, CalendarConnection, Person
from mentormatch_plugins.calendar import oauth, secrets
from mentormatch_plugins.calendar.google import oauth_config

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def browser(url: str) -> None:
    httpx.get(httpx.get(url).headers["Location"])


def test_worker_syncs_google_each_period_and_keeps_why_it_failed(engine, cloud, memory_keyring):
    host = PluginHost(autoload=False).load()
    settings = cloud.settings(base_url=f"{cloud.base}/calendar/v3")
    secrets.set_token("kai", oauth.authorize(oauth_config(settings), open_browser=browser))
    start = NOW + timedelta(days=1, hours=9)
    cloud.state.add_google_event(
        {
            "id": "g1",
            "status": "confirmed",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
        }
    )
    with unit_of_work(engine, plugins=host, clock=lambda: NOW) as ctx:
        kai = Person(email="kai@example.org", full_name="Kai", time_zone="Pacific/Auckland")
        ctx.session.add(kai)
        ctx.session.flush()
        conn_id = calendars.connect_calendar(
            ctx, kai.id, "google", "kai@example.org", settings=settings, secret_ref="kai"
        )

    def sync(at: datetime) -> dict[str, int]:
        return jobs.sync_calendars(engine, host, lambda: at)

    assert sync(NOW) == {"synced": 1, "failed": 0}
    assert sync(NOW + timedelta(minutes=5)) == {"synced": 0, "failed": 0}  # not due yet
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BusyBlock)) == 1
    cloud.state.expire_all()
    cloud.state.refresh.clear()  # the user revoked MentorMatch's access
    later = NOW + calendars.SYNC_EVERY + timedelta(minutes=1)
    assert sync(later) == {"synced": 0, "failed": 1}
    with engine.connect() as conn:
        error, attempted = conn.execute(
            select(CalendarConnection.last_error, CalendarConnection.last_attempt_at).where(
                CalendarConnection.id == conn_id
            )
        ).one()
        assert conn.scalar(select(func.count()).select_from(BusyBlock)) == 1  # kept
    assert "Reconnect your calendar" in error
    assert attempted.astimezone(UTC) == later
