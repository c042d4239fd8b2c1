"""Recompute pair features from a database and line them up with what happened.

This is how tests (and anyone curious) check that the hidden relation documented in
``docs/demo-data.md`` is present in stored data: the features are derived only from the
stored profiles (skills, availability, time zones) with :func:`pair_features`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mentormatch_desktop.demo.features import Profile, pair_features
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Feedback,
    Meeting,
    Mentorship,
    Person,
    PersonSkill,
)


def load_profiles(conn: Connection, person_ids: set[int] | None = None) -> dict[int, Profile]:
    """Profiles of the given people (all people when ``None``)."""
    zones = dict(conn.execute(sa.select(Person.id, Person.time_zone)).all())
    wanted = set(zones) if person_ids is None else person_ids
    slots: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for pid, weekday, start, end in conn.execute(
        sa.select(
            AvailabilitySlot.person_id,
            AvailabilitySlot.weekday,
            AvailabilitySlot.start_minute,
            AvailabilitySlot.end_minute,
        )
    ):
        if pid in wanted:
            slots[pid].append((weekday, start, end))
    teach: dict[int, dict[int, int]] = defaultdict(dict)
    learn: dict[int, dict[int, int]] = defaultdict(dict)
    for pid, skill, direction, level in conn.execute(
        sa.select(
            PersonSkill.person_id, PersonSkill.skill_id, PersonSkill.direction, PersonSkill.level
        )
    ):
        if pid in wanted:
            (teach if str(direction) == "teach" else learn)[pid][skill] = level
    return {
        pid: Profile(zones[pid], tuple(slots[pid]), dict(teach[pid]), dict(learn[pid]))
        for pid in wanted
    }


def mentorship_outcomes(conn: Connection, at: datetime) -> pd.DataFrame:
    """One row per mentorship: recomputed features next to sessions, ratings and endings.

    ``at`` is the reference instant for UTC offsets (the demo's "now").
    """
    pairs = conn.execute(
        sa.select(
            Mentorship.id,
            Mentorship.program_id,
            Mentorship.mentor_id,
            Mentorship.mentee_id,
            Mentorship.status,
            Mentorship.started_at,
            Mentorship.ended_at,
        )
    ).all()
    held = dict(
        conn.execute(
            sa.select(Meeting.mentorship_id, sa.func.count())
            .where(Meeting.status == "held")
            .group_by(Meeting.mentorship_id)
        ).all()
    )
    ratings = dict(
        conn.execute(
            sa.select(Feedback.mentorship_id, sa.func.avg(Feedback.rating)).group_by(
                Feedback.mentorship_id
            )
        ).all()
    )
    profiles = load_profiles(conn, {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs})
    rows = []
    for p in pairs:
        f = pair_features(profiles[p.mentee_id], profiles[p.mentor_id], at)
        until = p.ended_at or at
        days = max((until - p.started_at).total_seconds() / 86400.0, 1.0)
        sessions = int(held.get(p.id, 0))
        rows.append(
            {
                "mentorship_id": p.id,
                "program_id": p.program_id,
                "status": str(p.status),
                "skill_fit": f.skill_fit,
                "common_hours": f.common_hours,
                "tz_gap_hours": f.tz_gap_hours,
                "sessions_held": sessions,
                "days": days,
                "held_per_30_days": sessions * 30.0 / days,
                "mean_rating": float(ratings[p.id]) if p.id in ratings else None,
                "ended_early": str(p.status) == "ended_early",
            }
        )
    return pd.DataFrame(rows)
