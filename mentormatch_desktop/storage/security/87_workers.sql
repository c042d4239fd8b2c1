-- Worker heartbeats (migration 0009). Operational data (host names, process ids, error
-- text): written and read by the owner role the workers connect as, and read by
-- coordinators (the app can say whether a worker is up). Participants and analysts: nothing.
DO $workers$
BEGIN
    IF to_regclass('worker_heartbeats') IS NULL THEN
        RETURN;
    END IF;
    ALTER TABLE worker_heartbeats ENABLE ROW LEVEL SECURITY;
    ALTER TABLE worker_heartbeats FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS mm_owner_all ON worker_heartbeats;
    CREATE POLICY mm_owner_all ON worker_heartbeats TO mentormatch_owner
        USING (true) WITH CHECK (true);
    DROP POLICY IF EXISTS mm_coordinator_read ON worker_heartbeats;
    CREATE POLICY mm_coordinator_read ON worker_heartbeats FOR SELECT
        TO mentormatch_coordinator USING (true);
    REVOKE ALL ON worker_heartbeats
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT SELECT ON worker_heartbeats TO mentormatch_coordinator;
END
$workers$;
