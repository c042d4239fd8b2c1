-- Group sessions (migration 0013): one meeting, N attendees. Guarded like 85_scheduling.sql:
-- nothing happens until 0013 made meeting_attendees; idempotent, applied with every file.
--
-- Who sees what:
--   * an attendee reads the meeting, the attendee list (names and e-mails through
--     mm_meeting_people) and the shared half of every attendee's log; they change only their
--     own answer (response, responded_at);
--   * the organiser (a member of the meeting's anchor mentorship, whose policies already let
--     them update the meeting) invites people and resets answers when the time moves;
--   * anybody else — another participant, even one in the same programme — sees no row,
--     whether through the app or raw SQL.
DO $group_sessions$
BEGIN
    IF to_regclass('meeting_attendees') IS NULL THEN
        RETURN;
    END IF;

    -- The meetings the acting person attends. Definer: the policies of meetings and of
    -- meeting_attendees both ask, and neither may recurse into the other.
    CREATE OR REPLACE FUNCTION mm_my_meetings() RETURNS integer[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT ARRAY(SELECT a.meeting_id FROM meeting_attendees a
                     WHERE a.person_id = (SELECT mm_current_person()))
    $f$;

    -- Names, e-mails and zones of a group session's attendees, for its attendees (who may
    -- not read the people rows of circle members they have no mentorship with) and for
    -- the coordinators who see its mentorship.
    CREATE OR REPLACE FUNCTION mm_meeting_people(meeting integer)
    RETURNS TABLE (id integer, full_name varchar, email varchar, time_zone varchar)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT p.id, p.full_name::varchar, p.email::varchar, p.time_zone::varchar
        FROM meeting_attendees a
        JOIN people p ON p.id = a.person_id
        JOIN meetings g ON g.id = a.meeting_id
        JOIN mentorships m ON m.id = g.mentorship_id
        WHERE a.meeting_id = meeting
          AND (meeting = ANY (mm_my_meetings())
               OR mm_is_owner()
               OR pg_has_role(mm_current_login(), 'mentormatch_coordinator', 'USAGE')
               OR (pg_has_role(mm_current_login(), 'mentormatch_program_coordinator', 'USAGE')
                   AND m.program_id = ANY (mm_coordinated_programs())))
    $f$;

    -- After an attendee's log: held once anyone says so, missed if nobody has. An attendee
    -- outside the anchor mentorship may not update the meeting row itself.
    CREATE OR REPLACE FUNCTION mm_mark_group_meeting(meeting integer, held boolean)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    BEGIN
        IF NOT (meeting = ANY (mm_my_meetings())) THEN
            RAISE EXCEPTION 'only an attendee marks a group session held or missed'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        UPDATE meetings g
        SET status = CASE WHEN held THEN 'held'
                          WHEN g.status = 'scheduled' THEN 'missed'
                          ELSE g.status END
        WHERE g.id = meeting AND g.is_group AND g.starts_at <= now()
          AND g.status IN ('scheduled', 'held', 'missed');
    END
    $f$;

    ALTER TABLE meeting_attendees ENABLE ROW LEVEL SECURITY;
    ALTER TABLE meeting_attendees FORCE ROW LEVEL SECURITY;
    DROP POLICY IF EXISTS mm_owner_all ON meeting_attendees;
    CREATE POLICY mm_owner_all ON meeting_attendees TO mentormatch_owner
        USING (true) WITH CHECK (true);
    DROP POLICY IF EXISTS mm_participant_attendee ON meeting_attendees;
    CREATE POLICY mm_participant_attendee ON meeting_attendees FOR SELECT
        TO mentormatch_participant
        USING (meeting_id = ANY ((SELECT mm_my_meetings())::integer[]));
    -- The organiser invites (the meetings subquery is itself under meetings' policies).
    DROP POLICY IF EXISTS mm_participant_organiser ON meeting_attendees;
    CREATE POLICY mm_participant_organiser ON meeting_attendees TO mentormatch_participant
        USING (meeting_id IN (SELECT g.id FROM meetings g
                              WHERE g.is_group AND g.organiser_id = (SELECT mm_current_person())))
        WITH CHECK (meeting_id IN (SELECT g.id FROM meetings g
                              WHERE g.is_group AND g.organiser_id = (SELECT mm_current_person())));
    DROP POLICY IF EXISTS mm_participant_own_answer ON meeting_attendees;
    CREATE POLICY mm_participant_own_answer ON meeting_attendees FOR UPDATE
        TO mentormatch_participant
        USING (person_id = (SELECT mm_current_person()))
        WITH CHECK (person_id = (SELECT mm_current_person()));
    DROP POLICY IF EXISTS mm_program_coordinator_scope ON meeting_attendees;
    CREATE POLICY mm_program_coordinator_scope ON meeting_attendees
        TO mentormatch_program_coordinator
        USING (meeting_id IN (SELECT g.id FROM meetings g))
        WITH CHECK (meeting_id IN (SELECT g.id FROM meetings g));
    DROP POLICY IF EXISTS mm_coordinator_all ON meeting_attendees;
    CREATE POLICY mm_coordinator_all ON meeting_attendees TO mentormatch_coordinator
        USING (true) WITH CHECK (true);

    -- An attendee reads the group session itself (its anchor mentorship may be between
    -- two other people of the circle). Reading only: moving it is the organiser's.
    DROP POLICY IF EXISTS mm_participant_attendee ON meetings;
    CREATE POLICY mm_participant_attendee ON meetings FOR SELECT TO mentormatch_participant
        USING (id = ANY ((SELECT mm_my_meetings())::integer[]));

    -- Logs: an attendee writes their own log of a group session they attend; the author
    -- policy of 85_scheduling.sql still keeps every row (private notes) to its author.
    DROP POLICY IF EXISTS mm_participant_attendee_author ON session_logs;
    CREATE POLICY mm_participant_attendee_author ON session_logs TO mentormatch_participant
        USING (author_id = (SELECT mm_current_person()))
        WITH CHECK (author_id = (SELECT mm_current_person())
                    AND meeting_id = ANY ((SELECT mm_my_meetings())::integer[]));

    -- The shared half of logs (85_scheduling.sql defines it for pairs): also every
    -- attendee's log of the group sessions the caller attends. Same columns: never
    -- private notes. The helpers are InitPlans (SELECT …): called bare in the WHERE clause
    -- they ran once per log row of the whole organisation.
    CREATE OR REPLACE FUNCTION mm_shared_session_logs()
    RETURNS TABLE (
        id integer, meeting_id integer, author_id integer, held boolean, shared_notes text,
        rating smallint, next_steps jsonb, logged_at timestamptz
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT l.id, l.meeting_id, l.author_id, l.held, l.shared_notes, l.rating,
               l.next_steps::jsonb, l.logged_at
        FROM session_logs l JOIN meetings g ON g.id = l.meeting_id
        WHERE g.mentorship_id = ANY ((SELECT mm_my_mentorships())::integer[])
           OR g.id = ANY ((SELECT mm_my_meetings())::integer[])
           OR (SELECT mm_is_owner())
    $f$;

    -- Notices of group sessions one attends (reminders addressed to others included: they
    -- say nothing but "starts in 1 hour").
    DROP POLICY IF EXISTS mm_participant_attendee_read ON session_notices;
    CREATE POLICY mm_participant_attendee_read ON session_notices FOR SELECT
        TO mentormatch_participant
        USING (meeting_id = ANY ((SELECT mm_my_meetings())::integer[]));
    -- The notice of one's own answer to a group session one attends.
    DROP POLICY IF EXISTS mm_participant_attendee_write ON session_notices;
    CREATE POLICY mm_participant_attendee_write ON session_notices FOR INSERT
        TO mentormatch_participant
        WITH CHECK (actor_id = (SELECT mm_current_person())
                    AND meeting_id = ANY ((SELECT mm_my_meetings())::integer[]));

    -- Busy time (87_rls_helpers.sql defines it for pairs): a group session keeps every
    -- attendee who has not declined busy, whichever mentorship anchors it. The person and
    -- a program coordinator's people are computed once, not once per person asked.
    CREATE OR REPLACE FUNCTION mm_busy_intervals(
        people integer[], from_ts timestamptz, to_ts timestamptz, skip_meeting integer
    )
    RETURNS TABLE (
        person_id integer, kind text, starts_at timestamptz, ends_at timestamptz,
        rrule text, time_zone text
    )
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        WITH asked AS (SELECT DISTINCT unnest(people) AS id),
        me AS (SELECT (SELECT mm_current_person()) AS id),
        allowed AS (
            SELECT a.id FROM asked a, me
            WHERE mm_is_owner()
               OR pg_has_role(mm_current_login(), 'mentormatch_coordinator', 'USAGE')
               OR (pg_has_role(mm_current_login(), 'mentormatch_program_coordinator', 'USAGE')
                   AND a.id = ANY ((SELECT mm_coordinated_people())::integer[]))
               OR (pg_has_role(mm_current_login(), 'mentormatch_participant', 'USAGE')
                   AND me.id IS NOT NULL
                   AND (a.id = me.id
                        OR EXISTS (SELECT 1 FROM mentorships m
                                   WHERE m.status IN ('active', 'paused')
                                     AND ((m.mentor_id = me.id AND m.mentee_id = a.id)
                                          OR (m.mentee_id = me.id AND m.mentor_id = a.id)))))
        )
        SELECT x.id, 'session', g.starts_at, g.ends_at, g.rrule::text, g.time_zone::text
        FROM allowed x
        JOIN mentorships m ON m.mentor_id = x.id
        JOIN meetings g ON g.mentorship_id = m.id
        WHERE g.status IN ('proposed', 'scheduled') AND NOT g.is_group
          AND g.starts_at < to_ts
          AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)
          AND g.id IS DISTINCT FROM skip_meeting
        UNION ALL
        SELECT x.id, 'session', g.starts_at, g.ends_at, g.rrule::text, g.time_zone::text
        FROM allowed x
        JOIN mentorships m ON m.mentee_id = x.id
        JOIN meetings g ON g.mentorship_id = m.id
        WHERE g.status IN ('proposed', 'scheduled') AND NOT g.is_group
          AND g.starts_at < to_ts
          AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)
          AND g.id IS DISTINCT FROM skip_meeting
        UNION ALL
        SELECT x.id, 'session', g.starts_at, g.ends_at, g.rrule::text, g.time_zone::text
        FROM allowed x
        JOIN meeting_attendees a ON a.person_id = x.id AND a.response <> 'declined'
        JOIN meetings g ON g.id = a.meeting_id
        WHERE g.status IN ('proposed', 'scheduled')
          AND g.starts_at < to_ts
          AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)
          AND g.id IS DISTINCT FROM skip_meeting
        UNION ALL
        SELECT x.id, 'calendar', b.starts_at, b.ends_at, NULL, NULL
        FROM allowed x JOIN busy_blocks b ON b.person_id = x.id
        WHERE b.ends_at > from_ts AND b.starts_at < to_ts
    $f$;

    DROP TRIGGER IF EXISTS mm_audit_coordinator_change ON meeting_attendees;
    CREATE TRIGGER mm_audit_coordinator_change AFTER INSERT OR UPDATE OR DELETE
        ON meeting_attendees
        FOR EACH ROW WHEN (NOT pg_has_role('mentormatch_owner', 'MEMBER')
            AND (pg_has_role('mentormatch_coordinator', 'USAGE')
                 OR pg_has_role('mentormatch_program_coordinator', 'USAGE')))
        EXECUTE FUNCTION mm_audit_coordinator_change();

    REVOKE ALL ON meeting_attendees
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    REVOKE ALL ON FUNCTION mm_my_meetings(), mm_meeting_people(integer),
        mm_mark_group_meeting(integer, boolean)
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT SELECT, INSERT, UPDATE (response, responded_at) ON meeting_attendees
        TO mentormatch_participant;
    GRANT SELECT, INSERT, UPDATE, DELETE ON meeting_attendees
        TO mentormatch_coordinator, mentormatch_program_coordinator;
    GRANT EXECUTE ON FUNCTION mm_my_meetings(), mm_mark_group_meeting(integer, boolean)
        TO mentormatch_participant;
    GRANT EXECUTE ON FUNCTION mm_meeting_people(integer)
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
    -- Re-granted: CREATE OR REPLACE keeps grants, but 80_grants.sql revoked them first.
    GRANT EXECUTE ON FUNCTION mm_shared_session_logs() TO mentormatch_participant;
    GRANT EXECUTE ON FUNCTION mm_busy_intervals(integer[], timestamptz, timestamptz, integer)
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
END
$group_sessions$;
