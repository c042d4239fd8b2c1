"""Which mentorships are behind a number: the click-through of every dashboard chart.

Each function takes the :class:`~mentormatch_desktop.analytics.dashboard.DashboardData` a
chart was drawn from and the clicked category or bin, and returns mentorship ids, so the
list a coordinator opens always matches the bar they clicked. Pure polars, no Qt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from mentormatch_desktop.analytics.outcomes import ACTIVE, COMPLETED, ENDED_EARLY, score_bands
from mentormatch_desktop.analytics.participation import ACTIVE_MIN_SESSIONS
from mentormatch_desktop.domain.enums import MentorshipStatus

if TYPE_CHECKING:
    from mentormatch_desktop.analytics.dashboard import DashboardData

RUNNING = (ACTIVE, MentorshipStatus.PAUSED.value)


def _ids(frame: pl.DataFrame) -> list[int]:
    return frame["mentorship_id"].to_list()


def funnel_stage(data: DashboardData, stage: str) -> list[int]:
    """Mentorships that took their people to ``stage`` (enrolled/matched: all of them)."""
    held = pl.col("sessions_held")
    condition = {
        "first_session": held >= 1,
        "active": held >= ACTIVE_MIN_SESSIONS,
        "completed": (held >= ACTIVE_MIN_SESSIONS) & (pl.col("status") == COMPLETED),
    }.get(stage, pl.lit(True))
    return _ids(data.mentorships.filter(condition))


def rating(data: DashboardData, value: int) -> list[int]:
    """Mentorships whose mean rating rounds to ``value``."""
    return _ids(data.mentorships.filter(pl.col("mean_rating").round(0) == value))


def ended_in_program(data: DashboardData, program: str) -> list[int]:
    """The ended mentorships of ``program`` (the denominator of its completion rate)."""
    ended = pl.col("status").is_in([COMPLETED, ENDED_EARLY])
    return _ids(data.mentorships.filter((pl.col("program") == program) & ended))


def score_band(data: DashboardData, band: int) -> list[int]:
    """The scored mentorships of score band ``band``, cut as the chart cut them (a score
    range would also list the next band's pairs that share its boundary score)."""
    members = score_bands(data.mentorships).filter(pl.col("band") == band)["mentorship_id"]
    return _ids(data.mentorships.filter(pl.col("mentorship_id").is_in(members.implode())))


def department(data: DashboardData, name: str) -> list[int]:
    """Mentorships whose mentee is in department ``name``."""
    return _ids(data.mentorships.filter(pl.col("department") == name))


def time_zone(data: DashboardData, zone: str) -> list[int]:
    """Mentorships whose mentee lives in time zone ``zone``."""
    return _ids(data.mentorships.filter(pl.col("time_zone") == zone))


def mentor_load_bin(data: DashboardData, low: float, high: float) -> list[int]:
    """Running mentorships of the mentors whose load is in ``[low, high)``, in mentorship
    order like every other click-through (a plain join promises no row order)."""
    mentors = data.mentor_load.filter(pl.col("load") >= low, pl.col("load") < high)
    running = data.mentorships.filter(pl.col("status").is_in(RUNNING))
    return _ids(running.join(mentors.select("mentor_id", "program_id"),
                             on=["mentor_id", "program_id"], how="semi",
                             maintain_order="left"))  # fmt: skip


def days_bin(data: DashboardData, low: float, high: float) -> list[int]:
    """Mentorships that waited ``[low, high)`` days for their match or first session."""
    days = data.time_to_match
    hit = days.filter(
        pl.col("days_to_match").is_between(low, high, closed="left")
        | pl.col("days_to_first_session").is_between(low, high, closed="left")
    )
    return _ids(hit)


def running(data: DashboardData) -> list[int]:
    return _ids(data.mentorships.filter(pl.col("status") == ACTIVE))


def at_risk(data: DashboardData) -> list[int]:
    return _ids(data.at_risk)
