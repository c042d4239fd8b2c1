-- Messaging (migration 0005): notification preferences, program notification defaults,
-- unsubscribe tokens, and the soft-delete column of messages. Like 85_scheduling.sql this
-- runs after 80_grants.sql and is one DO block that does nothing until 0005 has created its
-- tables (0004 applies every file first; 0005 and 0006 apply them all again at their end).
DO $messaging$
DECLARE
    tbl text;
BEGIN
    IF to_regclass('notification_preferences') IS NULL
       OR to_regclass('program_notification_defaults') IS NULL
       OR to_regclass('unsubscribe_tokens') IS NULL THEN
        RETURN;
    END IF;

    FOREACH tbl IN ARRAY ARRAY[
        'notification_preferences', 'program_notification_defaults', 'unsubscribe_tokens'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format('DROP POLICY IF EXISTS mm_owner_all ON %I', tbl);
        EXECUTE format(
            'CREATE POLICY mm_owner_all ON %I TO mentormatch_owner USING (true) WITH CHECK (true)',
            tbl);
    END LOOP;

    -- A person's own notification choices are theirs; coordinators read them (posting an
    -- introduction decides who is reached, and how) but never change them.
    CREATE POLICY mm_participant_own ON notification_preferences TO mentormatch_participant
        USING (person_id = (SELECT mm_current_person()))
        WITH CHECK (person_id = (SELECT mm_current_person()));
    CREATE POLICY mm_program_coordinator_read ON notification_preferences FOR SELECT
        TO mentormatch_program_coordinator
        USING (person_id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[])));
    CREATE POLICY mm_coordinator_read ON notification_preferences FOR SELECT
        TO mentormatch_coordinator USING (true);

    -- Program defaults are the coordinators' settings for their programs.
    CREATE POLICY mm_program_coordinator_scope ON program_notification_defaults
        TO mentormatch_program_coordinator
        USING (program_id = ANY ((SELECT mm_coordinated_programs())::integer[]))
        WITH CHECK (program_id = ANY ((SELECT mm_coordinated_programs())::integer[]));
    CREATE POLICY mm_coordinator_all ON program_notification_defaults
        TO mentormatch_coordinator USING (true) WITH CHECK (true);

    -- Unsubscribe tokens are credentials (a link that changes someone's preferences): only
    -- the owner role (the delivery worker, the unsubscribe handler) reads or writes them.
    -- No client policy and no grant.

    REVOKE ALL ON notification_preferences, program_notification_defaults, unsubscribe_tokens
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT SELECT, INSERT, UPDATE, DELETE ON notification_preferences TO mentormatch_participant;
    GRANT SELECT ON notification_preferences
        TO mentormatch_coordinator, mentormatch_program_coordinator;
    GRANT SELECT, INSERT, UPDATE, DELETE ON program_notification_defaults
        TO mentormatch_coordinator, mentormatch_program_coordinator;
    -- Deleting one's own message keeps the row (deleted_at); the edit policy limits it to
    -- the sender's messages.
    GRANT UPDATE (deleted_at) ON messages TO mentormatch_participant;
END
$messaging$;
