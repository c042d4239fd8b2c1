"""Recording enrolments, preferences and past match runs with their proposals and pairs."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from mentormatch_desktop.demo.dataset import DemoDataset
from mentormatch_desktop.demo.people import Org
from mentormatch_desktop.demo.programs import (
    DEFAULT_WEIGHTS,
    PROGRAMS,
    Pair,
    ProgramContext,
    Scorer,
    _forbid,
    greedy_assign,
)


def _days(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)


class MatchRecorder:
    """Shared state and the recording of past match runs; see :mod:`.cohorts`."""

    def __init__(self, org: Org, ds: DemoDataset, rng: np.random.Generator, now: datetime) -> None:
        self.org, self.ds, self.rng, self.now = org, ds, rng, now
        self.scorer = Scorer(org)
        self.ctx = ProgramContext([], [], [], [], {}, [])
        self.enrol = ds.table(
            "enrolments",
            (
                "id",
                "program_id",
                "person_id",
                "role",
                "status",
                "capacity",
                "cohort",
                "motivation",
                "preferences",
                "enrolled_at",
            ),
        )
        self.prefs = ds.table(
            "pair_preferences",
            ("id", "program_id", "person_id", "other_person_id", "kind", "reason"),
        )
        self.runs = ds.table(
            "match_runs",
            (
                "id",
                "program_id",
                "strategy",
                "status",
                "weight_set_id",
                "parent_run_id",
                "parameters",
                "objective",
                "solver_status",
                "diagnosis",
                "seconds",
                "is_dry_run",
                "created_by_id",
                "approved_by_id",
                "approved_at",
                "started_at",
                "finished_at",
            ),
        )
        self.proposals = ds.table(
            "match_proposals",
            (
                "id",
                "run_id",
                "mentee_id",
                "mentor_id",
                "score",
                "breakdown",
                "explanation",
                "status",
                "decided_by_id",
                "decided_at",
                "note",
            ),
        )
        self.audit = ds.table(
            "audit_log",
            (
                "id",
                "at",
                "actor_id",
                "actor_login",
                "action",
                "entity_type",
                "entity_id",
                "details",
            ),
        )
        self.weight_sets: dict[int, int] = {}
        self.weights_of: dict[int, dict[str, float]] = {}  # weight set id → weights
        self.pref_seen: set[tuple[int | None, int, int]] = set()
        self.pair_prefs: dict[tuple[int | None, int, int], str] = {}
        self.must_not: set[tuple[int, int]] = set()
        self.cross_wish: dict[int, set[int]] = {}  # program → people asking for another dept

    # ---- helpers -------------------------------------------------------------------------
    def coordinator(self) -> int:
        c = self.org.coordinators
        return c[int(self.rng.integers(len(c)))] + 1

    def log(
        self, at: datetime, action: str, entity: str, entity_id: int | None, **details: object
    ) -> None:
        self.audit.add(
            self.audit.next_id(),
            at,
            self.coordinator(),
            None,
            action,
            entity,
            None if entity_id is None else str(entity_id),
            details,
        )

    def add_enrolment(
        self,
        program_id: int,
        person: int,
        role: str,
        capacity: int,
        cohort: str | None,
        at: datetime,
    ) -> None:
        prefs = {"cross_department": bool(self.rng.random() < 0.3)}
        if prefs["cross_department"]:
            self.cross_wish.setdefault(program_id, set()).add(person)
        self.enrol.add(
            self.enrol.next_id(),
            program_id,
            person + 1,
            role,
            "active",
            capacity,
            cohort,
            "",
            prefs,
            at,
        )
        self.ctx.enrolled.setdefault(program_id, []).append((person, role, at))

    def add_pref(
        self, program_id: int | None, person: int, other: int, kind: str, reason: str
    ) -> None:
        key = (program_id, person, other)
        if person == other or key in self.pref_seen:
            return
        self.pref_seen.add(key)
        self.pair_prefs[key] = kind
        self.prefs.add(self.prefs.next_id(), program_id, person + 1, other + 1, kind, reason)
        if kind == "must_not":
            self.must_not.add((person, other))

    def preference_matrix(
        self, program_id: int, mentees: np.ndarray, mentors: np.ndarray
    ) -> np.ndarray:
        """The ``preferences`` criterion for a block: ``0.5 + 0.25·s_mentee + 0.25·s_mentor``
        with ``s`` = +1 / −1 for a cross-department wish met / not met (0 without one); a
        *prefer* about the other person sets 1, *avoid* or *must not* 0 (those win)."""
        dept = self.org.department_id
        other = (dept[mentees][:, None] != dept[mentors][None, :]).astype(np.float32)
        wish = self.cross_wish.get(program_id, set())
        s_mentee = np.isin(mentees, list(wish)).astype(np.float32)[:, None] * (2 * other - 1)
        s_mentor = np.isin(mentors, list(wish)).astype(np.float32)[None, :] * (2 * other - 1)
        values = 0.5 + 0.25 * s_mentee + 0.25 * s_mentor
        row = {int(p): i for i, p in enumerate(mentees)}
        column = {int(p): j for j, p in enumerate(mentors)}
        for (program, person, target), kind in sorted(
            self.pair_prefs.items(), key=lambda item: item[1] != "prefer"
        ):  # prefer first, so avoid / must not win when both are stated
            if program not in (None, program_id):
                continue
            value = 1.0 if kind == "prefer" else 0.0
            for a, b in ((person, target), (target, person)):
                if a in row and b in column:
                    values[row[a], column[b]] = value
        return values

    # ---- a match run and its proposals ----------------------------------------------------
    def _match(
        self,
        program: int,
        mentees: np.ndarray,
        mentors: np.ndarray,
        capacity: np.ndarray,
        run_at: datetime,
        start: datetime,
        planned_end: datetime,
        *,
        approve: bool,
        weight_set: int,
        group: bool = False,
        diagonal: bool = False,
    ) -> np.ndarray:
        """Record one past matching round; returns how many mentees each mentor received.

        ``diagonal``: the pairs were chosen already (peer pairing): mentee k ↔ mentor k.
        """
        spec, rng = PROGRAMS[program - 1], self.rng
        block = self.scorer.block(
            mentees,
            mentors,
            preferences=self.preference_matrix(program, mentees, mentors),
            weights=self.weights_of.get(weight_set),
            peer=spec.kind == "peer",
        )
        noisy = block["score"] + rng.normal(0.0, spec.noise, block["score"].shape)
        _forbid(noisy, self.org, mentees, mentors, self.must_not)
        if diagonal:
            pairs = [(k, k) for k in range(mentees.size)]
        else:
            pairs = greedy_assign(noisy, capacity, rng)
        used = np.zeros(mentors.size, dtype=np.int64)
        run_id = self.runs.next_id()
        decided = run_at + timedelta(days=1, hours=3)
        scores = [float(block["score"][i, j]) for i, j in pairs]
        coordinator = self.coordinator()
        self.runs.add(
            run_id,
            program,
            spec.strategy,
            "approved" if approve else "completed",
            weight_set,
            None,
            {"top_k": 25, "noise_note": "historic run"},
            {
                "matched": len(pairs),
                "mentees": int(mentees.size),
                "mentors": int(mentors.size),
                "total_score": round(sum(scores), 4),
                "min_score": round(min(scores, default=0), 4),
            },
            "OPTIMAL",
            "",
            round(0.05 + 1e-4 * mentees.size, 3),
            False,
            coordinator,
            coordinator if approve else None,
            decided if approve else None,
            run_at,
            run_at + timedelta(seconds=2),
        )
        self.log(run_at, "match_run.created", "match_run", run_id, program_id=program)
        if approve:
            self.log(decided, "match_run.approved", "match_run", run_id, pairs=len(pairs))
        for i, j in pairs:
            used[j] += 1
            mentee, mentor = int(mentees[i]), int(mentors[j])
            pid = self._proposal(
                run_id,
                block,
                i,
                j,
                mentee,
                mentor,
                "accepted" if approve else "proposed",
                coordinator if approve else None,
                decided if approve else None,
                peer=spec.kind == "peer",
            )
            if approve:
                begin = start + timedelta(
                    days=float(rng.uniform(0, 6)), hours=float(rng.uniform(8, 16))
                )
                self.ctx.pairs.append(
                    Pair(
                        id=len(self.ctx.pairs) + 1,
                        program=program - 1,
                        mentor=mentor,
                        mentee=mentee,
                        group_key=f"circle-{program}-{mentor + 1}" if group else None,
                        start=begin,
                        planned_end=planned_end,
                        fit=float(block["fit"][i, j]),
                        hours=float(block["hours"][i, j]),
                        gap=float(block["gap"][i, j]),
                        score=float(block["score"][i, j]),
                        proposal_id=pid,
                    )
                )
                if rng.random() < 0.05:  # the coordinator turned an alternative down
                    row = noisy[i].copy()
                    row[j] = -np.inf
                    alt = int(np.argmax(row))
                    if np.isfinite(row[alt]):
                        self._proposal(
                            run_id,
                            block,
                            i,
                            alt,
                            mentee,
                            int(mentors[alt]),
                            "rejected",
                            coordinator,
                            decided,
                            note="Same team last year; chose another "
                            + ("peer." if spec.kind == "peer" else "mentor."),
                            peer=spec.kind == "peer",
                        )
        return used

    def _proposal(
        self,
        run_id: int,
        block: dict[str, np.ndarray],
        i: int,
        j: int,
        mentee: int,
        mentor: int,
        status: str,
        decided_by: int | None,
        decided_at: datetime | None,
        note: str = "",
        *,
        peer: bool = False,
    ) -> int:
        fit, hours, gap = (float(block[k][i, j]) for k in ("fit", "hours", "gap"))
        breakdown = {k: round(float(block[k][i, j]), 4) for k in DEFAULT_WEIGHTS}
        # A peer pair has no mentee: each teaches the other (the scorer's peer mode).
        whose = (
            "what the two want to learn from each other"
            if peer
            else ("the mentee's learning wishes at a higher level")
        )
        explanation = (
            f"Covers {fit:.0%} of {whose}; "
            f"{hours:.1f} h/week of shared availability; {gap:g} h time-zone difference."
        )
        pid = self.proposals.next_id()
        self.proposals.add(
            pid,
            run_id,
            mentee + 1,
            mentor + 1,
            round(float(block["score"][i, j]), 4),
            breakdown,
            explanation,
            status,
            decided_by,
            decided_at,
            note,
        )
        return pid
