"""shared security: row-level security, roles, grants; coordinator programs; private feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:20:00

On PostgreSQL this applies ``storage/security/*.sql`` (group roles, FORCE ROW LEVEL SECURITY
and policies, views, audit triggers, grants, ownership by the owner role). On SQLite it only
adds the two schema changes the models need: embedded databases are single-user.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mentormatch_desktop.storage.security import apply_security, remove_security

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordinator_programs",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_coordinator_programs_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_coordinator_programs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "program_id", name=op.f("pk_coordinator_programs")),
    )
    op.create_index(
        op.f("ix_coordinator_programs_program_id"), "coordinator_programs", ["program_id"]
    )
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(
            sa.Column("is_private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    apply_security(op.get_bind())


def downgrade() -> None:
    remove_security(op.get_bind())
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("is_private")
    op.drop_index(op.f("ix_coordinator_programs_program_id"), table_name="coordinator_programs")
    op.drop_table("coordinator_programs")
