"""Settings resolution: command-line flags > environment > TOML file > defaults.

The TOML file lives in the user's config dir (``platformdirs``), e.g.
``~/.config/mentormatch/config.toml``::

    database_url = "postgresql+psycopg://alice@db.example.org/mentoring"
    theme = "system"

Passwords never go in that file: a PostgreSQL URL without a password gets it from the OS
keyring (service ``mentormatch``, user ``<user>@<host>``) when one is stored there.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "mentormatch"
DATABASE_URL_ENV = "MENTORMATCH_DATABASE_URL"
CONFIG_FILE_ENV = "MENTORMATCH_CONFIG"


def data_dir() -> Path:
    """Where the embedded database lives (created on demand)."""
    path = Path(os.environ.get("MENTORMATCH_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def load_settings(database_url: str | None = None) -> Settings:
    """Resolve settings; ``database_url`` is the command-line flag (highest precedence)."""
    file_values: dict[str, object] = {}
    path = config_file()
    if path.exists():
        with path.open("rb") as fh:
            file_values = tomllib.load(fh)
    url = (
        database_url
        or os.environ.get(DATABASE_URL_ENV)
        or str(file_values.get("database_url") or "")
        or default_database_url()
    )
    return Settings(database_url=url, theme=str(file_values.get("theme", "system")))
