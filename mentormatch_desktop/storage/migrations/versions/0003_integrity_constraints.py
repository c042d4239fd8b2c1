"""integrity constraints: one running pair, mentor capacity, version columns

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:20:00.000000

Every client holds a raw connection, so the rules approval relies on are the database's:

* ``uq_mentorships_running_pair`` — a partial unique index: one running (active or paused)
  mentorship per program, mentee and mentor;
* ``mentorships_capacity`` triggers — a running mentorship may not take a mentor (in a peer
  program: either peer) past the ``capacity`` of their enrolment in the program. On
  PostgreSQL the trigger locks the enrolment row first, so two transactions adding pairs for
  the same mentor are serialised and the second one counts the first one's rows; SQLite has
  one writer at a time anyway. A person with no mentor/peer enrolment in the program has no
  known capacity and is not limited (their pairing was made outside matching);
* ``version`` on ``match_runs`` and ``match_proposals`` — optimistic concurrency: the ORM
  updates ``WHERE version = <the version read>`` and a decision made on a stale screen is
  refused instead of silently overwriting a newer one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = "status IN ('active', 'paused')"

PG_CAPACITY_FUNCTION = """
CREATE FUNCTION mm_check_mentor_capacity() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    side integer;
    person integer;
    role_held varchar;
    cap integer;
    running integer;
BEGIN
    IF NEW.status NOT IN ('active', 'paused') THEN
        RETURN NULL;
    END IF;
    FOR side IN 1..2 LOOP
        person := CASE side WHEN 1 THEN NEW.mentor_id ELSE NEW.mentee_id END;
        -- Lock the enrolment: a concurrent insert for the same person waits here and then
        -- counts this transaction's rows (each statement of a volatile function sees
        -- what was committed before it started).
        SELECT e.role, e.capacity INTO role_held, cap
          FROM enrolments e
         WHERE e.program_id = NEW.program_id AND e.person_id = person
           AND ((side = 1 AND e.role IN ('mentor', 'peer')) OR (side = 2 AND e.role = 'peer'))
         ORDER BY e.role
         LIMIT 1
           FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        SELECT count(*) INTO running
          FROM mentorships m
         WHERE m.program_id = NEW.program_id AND m.status IN ('active', 'paused')
           AND (m.mentor_id = person OR (role_held = 'peer' AND m.mentee_id = person));
        IF running > cap THEN
            RAISE EXCEPTION
                'mentor over capacity: person % would have % running mentorships in program % (capacity %)',
                person, running, NEW.program_id, cap
                USING ERRCODE = 'check_violation', CONSTRAINT = 'mentorships_capacity';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
"""

PG_CAPACITY_TRIGGER = """
CREATE TRIGGER mentorships_capacity
AFTER INSERT OR UPDATE OF status, mentor_id, mentee_id, program_id ON mentorships
FOR EACH ROW EXECUTE FUNCTION mm_check_mentor_capacity();
"""

# SQLite: RAISE takes a literal message, so the text names the rule rather than the person.
_SQLITE_OVER = """
SELECT RAISE(ABORT, 'mentor over capacity: a running mentorship would exceed the capacity of the mentor''s enrolment in this program')
 WHERE EXISTS (
    SELECT 1 FROM enrolments e
     WHERE e.program_id = NEW.program_id
       AND ((e.person_id = NEW.mentor_id AND e.role IN ('mentor', 'peer'))
            OR (e.person_id = NEW.mentee_id AND e.role = 'peer'))
       AND e.capacity < (
            SELECT count(*) FROM mentorships m
             WHERE m.program_id = NEW.program_id AND m.status IN ('active', 'paused')
               AND (m.mentor_id = e.person_id
                    OR (e.role = 'peer' AND m.mentee_id = e.person_id))));
"""

SQLITE_TRIGGERS = {
    "mentorships_capacity_insert": "AFTER INSERT ON mentorships",
    "mentorships_capacity_update": (
        "AFTER UPDATE OF status, mentor_id, mentee_id, program_id ON mentorships"
    ),
}


def _refuse_existing_duplicates() -> None:
    """Say which pairs block the unique index instead of failing with a bare SQL error."""
    dupes = op.get_bind().execute(
        sa.text(
            "SELECT program_id, mentee_id, mentor_id, count(*) FROM mentorships "
            f"WHERE {RUNNING} GROUP BY program_id, mentee_id, mentor_id HAVING count(*) > 1"
        )
    ).all()
    if dupes:
        listed = ", ".join(f"program {p}: mentee {e} – mentor {m} ({n}×)" for p, e, m, n in dupes)
        raise RuntimeError(
            "cannot add the one-running-pair rule: these pairs have several running "
            f"mentorships; end the extra ones first: {listed}"
        )


def upgrade() -> None:
    _refuse_existing_duplicates()
    op.create_index(
        'uq_mentorships_running_pair',
        'mentorships',
        ['program_id', 'mentee_id', 'mentor_id'],
        unique=True,
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
    )
    for table in ('match_runs', 'match_proposals'):
        op.add_column(table, sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_CAPACITY_FUNCTION)
        op.execute(PG_CAPACITY_TRIGGER)
    else:
        for name, when in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH ROW "
                f"WHEN NEW.status IN ('active', 'paused') BEGIN {_SQLITE_OVER} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS mentorships_capacity ON mentorships')
        op.execute('DROP FUNCTION IF EXISTS mm_check_mentor_capacity()')
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    for table in ('match_proposals', 'match_runs'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('version')
    op.drop_index('uq_mentorships_running_pair', table_name='mentorships')
