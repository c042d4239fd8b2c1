"""Loading plugins from entry points and the typed facade the core talks to.

The host iterates ``importlib.metadata`` entry points of the group ``mentormatch`` itself
(pluggy's own loader stops at the first broken plugin). Built-ins ship in the
``mentormatch-desktop`` distribution and are declared in its ``pyproject.toml`` like any
third-party plugin; the only difference is what happens when one fails: a broken built-in
is a bug and raises, a broken third-party plugin is disabled and reported.
"""

from __future__ import annotations

import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from mentormatch_desktop.config import plugin_config as configured_plugin_settings
from mentormatch_desktop.matching import contracts as matching_contracts
from mentormatch_desktop.plugin import contracts, folders, hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mentormatch"
BUILTIN_DISTRIBUTION = "mentormatch-desktop"
DISABLE_AUTOLOAD_ENV = "MENTORMATCH_DISABLE_PLUGIN_AUTOLOAD"

_REQUIRED_ATTRIBUTES: dict[str, tuple[type, tuple[str, ...]]] = {
    "register_match_criteria": (
        matching_contracts.MatchCriterion,
        ("name", "label", "description", "default_weight", "compute", "explain"),
    ),
    "register_match_strategies": (
        matching_contracts.MatchStrategy,
        ("name", "label", "description", "kinds", "solve"),
    ),
    "register_calendar_connectors": (
        contracts.CalendarConnector,
        (
            "name",
            "label",
            "busy_periods",
            "publish_event",
            "update_event",
            "cancel_event",
            "sync",
        ),
    ),
    "register_messaging_channels": (
        contracts.MessagingChannel,
        ("name", "label", "deliver"),
    ),
}

#: Methods a registered object may have; when it has one, it must be callable.
_OPTIONAL_METHODS: dict[str, tuple[str, ...]] = {
    "register_calendar_connectors": ("authorise",),  # contracts.InteractiveSignIn
}


class PluginError(RuntimeError):
    """A built-in plugin failed: that is a bug in MentorMatch, not something to hide."""


@dataclass
class PluginInfo:
    """What the plugins view and ``mentormatch plugins`` show for one plugin."""

    name: str
    source: str  # "built-in" or "third-party"
    distribution: str
    version: str
    module: str
    hooks: list[str] = field(default_factory=list)
    status: str = "loaded"  # "loaded" | "failed" | "blocked"
    error: str | None = None
    note: str | None = None  # from the plugin's ``plugin_status`` hook

    @property
    def builtin(self) -> bool:
        return self.source == "built-in"


class PluginHost:
    """Owns a pluggy ``PluginManager`` and exposes typed accessors for what plugins add.

    Create one per application (or per test); nothing here is global. Call :meth:`load`
    once; the ``register_*`` results are collected then and cached.

    Hooks that declare a ``host`` argument receive this object, datasette-style, and read
    their settings with :meth:`plugin_config`. ``plugin_settings`` replaces where those
    settings come from (tests, notebooks); by default they come from the config chain
    (:func:`mentormatch_desktop.config.plugin_config`).
    """

    def __init__(
        self,
        *,
        autoload: bool | None = None,
        plugin_settings: Callable[[str], Mapping[str, Any] | None] | None = None,
    ) -> None:
        self._plugin_settings = plugin_settings or configured_plugin_settings
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        if autoload is None:
            autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "") not in ("1", "true", "yes")
        self.autoload_third_party = autoload
        self._infos: dict[str, PluginInfo] = {}
        self._provided: dict[str, dict[str, tuple[str, Any]]] = {}
        self._loaded = False
        self._notes_collected = False
        # Workers may ask for strategies while the GUI thread is still loading: loading
        # happens once, under this lock, and everyone else waits for it.
        self._load_lock = threading.RLock()

    # ------------------------------------------------------------------ loading
    def load(self) -> PluginHost:
        """Discover and register every plugin from entry points, then collect what they add.

        Safe to call from several threads and more than once: the first call loads, the
        others wait for it and return the loaded host.
        """
        with self._load_lock:
            if not self._loaded:
                self._load_all()
        return self

    def _load_all(self) -> None:
        if self.autoload_third_party:
            folders.activate_plugin_dirs()  # wheels an admin installed with pip --target
        seen: dict[int, tuple[str, str, bool]] = {}
        found = [
            (ep, *_distribution(ep, seen)) for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        ]
        found.sort(key=lambda item: (not item[3], item[0].name))  # built-ins first
        for ep, dist, version, builtin in found:
            if not builtin and not self.autoload_third_party:
                continue
            self._load_entry_point(ep, dist, version, builtin)
        self._collect()
        self._announce_started()
        self._loaded = True

    def _announce_started(self, only: str | None = None) -> None:
        """Call each plugin's ``mentormatch_started`` on its own: one that raises is
        disabled and reported like any failing hook (a built-in raises PluginError),
        instead of breaking every command and being blamed on whichever built-in pluggy
        happened to be calling. (Not pluggy's ``call_historic``: it stops at the first
        exception.) ``only`` announces to one late-registered plugin."""
        for impl in self.pm.hook.mentormatch_started.get_hookimpls():
            info = self._infos.get(impl.plugin_name)
            if info is None or info.status != "loaded" or only not in (None, info.name):
                continue
            try:
                impl.function(*[{"host": self}[a] for a in impl.argnames])
            except Exception as exc:
                self._fail(info, f"mentormatch_started raised {_describe(exc)}")

    def register(
        self,
        plugin: object,
        name: str,
        *,
        source: str = "third-party",
        distribution: str = "(registered in code)",
        version: str = "",
    ) -> None:
        """Register a plugin object directly (tests, notebooks); collected on :meth:`load`."""
        info = PluginInfo(name, source, distribution, version, getattr(plugin, "__name__", ""))
        self._register(plugin, info)
        if self._loaded:
            self._collect(only=name)
            self._announce_started(only=name)
        if self._notes_collected:
            self._collect_notes(only=name)

    def _load_entry_point(
        self, ep: metadata.EntryPoint, dist: str, version: str, builtin: bool
    ) -> None:
        info = PluginInfo(
            name=ep.name,
            source="built-in" if builtin else "third-party",
            distribution=dist,
            version=version,
            module=ep.value,
        )
        if ep.name in self._infos:
            self._fail(info, f"another plugin is already registered as {ep.name!r}")
            self._infos.setdefault(f"{ep.name} ({dist})", info)
            return
        try:
            plugin = ep.load()
        except Exception as exc:
            self._infos[ep.name] = info
            self._fail(info, _describe(exc))
            return
        self._register(plugin, info)

    def _register(self, plugin: object, info: PluginInfo) -> None:
        self._infos[info.name] = info
        try:
            self.pm.register(plugin, name=info.name)
            info.hooks = sorted(
                impl_name
                for impl_name, caller in vars(self.pm.hook).items()
                if not impl_name.startswith("_")
                and any(i.plugin is plugin for i in caller.get_hookimpls())
            )
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self._fail(info, _describe(exc))

    def _collect(self, only: str | None = None) -> None:
        for hook_name, (protocol, attrs) in _REQUIRED_ATTRIBUTES.items():
            bucket = self._provided.setdefault(hook_name, {})
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if only is not None and impl.plugin_name != only:
                    continue
                info = self._infos[impl.plugin_name]
                if info.status != "loaded":
                    continue
                try:
                    items = list(self._call_impl(impl) or [])
                    for item in items:
                        missing = [a for a in attrs if not hasattr(item, a)]
                        if missing:
                            raise TypeError(
                                f"{hook_name} returned {item!r}, which lacks {', '.join(missing)}"
                                f" required by {protocol.__name__}"
                            )
                        odd = [
                            a
                            for a in _OPTIONAL_METHODS.get(hook_name, ())
                            if hasattr(item, a) and not callable(getattr(item, a))
                        ]
                        if odd:
                            raise TypeError(
                                f"{hook_name} returned {item!r}, whose {', '.join(odd)}"
                                " is not a method"
                            )
                        if item.name in bucket and bucket[item.name][0] != info.name:
                            raise ValueError(
                                f"{item.name!r} is already provided by plugin "
                                f"{bucket[item.name][0]!r}"
                            )
                    for item in items:
                        bucket[item.name] = (info.name, item)
                except Exception as exc:
                    self._fail(info, _describe(exc))

    def _collect_notes(self, only: str | None = None) -> None:
        """Ask each loaded plugin for its ``plugin_status`` note (shown in the plugins view).

        Called when the plugin list is first read, not at load: a note may cost real work
        (the Slack channel asks the OS keyring whether a token is stored), and most
        commands never show the list.
        """
        for impl in self.pm.hook.plugin_status.get_hookimpls():
            info = self._infos.get(impl.plugin_name)
            if info is None or info.status != "loaded" or only not in (None, info.name):
                continue
            try:
                note = self._call_impl(impl)
                info.note = str(note) if note else None
            except Exception as exc:
                self._fail(info, _describe(exc))

    def _fail(self, info: PluginInfo, reason: str) -> None:
        info.status = "failed"
        info.error = reason
        for bucket in self._provided.values():
            for key in [k for k, (owner, _) in bucket.items() if owner == info.name]:
                del bucket[key]
        plugin = self.pm.get_plugin(info.name)
        if plugin is not None:
            self.pm.unregister(plugin)
        if info.builtin:
            raise PluginError(f"built-in plugin {info.name!r} failed: {reason}")
        log.warning("plugin %s (%s) disabled: %s", info.name, info.distribution, reason)

    # ------------------------------------------------------------------ settings
    def plugin_config(self, name: str) -> dict[str, Any]:
        """The settings of the plugin registered as ``name`` (its entry-point name).

        Read fresh on every call from the ``[plugins.NAME]`` table of the config file and
        ``MENTORMATCH_PLUGIN_<NAME>_<KEY>`` environment variables (environment wins), so a
        plugin that reads its settings when it needs them sees an edited file without a
        restart. An unconfigured plugin gets ``{}``; the dict is the caller's to modify.
        """
        return dict(self._plugin_settings(name) or {})

    def _call_impl(self, impl: pluggy.HookImpl) -> Any:
        """Call one hook implementation with the subset of arguments it declares.

        pluggy lets an implementation accept fewer arguments than its spec; the host calls
        implementations one at a time (so one failure is isolated) and must do the same.
        """
        available = {"host": self}
        return impl.function(*(available[name] for name in impl.argnames))

    # ---------------------------------------------------------------- accessors
    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen, loaded or failed, built-ins first, with their status notes.

        The first call asks each plugin's ``plugin_status`` for its note; a plugin whose
        hook raises is disabled then (a built-in raises :class:`PluginError`).
        """
        with self._load_lock:
            if self._loaded and not self._notes_collected:
                self._notes_collected = True
                self._collect_notes()
        return sorted(self._infos.values(), key=lambda i: (not i.builtin, i.name))

    def _items(self, hook_name: str) -> dict[str, Any]:
        self.load()
        return {name: item for name, (_, item) in self._provided.get(hook_name, {}).items()}

    def criteria(self) -> dict[str, matching_contracts.MatchCriterion]:
        return self._items("register_match_criteria")

    def strategies(self) -> dict[str, matching_contracts.MatchStrategy]:
        return self._items("register_match_strategies")

    def calendar_connectors(self) -> dict[str, contracts.CalendarConnector]:
        return self._items("register_calendar_connectors")

    def messaging_channels(self) -> dict[str, contracts.MessagingChannel]:
        return self._items("register_messaging_channels")

    def strategy(self, name: str) -> matching_contracts.MatchStrategy:
        strategies = self.strategies()
        if name not in strategies:
            known = ", ".join(sorted(strategies)) or "none"
            raise KeyError(f"no matching strategy named {name!r} (available: {known})")
        return strategies[name]

    def owner_of(self, hook_name: str, item_name: str) -> PluginInfo | None:
        """The plugin that provided ``item_name`` through ``hook_name``."""
        entry = self._provided.get(hook_name, {}).get(item_name)
        return self._infos[entry[0]] if entry else None

    @contextmanager
    def guard(self, hook_name: str, item_name: str) -> Iterator[None]:
        """Run plugin code; if a third-party plugin raises, disable it and re-raise.

        The caller (a service) turns the exception into a message for the user; the plugin
        stays disabled for the rest of the session and the plugins view says why.
        """
        try:
            yield
        except Exception as exc:
            info = self.owner_of(hook_name, item_name)
            if info is not None and not info.builtin:
                self._fail(info, _describe(exc))
            raise

    def call_safely(
        self, hook_name: str, item_name: str, fn: Callable[..., Any], *a: Any, **k: Any
    ) -> Any:
        """Call ``fn`` under :meth:`guard`."""
        with self.guard(hook_name, item_name):
            return fn(*a, **k)


_default_host: PluginHost | None = None
_default_lock = threading.Lock()


def default_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use and shared from then on.

    The CLI, the desktop app and the workbench hand this one host down to every unit of
    work, so a third-party plugin disabled after a failure stays disabled for the whole
    process (a fresh host would load it again). Tests that need isolation build their own
    ``PluginHost().load()`` and pass it explicitly.
    """
    global _default_host
    with _default_lock:
        if _default_host is None:
            _default_host = PluginHost()
        host = _default_host
    return host.load()


def _describe(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _distribution(
    ep: metadata.EntryPoint, seen: dict[int, tuple[str, str, bool]]
) -> tuple[str, str, bool]:
    """(distribution name, version, built-in?) of an entry point, reading its metadata once.

    ``Distribution.name`` and ``.version`` each parse the whole METADATA file again, and
    the built-ins are thirteen entry points of one distribution: a cache per distribution
    object (entry points of one distribution share it, and outlive ``seen``) saves that
    on every start-up.
    """
    if ep.dist is None:
        return "unknown", "?", False
    if id(ep.dist) not in seen:
        meta = ep.dist.metadata
        name, version = meta["Name"] or "unknown", meta["Version"] or "?"
        seen[id(ep.dist)] = (name, version, _normalise(name) == _normalise(BUILTIN_DISTRIBUTION))
    return seen[id(ep.dist)]
