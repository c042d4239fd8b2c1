"""Calendar settings of a person: which connectors exist, what each needs, test, connect,
disconnect, sync now.

A connector may describe its settings with a ``settings_fields`` attribute (a sequence of
:class:`SettingField`-like objects or dicts); the built-in ones are described here from
their module documentation, so the settings form is the same for both. Secrets go to the
OS keyring under a fresh reference, never into the database (the built-in connectors read
the keyring service :data:`SECRET_SERVICE`).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarConnector,
    CalendarUnavailable,
)
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services import calendars
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.my_schedule import person_for
from mentormatch_desktop.storage.models import BusyBlock, CalendarConnection

#: The keyring service the built-in connectors read secrets from (``secret_ref`` is the user).
SECRET_SERVICE = "mentormatch-calendar"


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    kind: str = "text"  # text, secret, path, url
    required: bool = False
    hint: str = ""


@dataclass(frozen=True)
class ConnectorChoice:
    name: str
    label: str
    plugin: str
    fields: tuple[SettingField, ...]


_ZONE = SettingField("time_zone", "Zone of floating times", hint="e.g. Europe/Berlin")
BUILT_IN_FIELDS: dict[str, tuple[SettingField, ...]] = {
    "ics": (
        SettingField("path", "Calendar file to read busy time from", "path", True),
        SettingField("export_path", "File to keep my sessions in", "path"),
        _ZONE,
    ),
    "caldav": (
        SettingField("url", "Server URL", "url", True, "https://cloud.example.org/remote.php/dav"),
        SettingField("username", "User name"),
        SettingField("secret", "Password", "secret", True),
        SettingField("calendar_name", "Calendar name", hint="default: the first calendar"),
        _ZONE,
    ),
    "google": (
        SettingField("client_id", "OAuth client id", required=True),
        SettingField("client_secret", "OAuth client secret", "secret"),
        SettingField("calendar_id", "Calendar id", hint="default: primary"),
    ),
    "microsoft": (
        SettingField("client_id", "OAuth client id", required=True),
        SettingField("tenant", "Tenant", hint="default: common"),
    ),
}


class CalendarSettingsError(ValueError):
    """Settings that cannot be used; the message names the field."""


def _fields(connector: CalendarConnector) -> tuple[SettingField, ...]:
    declared = getattr(connector, "settings_fields", None)
    if declared:
        out = []
        for f in declared:
            if isinstance(f, dict):
                out.append(SettingField(**f))
            else:
                out.append(
                    SettingField(
                        f.key,
                        f.label,
                        getattr(f, "kind", "text"),
                        getattr(f, "required", False),
                        getattr(f, "hint", ""),
                    )
                )
        return tuple(out)
    return BUILT_IN_FIELDS.get(connector.name, (SettingField("secret", "Password", "secret"),))


def connector_choices(plugins: PluginHost) -> list[ConnectorChoice]:
    """Every calendar connector the plugin host offers, with the settings it needs."""
    out = []
    for name, connector in sorted(plugins.calendar_connectors().items()):
        owner = plugins.owner_of("register_calendar_connectors", name)
        out.append(
            ConnectorChoice(
                name,
                getattr(connector, "label", name),
                owner.name if owner else "",
                _fields(connector),
            )
        )
    return out


def _split(
    plugins: PluginHost, provider: str, values: dict[str, str]
) -> tuple[dict[str, Any], str]:
    """Settings to store, and the secret (kept out of the settings)."""
    connector = plugins.calendar_connectors().get(provider)
    if connector is None:
        raise CalendarSettingsError(f"no calendar connector named {provider!r} is installed")
    settings: dict[str, Any] = {}
    secret = ""
    for f in _fields(connector):
        value = (values.get(f.key) or "").strip()
        if f.required and not value:
            raise CalendarSettingsError(f"{f.label} is needed")
        if f.kind == "secret":
            secret = value
        elif value:
            settings[f.key] = value
    return settings, secret


def _keyring_set(ref: str, secret: str) -> None:
    import keyring

    keyring.set_password(SECRET_SERVICE, ref, secret)


def _keyring_delete(ref: str | None) -> None:
    if not ref:
        return
    import keyring
    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(SECRET_SERVICE, ref)


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str
    busy_periods: int = 0


def test_connection(
    plugins: PluginHost,
    provider: str,
    account: str,
    values: dict[str, str],
    *,
    now: Any,
    progress: Any = None,
    cancel: CancelToken | None = None,
) -> TestResult:
    """Read a week of busy time with these settings (no database; run it in a worker).

    The secret is put in the keyring under a throw-away reference for the call and removed
    after. Cancelling drops the answer when the connector returns (a network call cannot
    be interrupted half-way).
    """
    settings, secret = _split(plugins, provider, values)
    connector = plugins.calendar_connectors()[provider]
    ref = f"test-{uuid.uuid4().hex}" if secret else None
    if progress:
        progress(0.1, "Contacting the calendar…")
    if cancel is not None:
        cancel.raise_if_cancelled()
    failure, periods = "", []
    try:
        if ref:
            _keyring_set(ref, secret)
        periods = connector.busy_periods(
            CalendarAccount(provider, account, settings, ref), now, now + timedelta(days=7)
        )
    except (CalendarAuthError, CalendarUnavailable, ValueError, OSError) as exc:
        failure = str(exc) or type(exc).__name__
    finally:
        _keyring_delete(ref)
    if cancel is not None:  # the person stopped waiting: whatever came back is not shown
        cancel.raise_if_cancelled()
    if failure:
        return TestResult(False, failure)
    if progress:
        progress(1.0, "Done")
    return TestResult(
        True, f"Connected: {len(periods)} busy periods in the next 7 days", len(periods)
    )


def add_connection(
    ctx: ServiceContext,
    provider: str,
    account: str,
    values: dict[str, str],
    *,
    person_id: int | None = None,
) -> int:
    """Store a connection for the person (secret in the keyring); returns its id."""
    me = person_for(ctx, person_id)
    if not account.strip():
        raise CalendarSettingsError("name the account (an e-mail address or a label)")
    settings, secret = _split(ctx.plugins, provider, values)
    ref = f"{provider}-{me}-{uuid.uuid4().hex}" if secret else None
    if ref:
        _keyring_set(ref, secret)
    try:
        return calendars.connect_calendar(
            ctx, me, provider, account.strip(), settings=settings, secret_ref=ref
        )
    except Exception:
        _keyring_delete(ref)
        raise


def remove_connection(ctx: ServiceContext, connection_id: int) -> None:
    """Disconnect: the connection, its busy time and its stored secret go."""
    conn = ctx.session.get(CalendarConnection, connection_id)
    if conn is None:
        raise CalendarSettingsError(f"no calendar connection with id {connection_id}")
    person_for(ctx, conn.person_id)
    ref = conn.secret_ref
    ctx.session.execute(delete(BusyBlock).where(BusyBlock.connection_id == conn.id))
    ctx.session.delete(conn)
    ctx.session.flush()
    ctx.audit(
        "calendar.disconnect", "calendar_connection", connection_id, {"provider": conn.provider}
    )
    _keyring_delete(ref)


def sync_now(ctx: ServiceContext, connection_id: int) -> calendars.SyncSummary:
    """Sync one of the person's connections now (the caller commits)."""
    conn = ctx.session.get(CalendarConnection, connection_id)
    if conn is None:
        raise CalendarSettingsError(f"no calendar connection with id {connection_id}")
    person_for(ctx, conn.person_id)
    return calendars.sync_calendar(ctx, connection_id)
