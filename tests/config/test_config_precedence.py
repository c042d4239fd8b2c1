"""Which database the app opens: flag > environment > user file > system file > default,
except a key the administrator's system file locks (pure: no Qt, no database)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from mentormatch_desktop import config
from mentormatch_desktop.config import (
    ConfigError,
    is_first_run,
    load_settings,
    remember_database,
    system_config_file,
)

SYSTEM_URL = "postgresql+psycopg://db.example.org/mentoring"
USER_URL = "sqlite:////home/alice/own.sqlite3"
ENV_URL = "sqlite:////srv/env.sqlite3"
FLAG_URL = "sqlite:////tmp/flag.sqlite3"


@pytest.fixture(autouse=True)
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    paths = {"user": tmp_path / "user" / "config.toml", "system": tmp_path / "etc" / "config.toml"}
    monkeypatch.setenv(config.CONFIG_FILE_ENV, str(paths["user"]))
    monkeypatch.setenv(config.SYSTEM_CONFIG_FILE_ENV, str(paths["system"]))
    monkeypatch.setenv("MENTORMATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(config.DATABASE_URL_ENV, raising=False)
    return paths


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_nothing_configured_is_the_embedded_demo_and_a_first_run() -> None:
    settings = load_settings()
    assert settings.database_url == config.default_database_url()
    assert settings.database_source == "default" and not settings.has_system_config
    assert is_first_run()


def test_system_file_presets_the_server_with_its_tls_mode(files) -> None:
    write(files["system"], f'database_url = "{SYSTEM_URL}"\nsslmode = "verify-full"\n')
    settings = load_settings()
    assert settings.database_url == SYSTEM_URL + "?sslmode=verify-full"
    assert settings.database_source == "system" and settings.has_system_config
    assert not settings.database_locked
    assert not is_first_run()


def test_user_file_then_environment_then_flag_override_an_unlocked_system_file(
    files, monkeypatch
) -> None:
    write(files["system"], f'database_url = "{SYSTEM_URL}"\ntheme = "dark"\n')
    write(files["user"], f'database_url = "{USER_URL}"\n')
    settings = load_settings()
    assert (settings.database_url, settings.database_source) == (USER_URL, "user")
    assert settings.theme == "dark"  # the system file's value for a key the user left alone
    monkeypatch.setenv(config.DATABASE_URL_ENV, ENV_URL)
    assert load_settings().database_url == ENV_URL
    assert load_settings(FLAG_URL).database_url == FLAG_URL


def test_a_locked_key_comes_from_the_system_file_whatever_the_user_says(files, monkeypatch) -> None:
    write(
        files["system"],
        f'database_url = "{SYSTEM_URL}?sslmode=require"\nsslmode = "verify-full"\n'
        'theme = "light"\nlocked = ["database_url"]\n',
    )
    write(files["user"], f'database_url = "{USER_URL}"\ntheme = "dark"\n')
    monkeypatch.setenv(config.DATABASE_URL_ENV, ENV_URL)
    settings = load_settings()
    assert settings.database_url == SYSTEM_URL + "?sslmode=require"  # its own mode kept
    assert settings.database_locked and settings.database_source == "system"
    assert settings.theme == "dark"  # not locked: the user's choice
    # An explicit flag (an admin's `mentormatch db upgrade --database …`) still wins.
    assert load_settings(FLAG_URL).database_url == FLAG_URL


def test_locked_true_locks_every_lockable_key(files) -> None:
    write(files["system"], f'database_url = "{SYSTEM_URL}"\ntheme = "light"\nlocked = true\n')
    write(files["user"], 'theme = "dark"\n')
    settings = load_settings()
    assert settings.theme == "light" and settings.database_locked


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('locked = ["password"]', "cannot lock password"),
        ('locked = "database_url"', "locked must be true or a list"),
        ('locked = ["database_url"]', "locks database_url but does not set it"),
        ("database_url = ", "not valid TOML"),
    ],
)
def test_a_broken_system_file_is_named_in_the_error(files, text: str, message: str) -> None:
    write(files["system"], text + "\n")
    with pytest.raises(ConfigError, match=message) as raised:
        load_settings()
    assert str(files["system"]) in str(raised.value)


def test_remember_database_keeps_other_settings_and_never_the_password(files) -> None:
    write(
        files["user"],
        'theme = "dark"\ndatabase_url = "sqlite:///old"\n\n[plugins.smtp]\nport = 587\n',
    )
    remember_database("postgresql+psycopg://alice:s3cret@db.example.org/mentoring?sslmode=require")
    text = files["user"].read_text()
    assert "s3cret" not in text
    values = tomllib.loads(text)
    assert values["database_url"] == (
        "postgresql+psycopg://alice@db.example.org/mentoring?sslmode=require"
    )
    assert values["theme"] == "dark" and values["plugins"]["smtp"]["port"] == 587
    assert stat.S_IMODE(files["user"].stat().st_mode) == 0o600
    assert load_settings().database_source == "user"


def test_the_default_system_path_is_platformdirs_site_config_dir(monkeypatch) -> None:
    import platformdirs

    monkeypatch.delenv(config.SYSTEM_CONFIG_FILE_ENV)
    expected = Path(platformdirs.site_config_dir("mentormatch")) / "config.toml"
    assert system_config_file() == expected
