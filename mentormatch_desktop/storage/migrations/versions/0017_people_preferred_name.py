"""people.preferred_name: what a person wants to be called

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 15:10:00

Adds the nullable ``people.preferred_name`` (NULL: address the person by the first word
of their full name, see ``domain/names.py``) and re-applies the security files: a
participant may now change their own preferred name like the rest of their own profile
(``89_preferred_name.sql`` grants the column), and ``mm_person_addresses`` gives the
inbox other people's preferred names under the directory's rule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mentormatch_desktop.storage.security import apply_security

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('people') as batch:
        batch.add_column(sa.Column('preferred_name', sa.String(length=80), nullable=True))
    apply_security(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS mm_person_addresses(integer[])')
    with op.batch_alter_table('people') as batch:
        batch.drop_column('preferred_name')
