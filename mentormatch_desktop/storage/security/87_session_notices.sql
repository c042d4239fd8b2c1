-- Session notices (migration 0008): what the people of a session are told (changes and
-- reminders). Guarded like 85_scheduling.sql: nothing happens until 0008 made the table.
DO $session_notices$
BEGIN
    IF to_regclass('session_notices') IS NULL THEN
        RETURN;
    END IF;

    ALTER TABLE session_notices ENABLE ROW LEVEL SECURITY;
    ALTER TABLE session_notices FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS mm_owner_all ON session_notices;
    CREATE POLICY mm_owner_all ON session_notices TO mentormatch_owner
        USING (true) WITH CHECK (true);

    -- A participant sees the notices of their own mentorships' sessions and writes the
    -- notice of a change they make (the worker, as the owner, posts it and writes the
    -- reminders). They never change or delete one: "told once" must hold.
    DROP POLICY IF EXISTS mm_participant_read ON session_notices;
    CREATE POLICY mm_participant_read ON session_notices FOR SELECT TO mentormatch_participant
        USING (meeting_id IN (SELECT g.id FROM meetings g
                              WHERE g.mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[])));
    DROP POLICY IF EXISTS mm_participant_write ON session_notices;
    CREATE POLICY mm_participant_write ON session_notices FOR INSERT TO mentormatch_participant
        WITH CHECK (actor_id = (SELECT mm_current_person())
                    AND meeting_id IN (SELECT g.id FROM meetings g
                        WHERE g.mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[])));
    -- Coordinators: the sessions they see (meetings' own policies scope the subquery).
    DROP POLICY IF EXISTS mm_program_coordinator_scope ON session_notices;
    CREATE POLICY mm_program_coordinator_scope ON session_notices
        TO mentormatch_program_coordinator
        USING (meeting_id IN (SELECT g.id FROM meetings g))
        WITH CHECK (meeting_id IN (SELECT g.id FROM meetings g));
    DROP POLICY IF EXISTS mm_coordinator_all ON session_notices;
    CREATE POLICY mm_coordinator_all ON session_notices TO mentormatch_coordinator
        USING (true) WITH CHECK (true);

    DROP TRIGGER IF EXISTS mm_audit_coordinator_change ON session_notices;
    CREATE TRIGGER mm_audit_coordinator_change AFTER INSERT OR UPDATE OR DELETE ON session_notices
        FOR EACH ROW WHEN (NOT pg_has_role('mentormatch_owner', 'MEMBER')
            AND (pg_has_role('mentormatch_coordinator', 'USAGE')
                 OR pg_has_role('mentormatch_program_coordinator', 'USAGE')))
        EXECUTE FUNCTION mm_audit_coordinator_change();

    REVOKE ALL ON session_notices
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT SELECT, INSERT ON session_notices TO mentormatch_participant;
    GRANT SELECT, INSERT, UPDATE, DELETE ON session_notices
        TO mentormatch_coordinator, mentormatch_program_coordinator;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public
        TO mentormatch_coordinator, mentormatch_program_coordinator, mentormatch_participant;
END
$session_notices$;
