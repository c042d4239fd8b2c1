-- Preferred names (people.preferred_name, migration 0017).
--
-- A participant may change their own preferred name like the other fields of their own
-- profile: the column is granted for UPDATE next to full_name, title, bio ... in
-- 80_grants.sql's sense, and the people policies (20_policies.sql) still let them update
-- only their own row, so someone else's preferred name stays out of reach.
--
-- mm_person_addresses(ids) is mm_person_names with the preferred name: the same people
-- (active ones), for the same callers (those who may read the directory), so the inbox can
-- call a sender by the name they chose. Idempotent; applied with every other file.
DO $preferred$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'people'
          AND column_name = 'preferred_name'
    ) THEN
        RETURN;  -- before migration 0017
    END IF;

    GRANT UPDATE (preferred_name) ON people TO mentormatch_participant;

    CREATE OR REPLACE FUNCTION mm_person_addresses(ids integer[])
    RETURNS TABLE (id integer, full_name varchar, preferred_name varchar)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    DECLARE
        login text := mm_current_login();
    BEGIN
        IF pg_has_role(login, 'mentormatch_participant', 'USAGE')
           OR pg_has_role(login, 'mentormatch_coordinator', 'USAGE')
           OR pg_has_role(login, 'mentormatch_program_coordinator', 'USAGE')
           OR mm_is_owner() THEN
            RETURN QUERY SELECT p.id, p.full_name, p.preferred_name FROM people p
                         WHERE p.id = ANY (ids) AND p.is_active;
        END IF;
    END
    $f$;
    REVOKE ALL ON FUNCTION mm_person_addresses(integer[]) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION mm_person_addresses(integer[])
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
END
$preferred$;
