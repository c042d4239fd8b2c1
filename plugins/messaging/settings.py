"""Channel settings: environment first, then the plugin's own config table.

A deployment can be set up by environment alone (``MENTORMATCH_SMTP_URL`` …); the same keys
may sit in the config file under ``[plugins.<channel>]`` (without the prefix, lower case),
which the host hands over as ``host.plugin_config(name)``. Secrets come from the
environment or the OS keyring (service ``mentormatch``), never from the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

KEYRING_SERVICE = "mentormatch"

#: Returns the plugin's config table (``host.plugin_config(name)``), read fresh each call.
ConfigSource = Callable[[], dict[str, Any]]


def no_config() -> dict[str, Any]:
    return {}


def setting(config: ConfigSource, key: str, env: str, default: str = "") -> str:
    """``$env`` if set, else ``key`` from the plugin's config table, else ``default``."""
    value = os.environ.get(env)
    if value:
        return value.strip()
    return str(config().get(key, default) or default).strip()


def secret(env: str, keyring_user: str) -> str | None:
    """A secret from ``$env``, else from the OS keyring (``mentormatch`` / ``keyring_user``)."""
    value = os.environ.get(env)
    if value:
        return value
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, keyring_user)
    except Exception:  # no usable keyring backend on this machine
        return None
