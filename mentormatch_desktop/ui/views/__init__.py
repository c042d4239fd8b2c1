"""The screens of the main window, in navigation order.

A screen is a ``QWidget`` subclass constructed as ``View(context, parent=None)`` where
``context`` is the :class:`~mentormatch_desktop.ui.context.AppContext`. It may define
``activate()`` (called every time it becomes the visible screen: load data lazily there,
in a worker) and ``refresh()`` (called after the database reconnects). Deriving from
:class:`~mentormatch_desktop.ui.views.base.View` gives both plus a ``run()`` helper.

To add a screen, add one line to ``VIEWS``; ``roles`` says who sees it (the identity the
database reports: owner, coordinator, participant, analyst). The database enforces the
same limits whatever the navigation shows. ``person_roles`` adds roles that see it only when
signed in as a person: the Inbox for a coordinator who is someone (a PostgreSQL login mapped
to a person, ``--as EMAIL`` on SQLite), who has conversations of their own; the local
coordinator of an embedded database is nobody a message could reach. A screen whose module
is not present in this installation is left out of the navigation (no empty placeholders);
a screen that fails to import for any other reason is a bug and raises.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ViewSpec:
    key: str  # stable id: remembered as the last screen, used for screenshots and tests
    title: str  # navigation label
    icon: str  # name of an SVG in resources/icons
    target: str  # "package.module:ClassName"
    roles: tuple[str, ...] = ("owner", "coordinator")
    #: roles that see the screen only when the signed-in identity is a person
    person_roles: tuple[str, ...] = ()

    def shown_to(self, role: str, *, is_person: bool) -> bool:
        return role in self.roles or (is_person and role in self.person_roles)

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def load(self) -> type[QWidget]:
        module_name, _, class_name = self.target.partition(":")
        return getattr(importlib.import_module(module_name), class_name)


_PKG = "mentormatch_desktop.ui.views"

VIEWS: list[ViewSpec] = [
    ViewSpec("home", "Home", "home", f"{_PKG}.home:HomeView", roles=("participant",)),
    ViewSpec(
        "inbox",
        "Inbox",
        "inbox",
        f"{_PKG}.inbox:InboxView",
        roles=("participant",),
        person_roles=("coordinator",),
    ),
    ViewSpec("programs", "Programs", "programs", f"{_PKG}.programs:ProgramsView"),
    ViewSpec(
        "participants", "Participants", "participants", f"{_PKG}.participants:ParticipantsView"
    ),
    ViewSpec("matching", "Matching", "matching", f"{_PKG}.matching:MatchingView"),
    ViewSpec("mentorships", "Mentorships", "mentorships", f"{_PKG}.mentorships:MentorshipsView"),
    ViewSpec(
        "dashboard",
        "Dashboard",
        "dashboard",
        f"{_PKG}.dashboard:DashboardView",
        roles=("owner", "coordinator", "analyst"),
    ),
    ViewSpec(
        "my_profile",
        "My profile",
        "person",
        f"{_PKG}.my_profile:MyProfileView",
        roles=("participant",),
    ),
    ViewSpec(
        "schedule",
        "Schedule",
        "calendar",
        f"{_PKG}.schedule:ScheduleView",
        roles=("participant", "owner", "coordinator"),
    ),
    ViewSpec("plugins", "Plugins", "plugins", f"{_PKG}.plugins:PluginsView"),
]


def available_views(role: str = "coordinator", *, is_person: bool = False) -> list[ViewSpec]:
    """The registered screens for ``role`` (a person, or not: see ``person_roles``) whose
    modules exist in this installation."""
    found = []
    for spec in VIEWS:
        if not spec.shown_to(role, is_person=is_person):
            continue
        if spec.available():
            found.append(spec)
        else:
            log.info("screen %s not installed (%s); left out of navigation", spec.key, spec.module)
    return found
