"""Mentorship-level metrics derived from the facts frame (pure polars, no database).

Each function takes the frame built by :func:`~mentormatch_desktop.analytics.facts.
mentorship_facts` and the reference instant, so the dashboard computes facts once and
derives every panel from them.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from mentormatch_desktop.domain.activity import RISK_DAYS
from mentormatch_desktop.domain.enums import MentorshipStatus

ACTIVE = MentorshipStatus.ACTIVE.value
PAUSED = MentorshipStatus.PAUSED.value
COMPLETED = MentorshipStatus.COMPLETED.value
ENDED_EARLY = MentorshipStatus.ENDED_EARLY.value
DAY_US = 86_400_000_000


def _days(expr: pl.Expr) -> pl.Expr:
    """A duration as fractional days."""
    return expr.dt.total_microseconds() / DAY_US


def status_as_of(facts: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Facts with ``status`` as it stood at ``as_of``: a pair that ended later was running."""
    ended_later = pl.col("ended_at").is_not_null() & (pl.col("ended_at") > pl.lit(as_of))
    return facts.with_columns(
        status=pl.when(ended_later).then(pl.lit(ACTIVE)).otherwise(pl.col("status")),
        ended_at=pl.when(ended_later).then(None).otherwise(pl.col("ended_at")),
    )


def with_risk(frame: pl.DataFrame, as_of: datetime, days: int = RISK_DAYS) -> pl.DataFrame:
    """The one at-risk rule (see :mod:`mentormatch_desktop.domain.activity`), as columns.

    ``frame`` needs ``status``, ``started_at``, ``last_activity_at`` and
    ``milestones_overdue``. Adds ``days_silent`` (whole days since the last session or
    message, or since the start; running pairs only) and ``risk_reason`` (null when the
    pair is not at risk). The Mentorships screen and the dashboard both call this.
    """
    silent = _days(pl.lit(as_of) - pl.coalesce("last_activity_at", "started_at"))
    running = pl.col("status").is_in([ACTIVE, PAUSED])
    frame = frame.with_columns(
        days_silent=pl.when(running).then(silent.floor().cast(pl.Int64).clip(lower_bound=0))
    )
    active = pl.col("status") == ACTIVE
    reason_silent = pl.when(active & (pl.col("days_silent") > days)).then(
        pl.format("no session or message for {} days", pl.col("days_silent"))
    )
    reason_overdue = pl.when(active & (pl.col("milestones_overdue") > 0)).then(
        pl.format(
            "{} overdue milestone{}",
            pl.col("milestones_overdue"),
            pl.when(pl.col("milestones_overdue") == 1).then(pl.lit("")).otherwise(pl.lit("s")),
        )
    )
    reason = pl.concat_str([reason_silent, reason_overdue], separator="; ", ignore_nulls=True)
    return frame.with_columns(
        risk_reason=pl.when(reason_silent.is_not_null() | reason_overdue.is_not_null()).then(reason)
    )


def at_risk(facts: pl.DataFrame, as_of: datetime, days: int = RISK_DAYS) -> pl.DataFrame:
    """Active mentorships silent for more than ``days`` or with overdue milestones.

    Silence is measured from the last session or message, or from the start when the pair
    never had either (:func:`with_risk`). Sorted with the longest silence first, then the
    most overdue milestones; pairs alike in both (common: whole days) go by program,
    mentor, mentee and id, so the list and the report's table keep one order.
    """
    frame = with_risk(facts, as_of, days).filter(pl.col("risk_reason").is_not_null())
    return frame.select(
        "mentorship_id",
        "program",
        "cohort",
        "department",
        "mentor",
        "mentee",
        "started_at",
        "last_activity_at",
        "days_silent",
        "milestones_overdue",
        reason=pl.col("risk_reason"),
    ).sort(
        ["days_silent", "milestones_overdue", "program", "mentor", "mentee", "mentorship_id"],
        descending=[True, True, False, False, False, False],
        nulls_last=True,
    )


def completion(facts: pl.DataFrame, by: str | None = "program") -> pl.DataFrame:
    """Completion and early-ending rates among mentorships that have ended.

    ``completion_rate`` = completed / ended and ``early_end_rate`` = ended early / ended;
    running pairs are counted (``running``) but are in neither rate's denominator.
    One row per group, in the order of the group's name (no group first).
    """
    keys = [by] if by else []
    frame = facts if by else facts.with_columns(pl.lit("all").alias("_all"))
    keys = keys or ["_all"]
    out = frame.group_by(keys).agg(
        mentorships=pl.len(),
        running=(pl.col("status").is_in([ACTIVE, MentorshipStatus.PAUSED.value])).sum(),
        completed=(pl.col("status") == COMPLETED).sum(),
        ended_early=(pl.col("status") == ENDED_EARLY).sum(),
    )
    ended = pl.col("completed") + pl.col("ended_early")
    out = out.with_columns(
        completion_rate=pl.when(ended > 0).then(pl.col("completed") / ended),
        early_end_rate=pl.when(ended > 0).then(pl.col("ended_early") / ended),
    ).sort(keys)
    return out.drop("_all") if not by else out


def time_to_match(facts: pl.DataFrame) -> pl.DataFrame:
    """Per mentorship: days from enrolment to match, and from match to first session."""
    return facts.select(
        "mentorship_id",
        "program",
        "cohort",
        "department",
        days_to_match=_days(pl.col("started_at") - pl.col("enrolled_at")),
        days_to_first_session=_days(pl.col("first_session_at") - pl.col("started_at")),
    )


#: How many equal-count score bands the dashboard cuts scored pairs into.
SCORE_BANDS = 5


def score_bands(facts: pl.DataFrame, bins: int = SCORE_BANDS) -> pl.DataFrame:
    """The scored mentorships of ``facts``, each with its ``band`` (1 = lowest scores).

    One function for the chart and its click-through: selecting a band by its score range
    listed the pairs of both neighbouring bands whose score equals the shared boundary.
    """
    scored = facts.filter(pl.col("match_score").is_not_null())
    n = scored.height
    if n == 0:
        return scored.with_columns(band=pl.lit(None, dtype=pl.Int64))
    return scored.sort("match_score", "mentorship_id").with_columns(
        band=(pl.int_range(pl.len(), dtype=pl.Int64) * min(bins, n) // n) + 1
    )


def score_vs_outcome(facts: pl.DataFrame, bins: int = SCORE_BANDS) -> pl.DataFrame:
    """Do higher-scored pairs meet more, rate higher and complete more often?

    Mentorships with a match score are split into ``bins`` equal-count score bands; each
    band reports its score range, mean sessions held, mean rating and completion rate
    (among ended pairs). With fewer scored pairs than bins, there are fewer bands.

    Pairs are ranked by score, equal scores by mentorship id, before they are cut into
    bands: a rank by row position would let a tied pair change band (and every band's
    means) whenever the facts arrive in another order.
    """
    ranked = score_bands(facts, bins)
    schema = {
        "band": pl.Int64,
        "score_min": pl.Float64,
        "score_max": pl.Float64,
        "mentorships": pl.UInt32,
        "mean_sessions": pl.Float64,
        "mean_rating": pl.Float64,
        "completion_rate": pl.Float64,
    }
    if ranked.is_empty():
        return pl.DataFrame(schema=schema)
    ended = pl.col("status").is_in([COMPLETED, ENDED_EARLY])
    out = (
        ranked.group_by("band")
        .agg(
            score_min=pl.col("match_score").min(),
            score_max=pl.col("match_score").max(),
            mentorships=pl.len(),
            mean_sessions=pl.col("sessions_held").mean(),
            mean_rating=pl.col("mean_rating").mean(),
            _completed=(pl.col("status") == COMPLETED).sum(),
            _ended=ended.sum(),
        )
        .with_columns(
            completion_rate=pl.when(pl.col("_ended") > 0).then(
                pl.col("_completed") / pl.col("_ended")
            )
        )
        .drop("_completed", "_ended")
        .sort("band")
    )
    return out.cast(schema)  # type: ignore[arg-type]
