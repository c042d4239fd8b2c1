"""Plugins are discovered through entry points; broken third-party ones are disabled, not fatal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mentormatch_desktop import hookimpl
from mentormatch_desktop.plugin.host import PluginError, PluginHost

GOOD_PLUGIN = """
from mentormatch_desktop import hookimpl

class RoundRobin:
    name = "round-robin"
    label = "Round robin"
    description = "Hands mentees to mentors in turn."
    kinds = frozenset({"one_to_one"})

    def solve(self, problem, *, time_limit=None, progress=None, cancel=None):
        raise RuntimeError("not used in this test")

@hookimpl
def register_match_strategies():
    return [RoundRobin()]
"""

BROKEN_IMPORT = """
import a_module_that_does_not_exist
"""

RAISING_HOOK = """
from mentormatch_desktop import hookimpl

@hookimpl
def register_messaging_channels():
    raise ValueError("channel misconfigured")
"""

MISSHAPEN = """
from mentormatch_desktop import hookimpl

class NoSolve:
    name = "nosolve"
    label = "No solve"

@hookimpl
def register_match_strategies():
    return [NoSolve()]
"""


def test_third_party_distribution_is_discovered(make_plugin_dist) -> None:
    make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    host = PluginHost(autoload=True).load()
    info = {i.name: i for i in host.plugins()}["mm_roundrobin"]
    assert info.status == "loaded"
    assert info.source == "third-party"
    assert info.distribution == "mm-roundrobin"
    assert info.version == "1.2.3"
    assert info.hooks == ["register_match_strategies"]
    assert "round-robin" in host.strategies()
    assert host.owner_of("register_match_strategies", "round-robin") is info


def test_autoload_can_be_disabled(make_plugin_dist) -> None:
    make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    host = PluginHost(autoload=False).load()
    assert "mm_roundrobin" not in {i.name for i in host.plugins()}
    assert "round-robin" not in host.strategies()


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (BROKEN_IMPORT, "ModuleNotFoundError: No module named 'a_module_that_does_not_exist'"),
        (RAISING_HOOK, "ValueError: channel misconfigured"),
        (MISSHAPEN, "lacks description, kinds, solve"),
    ],
)
def test_broken_third_party_plugin_is_disabled_and_reported(
    make_plugin_dist, source: str, reason: str
) -> None:
    make_plugin_dist("mm-broken", "0.1", "mm_broken", source)
    make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    host = PluginHost(autoload=True).load()
    infos = {i.name: i for i in host.plugins()}
    assert infos["mm_broken"].status == "failed"
    assert reason in (infos["mm_broken"].error or "")
    # the others keep working
    assert infos["mm_roundrobin"].status == "loaded"
    assert "round-robin" in host.strategies()
    assert "nosolve" not in host.strategies()


def test_failing_builtin_is_a_bug_and_raises() -> None:
    class Broken:
        @hookimpl
        def register_match_criteria(self):
            raise RuntimeError("boom")

    host = PluginHost(autoload=False)
    host.register(Broken(), "broken-builtin", source="built-in")
    with pytest.raises(PluginError, match="built-in plugin 'broken-builtin' failed"):
        host.load()


def test_duplicate_strategy_name_disables_the_later_plugin(make_plugin_dist) -> None:
    make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    make_plugin_dist("mm-zcopy", "2.0", "mm_zcopy", GOOD_PLUGIN)
    host = PluginHost(autoload=True).load()
    infos = {i.name: i for i in host.plugins()}
    assert infos["mm_roundrobin"].status == "loaded"
    assert infos["mm_zcopy"].status == "failed"
    assert "already provided by plugin 'mm_roundrobin'" in (infos["mm_zcopy"].error or "")


def test_guard_disables_a_third_party_plugin_that_raises_at_run_time(make_plugin_dist) -> None:
    make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    host = PluginHost(autoload=True).load()
    strategy = host.strategy("round-robin")
    with pytest.raises(RuntimeError, match="not used"):
        host.call_safely("register_match_strategies", "round-robin", strategy.solve, None)
    info = {i.name: i for i in host.plugins()}["mm_roundrobin"]
    assert info.status == "failed"
    assert "round-robin" not in host.strategies()


def test_plugins_command_reports_loaded_and_failed(make_plugin_dist) -> None:
    site = make_plugin_dist("mm-roundrobin", "1.2.3", "mm_roundrobin", GOOD_PLUGIN)
    make_plugin_dist("mm-broken", "0.1", "mm_broken", BROKEN_IMPORT)
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("MENTORMATCH_DISABLE_PLUGIN_AUTOLOAD", None)
    out = subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "mm_roundrobin  [third-party: mm-roundrobin 1.2.3]  loaded" in out
    assert "mm_broken  [third-party: mm-broken 0.1]  failed" in out
    assert "reason: ModuleNotFoundError" in out


def test_concurrent_loads_load_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    host = PluginHost(autoload=False)
    with ThreadPoolExecutor(max_workers=8) as pool:
        hosts = list(pool.map(lambda _: host.load(), range(16)))
    assert all(h is host for h in hosts)
    infos = host.plugins()
    assert infos, "built-ins should be loaded"
    assert all(i.status == "loaded" for i in infos), [(i.name, i.error) for i in infos]
    assert len({i.name for i in infos}) == len(infos)
