-- Undo everything the numbered files did in this database (the cluster-wide group roles
-- stay: other databases on the server may use them).
DO $$
DECLARE
    pol record;
    tbl text;
    fn regprocedure;
BEGIN
    FOR pol IN
        SELECT p.policyname, p.tablename FROM pg_catalog.pg_policies p
        WHERE p.schemaname = current_schema() AND p.policyname LIKE 'mm\_%'
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', pol.policyname, pol.tablename);
    END LOOP;
    FOR tbl IN
        SELECT c.relname FROM pg_catalog.pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
          AND (c.relrowsecurity OR c.relforcerowsecurity)
    LOOP
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', tbl);
    END LOOP;
    FOR tbl IN
        SELECT DISTINCT event_object_table FROM information_schema.triggers
        WHERE trigger_schema = current_schema() AND trigger_name = 'mm_audit_coordinator_change'
    LOOP
        EXECUTE format('DROP TRIGGER mm_audit_coordinator_change ON %I', tbl);
    END LOOP;
    DROP TRIGGER IF EXISTS mm_guard_identity ON people;
    DROP TRIGGER IF EXISTS mm_audit_actor ON audit_log;
    IF to_regclass('messages') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS mm_touch_thread ON messages;
    END IF;
    IF to_regclass('thread_participants') IS NOT NULL THEN
        DROP TRIGGER IF EXISTS mm_guard_membership ON thread_participants;
        DROP TRIGGER IF EXISTS mm_guard_thread_origin ON threads;
    END IF;
    DROP VIEW IF EXISTS shared_session_logs;
    DROP VIEW IF EXISTS directory;
    DROP VIEW IF EXISTS coordinator_program_summary;
    DROP SCHEMA IF EXISTS mm_analytics CASCADE;
    FOR fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'mm\_%'
          -- Functions of other migrations' triggers (0003's mm_check_mentor_capacity) stay.
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                          WHERE t.tgfoid = p.oid AND t.tgname NOT LIKE 'mm\_%')
    LOOP
        EXECUTE format('DROP FUNCTION %s', fn);
    END LOOP;
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM mentormatch_coordinator, mentormatch_program_coordinator, '
        || 'mentormatch_participant, mentormatch_analyst';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM mentormatch_coordinator, mentormatch_program_coordinator, '
        || 'mentormatch_participant, mentormatch_analyst';
END
$$;
