"""Checks on the arguments of the metrics, shared by the CLI and the notebook workbench.

A metric given ``days=-5``, ``bins=0`` or ``freq="weekly"`` used to answer with zeros, an
empty frame or a polars traceback. Each check here raises :class:`MetricArgumentError` (a
``ValueError``) naming the argument, what it got and what it takes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

_FREQ = re.compile(r"^([1-9][0-9]{0,3})(d|w|mo|q|y)$")
COMPLETION_GROUPS = ("program", "cohort", "department")
ENGAGEMENT_GROUPS = ("program", "cohort", "department")
COVERAGE_GROUPS = ("department", "time_zone")


class MetricArgumentError(ValueError):
    """A metric argument outside what the metric takes; ``argument`` names it."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument
        self.message = message


def check_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | float):
        raise MetricArgumentError("days", f"must be a whole number of days, not {days!r}")
    if isinstance(days, float) and (math.isnan(days) or not days.is_integer()):
        raise MetricArgumentError("days", f"must be a whole number of days, not {days!r}")
    if days <= 0:
        raise MetricArgumentError("days", f"must be at least 1, not {days!r}")
    return int(days)


def check_bins(bins: object) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int) or bins <= 0 or bins > 100:
        raise MetricArgumentError("bins", f"must be a whole number from 1 to 100, not {bins!r}")
    return bins


def check_freq(freq: object) -> str:
    """A polars period: a count and a unit (``1d``, ``2w``, ``1mo``, ``1q``, ``1y``)."""
    if not isinstance(freq, str) or not _FREQ.match(freq):
        raise MetricArgumentError(
            "freq", f"{freq!r} is not a period; use a count and d, w, mo, q or y (1w, 1mo)"
        )
    return freq


def check_by(by: object, choices: Sequence[str], *, optional: bool) -> str | None:
    if by is None and optional:
        return None
    if by not in choices:
        allowed = ", ".join(choices) + (" or None" if optional else "")
        raise MetricArgumentError("by", f"cannot group by {by!r}; choose {allowed}")
    return str(by)
