"""Issue 11: a plugin whose ``mentormatch_started`` raises is disabled, not fatal."""

from __future__ import annotations

from typing import ClassVar

import pytest

from mentormatch_desktop.plugin.hookspecs import hookimpl
from mentormatch_desktop.plugin.host import PluginError, PluginHost


class Grumpy:
    @hookimpl
    def mentormatch_started(self, host):
        raise RuntimeError("no config file")


class Polite:
    seen: ClassVar[list[object]] = []

    @hookimpl
    def mentormatch_started(self, host):
        Polite.seen.append(host)


def test_a_raising_started_hook_disables_only_its_plugin() -> None:
    host = PluginHost(autoload=False)
    host.register(Grumpy(), "grumpy")
    host.register(Polite(), "polite")
    host.load()
    infos = {i.name: i for i in host.plugins()}
    assert infos["grumpy"].status == "failed"
    assert "mentormatch_started raised RuntimeError: no config file" in infos["grumpy"].error
    assert infos["polite"].status == "loaded" and Polite.seen[-1] is host
    assert all(i.status == "loaded" for i in infos.values() if i.builtin)
    assert "optimizer" in host.strategies() and host.criteria()


def test_a_late_plugin_hears_started_once_and_may_fail() -> None:
    host = PluginHost(autoload=False).load()
    before = len(Polite.seen)
    host.register(Polite(), "late")
    assert len(Polite.seen) == before + 1
    host.register(Grumpy(), "late-grumpy")
    assert {i.name: i.status for i in host.plugins()}["late-grumpy"] == "failed"


def test_a_built_in_that_raises_is_still_a_bug() -> None:
    host = PluginHost(autoload=False)
    host.register(Grumpy(), "grumpy-builtin", source="built-in")
    with pytest.raises(PluginError, match="built-in plugin 'grumpy-builtin' failed"):
        host.load()
