-- Group roles. Roles are cluster-wide while grants and policies belong to one database, so
-- every database on a server (and every test database) shares these five names: create each
-- one only when it is missing, and never drop them from a database's migration.
DO $$
DECLARE
    group_role text;
BEGIN
    FOREACH group_role IN ARRAY ARRAY[
        'mentormatch_owner', 'mentormatch_coordinator', 'mentormatch_program_coordinator',
        'mentormatch_participant', 'mentormatch_analyst'
    ] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = group_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', group_role);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another database's migration created it at the same moment
            END;
        END IF;
    END LOOP;
    -- Whoever prepares the database must be able to hand its objects to the owner role.
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND NOT pg_catalog.pg_has_role(current_user, 'mentormatch_owner', 'MEMBER') THEN
        EXECUTE format('GRANT mentormatch_owner TO %I', current_user);
    END IF;
END
$$;
