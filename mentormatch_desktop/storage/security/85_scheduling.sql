-- Scheduling (migration 0006): availability exceptions, scheduling preferences, session
-- logs. This file runs after 80_grants.sql (which revokes everything first), so it holds
-- the RLS switch, policies, views, audit triggers AND grants of its tables in one place.
-- Migration 0004 applies every file before 0006 has created these tables: the whole file
-- is guarded by to_regclass and does nothing then; 0006 calls apply_security() again at
-- its end (every file is idempotent), and from then on the guard passes.
DO $scheduling$
DECLARE
    tbl text;
BEGIN
    IF to_regclass('session_logs') IS NULL
       OR to_regclass('availability_exceptions') IS NULL
       OR to_regclass('scheduling_preferences') IS NULL THEN
        RETURN;
    END IF;

    FOREACH tbl IN ARRAY ARRAY['availability_exceptions', 'scheduling_preferences', 'session_logs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS mm_owner_all ON %I', tbl);
        EXECUTE format(
            'CREATE POLICY mm_owner_all ON %I TO mentormatch_owner USING (true) WITH CHECK (true)',
            tbl);
    END LOOP;

    -- A person's own exceptions and working-hours preferences: theirs to read and change;
    -- coordinators manage them for the people they see (like availability_slots).
    FOREACH tbl IN ARRAY ARRAY['availability_exceptions', 'scheduling_preferences'] LOOP
        EXECUTE format($p$
            CREATE POLICY mm_participant_own ON %I TO mentormatch_participant
                USING (person_id = (SELECT mm_current_person()))
                WITH CHECK (person_id = (SELECT mm_current_person()))
        $p$, tbl);
        EXECUTE format($p$
            CREATE POLICY mm_program_coordinator_scope ON %I TO mentormatch_program_coordinator
                USING (person_id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[])))
                WITH CHECK (person_id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[])))
        $p$, tbl);
        EXECUTE format(
            'CREATE POLICY mm_coordinator_all ON %I TO mentormatch_coordinator'
            ' USING (true) WITH CHECK (true)', tbl);
    END LOOP;

    -- Session logs: the author reads and writes their own rows (private notes included),
    -- about sessions of their own mentorships. The partner reads the shared part through
    -- the shared_session_logs view below, never the row itself. Coordinators read rows of
    -- their programs, but their column grants leave out both kinds of notes.
    CREATE POLICY mm_participant_author ON session_logs TO mentormatch_participant
        USING (author_id = (SELECT mm_current_person()))
        WITH CHECK (author_id = (SELECT mm_current_person())
                    AND meeting_id IN (SELECT g.id FROM meetings g
                        WHERE g.mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[])));
    CREATE POLICY mm_program_coordinator_scope ON session_logs TO mentormatch_program_coordinator
        USING (meeting_id IN (SELECT g.id FROM meetings g))
        WITH CHECK (meeting_id IN (SELECT g.id FROM meetings g));
    CREATE POLICY mm_coordinator_all ON session_logs TO mentormatch_coordinator
        USING (true) WITH CHECK (true);

    -- The shared half of every log of the caller's mentorships' sessions (both authors):
    -- no private notes, whoever asks. Helpers as InitPlans, once a call (not once a row).
    CREATE OR REPLACE FUNCTION mm_shared_session_logs()
    RETURNS TABLE (
        id integer, meeting_id integer, author_id integer, held boolean, shared_notes text,
        rating smallint, next_steps jsonb, logged_at timestamptz
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT l.id, l.meeting_id, l.author_id, l.held, l.shared_notes, l.rating,
               l.next_steps::jsonb, l.logged_at
        FROM session_logs l JOIN meetings g ON g.id = l.meeting_id
        WHERE g.mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[])
           OR (SELECT mm_is_owner())
    $f$;
    DROP VIEW IF EXISTS shared_session_logs;
    CREATE VIEW shared_session_logs WITH (security_invoker = true) AS
        SELECT * FROM mm_shared_session_logs();
    COMMENT ON VIEW shared_session_logs IS
        'Shared notes, rating and next steps of logs of the caller''s sessions; never private notes.';

    -- Coordinator changes to these rows are audited like the rest of a person's data.
    FOREACH tbl IN ARRAY ARRAY['availability_exceptions', 'scheduling_preferences', 'session_logs']
    LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS mm_audit_coordinator_change ON %I', tbl);
        EXECUTE format(
            'CREATE TRIGGER mm_audit_coordinator_change AFTER INSERT OR UPDATE OR DELETE ON %I'
            ' FOR EACH ROW WHEN (NOT pg_has_role(''mentormatch_owner'', ''MEMBER'')'
            ' AND (pg_has_role(''mentormatch_coordinator'', ''USAGE'')'
            ' OR pg_has_role(''mentormatch_program_coordinator'', ''USAGE'')))'
            ' EXECUTE FUNCTION mm_audit_coordinator_change()', tbl);
    END LOOP;

    -- Grants (80_grants.sql revoked everything on every table before this file ran).
    REVOKE ALL ON availability_exceptions, scheduling_preferences, session_logs,
        shared_session_logs
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    REVOKE ALL ON FUNCTION mm_shared_session_logs()
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT SELECT, INSERT, UPDATE, DELETE ON availability_exceptions, scheduling_preferences
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
    GRANT SELECT, INSERT,
          UPDATE (held, private_notes, shared_notes, rating, next_steps, logged_at)
        ON session_logs TO mentormatch_participant;
    GRANT EXECUTE ON FUNCTION mm_shared_session_logs() TO mentormatch_participant;
    GRANT SELECT ON shared_session_logs TO mentormatch_participant;
    -- Held or missed and the rating: never the notes (private or shared) or next steps.
    GRANT SELECT (id, meeting_id, author_id, held, rating, logged_at, created_at), INSERT,
          UPDATE (held, rating, logged_at), DELETE
        ON session_logs TO mentormatch_coordinator, mentormatch_program_coordinator;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public
        TO mentormatch_coordinator, mentormatch_program_coordinator, mentormatch_participant;
END
$scheduling$;
