"""Settings resolution: command-line flags > environment > TOML file > defaults.

The TOML file lives in the user's config dir (``platformdirs``), e.g.
``~/.config/mentormatch/config.toml``::

    database_url = "postgresql+psycopg://alice@db.example.org/mentoring"
    theme = "system"

    [plugins.smtp]            # settings of the plugin registered as "smtp"
    host = "mail.example.org"
    port = 587

Passwords never go in that file: a PostgreSQL URL without a password gets it from the OS
keyring (service ``mentormatch``, user ``<user>@<host>``) when one is stored there.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "mentormatch"
DATABASE_URL_ENV = "MENTORMATCH_DATABASE_URL"
CONFIG_FILE_ENV = "MENTORMATCH_CONFIG"
PLUGIN_ENV_PREFIX = "MENTORMATCH_PLUGIN_"


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """``path`` created (with its parents) readable by its owner only: 0700.

    The embedded database and the settings hold personal data; other accounts on the
    machine must not read them. With ``tighten`` an existing folder (ours) is made 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if tighten and path.stat().st_mode & 0o077:
        with contextlib.suppress(OSError):  # not ours to change: leave it
            path.chmod(0o700)
    return path


def data_dir() -> Path:
    """Where the embedded database lives (created on demand, 0700)."""
    override = os.environ.get("MENTORMATCH_DATA_DIR")
    if override:  # the user's choice of folder: created private, never changed
        return private_dir(Path(override), tighten=False)
    return private_dir(Path(platformdirs.user_data_dir(APP_NAME)))


def config_file() -> Path:
    override = os.environ.get(CONFIG_FILE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_database_url() -> str:
    """The embedded SQLite database in the user's data dir."""
    return f"sqlite:///{data_dir() / 'mentormatch.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    theme: str = "system"

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file and the problem."""


def _read_config_file() -> dict[str, Any]:
    path = config_file()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc


def load_settings(database_url: str | None = None) -> Settings:
    """Resolve settings; ``database_url`` is the command-line flag (highest precedence)."""
    file_values = _read_config_file()
    url = (
        database_url
        or os.environ.get(DATABASE_URL_ENV)
        or str(file_values.get("database_url") or "")
        or default_database_url()
    )
    return Settings(database_url=url, theme=str(file_values.get("theme", "system")))


def plugin_env_prefix(name: str) -> str:
    """``MENTORMATCH_PLUGIN_<NAME>_``: the plugin name upper-cased, other than A-Z/0-9 → ``_``."""
    return PLUGIN_ENV_PREFIX + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_"


def plugin_config(name: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Settings for the plugin registered as ``name``: config file, then environment.

    The file's ``[plugins.NAME]`` table gives typed values; an environment variable
    ``MENTORMATCH_PLUGIN_<NAME>_<KEY>`` sets (or overrides) the key ``key`` (lower-cased) as
    a string, so a deployment can configure a plugin without writing a file. Secrets
    belong in the OS keyring: a plugin stores a reference here, never the secret.
    """
    table = _read_config_file().get("plugins", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {config_file()}: [plugins] must be a table")
    values = table.get(name, {})
    if not isinstance(values, dict):
        raise ConfigError(
            f"config file {config_file()}: [plugins.{name}] must be a table of settings, "
            f"got {values!r}"
        )
    settings: dict[str, Any] = dict(values)
    prefix = plugin_env_prefix(name)
    for key, value in (os.environ if environ is None else environ).items():
        if key.startswith(prefix) and len(key) > len(prefix):
            settings[key[len(prefix) :].lower()] = value
    return settings
