-- Group conversations started by participants (peer circles), migration 0012.
--
-- A participant may create a thread of kind 'group' that they own (created_by_id is them,
-- no mentorship, no program, no group key), and, as its creator only, add members to it:
-- themselves and people they may write to (the rule of mm_may_message in
-- 87_rls_helpers.sql, listed set-based by mm_messageable_people below). Nobody else's thread can be joined or extended, and the creator
-- sees the group they made even before adding themselves (an INSERT ... RETURNING must
-- pass the SELECT policy). Reading a group stays for its members (mm_my_threads).
--
-- The member picker lists the people a participant may write to through
-- mm_messageable_people(): their ids and names only, the same set mm_may_message allows.
-- Idempotent; applied with every other file by apply_security.
DO $groups$
BEGIN
    IF to_regprocedure('mm_may_message(integer)') IS NULL THEN
        RETURN;  -- before migration 0010
    END IF;

    -- Everyone the acting participant may write to, set-based (one query, not one call of
    -- mm_may_message per person): partners of running mentorships and the coordinators of
    -- programs they are actively enrolled in (or of every program).
    CREATE OR REPLACE FUNCTION mm_messageable_people()
    RETURNS TABLE (id integer, full_name varchar)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        WITH me AS (SELECT mm_current_person() AS id),
        candidates AS (
            SELECT m.mentee_id AS id FROM mentorships m, me
            WHERE m.mentor_id = me.id AND m.status IN ('active', 'paused')
            UNION
            SELECT m.mentor_id FROM mentorships m, me
            WHERE m.mentee_id = me.id AND m.status IN ('active', 'paused')
            UNION
            SELECT c.person_id FROM coordinator_programs c
            JOIN enrolments e ON e.program_id = c.program_id, me
            WHERE e.person_id = me.id AND e.status = 'active'
            UNION
            SELECT p.id FROM people p, me
            WHERE p.app_role IN ('coordinator', 'admin')
              AND NOT EXISTS (SELECT 1 FROM coordinator_programs c WHERE c.person_id = p.id)
              AND EXISTS (SELECT 1 FROM enrolments e
                          WHERE e.person_id = me.id AND e.status = 'active')
        )
        SELECT p.id, p.full_name FROM people p JOIN candidates c ON c.id = p.id, me
        WHERE p.is_active AND me.id IS NOT NULL AND p.id <> me.id
          AND (p.app_role IN ('coordinator', 'admin')
               OR EXISTS (SELECT 1 FROM mentorships m
                          WHERE m.status IN ('active', 'paused')
                            AND ((m.mentor_id = me.id AND m.mentee_id = p.id)
                                 OR (m.mentee_id = me.id AND m.mentor_id = p.id))))
        ORDER BY p.full_name, p.id
    $f$;

    DROP POLICY IF EXISTS mm_participant_own_group ON threads;
    DROP POLICY IF EXISTS mm_participant_start_group ON threads;
    DROP POLICY IF EXISTS mm_participant_add_member ON thread_participants;

    CREATE POLICY mm_participant_own_group ON threads FOR SELECT TO mentormatch_participant
        USING (kind = 'group' AND created_by_id = (SELECT mm_current_person()));
    CREATE POLICY mm_participant_start_group ON threads FOR INSERT TO mentormatch_participant
        WITH CHECK (kind = 'group'
                    AND created_by_id = (SELECT mm_current_person())
                    AND mentorship_id IS NULL AND program_id IS NULL AND group_key IS NULL
                    AND last_message_at IS NULL);
    -- The creator adds members to their own group: themselves, or someone they may write to.
    CREATE POLICY mm_participant_add_member ON thread_participants FOR INSERT
        TO mentormatch_participant
        WITH CHECK (thread_id IN (SELECT t.id FROM threads t
                                  WHERE t.kind = 'group'
                                    AND t.created_by_id = (SELECT mm_current_person()))
                    AND (person_id = (SELECT mm_current_person())
                         OR person_id IN (SELECT g.id FROM mm_messageable_people() g))
                    AND last_read_at IS NULL AND NOT muted);

    -- (The ORM names every column; the policy pins the ones a participant may not choose.)
    GRANT INSERT (kind, subject, created_by_id, created_at, mentorship_id, program_id,
                  group_key, last_message_at)
        ON threads TO mentormatch_participant;
    GRANT INSERT ON thread_participants TO mentormatch_participant;
    REVOKE ALL ON FUNCTION mm_messageable_people()
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT EXECUTE ON FUNCTION mm_messageable_people() TO mentormatch_participant;
END
$groups$;
