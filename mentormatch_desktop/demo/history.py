"""Six months of mentorship life: sessions, messages, milestones, feedback, goals, events.

Outcomes follow the hidden relation in :mod:`mentormatch_desktop.demo.relation`; see
``docs/demo-data.md``. Scalar draws use a seeded :class:`random.Random` (much faster than
numpy for one value at a time); both generators derive from the demo seed.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np

from mentormatch_desktop.demo import relation
from mentormatch_desktop.demo.conversations import ConversationsMixin
from mentormatch_desktop.demo.dataset import DemoDataset
from mentormatch_desktop.demo.people import Org
from mentormatch_desktop.demo.programs import PROGRAMS, Pair, ProgramContext
from mentormatch_desktop.demo.prose import Writer
from mentormatch_desktop.demo.recipe import Recipe

DAY = timedelta(days=1)
EVENT_COLUMNS = ("id", "person_id", "program_id", "mentorship_id", "kind", "occurred_at", "payload")


class HistoryBuilder(ConversationsMixin):
    def __init__(
        self,
        recipe: Recipe,
        org: Org,
        ctx: ProgramContext,
        ds: DemoDataset,
        rng: np.random.Generator,
        now: datetime,
    ) -> None:
        self.recipe, self.org, self.ctx, self.ds, self.now = recipe, org, ctx, ds, now
        self.rng = rng
        self.r = random.Random(int(rng.integers(2**31)))
        self.writer = Writer(recipe, rng)
        self.skill_names = [s.name for s in recipe.skills]
        t = ds.table
        self.mentorships = t(
            "mentorships",
            (
                "id",
                "program_id",
                "mentor_id",
                "mentee_id",
                "proposal_id",
                "group_key",
                "status",
                "match_score",
                "started_at",
                "ended_at",
                "end_reason",
                "ended_by_id",
                "created_at",
            ),
        )
        self.goals = t(
            "goals",
            (
                "id",
                "person_id",
                "mentorship_id",
                "title",
                "description",
                "status",
                "target_date",
                "achieved_at",
                "created_at",
            ),
        )
        self.milestones = t(
            "milestones",
            (
                "id",
                "mentorship_id",
                "owner_id",
                "goal_id",
                "title",
                "description",
                "due_on",
                "completed_at",
                "created_at",
            ),
        )
        self.meetings = t(
            "meetings",
            (
                "id",
                "mentorship_id",
                "organiser_id",
                "starts_at",
                "ends_at",
                "time_zone",
                "status",
                "location",
                "agenda",
                "notes",
                "rrule",
                "series_uid",
                "external_refs",
                "created_at",
            ),
        )
        self.feedback = t(
            "feedback",
            ("id", "mentorship_id", "meeting_id", "author_id", "rating", "comment", "created_at"),
        )
        self.threads = t(
            "threads",
            (
                "id",
                "subject",
                "mentorship_id",
                "program_id",
                "created_by_id",
                "created_at",
                "last_message_at",
            ),
        )
        self.members = t(
            "thread_participants", ("thread_id", "person_id", "joined_at", "last_read_at", "muted")
        )
        self.messages = t(
            "messages", ("id", "thread_id", "sender_id", "kind", "body", "created_at", "edited_at")
        )
        self.deliveries = t(
            "message_deliveries",
            (
                "id",
                "message_id",
                "recipient_id",
                "channel",
                "idempotency_key",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "sent_at",
                "created_at",
            ),
        )
        self.events = t("engagement_events", EVENT_COLUMNS)
        self.audit = ds.tables["audit_log"]
        self.goal_of: dict[int, list[int]] = {}  # person index → goal ids

    def event(
        self,
        person: int,
        program: int | None,
        mentorship: int | None,
        kind: str,
        at: datetime,
        payload: dict[str, object] | None = None,
    ) -> None:
        self.events.add(self.events.next_id(), person + 1, program, mentorship, kind, at, payload)

    # ---- entry point ----------------------------------------------------------------------
    def build(self) -> None:
        latest_pair: dict[int, Pair] = {}
        for pair in self.ctx.pairs:
            latest_pair[pair.mentee] = pair
        self._goals(latest_pair)
        pairs = self.ctx.pairs
        eps = self.rng.normal(0.0, relation.NOISE_SD, len(pairs))
        early = self._early_endings(pairs)
        for pair, e, ends_early in zip(pairs, eps, early, strict=True):
            self._mentorship(pair, float(e), bool(ends_early))
        self._logins()
        # Ids follow time, like an append-only log; also keeps index inserts local.
        ordered = sorted(self.events.rows, key=lambda row: row[5])
        self.events.rows = [(k, *row[1:]) for k, row in enumerate(ordered, start=1)]

    def _early_endings(self, pairs: list[Pair]) -> np.ndarray:
        """Which pairs end early (the relation's probability); at least one in any demo, so
        small demos still show the case."""
        if not pairs:
            return np.zeros(0, dtype=bool)
        gap = np.array([p.gap for p in pairs])
        fit = np.array([p.fit for p in pairs])
        effect = np.array([PROGRAMS[p.program].end_effect for p in pairs])
        eligible = np.array([min(p.planned_end, self.now) - p.start > 20 * DAY for p in pairs])
        p_early = relation.early_end_probability(gap, fit, effect) * eligible
        early = self.rng.random(len(pairs)) < p_early
        if not early.any() and eligible.any():
            early[int(np.argmax(p_early))] = True
        return early

    # ---- goals ----------------------------------------------------------------------------
    def _goals(self, latest_pair: dict[int, Pair]) -> None:
        learners: dict[int, datetime] = {}
        for enrolments in self.ctx.enrolled.values():
            for person, role, at in enrolments:
                if role in ("mentee", "peer"):
                    learners[person] = min(at, learners.get(person, at))
        for person in sorted(learners):
            wishes = np.flatnonzero(self.org.learn[person])
            if wishes.size == 0:
                continue
            count = min(wishes.size, self.r.choice((2, 2, 3, 3, 4)))
            pair = latest_pair.get(person)
            for s in self.rng.choice(wishes, size=count, replace=False):
                text = self.writer.goal(int(s))
                gid = self.goals.next_id()
                target = (pair.planned_end if pair else self.now + 150 * DAY).date()
                self.goals.add(
                    gid,
                    person + 1,
                    pair.id if pair else None,
                    text.title,
                    text.description,
                    "open",
                    target,
                    None,
                    learners[person],
                )
                self.goal_of.setdefault(person, []).append(gid)

    def _settle_goals(self, pair: Pair, status: str, z: float, end: datetime) -> None:
        """Goals of a finished or running mentorship move on according to engagement."""
        rows = self.goals.rows
        for gid in self.goal_of.get(pair.mentee, ()):
            row = rows[gid - 1]
            if row[2] != pair.id:
                continue
            p_achieved = relation.sigmoid(z) * (0.85 if status == "completed" else 0.25)
            roll = self.r.random()
            if roll < p_achieved:
                at = pair.start + (end - pair.start) * self.r.uniform(0.5, 1.0)
                rows[gid - 1] = (*row[:5], "achieved", row[6], at, row[8])
                self.event(pair.mentee, pair.program + 1, pair.id, "goal_updated", at)
            elif status == "ended_early" and roll > 0.5:
                rows[gid - 1] = (*row[:5], "dropped", row[6], None, row[8])

    # ---- one mentorship -------------------------------------------------------------------
    def _mentorship(self, pair: Pair, eps: float, ends_early: bool) -> None:
        r, now, spec = self.r, self.now, PROGRAMS[pair.program]
        program_id = pair.program + 1
        z = float(relation.engagement(pair.fit, pair.hours, spec.effect, eps))
        horizon = min(pair.planned_end, now)
        status, ended, reason, ended_by = "active", None, "", None
        if ends_early:
            status = "ended_early"
            ended = pair.start + (horizon - pair.start) * r.uniform(0.25, 0.8)
            reason = self.writer.end_reason(True)
            ended_by = r.choice((pair.mentor, pair.mentee)) + 1
        elif pair.planned_end <= now:
            status, ended, reason = "completed", pair.planned_end, self.writer.end_reason(False)
        elif r.random() < 0.02:
            status = "paused"
        quiet = None
        if (
            status in ("active", "paused")
            and (now - pair.start).days > 50
            and r.random() < float(relation.quiet_probability(z))
        ):
            quiet = max(now - r.uniform(31, 75) * DAY, pair.start + 10 * DAY)
        active_until = min(x for x in (quiet, ended, now) if x is not None)

        self._meetings(
            pair,
            z,
            eps,
            program_id,
            spec.cadence_days,
            active_until,
            future=status == "active" and quiet is None,
        )
        self._thread(pair, z, program_id, active_until)
        self._milestones(pair, z, active_until)
        if status in ("completed", "ended_early") and ended is not None:
            for author in (pair.mentee, pair.mentor):
                if r.random() < (0.8 if status == "completed" else 0.45):
                    at = ended + r.uniform(0.5, 6) * DAY
                    if at < now:
                        self._feedback(pair, None, author, eps, at, program_id)
            if status == "ended_early":
                self.audit.add(
                    self.audit.next_id(),
                    ended,
                    ended_by,
                    None,
                    "mentorship.ended",
                    "mentorship",
                    str(pair.id),
                    {"reason": reason},
                )
        self._settle_goals(pair, status, z, active_until)
        for person in (pair.mentor, pair.mentee):
            self.event(person, program_id, pair.id, "matched", pair.start)
        self.mentorships.add(
            pair.id,
            program_id,
            pair.mentor + 1,
            pair.mentee + 1,
            pair.proposal_id,
            pair.group_key,
            status,
            round(pair.score, 4),
            pair.start,
            ended,
            reason,
            ended_by,
            pair.start - 2 * DAY,
        )

    def _slot(self, pair: Pair) -> int:
        """A UTC half-hour cell of the week both can usually make (the pair's habit)."""
        common = np.flatnonzero(self.org.cells[pair.mentor] & self.org.cells[pair.mentee])
        if common.size:
            return int(common[self.r.randrange(common.size)])
        own = np.flatnonzero(self.org.cells[pair.mentor])
        return int(own[0]) if own.size else 1 * 48 + 30  # Tuesday 15:00 UTC

    def _meetings(
        self,
        pair: Pair,
        z: float,
        eps: float,
        program_id: int,
        cadence: int,
        active_until: datetime,
        future: bool,
    ) -> datetime | None:
        r, now = self.r, self.now
        p_held = float(relation.held_probability(z))
        cell = self._slot(pair)
        minutes = r.choice((30, 45, 60, 60))
        zone = self.org.time_zones[pair.mentor]
        last_held = None
        # Pairs approved together still find their own rhythm: the first session lands
        # anywhere in the first cadence, so a fortnightly program does not meet in lockstep.
        when = pair.start + r.uniform(3, 3 + max(cadence, 7)) * DAY
        limit = now + (cadence + 10) * DAY if future else active_until
        upcoming = 0
        while when < min(pair.planned_end, limit):
            monday = datetime.combine(
                when.date() - timedelta(days=when.weekday()), datetime.min.time(), tzinfo=now.tzinfo
            )
            starts = monday + timedelta(minutes=30 * cell)
            if starts < pair.start:
                starts += 7 * DAY
            ends = starts + timedelta(minutes=minutes)
            organiser = pair.mentor if r.random() < 0.7 else pair.mentee
            if starts >= now:
                status = "scheduled"
                upcoming += 1
            elif starts >= active_until:
                status = "missed" if r.random() < 0.4 else "cancelled"
            else:
                status = (
                    "held"
                    if r.random() < p_held
                    else ("missed" if r.random() < 0.6 else "cancelled")
                )
            mid = self.meetings.next_id()
            created = starts - r.uniform(4, 12) * DAY
            notes = "Notes shared in the thread." if status == "held" else ""
            self.meetings.add(
                mid,
                pair.id,
                organiser + 1,
                starts,
                ends,
                zone,
                status,
                "Video call",
                "",
                notes,
                None,
                None,
                {},
                created,
            )
            self.event(organiser, program_id, pair.id, "session_scheduled", min(created, now))
            if status == "held":
                last_held = ends
                for person in (pair.mentor, pair.mentee):
                    self.event(person, program_id, pair.id, "session_held", ends)
                if r.random() < 0.3:
                    self._feedback(
                        pair, mid, pair.mentee, eps, ends + r.uniform(0.1, 3) * DAY, program_id
                    )
                if r.random() < 0.15:
                    self._feedback(
                        pair, mid, pair.mentor, eps, ends + r.uniform(0.1, 3) * DAY, program_id
                    )
            elif status == "missed":
                for person in (pair.mentor, pair.mentee):
                    self.event(person, program_id, pair.id, "session_missed", ends)
            if status == "scheduled" and upcoming >= 2:
                break
            when += (cadence + r.uniform(-2, 2)) * DAY
        return last_held

    def _feedback(
        self,
        pair: Pair,
        meeting: int | None,
        author: int,
        eps: float,
        at: datetime,
        program_id: int,
    ) -> None:
        if at >= self.now:
            return
        score = int(
            relation.rating(
                pair.fit,
                pair.hours,
                eps,
                self.r.gauss(0, relation.RATING_NOISE_SD),
                PROGRAMS[pair.program].effect,
            )
        )
        self.feedback.add(
            self.feedback.next_id(),
            pair.id,
            meeting,
            author + 1,
            score,
            self.writer.feedback(score) if self.r.random() < 0.6 else "",
            at,
        )
        self.event(author, program_id, pair.id, "feedback_given", at, {"rating": score})

    def _milestones(self, pair: Pair, z: float, active_until: datetime) -> None:
        r, org = self.r, self.org
        span = pair.planned_end - pair.start
        if pair.group_key:
            count = 2
        elif PROGRAMS[pair.program].kind == "peer":  # lightly coordinated: a short plan
            count = r.choice((1, 2, 2))
        else:
            count = r.choice((2, 3, 3, 4))
        skills = np.flatnonzero(org.learn[pair.mentee])
        goals = [
            g for g in self.goal_of.get(pair.mentee, ()) if self.goals.rows[g - 1][2] == pair.id
        ]
        p_done = float(relation.milestone_probability(z))
        titles: set[str] = set()
        for k in range(count):
            due = pair.start + span * ((k + 1) / (count + 1))
            skill = self.skill_names[int(skills[k % skills.size])] if skills.size else "the plan"
            done = None
            if due < active_until + 10 * DAY and r.random() < p_done:
                done = min(due - r.uniform(-6, 8) * DAY, active_until, self.now)
                done = max(done, pair.start + DAY)
                self.event(pair.mentee, pair.program + 1, pair.id, "milestone_completed", done)
            title = self.writer.milestone(skill, titles)
            titles.add(title)
            self.milestones.add(
                self.milestones.next_id(),
                pair.id,
                pair.mentee + 1,
                goals[k % len(goals)] if goals else None,
                title,
                "",
                due.date(),
                done,
                pair.start + DAY,
            )
