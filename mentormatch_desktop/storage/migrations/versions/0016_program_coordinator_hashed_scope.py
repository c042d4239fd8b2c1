"""program coordinator's people: a hashed set of the people hidden from them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:40:00

No schema change: re-applies the security files (all idempotent). A coordinator limited to
some programs (mentormatch_program_coordinator) had every person-keyed policy test
``person_id = ANY (mm_coordinated_people())``: an array of about 16,000 ids on the demo,
known only at run time, so PostgreSQL walked it for each row (0.7 s to count people, 7 s
for the participants table), and the people policy also called ``mm_enrolled_anywhere()``
for each person outside the array. The policies now test ``NOT IN (SELECT unnest(
mm_hidden_people()))``: a hashed SubPlan over the people enrolled only in programs the
coordinator does not run, built once per statement from enrolments alone. Exactly the same
rows stay visible and writable (see 20_policies.sql); ``mm_coordinated_people()`` returns the
same set as before, built with set operations. No-op on SQLite.
"""

from collections.abc import Sequence

from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    apply_security(op.get_bind())


def downgrade() -> None:
    # Nothing to undo: the new helper is unused by the older policies, which
    # `mentormatch org init` of the version downgraded to re-creates if wanted.
    pass
