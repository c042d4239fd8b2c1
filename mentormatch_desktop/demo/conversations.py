"""Conversations and logins in the demo history: message threads with their outbox
deliveries and read markers, and the background of logins and profile edits.

A mixin of :class:`mentormatch_desktop.demo.history.HistoryBuilder` (it uses the
builder's tables, random generators and writer), kept apart to keep modules small.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from mentormatch_desktop.demo import relation
from mentormatch_desktop.demo.programs import Pair

if TYPE_CHECKING:
    from mentormatch_desktop.demo.history import HistoryBuilder

    _Base = HistoryBuilder
else:
    _Base = object


DAY = timedelta(days=1)


class ConversationsMixin(_Base):
    def _thread(
        self, pair: Pair, z: float, program_id: int, active_until: datetime
    ) -> datetime | None:
        r, org = self.r, self.org
        tid = self.threads.next_id()
        names = (org.first_names[pair.mentor], org.first_names[pair.mentee])
        skills = np.flatnonzero(org.learn[pair.mentee])
        skill = self.skill_names[int(skills[0])] if skills.size else "your goals"
        months = max(0.0, (active_until - pair.start).days / 30.0)
        count = int(self.rng.poisson(months * float(relation.message_rate_per_month(z))))
        times = sorted(
            pair.start + r.uniform(0.2, 1.0) * (active_until - pair.start) for _ in range(count)
        )
        intro_at = pair.start + timedelta(hours=2)
        msgs: list[tuple[datetime, int | None, str, str]] = [
            (pair.start, None, "system", f"{names[0]} and {names[1]} have been matched."),
            (
                intro_at,
                pair.mentor,
                "introduction",
                self.writer.message("introductions", names[1], skill),
            ),
        ]
        for t in times:
            sender = pair.mentee if r.random() < 0.55 else pair.mentor
            other = names[1] if sender == pair.mentor else names[0]
            msgs.append((t, sender, "text", self.writer.message("exchanges", other, skill)))
        msgs = [m for m in msgs if m[0] < self.now]
        last = msgs[-1][0] if msgs else pair.start
        self.threads.add(
            tid, f"Mentoring: {names[0]} & {names[1]}", pair.id, program_id, None, pair.start, last
        )
        for person in (pair.mentor, pair.mentee):
            read = last if r.random() < 0.7 else msgs[max(0, len(msgs) - 3)][0]
            self.members.add(tid, person + 1, pair.start, read, False)
        for at, sender, kind, body in msgs:
            mid = self.messages.next_id()
            self.messages.add(
                mid, tid, None if sender is None else sender + 1, kind, body, at, None
            )
            for person in (pair.mentor, pair.mentee):
                if person == sender:
                    continue
                did = self.deliveries.next_id()
                self.deliveries.add(
                    did,
                    mid,
                    person + 1,
                    "inbox",
                    f"demo-{mid}-{person + 1}-inbox",
                    "sent",
                    1,
                    None,
                    "",
                    at,
                    at,
                )
                if sender is not None and r.random() < 0.6:
                    read_at = min(at + r.uniform(0.02, 2) * DAY, self.now)
                    self.event(person, program_id, pair.id, "message_read", read_at)
            if sender is not None:
                self.event(sender, program_id, pair.id, "message_sent", at)
        return msgs[-1][0] if len(msgs) > 2 else None

    # ---- logins and profile edits ---------------------------------------------------------
    def _logins(self) -> None:
        org, now, rng = self.org, self.now, self.rng
        enrolled = np.zeros(org.n, dtype=bool)
        for rows in self.ctx.enrolled.values():
            enrolled[[p for p, _, _ in rows]] = True
        counts = rng.poisson(np.where(enrolled, 5.0, 1.0))
        window = 183 * 86400.0
        for person in range(org.n):
            for offset in np.sort(rng.uniform(0, window, counts[person])):
                self.event(person, None, None, "login", now - timedelta(seconds=float(offset)))
            if enrolled[person] and self.r.random() < 0.4:
                at = now - timedelta(seconds=self.r.uniform(0, window))
                self.event(person, None, None, "profile_updated", at)
