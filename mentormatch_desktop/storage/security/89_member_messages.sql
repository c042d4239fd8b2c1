-- A coordinator reads and answers the conversations they are a member of (migration 0018).
--
-- Coordinators' grants leave out messages.body and deleted_at: they see that messages exist
-- in the threads of their programs, never what the pairs wrote. A column grant holds for
-- every row, so it cannot open the bodies of only some threads; instead the definer function
-- mm_member_messages() returns the full rows of the threads the acting person is a member of
-- (mm_my_threads(), exactly the participants' read policy) to any client role. A participant
-- gets nothing they could not already read; a coordinator gets their own conversations
-- (Message both, announcements they posted), and nothing else.
--
-- Membership is then what guards the bodies, so a coordinator must not be able to make
-- themselves a member of someone else's thread. Their policies let them write members and
-- threads in their programs (introductions add a pair to its mentorship thread; Message both
-- writes a new group), so the triggers below add what a policy cannot say (it never sees
-- the row before an update): a coordinator adds themselves, or moves a membership row to
-- themselves, only in a thread they started that is neither a mentorship's thread (kind
-- 'mentorship', which stays when a deleted mentorship leaves mentorship_id NULL) nor a group
-- program's (group_key); and no client gives a thread another creator, mentorship, kind or
-- group key afterwards (only the foreign keys' SET NULL). The owner role (migrations, the
-- delivery worker) is not limited. Idempotent; applied with every other file.
DO $member$
BEGIN
    IF to_regprocedure('mm_messageable_people()') IS NULL THEN
        RETURN;  -- before migration 0012
    END IF;

    CREATE OR REPLACE FUNCTION mm_member_messages() RETURNS SETOF messages
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT m.* FROM messages m
        WHERE m.thread_id IN (SELECT unnest((SELECT mm_my_threads())::integer[]))
    $f$;

    CREATE OR REPLACE FUNCTION mm_guard_membership() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    DECLARE
        me integer;
    BEGIN
        IF mm_is_owner() THEN
            RETURN NEW;
        END IF;
        me := mm_current_person();
        IF me IS NULL OR NEW.person_id IS DISTINCT FROM me THEN
            RETURN NEW;  -- adding someone else reveals nothing to the writer
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.person_id = NEW.person_id
           AND OLD.thread_id = NEW.thread_id THEN
            RETURN NEW;  -- their own row: read mark, mute
        END IF;
        IF pg_has_role(mm_current_login(), 'mentormatch_participant', 'USAGE') THEN
            RETURN NEW;  -- their policies already limit this (89_group_threads.sql)
        END IF;
        IF NOT EXISTS (SELECT 1 FROM threads t
                       WHERE t.id = NEW.thread_id AND t.created_by_id = me
                         AND t.kind <> 'mentorship'
                         AND t.mentorship_id IS NULL AND t.group_key IS NULL) THEN
            RAISE EXCEPTION 'a coordinator joins only conversations they started'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'start one with Message both';
        END IF;
        RETURN NEW;
    END
    $f$;
    DROP TRIGGER IF EXISTS mm_guard_membership ON thread_participants;
    CREATE TRIGGER mm_guard_membership BEFORE INSERT OR UPDATE ON thread_participants
        FOR EACH ROW EXECUTE FUNCTION mm_guard_membership();

    CREATE OR REPLACE FUNCTION mm_guard_thread_origin() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    BEGIN
        IF mm_is_owner() THEN
            RETURN NEW;
        END IF;
        -- Set to NULL is allowed: the foreign keys' ON DELETE SET NULL when a coordinator
        -- deletes a mentorship (the thread keeps kind 'mentorship', which nobody joins).
        IF (NEW.created_by_id IS DISTINCT FROM OLD.created_by_id AND NEW.created_by_id IS NOT NULL)
           OR (NEW.mentorship_id IS DISTINCT FROM OLD.mentorship_id
               AND NEW.mentorship_id IS NOT NULL)
           OR NEW.kind IS DISTINCT FROM OLD.kind
           OR NEW.group_key IS DISTINCT FROM OLD.group_key THEN
            RAISE EXCEPTION 'a thread keeps who started it, its mentorship and its group'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $f$;
    DROP TRIGGER IF EXISTS mm_guard_thread_origin ON threads;
    CREATE TRIGGER mm_guard_thread_origin BEFORE UPDATE ON threads
        FOR EACH ROW EXECUTE FUNCTION mm_guard_thread_origin();

    REVOKE ALL ON FUNCTION mm_member_messages(), mm_guard_membership(),
        mm_guard_thread_origin()
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT EXECUTE ON FUNCTION mm_member_messages()
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
END
$member$;
