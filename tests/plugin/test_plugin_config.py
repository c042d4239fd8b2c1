"""Plugins get their settings datasette-style: hooks receive the host, which has plugin_config."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mentormatch_desktop.config import ConfigError, plugin_config, plugin_env_prefix
from mentormatch_desktop.plugin.api import hookimpl
from mentormatch_desktop.plugin.host import PluginHost

# A third-party channel that registers itself only when configured, and says so otherwise.
CONFIGURED_CHANNEL = """
from mentormatch_desktop.plugin.api import DeliveryResult, hookimpl

class Webhook:
    name = "webhook"
    label = "Webhook"

    def __init__(self, url, timeout):
        self.url, self.timeout = url, timeout

    def deliver(self, delivery):
        return DeliveryResult(ok=True, detail=self.url)

@hookimpl
def register_messaging_channels(host):
    settings = host.plugin_config("mm_webhook")
    if "url" not in settings:
        return []
    return [Webhook(settings["url"], float(settings.get("timeout", 10)))]

@hookimpl
def plugin_status(host):
    if "url" not in host.plugin_config("mm_webhook"):
        return "not configured: set [plugins.mm_webhook] url"
    return None
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file of this test's own, and no plugin variables from the outer environment."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MENTORMATCH_CONFIG", str(path))
    for key in [k for k in os.environ if k.startswith("MENTORMATCH_PLUGIN_")]:
        monkeypatch.delenv(key)
    return path


def test_file_table_gives_typed_settings_and_environment_overrides(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text(
        'database_url = "sqlite:///x.sqlite3"\n'
        "[plugins.mm_webhook]\n"
        'url = "https://file.example.org/hook"\n'
        "timeout = 7\n"
        "[plugins.other]\n"
        'url = "https://other.example.org"\n'
    )
    assert plugin_config("mm_webhook") == {"url": "https://file.example.org/hook", "timeout": 7}
    monkeypatch.setenv("MENTORMATCH_PLUGIN_MM_WEBHOOK_URL", "https://env.example.org/hook")
    monkeypatch.setenv("MENTORMATCH_PLUGIN_MM_WEBHOOK_RETRY_AFTER", "30")
    assert plugin_config("mm_webhook") == {
        "url": "https://env.example.org/hook",
        "timeout": 7,
        "retry_after": "30",
    }
    # another plugin's variables and table stay its own
    assert plugin_config("other") == {"url": "https://other.example.org"}
    assert plugin_config("unconfigured") == {}


def test_env_prefix_maps_any_entry_point_name_to_a_variable_name() -> None:
    assert plugin_env_prefix("chat-webhook.v2") == "MENTORMATCH_PLUGIN_CHAT_WEBHOOK_V2_"
    environ = {"MENTORMATCH_PLUGIN_CHAT_WEBHOOK_V2_URL": "u", "MENTORMATCH_PLUGIN_CHAT_X": "no"}
    assert plugin_config("chat-webhook.v2", environ=environ) == {"url": "u"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[plugins\n", "is not valid TOML"),
        ('plugins = "smtp"\n', "[plugins] must be a table"),
        ('[plugins]\nmm_webhook = "on"\n', "[plugins.mm_webhook] must be a table of settings"),
    ],
)
def test_a_broken_config_file_is_named_in_the_error(
    config_file: Path, text: str, message: str
) -> None:
    config_file.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as raised:
        plugin_config("mm_webhook")
    assert str(config_file) in str(raised.value)


def test_hooks_that_declare_host_receive_it_and_read_their_settings(
    make_plugin_dist, config_file: Path
) -> None:
    config_file.write_text('[plugins.mm_webhook]\nurl = "https://chat.example.org/x"\n')
    make_plugin_dist("mm-webhook", "1.0", "mm_webhook", CONFIGURED_CHANNEL)
    host = PluginHost(autoload=True).load()
    info = {i.name: i for i in host.plugins()}["mm_webhook"]
    assert info.status == "loaded", info.error
    assert info.note is None
    channel = host.messaging_channels()["webhook"]
    assert channel.url == "https://chat.example.org/x"


def test_an_unconfigured_plugin_registers_nothing_and_says_why(
    make_plugin_dist, config_file: Path
) -> None:
    make_plugin_dist("mm-webhook", "1.0", "mm_webhook", CONFIGURED_CHANNEL)
    host = PluginHost(autoload=True).load()
    info = {i.name: i for i in host.plugins()}["mm_webhook"]
    assert info.status == "loaded"
    assert info.note == "not configured: set [plugins.mm_webhook] url"
    assert "webhook" not in host.messaging_channels()


def test_settings_can_be_injected_and_hooks_without_host_still_work() -> None:
    seen: dict[str, object] = {}

    class Configured:
        @hookimpl
        def register_match_strategies(self, host):
            seen.update(host.plugin_config("configured"))
            return []

        @hookimpl
        def plugin_status(self):  # declares no arguments: pluggy and the host allow it
            return "no host needed"

    host = PluginHost(autoload=False, plugin_settings={"configured": {"k": 1}}.get)
    host.register(Configured(), "configured")
    host.load()
    assert seen == {"k": 1}
    assert host.plugin_config("missing") == {}
    info = {i.name: i for i in host.plugins()}["configured"]
    assert info.status == "loaded"
    assert info.note == "no host needed"


def test_a_plugin_whose_settings_are_wrong_is_disabled_with_the_reason(
    make_plugin_dist, config_file: Path
) -> None:
    config_file.write_text('[plugins.mm_webhook]\nurl = "u"\ntimeout = "soon"\n')
    make_plugin_dist("mm-webhook", "1.0", "mm_webhook", CONFIGURED_CHANNEL)
    host = PluginHost(autoload=True).load()
    info = {i.name: i for i in host.plugins()}["mm_webhook"]
    assert info.status == "failed"
    assert "could not convert string to float: 'soon'" in (info.error or "")


def test_an_edited_config_file_counts_at_once_even_with_the_same_size(config_file: Path) -> None:
    # The parsed file is cached (the outbox worker reads a channel's settings per e-mail),
    # keyed on the content: a rewrite of the same size within the same timestamp tick counts.
    config_file.write_text('[plugins.mm_webhook]\nurl = "https://a.example.org/hook"\n')
    assert plugin_config("mm_webhook")["url"] == "https://a.example.org/hook"
    stamp = config_file.stat()
    config_file.write_text('[plugins.mm_webhook]\nurl = "https://b.example.org/hook"\n')
    os.utime(config_file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same mtime, same size
    assert plugin_config("mm_webhook")["url"] == "https://b.example.org/hook"
    config_file.unlink()
    assert plugin_config("mm_webhook") == {}


def test_a_caller_changing_its_settings_does_not_change_the_next_callers(
    config_file: Path,
) -> None:
    config_file.write_text('[plugins.mm_webhook]\nheaders = ["a"]\n')
    first = plugin_config("mm_webhook")
    first["headers"].append("b")
    assert plugin_config("mm_webhook")["headers"] == ["a"]
