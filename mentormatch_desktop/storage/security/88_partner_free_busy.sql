-- "Find a time" for a participant (issue 15): the partner's free/busy, never their calendar.
-- A participant cannot read their partner's availability rows, preferences, busy blocks or
-- other mentorships' sessions (all person-owned, see 20_policies.sql), yet the slot finder
-- needs exactly that to propose a common time. This definer function answers, for a member
-- of the mentorship only, what a free/busy query would: the partner's zone, weekly windows,
-- dated exceptions (without their notes), working hours, notice and buffer, and busy
-- intervals (start and end only: no titles, no calendar, no other mentorship named).
-- Idempotent; applied with every other file by apply_security (any later migration that
-- calls it, or `mentormatch org init`).
DO $partner$
BEGIN
    IF to_regclass('availability_exceptions') IS NULL
       OR to_regclass('scheduling_preferences') IS NULL THEN
        RETURN;
    END IF;

    CREATE OR REPLACE FUNCTION mm_partner_free_busy(
        mentorship integer, from_ts timestamptz, to_ts timestamptz
    ) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    DECLARE
        ms mentorships%ROWTYPE;
        me integer := mm_current_person();
        partner integer;
        answer jsonb;
    BEGIN
        SELECT * INTO ms FROM mentorships m WHERE m.id = mentorship;
        IF NOT FOUND OR me IS NULL OR me NOT IN (ms.mentor_id, ms.mentee_id) THEN
            RAISE EXCEPTION 'free/busy only for the partner of one''s own mentorship'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        partner := CASE WHEN ms.mentor_id = me THEN ms.mentee_id ELSE ms.mentor_id END;
        SELECT jsonb_build_object(
            'person_id', p.id,
            'time_zone', p.time_zone,
            'weekly', coalesce((
                SELECT jsonb_agg(jsonb_build_array(a.weekday, a.start_minute, a.end_minute)
                                 ORDER BY a.weekday, a.start_minute)
                FROM availability_slots a WHERE a.person_id = p.id), '[]'::jsonb),
            'exceptions', coalesce((
                SELECT jsonb_agg(jsonb_build_array(x.first_day, x.last_day, x.available,
                                                   x.start_minute, x.end_minute))
                FROM availability_exceptions x
                WHERE x.person_id = p.id AND x.last_day >= (from_ts - interval '1 day')::date
                  AND x.first_day <= (to_ts + interval '1 day')::date), '[]'::jsonb),
            'preferences', (
                SELECT jsonb_build_array(s.work_start_minute, s.work_end_minute,
                                         s.work_weekdays, s.min_notice_minutes,
                                         s.buffer_minutes)
                FROM scheduling_preferences s WHERE s.person_id = p.id),
            'busy', coalesce((
                SELECT jsonb_agg(jsonb_build_array(b.starts_at, b.ends_at))
                FROM busy_blocks b
                WHERE b.person_id = p.id AND b.ends_at > from_ts AND b.starts_at < to_ts),
                '[]'::jsonb),
            -- Sessions the partner holds in their other mentorships (a series comes with its
            -- rule and zone, expanded by the app); the shared mentorship's the caller reads.
            'sessions', coalesce((
                SELECT jsonb_agg(jsonb_build_array(g.starts_at, g.ends_at, g.rrule, g.time_zone))
                FROM meetings g JOIN mentorships o ON o.id = g.mentorship_id
                WHERE p.id IN (o.mentor_id, o.mentee_id) AND o.id <> ms.id
                  AND g.status IN ('proposed', 'scheduled')
                  AND g.starts_at < to_ts AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)),
                '[]'::jsonb)
        ) INTO answer
        FROM people p WHERE p.id = partner;
        RETURN answer;
    END
    $f$;

    REVOKE ALL ON FUNCTION mm_partner_free_busy(integer, timestamptz, timestamptz)
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT EXECUTE ON FUNCTION mm_partner_free_busy(integer, timestamptz, timestamptz)
        TO mentormatch_participant;
END
$partner$;
