-- The owner role owns every table, sequence, view and mm_ function, so SECURITY DEFINER
-- functions and the analyst views run as it (bound by its all-rows policies, never as a
-- superuser), and a deployment can migrate as a member of it.
DO $$
DECLARE
    obj record;
BEGIN
    FOR obj IN
        SELECT c.relkind, n.nspname, c.relname
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN (current_schema(), 'mm_analytics')
          AND c.relkind IN ('r', 'p', 'v', 'm')
          AND c.relowner <> 'mentormatch_owner'::regrole
    LOOP
        EXECUTE format('ALTER TABLE %I.%I OWNER TO mentormatch_owner', obj.nspname, obj.relname);
    END LOOP;
    FOR obj IN
        SELECT p.oid::regprocedure AS fn FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'mm\_%'
          AND p.proowner <> 'mentormatch_owner'::regrole
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO mentormatch_owner', obj.fn);
    END LOOP;
    ALTER SCHEMA mm_analytics OWNER TO mentormatch_owner;
END
$$;
