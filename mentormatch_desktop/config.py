"""Settings resolution: command-line flags > environment > user file > system file > defaults.

Two TOML files are read. The *system* file is deployed by an administrator in the
machine-wide config dir (``platformdirs.site_config_dir``: ``/etc/xdg/mentormatch`` on
Linux, ``C:\\ProgramData\\MentorMatch`` on Windows, ``/Library/Application
Support/mentormatch`` on macOS; ``$MENTORMATCH_SYSTEM_CONFIG`` overrides the path) and
presets the organisation's database::

    database_url = "postgresql+psycopg://db.example.org/mentoring"
    sslmode = "verify-full"        # added to a PostgreSQL URL that names none
    locked = ["database_url"]      # keys the user's own settings cannot change

A key the system file locks comes from the system file whatever the user file or the
environment says; only an explicit command-line flag (an admin's or a script's) still wins
(see docs/deployment.md, "Configuration on each computer").

The user's file lives in the user's config dir (``platformdirs``), e.g.
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
import copy
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "mentormatch"
DATABASE_URL_ENV = "MENTORMATCH_DATABASE_URL"
CONFIG_FILE_ENV = "MENTORMATCH_CONFIG"
SYSTEM_CONFIG_FILE_ENV = "MENTORMATCH_SYSTEM_CONFIG"
LOCKABLE_KEYS = ("database_url", "theme")
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


def system_config_file() -> Path:
    """The administrator's machine-wide file (read after the user's own)."""
    override = os.environ.get(SYSTEM_CONFIG_FILE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.site_config_dir(APP_NAME)) / "config.toml"


def default_database_url() -> str:
    """The embedded SQLite database in the user's data dir."""
    return f"sqlite:///{data_dir() / 'mentormatch.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    theme: str = "system"
    # Where database_url came from: "flag", "environment", "user", "system" or "default".
    database_source: str = "default"
    # The administrator's file exists (the first-run chooser is skipped: sign in directly).
    has_system_config: bool = False
    # The administrator locked the database: the user may not pick another one.
    database_locked: bool = False

    @property
    def is_embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


class ConfigError(ValueError):
    """The config file cannot be used; the message names the file and the problem."""


#: The last text parsed from each config file, and what it parsed to.
_parsed: dict[Path, tuple[bytes, dict[str, Any]]] = {}
_parsed_lock = threading.Lock()


def _read_config_file(path: Path | None = None) -> dict[str, Any]:
    """The file's settings, read now (``{}`` when there is no file).

    Read on every call, so an edited file counts at once; parsed again only when its
    bytes changed. Parsing was most of the cost, and the outbox worker asks for a
    channel's settings for every e-mail. The cache is keyed on the content, not on
    ``(mtime, size)``: file times tick in jiffies on Linux (and seconds on some file
    systems), so an edit that keeps the size within one tick would go unseen. The caller
    gets its own copy to change as it likes.
    """
    path = config_file() if path is None else path
    try:
        with path.open("rb") as fh:
            text = fh.read()
    except (FileNotFoundError, NotADirectoryError):  # no file (or no folder) there
        return {}
    with _parsed_lock:
        cached = _parsed.get(path)
    if cached is None or cached[0] != text:
        try:
            cached = (text, tomllib.loads(text.decode("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        with _parsed_lock:
            _parsed[path] = cached
    return copy.deepcopy(cached[1])


def _system_values() -> tuple[dict[str, Any], set[str]] | None:
    """The system file's values and locked keys, or None when there is no system file."""
    path = system_config_file()
    if not path.exists():
        return None
    values = _read_config_file(path)
    locked = values.get("locked", [])
    if locked is True:
        locked = list(LOCKABLE_KEYS)
    if not isinstance(locked, list) or not all(isinstance(k, str) for k in locked):
        raise ConfigError(f"config file {path}: locked must be true or a list of keys")
    unknown = sorted(set(locked) - set(LOCKABLE_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {path}: cannot lock {', '.join(unknown)} "
            f"(lockable: {', '.join(LOCKABLE_KEYS)})"
        )
    if "database_url" in locked and not values.get("database_url"):
        raise ConfigError(f"config file {path}: locks database_url but does not set it")
    return values, set(locked)


def with_sslmode(url: str, sslmode: str | None) -> str:
    """``url`` with ``sslmode`` added when it is a PostgreSQL URL that names none."""
    if not sslmode or not url.startswith("postgresql") or "sslmode=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}sslmode={sslmode}"


def load_settings(database_url: str | None = None) -> Settings:
    """Resolve settings; ``database_url`` is the command-line flag.

    Precedence, highest first: the flag; a key the system file locks; the environment; the
    user's file; the system file; the default (the embedded demo database). The lock is a
    managed default, not a security boundary: logins and row-level security are.
    """
    user = _read_config_file()
    system = _system_values()
    system_values, locked = system if system is not None else ({}, set())
    candidates = (
        ("flag", database_url),
        ("environment", os.environ.get(DATABASE_URL_ENV)),
        ("user", user.get("database_url")),
        ("system", system_values.get("database_url")),
    )
    source, url = next(((s, str(v)) for s, v in candidates if v), ("default", ""))
    if "database_url" in locked and source != "flag":
        source, url = "system", str(system_values["database_url"])
    if not url:
        url = default_database_url()
    if source == "system":
        url = with_sslmode(url, system_values.get("sslmode"))
    theme_source = system_values if "theme" in locked else {**system_values, **user}
    return Settings(
        database_url=url,
        theme=str(theme_source.get("theme", "system")),
        database_source=source,
        has_system_config=system is not None,
        database_locked="database_url" in locked,
    )


def is_first_run() -> bool:
    """No user file and no system file: the app asks where to start (the chooser)."""
    return not config_file().exists() and not system_config_file().exists()


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value)  # a JSON string is a valid TOML basic string


def remember_database(url: str) -> Path:
    """Write ``url`` as ``database_url`` to the user's file (created 0600 in a 0700 folder),
    keeping the file's other lines. Never stores a password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.password is not None:
        # URL.set(password=None) keeps the password: None means "unchanged" there.
        url = parsed._replace(password=None).render_as_string(hide_password=False)
    path = config_file()
    private_dir(path.parent, tighten=False)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines = [ln for ln in lines if not re.match(r"\s*database_url\s*=", ln)]
    lines.insert(0, f"database_url = {_toml_string(url)}")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    if os.name == "posix":
        path.chmod(0o600)  # an existing file keeps its mode through os.open
    return path


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
