"""The connectors' sign-in step (``authorise``) against the local Google/Microsoft server.

The "browser" follows the authorization URL with httpx: the fake provider answers with a
302 to the connector's loopback ``redirect_uri`` carrying ``code`` and ``state`` (or
``error=access_denied``), exactly as the real consent pages do, and the browser follows it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from sqlalchemy import func, select

from mentormatch_desktop import hookimpl
from mentormatch_desktop.domain.enums import AppRole
from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarCredentials,
    supports_sign_in,
)
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendar_settings
from mentormatch_desktop.services.context import Actor, unit_of_work
from mentormatch_desktop.storage.models import BusyBlock, CalendarConnection, Person
from mentormatch_plugins.calendar import secrets
from mentormatch_plugins.calendar.testserver import Cloud

NOW = datetime.now(UTC).replace(microsecond=0)
PROVIDERS = {"google": "calendar-google", "microsoft": "calendar-microsoft"}


def follow(url: str) -> httpx.Response:
    """What a browser does with the consent page's answer: follow it to the loopback."""
    resp = httpx.get(url, follow_redirects=False, timeout=10)
    assert resp.status_code == 302, resp.text
    return httpx.get(resp.headers["Location"], timeout=10)


def forged_state(url: str) -> None:
    """A browser handed an answer meant for another request (a different ``state``)."""
    resp = httpx.get(url, follow_redirects=False, timeout=10)
    target = urlparse(resp.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    query["state"] = "someone-elses-request"
    httpx.get(target._replace(query=urlencode(query)).geturl(), timeout=10)


def configured_host(cloud: Cloud) -> PluginHost:
    """The built-in plugins, with the deployment's config pointing both OAuth connectors at
    the local server (``[plugins.calendar-google]`` … in a real config file)."""
    endpoints = {
        "calendar-google": cloud.settings(base_url=f"{cloud.base}/calendar/v3"),
        "calendar-microsoft": cloud.settings(base_url=f"{cloud.base}/v1.0"),
    }
    return PluginHost(autoload=False, plugin_settings=endpoints.get).load()


@pytest.fixture
def host(cloud: Cloud) -> PluginHost:
    return configured_host(cloud)


def _sign_in(host: PluginHost, provider: str, browser: Callable[[str], object], **kw: object):
    connector = host.calendar_connectors()[provider]
    return connector.authorise(
        {"client_id": "test-client"}, browser, kw.get("cancel", threading.Event())
    )


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_oauth_sign_in_of_google_and_microsoft_returns_a_working_token(
    provider, host, cloud, memory_keyring
) -> None:
    connector = host.calendar_connectors()[provider]
    assert supports_sign_in(connector)
    opened: list[str] = []

    def browser_ok(url: str) -> None:
        opened.append(url)
        page = follow(url)
        assert page.status_code == 200 and "is connected" in page.text

    creds = _sign_in(host, provider, browser_ok)
    assert isinstance(creds, CalendarCredentials)
    token = json.loads(creds.secret)
    assert token["access_token"] in cloud.state.access and token["refresh_token"]
    query = parse_qs(urlparse(opened[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"][0]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    # the token works for the connector's API calls once it is in the keyring
    secrets.set_token("signed-in", token)
    cloud.state.g_busy.append({"start": "2026-03-02T10:00:00Z", "end": "2026-03-02T11:00:00Z"})
    cloud.state.m_schedule.append(
        {
            "status": "busy",
            "start": {"dateTime": "2026-03-02T10:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-03-02T11:00:00.0000000", "timeZone": "UTC"},
        }
    )
    account = CalendarAccount(
        provider, "ann@example.org", {"client_id": "test-client"}, "signed-in"
    )
    start = datetime(2026, 3, 2, tzinfo=UTC)
    busy = connector.busy_periods(account, start, start + timedelta(days=1))
    assert [(b.start.hour, b.end.hour) for b in busy] == [(10, 11)]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_oauth_user_denies_access_in_google_and_microsoft(provider, host, cloud) -> None:
    cloud.state.consent = "deny"
    pages: list[str] = []
    with pytest.raises(CalendarAuthError, match=r"did not allow .*\(access_denied\)"):
        _sign_in(host, provider, lambda url: pages.append(follow(url).text))
    assert "was not connected" in pages[0]
    assert ("POST", "/token") not in cloud.state.requests  # nothing was exchanged


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_oauth_state_mismatch_is_refused_for_google_and_microsoft(provider, host, cloud) -> None:
    with pytest.raises(CalendarAuthError, match=r"did not match our request \(state\)"):
        _sign_in(host, provider, forged_state)
    assert ("POST", "/token") not in cloud.state.requests
    assert len(cloud.state.codes) == 1  # the code issued was never redeemed


def test_oauth_google_sign_in_cancel_stops_waiting_and_closes_the_loopback(host) -> None:
    cancel = threading.Event()
    ports: list[int] = []

    def browser(url: str) -> None:  # the user never answers, then presses Cancel
        ports.append(urlparse(parse_qs(urlparse(url).query)["redirect_uri"][0]).port)
        threading.Timer(0.3, cancel.set).start()

    began = time.monotonic()
    with pytest.raises(CalendarAuthError, match="cancelled"):
        _sign_in(host, "google", browser, cancel=cancel)
    assert time.monotonic() - began < 3
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ports[0]), timeout=1).close()


def test_oauth_microsoft_without_client_id_names_the_setting(cloud) -> None:
    host = PluginHost(autoload=False, plugin_settings=lambda name: None).load()
    connector = host.calendar_connectors()["microsoft"]
    with pytest.raises(ValueError, match="client_id"):
        connector.authorise({}, lambda url: None, threading.Event())


# ------------------------------------------------------------------ through the service
@pytest.fixture
def person(engine) -> int:
    with unit_of_work(engine) as ctx:
        p = Person(email="ann@example.org", full_name="Ann", time_zone="Europe/Berlin")
        ctx.session.add(p)
        ctx.session.flush()
        return p.id


def _me(pid: int) -> Actor:
    return Actor(person_id=pid, login=None, role=AppRole.PARTICIPANT)


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_oauth_sign_in_service_connects_google_and_microsoft_and_a_sync_works(
    provider, engine, host, cloud, memory_keyring, person
) -> None:
    values = {"client_id": "test-client"}
    with (
        unit_of_work(engine, plugins=host, actor=_me(person)) as ctx,
        pytest.raises(calendar_settings.CalendarSettingsError, match="signing in"),
    ):
        calendar_settings.add_connection(ctx, provider, "ann@example.org", values)
    creds = calendar_settings.sign_in(host, provider, values, open_url=follow)
    with unit_of_work(engine, plugins=host, actor=_me(person)) as ctx:
        cid = calendar_settings.add_connection(
            ctx, provider, "ann@example.org", values, credentials=creds
        )
    with engine.connect() as conn:
        row = conn.execute(
            select(CalendarConnection.secret_ref, CalendarConnection.settings).where(
                CalendarConnection.id == cid
            )
        ).one()
    assert row.settings == values  # the token is not in the database …
    assert json.loads(memory_keyring.get_password(secrets.SERVICE, row.secret_ref)) == json.loads(
        creds.secret
    )  # … it is in the keyring
    start = (NOW + timedelta(days=1)).replace(minute=0, second=0)
    if provider == "google":
        cloud.state.add_google_event(
            {
                "id": "g1",
                "status": "confirmed",
                "summary": "Board",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            }
        )
    else:
        fmt = "%Y-%m-%dT%H:%M:%S.0000000"
        cloud.state.add_graph_event(
            {
                "id": "m1",
                "subject": "Board",
                "showAs": "busy",
                "start": {"dateTime": start.strftime(fmt), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(hours=1)).strftime(fmt), "timeZone": "UTC"},
            }
        )
    with unit_of_work(engine, plugins=host, actor=_me(person)) as ctx:
        calendar_settings.sync_now(ctx, cid)
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(BusyBlock).where(BusyBlock.connection_id == cid)
        ).scalar()
    assert n == 1


def test_oauth_sign_in_service_cancel_discards_a_late_token(host, cloud, memory_keyring) -> None:
    """A token that arrives after Cancel is never handed on (so never stored)."""
    token = CancelToken()

    def browser(url: str) -> None:
        token.cancel()  # the user pressed Cancel just as the browser answered
        follow(url)

    with pytest.raises(Cancelled):
        calendar_settings.sign_in(
            host, "google", {"client_id": "test-client"}, open_url=browser, cancel=token
        )
    assert memory_keyring.store == {}


def test_oauth_test_connection_of_a_sign_in_connector_says_to_sign_in(host) -> None:
    result = calendar_settings.test_connection(
        host, "google", "ann", {"client_id": "test-client"}, now=NOW
    )
    assert not result.ok and "signing in" in result.message


# ------------------------------------------------------------------ a third-party connector
class TeamCalendar:
    """A third party's connector that signs in its own way (a one-time code page)."""

    name = "team"
    label = "Team calendar"
    settings_fields = ({"key": "space", "label": "Team space", "required": True},)

    def __init__(self) -> None:
        self.answer = threading.Event()

    def authorise(self, settings, open_url, cancel):
        open_url(f"https://team.example.org/login?space={settings['space']}")
        while not cancel.wait(0.05):
            if self.answer.is_set():
                return CalendarCredentials("team-token-123", "ann@team.example.org")
        raise CalendarAuthError("sign-in cancelled")

    def busy_periods(self, account, start, end):
        from mentormatch_desktop.plugin.api import BusyPeriod

        assert secrets.get_secret(account.secret_ref) == "team-token-123"
        return [BusyPeriod(start, start + timedelta(hours=1), "standup", "s1")]

    def publish_event(self, account, event):
        return "e1"

    def update_event(self, account, event_id, event):
        return event_id

    def cancel_event(self, account, event_id, event):
        return None

    def sync(self, account, state, start, end):
        from mentormatch_desktop.plugin.api import SyncResult

        return SyncResult(self.busy_periods(account, start, end), [], {}, full=True)


class TeamPlugin:
    def __init__(self, connector: object) -> None:
        self.connector = connector

    @hookimpl
    def register_calendar_connectors(self):
        return [self.connector]


def test_oauth_contract_a_third_party_connector_signs_in_and_is_connected(
    engine, memory_keyring, person
) -> None:
    team = TeamCalendar()
    host = PluginHost(autoload=False)
    host.register(TeamPlugin(team), "mm_team")
    host.load()
    [choice] = [c for c in calendar_settings.connector_choices(host) if c.name == "team"]
    assert choice.sign_in and choice.plugin == "mm_team"
    opened: list[str] = []

    def browser(url: str) -> None:
        opened.append(url)
        team.answer.set()

    creds = calendar_settings.sign_in(host, "team", {"space": "eng"}, open_url=browser)
    assert opened == ["https://team.example.org/login?space=eng"]
    with unit_of_work(engine, plugins=host, actor=_me(person)) as ctx:
        # no label typed: the account the provider named is used
        cid = calendar_settings.add_connection(ctx, "team", "", {"space": "eng"}, credentials=creds)
    with unit_of_work(engine, plugins=host, actor=_me(person)) as ctx:
        summary = calendar_settings.sync_now(ctx, cid)
        account = ctx.session.get(CalendarConnection, cid).account
    assert account == "ann@team.example.org" and summary is not None


def test_oauth_contract_an_authorise_that_is_not_a_method_disables_the_plugin() -> None:
    odd = TeamCalendar()
    odd.authorise = "yes"  # type: ignore[assignment,method-assign]
    host = PluginHost(autoload=False)
    host.register(TeamPlugin(odd), "mm_odd")
    host.load()
    info = {i.name: i for i in host.plugins()}["mm_odd"]
    assert info.status == "failed" and "authorise is not a method" in (info.error or "")
    assert "team" not in host.calendar_connectors()
