-- Row-level security. Every table holding personal data has FORCE ROW LEVEL SECURITY (the
-- owner role is bound by policies too: it gets its own all-rows policy) and one policy per
-- group role and purpose. Re-running this file drops and recreates every mm_ policy.
--
-- Coordinators come in two roles. mentormatch_coordinator runs every program: its
-- policies are constant (true, or a plain column test), so the planner sees exactly the
-- owner's query and estimates it as well. mentormatch_program_coordinator is limited to the
-- programs in coordinator_programs: its policies test membership in arrays computed once
-- per statement. (One role with "all OR in my programs" made the planner misjudge every
-- scan by two orders of magnitude and pick nested loops: minutes for the dashboard.)
--
-- Shorthands used below (each an InitPlan, evaluated once per statement):
--   (SELECT mm_current_person())                               the acting person
--   x = ANY ((SELECT mm_coordinated_programs())::integer[])    x is one of "my" programs
--   x NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[]))
--                                                              x is someone "I" may see
-- A program list is a few ids, and "= ANY" walks it. People are thousands: tested as
-- "x = ANY (mm_coordinated_people())" (16,000 of the demo's 20,000 for a coordinator of
-- three programs out of four) the array was walked for every row, 0.7 s to count people
-- and 7 s for the participants table. "NOT IN (SELECT unnest(...))" is a hashed SubPlan:
-- the set is hashed once per statement and probed per row; and it is the set of people
-- hidden from "me" (enrolled only in other programs), which is read from enrolments alone.
-- The hidden set holds no NULL (enrolments.person_id is NOT NULL), so NOT IN means "not
-- one of"; a row whose person_id is NULL passes neither form. See migration 0016.

DO $$
DECLARE
    pol record;
    tbl text;
BEGIN
    FOR pol IN
        SELECT p.policyname, p.tablename FROM pg_catalog.pg_policies p
        WHERE p.schemaname = current_schema() AND p.policyname LIKE 'mm\_%'
    LOOP
        EXECUTE format('DROP POLICY %I ON %I', pol.policyname, pol.tablename);
    END LOOP;
    FOREACH tbl IN ARRAY ARRAY[
        'people', 'person_languages', 'availability_slots', 'contact_channels',
        'person_skills', 'goals', 'calendar_connections', 'busy_blocks', 'pair_preferences',
        'programs', 'enrolments', 'weight_sets', 'coordinator_programs',
        'match_runs', 'match_proposals', 'mentorships', 'milestones', 'meetings', 'feedback',
        'threads', 'thread_participants', 'messages', 'message_deliveries',
        'engagement_events', 'audit_log'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
        EXECUTE format(
            'CREATE POLICY mm_owner_all ON %I TO mentormatch_owner USING (true) WITH CHECK (true)',
            tbl
        );
    END LOOP;
END
$$;

-- ---- people and what belongs to one person ----------------------------------------------

CREATE POLICY mm_participant_self ON people TO mentormatch_participant
    USING (id = (SELECT mm_current_person()))
    WITH CHECK (id = (SELECT mm_current_person()));
-- A person enrolled nowhere is visible to every coordinator, and so is one added by this
-- very statement (enrolled nowhere yet, so in no hidden set). This once also asked
-- "OR NOT mm_enrolled_anywhere(people.id)", a call for every row outside the visible set
-- on every read (4,000 calls to count the demo's people); the hidden set answers it.
CREATE POLICY mm_program_coordinator_scope ON people TO mentormatch_program_coordinator
    USING (people.id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[])))
    WITH CHECK (people.id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[])));

-- Tables keyed by person_id that a participant owns outright and a coordinator manages for
-- the people they see.
DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY[
        'person_languages', 'availability_slots', 'contact_channels', 'person_skills',
        'goals', 'pair_preferences'
    ] LOOP
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
    END LOOP;
    -- Calendar links and busy time are the participant's alone.
    FOREACH tbl IN ARRAY ARRAY['calendar_connections', 'busy_blocks'] LOOP
        EXECUTE format($p$
            CREATE POLICY mm_participant_own ON %I TO mentormatch_participant
                USING (person_id = (SELECT mm_current_person()))
                WITH CHECK (person_id = (SELECT mm_current_person()))
        $p$, tbl);
    END LOOP;
END
$$;

-- The mentorship partner also reads goals attached to the shared mentorship.
CREATE POLICY mm_participant_partner_goals ON goals FOR SELECT TO mentormatch_participant
    USING (mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]));

-- ---- programs, enrolments, matching -------------------------------------------------------

CREATE POLICY mm_participant_enrolled ON programs FOR SELECT TO mentormatch_participant
    USING (id IN (SELECT e.program_id FROM enrolments e
                  WHERE e.person_id = (SELECT mm_current_person())));
CREATE POLICY mm_program_coordinator_scope ON programs TO mentormatch_program_coordinator
    USING (id = ANY ((SELECT mm_coordinated_programs())::integer[]))
    WITH CHECK (id = ANY ((SELECT mm_coordinated_programs())::integer[]));

CREATE POLICY mm_participant_own ON enrolments TO mentormatch_participant
    USING (person_id = (SELECT mm_current_person()))
    WITH CHECK (person_id = (SELECT mm_current_person()));

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['enrolments', 'weight_sets', 'match_runs', 'mentorships'] LOOP
        EXECUTE format($p$
            CREATE POLICY mm_program_coordinator_scope ON %I TO mentormatch_program_coordinator
                USING (program_id = ANY ((SELECT mm_coordinated_programs())::integer[]))
                WITH CHECK (program_id = ANY ((SELECT mm_coordinated_programs())::integer[]))
        $p$, tbl);
    END LOOP;
END
$$;

CREATE POLICY mm_program_coordinator_scope ON match_proposals TO mentormatch_program_coordinator
    USING (run_id IN (SELECT r.id FROM match_runs r
                         WHERE r.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])))
    WITH CHECK (run_id IN (SELECT r.id FROM match_runs r
                              WHERE r.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])));


-- ---- mentorships and their life -----------------------------------------------------------

CREATE POLICY mm_participant_mine ON mentorships FOR SELECT TO mentormatch_participant
    USING (mentor_id = (SELECT mm_current_person()) OR mentee_id = (SELECT mm_current_person()));

-- Participants never update a mentorship: their activity is an engagement event
-- (mentorships.last_activity_at, which they once moved, was dropped by migration 0007).

CREATE POLICY mm_participant_mine ON milestones TO mentormatch_participant
    USING (mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]))
    WITH CHECK (mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]));
CREATE POLICY mm_participant_mine ON meetings TO mentormatch_participant
    USING (mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]))
    WITH CHECK (mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]));

-- Feedback: the author reads and edits what they wrote, about their own mentorships only.
CREATE POLICY mm_participant_author ON feedback TO mentormatch_participant
    USING (author_id = (SELECT mm_current_person()))
    WITH CHECK (author_id = (SELECT mm_current_person())
                AND mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[]));

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY['milestones', 'meetings'] LOOP
        EXECUTE format($p$
            CREATE POLICY mm_program_coordinator_scope ON %I TO mentormatch_program_coordinator
                USING (mentorship_id IN (SELECT m.id FROM mentorships m
                           WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])))
                WITH CHECK (mentorship_id IN (SELECT m.id FROM mentorships m
                           WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])))
        $p$, tbl);
    END LOOP;
END
$$;

-- Coordinators never read feedback marked private, not even in their own programs.
CREATE POLICY mm_program_coordinator_scope ON feedback TO mentormatch_program_coordinator
    USING (NOT is_private
           AND (mentorship_id IN (SELECT m.id FROM mentorships m
                    WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[]))))
    WITH CHECK (NOT is_private
           AND (mentorship_id IN (SELECT m.id FROM mentorships m
                    WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[]))));

-- ---- messaging ---------------------------------------------------------------------------

CREATE POLICY mm_participant_member ON threads FOR SELECT TO mentormatch_participant
    USING (id = ANY ((SELECT mm_my_threads())::integer[]));
CREATE POLICY mm_program_coordinator_scope ON threads TO mentormatch_program_coordinator
    USING (program_id = ANY ((SELECT mm_coordinated_programs())::integer[])
           OR mentorship_id IN (SELECT m.id FROM mentorships m
                                WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])))
    WITH CHECK (program_id = ANY ((SELECT mm_coordinated_programs())::integer[])
           OR mentorship_id IN (SELECT m.id FROM mentorships m
                                WHERE m.program_id = ANY ((SELECT mm_coordinated_programs())::integer[])));

-- Members see who else is in their threads and mark their own row read or muted; they
-- never add a membership to a thread they did not start (89_group_threads.sql: their own
-- groups only).
CREATE POLICY mm_participant_member ON thread_participants FOR SELECT TO mentormatch_participant
    USING (thread_id = ANY ((SELECT mm_my_threads())::integer[]));
CREATE POLICY mm_participant_own_row ON thread_participants FOR UPDATE TO mentormatch_participant
    USING (person_id = (SELECT mm_current_person()))
    WITH CHECK (person_id = (SELECT mm_current_person()));
CREATE POLICY mm_program_coordinator_scope ON thread_participants TO mentormatch_program_coordinator
    USING (thread_id IN (SELECT t.id FROM threads t))
    WITH CHECK (thread_id IN (SELECT t.id FROM threads t));

-- Reading is a semi-join on the member's threads (a hashed set, computed once per
-- statement), not "= ANY (array)": an array of unknown length in the index condition made
-- the planner price every index on thread_id alike and, for unread counts, pick one that
-- read all 10,000 messages of a long thread instead of the covering index that reads only
-- the unread ones (migration 0011). The rows allowed are the same.
CREATE POLICY mm_participant_read ON messages FOR SELECT TO mentormatch_participant
    USING (thread_id IN (SELECT unnest((SELECT mm_my_threads())::integer[])));
CREATE POLICY mm_participant_write ON messages FOR INSERT TO mentormatch_participant
    WITH CHECK (sender_id = (SELECT mm_current_person())
                AND thread_id = ANY ((SELECT mm_my_threads())::integer[]));
CREATE POLICY mm_participant_edit ON messages FOR UPDATE TO mentormatch_participant
    USING (sender_id = (SELECT mm_current_person()))
    WITH CHECK (sender_id = (SELECT mm_current_person())
                AND thread_id = ANY ((SELECT mm_my_threads())::integer[]));
-- Coordinators see that messages exist in their programs' threads (the grants leave out the
-- body column) and post introductions there under their own name.
CREATE POLICY mm_program_coordinator_read ON messages FOR SELECT TO mentormatch_program_coordinator
    USING (thread_id IN (SELECT t.id FROM threads t));
CREATE POLICY mm_program_coordinator_write ON messages FOR INSERT TO mentormatch_program_coordinator
    WITH CHECK (sender_id = (SELECT mm_current_person())
                AND thread_id IN (SELECT t.id FROM threads t));

CREATE POLICY mm_program_coordinator_scope ON message_deliveries TO mentormatch_program_coordinator
    USING (message_id IN (SELECT m.id FROM messages m))
    WITH CHECK (message_id IN (SELECT m.id FROM messages m));

-- ---- activity and audit -------------------------------------------------------------------

CREATE POLICY mm_participant_own ON engagement_events TO mentormatch_participant
    USING (person_id = (SELECT mm_current_person()))
    WITH CHECK (person_id = (SELECT mm_current_person()));
CREATE POLICY mm_program_coordinator_scope ON engagement_events TO mentormatch_program_coordinator
    USING (program_id = ANY ((SELECT mm_coordinated_programs())::integer[])
           OR (program_id IS NULL AND person_id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[]))))
    WITH CHECK (program_id = ANY ((SELECT mm_coordinated_programs())::integer[])
           OR (program_id IS NULL AND person_id NOT IN (SELECT unnest((SELECT mm_hidden_people())::integer[]))));

-- The audit log: a coordinator of every program reads all of it, a limited one what they
-- did; rows are added with the actor the database sets (see 50_audit.sql).
CREATE POLICY mm_program_coordinator_read ON audit_log FOR SELECT TO mentormatch_program_coordinator
    USING (actor_id = (SELECT mm_current_person()));
CREATE POLICY mm_program_coordinator_write ON audit_log FOR INSERT TO mentormatch_program_coordinator
    WITH CHECK (actor_login = (SELECT mm_current_login()));

-- ---- coordinators of every program -------------------------------------------------------

DO $$
DECLARE
    tbl text;
BEGIN
    FOREACH tbl IN ARRAY ARRAY[
        'people', 'person_languages', 'availability_slots', 'contact_channels',
        'person_skills', 'goals', 'pair_preferences', 'programs', 'enrolments',
        'weight_sets', 'match_runs', 'match_proposals', 'mentorships', 'milestones',
        'meetings', 'threads', 'thread_participants', 'message_deliveries',
        'engagement_events'
    ] LOOP
        EXECUTE format(
            'CREATE POLICY mm_coordinator_all ON %I TO mentormatch_coordinator'
            ' USING (true) WITH CHECK (true)', tbl);
    END LOOP;
END
$$;
-- Not private feedback, not others' message bodies (no column grant), not calendars.
CREATE POLICY mm_coordinator_not_private ON feedback TO mentormatch_coordinator
    USING (NOT is_private) WITH CHECK (NOT is_private);
CREATE POLICY mm_coordinator_read ON messages FOR SELECT TO mentormatch_coordinator
    USING (true);
CREATE POLICY mm_coordinator_write ON messages FOR INSERT TO mentormatch_coordinator
    WITH CHECK (sender_id = (SELECT mm_current_person()));
CREATE POLICY mm_coordinator_read ON audit_log FOR SELECT TO mentormatch_coordinator
    USING (true);
CREATE POLICY mm_coordinator_write ON audit_log FOR INSERT TO mentormatch_coordinator
    WITH CHECK (actor_login = (SELECT mm_current_login()));
CREATE POLICY mm_coordinator_self ON coordinator_programs FOR SELECT
    TO mentormatch_coordinator, mentormatch_program_coordinator
    USING (person_id = (SELECT mm_current_person()));
