"""The four demo programs: who enrols in which role, preferences, and their match rounds."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from mentormatch_desktop.demo.enrolment import MatchRecorder, _days
from mentormatch_desktop.demo.people import ROLE_CEO
from mentormatch_desktop.demo.programs import (
    AVAILABILITY_TARGET_HOURS,
    DEFAULT_WEIGHTS,
    PROGRAMS,
    TUNED_WEIGHTS,
    ProgramContext,
    _forbid,
    _pick,
)


class ProgramBuilder(MatchRecorder):
    # ---- programs ------------------------------------------------------------------------
    def build(self) -> ProgramContext:
        programs = self.ds.table(
            "programs",
            (
                "id",
                "name",
                "kind",
                "status",
                "description",
                "starts_on",
                "ends_on",
                "session_cadence_days",
                "group_size",
                "settings",
                "created_at",
            ),
        )
        weights = self.ds.table(
            "weight_sets",
            (
                "id",
                "program_id",
                "version",
                "weights",
                "source",
                "evidence",
                "notes",
                "created_by_id",
                "created_at",
            ),
        )
        for k, spec in enumerate(PROGRAMS, start=1):
            start = _days(self.now, spec.start_days_ago)
            end = self.now + timedelta(days=spec.end_days_ahead)
            created = start - timedelta(days=20)
            # Constraints in the shape of services.programs.ProgramConstraints.to_settings().
            settings = {
                "availability_target_hours": AVAILABILITY_TARGET_HOURS,
                "constraints": {
                    "min_score": None,
                    "mentors_per_mentee": 1,
                    "max_per_mentor_by_attribute": [{"attribute": "department", "max": 2}],
                    "min_cross_attribute_share": [],
                    "objective": "total",
                },
            }
            programs.add(
                k,
                spec.name,
                spec.kind,
                spec.status,
                spec.description,
                start.date(),
                end.date(),
                spec.cadence_days,
                spec.group_size,
                settings,
                created,
            )
            ws = weights.next_id()
            weights.add(
                ws,
                k,
                1,
                dict(DEFAULT_WEIGHTS),
                "default",
                {},
                "Default weights",
                self.coordinator(),
                created,
            )
            self.weight_sets[k] = ws
            self.weights_of[ws] = dict(DEFAULT_WEIGHTS)
            self.ctx.ids.append(k)
            self.ctx.starts.append(start)
            self.ctx.ends.append(end)
            self.log(created, "program.created", "program", k, name=spec.name)
        # The main program tuned its weights before the second cohort.
        tuned = dict(TUNED_WEIGHTS)
        ws = weights.next_id()
        self.weights_of[ws] = tuned
        weights.add(
            ws,
            1,
            2,
            tuned,
            "manual",
            {},
            "More weight on availability after cohort 1",
            self.coordinator(),
            _days(self.now, 85),
        )
        self.log(_days(self.now, 85), "weights.updated", "weight_set", ws, program_id=1)
        self._mentoring(tuned_ws=ws)
        self._peer()
        self._leadership()
        self._buddies()
        return self.ctx

    # ---- the four programs ----------------------------------------------------------------
    def _pool(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & (self.org.role != ROLE_CEO))

    def _when(self, low: float, high: float) -> datetime:
        """A moment between ``low`` and ``high`` days ago (either order)."""
        return _days(self.now, float(self.rng.uniform(min(low, high), max(low, high))))

    def _mentoring(self, tuned_ws: int) -> None:
        org, rng, n, program = self.org, self.rng, self.org.n, 1
        start, end = self.ctx.starts[0], self.ctx.ends[0]
        taken: set[int] = set()
        mentors = _pick(rng, self._pool(org.seniority >= 3), max(3, round(0.10 * n)), taken)
        capacity = rng.choice([1, 2, 3], size=mentors.size, p=[0.5, 0.35, 0.15])
        mentees = _pick(rng, self._pool(org.seniority <= 3), max(6, round(0.18 * n)), taken)
        mentees = rng.permutation(mentees)
        a, b = int(0.6 * mentees.size), int(0.88 * mentees.size)
        cohort_a, cohort_b, waitlist = (
            np.sort(mentees[:a]),
            np.sort(mentees[a:b]),
            np.sort(mentees[b:]),
        )
        for person, cap in zip(mentors, capacity, strict=True):
            self.add_enrolment(program, int(person), "mentor", int(cap), None, self._when(200, 178))
        for group, cohort, window in (
            (cohort_a, "spring", (200, 176)),
            (cohort_b, "summer", (95, 80)),
            (waitlist, "autumn", (20, 2)),
        ):
            for person in group:
                self.add_enrolment(program, int(person), "mentee", 1, cohort, self._when(*window))
        for person in mentees:
            roll = rng.random()
            if roll < 0.04 and org.manager[person] >= 0:
                self.add_pref(
                    program,
                    int(person),
                    int(org.manager[person]),
                    "must_not",
                    "Reports to this person.",
                )
            elif roll < 0.055:
                self.add_pref(
                    program, int(person), int(rng.choice(mentors)), "must_not", "Personal reasons."
                )
            elif roll < 0.075:
                self.add_pref(
                    program,
                    int(person),
                    int(rng.choice(mentors)),
                    "prefer",
                    "Admire their work on a past project.",
                )
        if not self.must_not:  # small demos still show the constraint at least once
            first = next((int(m) for m in mentees if org.manager[m] >= 0), None)
            if first is not None:
                self.add_pref(
                    program, first, int(org.manager[first]), "must_not", "Reports to this person."
                )
        for person in rng.choice(n, size=max(1, n // 250), replace=False):
            self.add_pref(None, int(person), int(rng.integers(n)), "avoid", "Prefer someone new.")
        used = self._match(
            program,
            cohort_a,
            mentors,
            capacity,
            _days(self.now, 173),
            start,
            end,
            approve=True,
            weight_set=self.weight_sets[1],
        )
        used += self._match(
            program,
            cohort_b,
            mentors,
            capacity - used,
            _days(self.now, 78),
            _days(self.now, 75),
            self.now + timedelta(days=75),
            approve=True,
            weight_set=tuned_ws,
        )
        self._match(
            program,
            waitlist,
            mentors,
            capacity - used,
            _days(self.now, 2),
            self.now,
            self.now + timedelta(days=150),
            approve=False,
            weight_set=tuned_ws,
        )
        matched = {p.mentee for p in self.ctx.pairs if p.program == 0}
        self.ctx.waitlist = [int(m) for m in waitlist if int(m) not in matched]

    def _peer(self) -> None:
        org, rng, program = self.org, self.rng, 2
        peers = _pick(
            rng, self._pool(np.ones(org.n, dtype=bool)), max(4, round(0.12 * org.n)), set()
        )
        for person in peers:
            self.add_enrolment(program, int(person), "peer", 1, None, self._when(150, 128))
        block = self.scorer.block(
            peers, peers, preferences=self.preference_matrix(program, peers, peers), peer=True
        )
        sym = (block["score"] + block["score"].T) / 2 + rng.normal(
            0, PROGRAMS[1].noise, block["score"].shape
        )
        _forbid(sym, org, peers, peers, self.must_not)
        # Peer pairing: everyone still free takes their best free partner, in random order.
        free = np.ones(peers.size, dtype=bool)
        halves_a, halves_b = [], []
        for i in rng.permutation(peers.size):
            if not free[i]:
                continue
            row = np.where(free, sym[i], -np.inf)
            row[i] = -np.inf
            j = int(np.argmax(row))
            if not np.isfinite(row[j]):
                continue
            free[i] = free[j] = False
            halves_a.append(i)
            halves_b.append(j)
        # Record as a run whose proposals are the chosen pairs (mentee = first, mentor = partner).
        a, b = peers[np.array(halves_a, dtype=np.int64)], peers[np.array(halves_b, dtype=np.int64)]
        self._match(
            program,
            a,
            b,
            np.ones(b.size, dtype=np.int64),
            _days(self.now, 127),
            self.ctx.starts[1],
            self.ctx.ends[1],
            approve=True,
            weight_set=self.weight_sets[2],
            diagonal=True,
        )

    def _leadership(self) -> None:
        org, rng, program = self.org, self.rng, 3
        taken: set[int] = set()
        mentors = _pick(rng, self._pool(org.seniority >= 5), max(2, round(0.012 * org.n)), taken)
        mentees = _pick(
            rng, self._pool((org.seniority >= 3) & (org.seniority <= 4)), 4 * mentors.size, taken
        )
        for person in mentors:
            self.add_enrolment(program, int(person), "mentor", 4, None, self._when(120, 100))
        for person in mentees:
            self.add_enrolment(program, int(person), "mentee", 1, None, self._when(120, 100))
        self._match(
            program,
            mentees,
            mentors,
            np.full(mentors.size, 4),
            _days(self.now, 98),
            self.ctx.starts[2],
            self.ctx.ends[2],
            approve=True,
            weight_set=self.weight_sets[3],
            group=True,
        )

    def _buddies(self) -> None:
        org, rng, program = self.org, self.rng, 4
        taken: set[int] = set()
        mentors = _pick(
            rng,
            self._pool((org.seniority >= 2) & (org.seniority <= 4)),
            max(2, round(0.06 * org.n)),
            taken,
        )
        capacity = rng.choice([1, 2], size=mentors.size, p=[0.6, 0.4])
        mentees = _pick(rng, self._pool(org.seniority <= 2), max(3, round(0.08 * org.n)), taken)
        for person, cap in zip(mentors, capacity, strict=True):
            self.add_enrolment(program, int(person), "mentor", int(cap), "h1", self._when(205, 186))
        for person in mentees:
            self.add_enrolment(program, int(person), "mentee", 1, "h1", self._when(205, 186))
        self._match(
            program,
            mentees,
            mentors,
            capacity,
            _days(self.now, 185),
            self.ctx.starts[3],
            self.ctx.ends[3],
            approve=True,
            weight_set=self.weight_sets[4],
        )
