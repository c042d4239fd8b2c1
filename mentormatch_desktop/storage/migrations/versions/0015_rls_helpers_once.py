"""rls helpers once a call: the acting person and the caller's arrays computed once

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:20:00

No schema change: re-applies the security files (all idempotent), whose helpers now look
the acting person up once per call instead of once per row. Written as a FROM-subquery,
``mm_current_person()`` was pulled up into the outer WHERE clause and evaluated for every
row scanned: ``mm_coordinated_people()`` (the set a program coordinator's policies test)
called it for each of 20,000 people, 320 ms a call on the demo, now 38 ms;
``mm_my_mentorships()`` (milestones, meetings, goals, feedback of a participant) called it
twice plus twice per mentorship. ``mm_shared_session_logs()`` and ``mm_busy_intervals()``
evaluated their helpers once per log row or per person asked; they are InitPlans now.
Which rows each caller may reach is unchanged. No-op on SQLite.
"""

from collections.abc import Sequence

from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    apply_security(op.get_bind())


def downgrade() -> None:
    # Nothing to undo: the helpers return exactly what they returned before, and the files
    # of the version downgraded to are re-applied by `mentormatch org init` if wanted.
    pass
