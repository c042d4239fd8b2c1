"""Calendar credentials in the OS keyring, never in the database or a plain file.

A connection row stores only ``secret_ref`` (an opaque name); the password or OAuth token
lives in the keyring under the service :data:`SERVICE`. Tests install an in-memory
backend with ``keyring.set_keyring``.

``keyring`` is imported by the functions that use it, not by the module: every
``mentormatch`` command loads every plugin, and choosing a keyring backend costs about a
tenth of a second that ``mentormatch solve`` must not pay.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from mentormatch_desktop.plugin.api import CalendarAuthError

SERVICE = "mentormatch-calendar"


def get_secret(ref: str | None) -> str:
    """The secret stored under ``ref``; a "reconnect" error when there is none."""
    if not ref:
        raise CalendarAuthError("this calendar has no stored credentials: connect it again")
    import keyring
    import keyring.errors

    try:
        value = keyring.get_password(SERVICE, ref)
    except keyring.errors.KeyringError as exc:
        raise CalendarAuthError(f"the system keyring could not be read: {exc}") from exc
    if value is None:
        raise CalendarAuthError("the calendar's credentials are gone: connect it again")
    return value


def set_secret(ref: str, value: str) -> None:
    import keyring

    keyring.set_password(SERVICE, ref, value)


def delete_secret(ref: str) -> None:
    import keyring
    import keyring.errors

    with contextlib.suppress(keyring.errors.PasswordDeleteError):  # disconnecting twice is fine
        keyring.delete_password(SERVICE, ref)


def get_token(ref: str | None) -> dict[str, Any]:
    """An OAuth token (JSON in the keyring)."""
    raw = get_secret(ref)
    try:
        token = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CalendarAuthError("the stored calendar token is damaged: connect it again") from exc
    if not isinstance(token, dict) or "access_token" not in token:
        raise CalendarAuthError("the stored calendar token is incomplete: connect it again")
    return token


def set_token(ref: str, token: dict[str, Any]) -> None:
    set_secret(ref, json.dumps(dict(token)))
