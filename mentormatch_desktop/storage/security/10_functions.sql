-- Who is asking, and what they may reach. Policies call these through (SELECT f()) so each
-- is evaluated once per statement (an InitPlan), not once per row.
--
-- The ones every policy of a participant or coordinator calls are PL/pgSQL: a SQL function
-- that cannot be inlined (SECURITY DEFINER, a SET clause) has its query planned again on
-- every call, and a PL/pgSQL function keeps its plans for the session. Measured on the
-- 20,000-person demo: mm_my_threads() 1.1 ms → 0.15 ms a call, mm_current_person()
-- 0.6 ms → 0.1 ms, and an inbox read calls them in each of its statements.

-- The login acting now: current_user as the caller sees it. Inside a SECURITY DEFINER
-- function current_user is the function's owner, so the caller's role is read from the
-- `role` setting (changed only by SET ROLE, which PostgreSQL checks for membership) and,
-- when no SET ROLE is in force, from session_user (fixed at login). Nothing here reads a
-- setting a client may set freely. Plain (no SET clause) so it is inlined; the one function
-- it calls is schema-qualified.
CREATE OR REPLACE FUNCTION mm_current_login() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(nullif(pg_catalog.current_setting('role'), 'none'), session_user::text)
$$;

-- True for the owner role's members and superusers: they prepare and migrate the database.
CREATE OR REPLACE FUNCTION mm_is_owner() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = public.mm_current_login()), false)
        OR pg_has_role(public.mm_current_login(), 'mentormatch_owner', 'MEMBER')
$$;

-- The person whose people.db_login is the acting login (NULL for anyone else). The login
-- is computed once (an InitPlan) and compared as text, so the unique index on db_login
-- finds the row: calling the function per row of people cost 0.35 s on 20,000 people.
-- A login holds exactly one of the client group roles (`mentormatch org grant` revokes the
-- others); one that was given a second by hand is nobody until that is repaired, so no
-- person-scoped policy mixes two roles' rules (the app refuses such a login, saying why).
CREATE OR REPLACE FUNCTION mm_current_person() RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    RETURN (
        SELECT p.id FROM people p
        WHERE p.db_login = (SELECT mm_current_login()) AND p.is_active
          AND (pg_has_role(p.db_login, 'mentormatch_coordinator', 'MEMBER')::int
               + pg_has_role(p.db_login, 'mentormatch_program_coordinator', 'MEMBER')::int
               + pg_has_role(p.db_login, 'mentormatch_participant', 'MEMBER')::int
               + pg_has_role(p.db_login, 'mentormatch_analyst', 'MEMBER')::int = 1
               OR mm_is_owner())
    );
END
$$;

-- Programs a coordinator limited to some programs (mentormatch_program_coordinator) may see.
CREATE OR REPLACE FUNCTION mm_coordinated_programs() RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    RETURN ARRAY(
        SELECT c.program_id FROM coordinator_programs c
        WHERE c.person_id = (SELECT mm_current_person())
    );
END
$$;

-- People such a coordinator may see: those enrolled in their programs, people enrolled
-- nowhere yet (to enrol them) and themselves; nobody who only takes part elsewhere.
-- The person and the programs are read into variables first: as a FROM-subquery they were
-- pulled up into the WHERE clause, and mm_current_person() ran once per row of people
-- (20,000 calls, 320 ms a call of this function on the demo). The three parts are a UNION
-- of set operations (an anti-join for "enrolled nowhere"), not one filter of people with
-- OR'd EXISTS tests, which probed enrolments twice for each person.
CREATE OR REPLACE FUNCTION mm_coordinated_people() RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    me integer := mm_current_person();
    programs integer[] := mm_coordinated_programs();
BEGIN
    RETURN ARRAY(
        SELECT p.id FROM people p WHERE p.id = me
        UNION
        SELECT e.person_id FROM enrolments e WHERE e.program_id = ANY (programs)
        UNION
        SELECT p.id FROM people p
        WHERE NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id)
    );
END
$$;

-- The same rule seen from the other side, for policies: the people such a coordinator may
-- NOT see, i.e. everyone enrolled somewhere but in none of their programs (and not
-- themselves). Every other person is visible: enrolled in one of their programs, enrolled
-- nowhere, or the coordinator. For a row of people, "id NOT IN mm_hidden_people()" is
-- exactly "id IN mm_coordinated_people()", but it is read from enrolments alone (one pass,
-- grouped by person: 5 ms on the demo, against 15-20 ms for the people it leaves visible),
-- it is the smaller set whenever most people are enrolled nowhere, and a person added
-- after the statement began (no enrolment yet) is in no such set, so the policy lets a
-- coordinator insert them without asking mm_enrolled_anywhere() row by row.
CREATE OR REPLACE FUNCTION mm_hidden_people() RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    me integer := mm_current_person();
    programs integer[] := mm_coordinated_programs();
BEGIN
    RETURN ARRAY(
        SELECT e.person_id FROM enrolments e
        WHERE e.person_id IS DISTINCT FROM me
        GROUP BY e.person_id
        HAVING NOT bool_or(e.program_id = ANY (programs))
    );
END
$$;

-- Whether a person is enrolled in any program, whether or not the caller may see it (a
-- policy needs it for a row being inserted; coordinators only may call it).
CREATE OR REPLACE FUNCTION mm_enrolled_anywhere(person integer) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$ SELECT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = person) $$;

-- Mentorships the acting participant is part of (as mentor or mentee). The person is a
-- variable, looked up once a call: written as a FROM-subquery it was pulled up into both
-- index conditions and the recheck filter, two calls plus two for each mentorship found.
CREATE OR REPLACE FUNCTION mm_my_mentorships() RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    me integer := mm_current_person();
BEGIN
    RETURN ARRAY(
        SELECT m.id FROM mentorships m WHERE m.mentor_id = me OR m.mentee_id = me
    );
END
$$;

-- Threads the acting person is a member of. Membership is written by coordinators and
-- services running as them, never by the participant (no joining someone else's thread).
CREATE OR REPLACE FUNCTION mm_my_threads() RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    RETURN ARRAY(
        SELECT t.thread_id FROM thread_participants t
        WHERE t.person_id = (SELECT mm_current_person())
    );
END
$$;

-- The directory: public profile fields of every active person, for people who may not read
-- the people table itself. No e-mail, no ratings, no feedback, no availability.
CREATE OR REPLACE FUNCTION mm_directory_rows()
RETURNS TABLE (
    id integer, full_name varchar, title varchar, department varchar, bio text,
    time_zone varchar, country varchar, region varchar, skills varchar[], languages varchar[]
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    -- Skills and languages aggregated once per table (not one subquery per person): the
    -- directory of 20,000 people is one pass over each table.
    SELECT p.id, p.full_name, p.title, d.name, p.bio, p.time_zone, p.country, p.region,
           coalesce(sk.skills, '{}'), coalesce(lg.languages, '{}')
    FROM people p
    LEFT JOIN departments d ON d.id = p.department_id
    LEFT JOIN (
        SELECT ps.person_id, array_agg(s.name ORDER BY s.name) AS skills
        FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
        WHERE ps.direction = 'teach' GROUP BY ps.person_id
    ) AS sk ON sk.person_id = p.id
    LEFT JOIN (
        SELECT l.person_id, array_agg(l.language ORDER BY l.language) AS languages
        FROM person_languages l GROUP BY l.person_id
    ) AS lg ON lg.person_id = p.id
    WHERE p.is_active
      AND (pg_has_role(mm_current_login(), 'mentormatch_participant', 'USAGE')
           OR pg_has_role(mm_current_login(), 'mentormatch_coordinator', 'USAGE')
           OR pg_has_role(mm_current_login(), 'mentormatch_program_coordinator', 'USAGE')
           OR mm_is_owner())
$$;

-- Names of the given people, for the inbox and schedules (who wrote, who is in a thread):
-- exactly the directory's rows and rule (active people; callers of the client roles that
-- may read the directory, and the owner), cut down to the ids asked for. Reading names
-- through the directory view built all 20,000 profiles with their skills first (~40 ms a
-- call); this is one index lookup per id.
CREATE OR REPLACE FUNCTION mm_person_names(ids integer[])
RETURNS TABLE (id integer, full_name varchar)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    login text := mm_current_login();
BEGIN
    IF pg_has_role(login, 'mentormatch_participant', 'USAGE')
       OR pg_has_role(login, 'mentormatch_coordinator', 'USAGE')
       OR pg_has_role(login, 'mentormatch_program_coordinator', 'USAGE')
       OR mm_is_owner() THEN
        RETURN QUERY SELECT p.id, p.full_name FROM people p
                     WHERE p.id = ANY (ids) AND p.is_active;
    END IF;
END
$$;

-- The two people of a mentorship (name and e-mail, what a calendar invitation names), for
-- a member of it or a coordinator who may see it. Participants cannot read their partner's
-- people row; the invitation they send still has to name the partner.
CREATE OR REPLACE FUNCTION mm_mentorship_people(mentorship integer)
RETURNS TABLE (id integer, full_name varchar, email varchar)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
    SELECT p.id, p.full_name::varchar, p.email::varchar
    FROM mentorships m JOIN people p ON p.id IN (m.mentor_id, m.mentee_id)
    WHERE m.id = mentorship
      AND ((SELECT mm_current_person()) IN (m.mentor_id, m.mentee_id)
           OR mm_is_owner()
           OR pg_has_role(mm_current_login(), 'mentormatch_coordinator', 'USAGE')
           OR (pg_has_role(mm_current_login(), 'mentormatch_program_coordinator', 'USAGE')
               AND m.program_id = ANY (mm_coordinated_programs())))
$$;

-- An audit row for a participant's own action. Participants hold no privilege on audit_log
-- (they never read it, and a plain INSERT grant would let them write any column): this
-- function writes the row with the login, person and role the database knows and the
-- time of the transaction; the caller chooses only what happened, to what. The owner (who
-- may write audit_log anyway) keeps the actor and time it passes, as with mm_audit_actor.
CREATE OR REPLACE FUNCTION mm_record_audit(
    at timestamptz, actor_id integer, actor_login text,
    action text, entity_type text, entity_id text, details jsonb
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF NOT mm_is_owner() THEN
        at := now();
        actor_id := mm_current_person();
        actor_login := mm_current_login();
        details := coalesce(details, '{}'::jsonb)
            || jsonb_build_object('db_role', mm_current_group());
        IF actor_id IS NULL THEN
            RAISE EXCEPTION 'only a signed-in person records audit rows'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF coalesce(action, '') = '' OR coalesce(entity_type, '') = '' THEN
        RAISE EXCEPTION 'an audit row needs an action and an entity type'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO audit_log (at, actor_id, actor_login, action, entity_type, entity_id, details)
    VALUES (at, actor_id, actor_login, action, entity_type, entity_id,
            coalesce(details, '{}'::jsonb));
END
$$;

-- An engagement event for the other person of the caller's own mentorship (a session both
-- sides now have booked). Participants insert only their own events, and may not read
-- their partner's (an INSERT … RETURNING of someone else's row would have to): this
-- function checks both people belong to the mentorship and writes the row.
CREATE OR REPLACE FUNCTION mm_record_partner_event(
    person integer, mentorship integer, kind text, occurred timestamptz, payload jsonb
) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    ms mentorships%ROWTYPE;
    me integer := mm_current_person();
BEGIN
    SELECT * INTO ms FROM mentorships m WHERE m.id = mentorship;
    IF NOT FOUND OR person NOT IN (ms.mentor_id, ms.mentee_id)
       OR (NOT mm_is_owner() AND (me IS NULL OR me NOT IN (ms.mentor_id, ms.mentee_id))) THEN
        RAISE EXCEPTION 'events only for the two people of one''s own mentorship'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO engagement_events (person_id, program_id, mentorship_id, kind, occurred_at,
                                   payload)
    VALUES (person, ms.program_id, ms.id, kind, occurred, payload);
END
$$;
