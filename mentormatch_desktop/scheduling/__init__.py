"""Scheduling: availability in each person's zone, common free slots, recurrence, ICS.

Qt-free and database-free: services read the rows and hand plain values in. The grid is
15-minute UTC slots; see :mod:`.zones` for why local times never go wrong across DST.
"""

from mentormatch_desktop.scheduling.availability import (
    DateException,
    PersonAvailability,
    WeeklyWindow,
    WorkingHours,
)
from mentormatch_desktop.scheduling.grid import Horizon
from mentormatch_desktop.scheduling.slots import LocalView, Slot, SlotFinder
from mentormatch_desktop.scheduling.zones import LocalStatus, resolve_local

__all__ = [
    "DateException",
    "Horizon",
    "LocalStatus",
    "LocalView",
    "PersonAvailability",
    "Slot",
    "SlotFinder",
    "WeeklyWindow",
    "WorkingHours",
    "resolve_local",
]
