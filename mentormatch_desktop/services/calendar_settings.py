"""Calendar settings of a person: which connectors exist, what each needs, test, connect,
disconnect, sync now.

Connectors with an ``authorise`` method (:class:`InteractiveSignIn`: Google, Microsoft and
any third-party OAuth connector) are connected by signing in: :func:`sign_in` runs the
connector's browser sign-in (no database; call it from a worker) and its credentials go to
:func:`add_connection`, which refuses to store such a connection without them — a
connection without a token could only ever fail to sync.

A connector may describe its settings with a ``settings_fields`` attribute (a sequence of
:class:`SettingField`-like objects or dicts); the built-in ones are described here from
their module documentation, so the settings form is the same for both. Secrets go to the
OS keyring under a fresh reference, never into the database (the built-in connectors read
the keyring service :data:`SECRET_SERVICE`).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from mentormatch_desktop.domain.progress import CancelToken
from mentormatch_desktop.plugin.contracts import (
    CalendarAccount,
    CalendarAuthError,
    CalendarConnector,
    CalendarCredentials,
    CalendarUnavailable,
    supports_sign_in,
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
    sign_in: bool = False  # connected through the connector's browser sign-in


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
        # Not required here: an organisation may set it once for everyone in the config
        # file ([plugins.calendar-google]); the connector says what is missing otherwise.
        SettingField("client_id", "OAuth client id", hint="default: your organisation's"),
        # Google issues desktop clients a "secret" it documents as not confidential (it
        # ships inside every copy of an app); the token exchange needs it, so it is a
        # setting, not a keyring secret.
        SettingField("client_secret", "OAuth client secret", hint="of the desktop client"),
        SettingField("calendar_id", "Calendar id", hint="default: primary"),
    ),
    "microsoft": (
        SettingField("client_id", "OAuth client id", hint="default: your organisation's"),
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
    # An undescribed connector asks for a password, unless it signs in (then: nothing).
    password = (SettingField("secret", "Password", "secret"),)
    fallback = () if supports_sign_in(connector) else password
    return BUILT_IN_FIELDS.get(connector.name, fallback)


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
                supports_sign_in(connector),
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
    if supports_sign_in(connector):
        label = getattr(connector, "label", provider)
        return TestResult(False, f"{label} is tested by signing in: press Sign in and connect")
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
    credentials: CalendarCredentials | None = None,
) -> int:
    """Store a connection for the person (secret in the keyring); returns its id.

    For a connector that signs in, ``credentials`` (from :func:`sign_in`) are required and
    their secret is what the keyring keeps; the account label defaults to the one the
    provider named.
    """
    me = person_for(ctx, person_id)
    settings, secret = _split(ctx.plugins, provider, values)
    if supports_sign_in(ctx.plugins.calendar_connectors()[provider]):
        if credentials is None or not credentials.secret:
            raise CalendarSettingsError(
                f"{provider} calendars are connected by signing in: sign in first"
            )
        secret = credentials.secret
        account = account.strip() or credentials.account
    if not account.strip():
        raise CalendarSettingsError("name the account (an e-mail address or a label)")
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


def sign_in(
    plugins: PluginHost,
    provider: str,
    values: dict[str, str],
    *,
    open_url: Callable[[str], object],
    progress: Any = None,
    cancel: CancelToken | None = None,
) -> CalendarCredentials:
    """Run the connector's browser sign-in with these settings (no database: a worker).

    Blocks until the person has answered in the browser, the provider refused, or
    ``cancel`` is set; after a cancel whatever the connector returns is discarded and
    :class:`~mentormatch_desktop.domain.progress.Cancelled` raised, so a late token is never stored.
    """
    settings, _secret = _split(plugins, provider, values)
    connector = plugins.calendar_connectors()[provider]
    if not supports_sign_in(connector):
        raise CalendarSettingsError(f"{provider} calendars are not connected by signing in")
    token = cancel if cancel is not None else CancelToken()
    if progress:
        progress(0.0, "Waiting for you to sign in in your browser…")
    try:
        credentials = connector.authorise(settings, open_url, token.event)  # type: ignore[attr-defined]
    except Exception:
        token.raise_if_cancelled()  # a connector that stopped because we asked it to
        raise
    token.raise_if_cancelled()
    if not isinstance(credentials, CalendarCredentials) or not credentials.secret:
        raise CalendarAuthError(f"the {provider} connector's sign-in returned no credentials")
    return credentials


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
