-- Triggers the database runs whoever the client is: identity columns only the owner sets,
-- the actor of every audit row, and an audit row for each coordinator change to a person's
-- data.

-- people.db_login decides who a login is, and app_role what the app offers them: only the
-- owner role (mentormatch org grant) changes either.
CREATE OR REPLACE FUNCTION mm_guard_identity() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF mm_is_owner() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.db_login IS NOT NULL OR NEW.app_role IS DISTINCT FROM 'participant' THEN
            RAISE EXCEPTION 'only the database owner sets people.db_login and app_role'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'use: mentormatch org grant EMAIL --role ROLE';
        END IF;
    ELSIF NEW.db_login IS DISTINCT FROM OLD.db_login
          OR NEW.app_role IS DISTINCT FROM OLD.app_role THEN
        RAISE EXCEPTION 'only the database owner changes people.db_login and app_role'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'use: mentormatch org grant EMAIL --role ROLE';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS mm_guard_identity ON people;
CREATE TRIGGER mm_guard_identity BEFORE INSERT OR UPDATE ON people
    FOR EACH ROW WHEN (NOT pg_has_role('mentormatch_owner', 'MEMBER'))
    EXECUTE FUNCTION mm_guard_identity();

-- The group role a login acts in (for the audit log).
CREATE OR REPLACE FUNCTION mm_current_group() RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT CASE
        WHEN mm_is_owner() THEN 'mentormatch_owner'
        WHEN pg_has_role(mm_current_login(), 'mentormatch_coordinator', 'USAGE')
            THEN 'mentormatch_coordinator'
        WHEN pg_has_role(mm_current_login(), 'mentormatch_program_coordinator', 'USAGE')
            THEN 'mentormatch_program_coordinator'
        WHEN pg_has_role(mm_current_login(), 'mentormatch_participant', 'USAGE')
            THEN 'mentormatch_participant'
        WHEN pg_has_role(mm_current_login(), 'mentormatch_analyst', 'USAGE')
            THEN 'mentormatch_analyst'
    END
$$;

-- Audit rows name the login and person the database knows, not what the client claims.
CREATE OR REPLACE FUNCTION mm_audit_actor() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF NOT mm_is_owner() THEN
        NEW.actor_login := mm_current_login();
        NEW.actor_id := mm_current_person();
        NEW.details := coalesce(NEW.details, '{}'::jsonb)
            || jsonb_build_object('db_role', mm_current_group());
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS mm_audit_actor ON audit_log;
CREATE TRIGGER mm_audit_actor BEFORE INSERT ON audit_log
    FOR EACH ROW WHEN (NOT pg_has_role('mentormatch_owner', 'MEMBER'))
    EXECUTE FUNCTION mm_audit_actor();

-- The WHEN clauses run as the client (a superuser counts as a member of every role): bulk
-- loads by the owner, such as the demo, never enter PL/pgSQL.

-- One audit row per row a coordinator inserts, changes or deletes in a person's data: which
-- table, which row, which columns (names only: the log must not copy private values).
CREATE OR REPLACE FUNCTION mm_audit_coordinator_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    login name := mm_current_login();
    new_doc jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END;
    old_doc jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END;
    doc jsonb;
    changed text[];
BEGIN
    IF mm_is_owner() THEN
        RETURN NULL;
    END IF;
    doc := coalesce(new_doc, old_doc);
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(n.key ORDER BY n.key) INTO changed
        FROM jsonb_each(new_doc) AS n
        WHERE n.value IS DISTINCT FROM old_doc -> n.key;
        IF changed IS NULL THEN
            RETURN NULL;  -- nothing changed
        END IF;
    ELSE
        SELECT array_agg(k ORDER BY k) INTO changed FROM jsonb_object_keys(doc) AS k;
    END IF;
    INSERT INTO audit_log (at, actor_id, actor_login, action, entity_type, entity_id, details)
    VALUES (
        now(), mm_current_person(), login, 'db.' || lower(TG_OP), TG_TABLE_NAME,
        coalesce(doc ->> 'id', doc ->> 'person_id'),
        jsonb_build_object('db_role', mm_current_group(), 'columns', to_jsonb(changed))
    );
    RETURN NULL;
END
$$;

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY[
        'people', 'person_languages', 'availability_slots', 'contact_channels',
        'person_skills', 'goals', 'pair_preferences', 'enrolments', 'mentorships',
        'milestones', 'meetings', 'feedback'
    ] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS mm_audit_coordinator_change ON %I', tbl);
        EXECUTE format(
            'CREATE TRIGGER mm_audit_coordinator_change AFTER INSERT OR UPDATE OR DELETE ON %I'
            ' FOR EACH ROW WHEN (NOT pg_has_role(''mentormatch_owner'', ''MEMBER'')'
            ' AND (pg_has_role(''mentormatch_coordinator'', ''USAGE'')'
            ' OR pg_has_role(''mentormatch_program_coordinator'', ''USAGE'')))'
            ' EXECUTE FUNCTION mm_audit_coordinator_change()', tbl);
    END LOOP;
END
$$;
