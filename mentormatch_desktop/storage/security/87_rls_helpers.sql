-- Definer helpers for what a participant must do across rows they may not read (migration
-- 0008): address a message to a person, open the conversation with them, keep a thread's
-- last_message_at, and see when the people they schedule with are busy.
--
-- Who a participant may write to (mm_may_message), decided here and nowhere else:
--   * a partner in one of their running mentorships (status active or paused), and
--   * a coordinator of a program they are actively enrolled in: a coordinator (app_role
--     coordinator or admin, set by `mentormatch org grant`) listed for that program in
--     coordinator_programs, or a coordinator of every program (no coordinator_programs
--     rows), for anyone actively enrolled somewhere.
-- Everyone else — strangers, ended pairings, inactive people, themselves — is answered
-- exactly like an address or id that does not exist (NULL), so the helpers cannot be used
-- to learn who is in the organisation.
--
-- Notifications of a participant's message are NOT queued by the participant: they would
-- need the recipients' addresses, channels and preferences. The message row carries
-- fanout_pending and the delivery worker, on its own owner connection, queues the
-- deliveries (services/outbox.py fan_out). See docs/deployment.md, "Messaging under RLS".
DO $helpers$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'messages'
          AND column_name = 'fanout_pending'
    ) THEN
        RETURN;  -- before migration 0008
    END IF;

    -- May the acting participant write to ``person``? (The rule above.)
    CREATE OR REPLACE FUNCTION mm_may_message(person integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT EXISTS (
            SELECT 1
            FROM people p, (SELECT mm_current_person() AS id) AS me
            WHERE p.id = person AND p.is_active AND me.id IS NOT NULL AND p.id <> me.id
              AND (
                  EXISTS (SELECT 1 FROM mentorships m
                          WHERE m.status IN ('active', 'paused')
                            AND ((m.mentor_id = me.id AND m.mentee_id = p.id)
                                 OR (m.mentee_id = me.id AND m.mentor_id = p.id)))
                  OR (p.app_role IN ('coordinator', 'admin')
                      AND EXISTS (SELECT 1 FROM coordinator_programs c
                                  JOIN enrolments e ON e.program_id = c.program_id
                                  WHERE c.person_id = p.id AND e.person_id = me.id
                                    AND e.status = 'active'))
                  OR (p.app_role IN ('coordinator', 'admin')
                      AND NOT EXISTS (SELECT 1 FROM coordinator_programs c
                                      WHERE c.person_id = p.id)
                      AND EXISTS (SELECT 1 FROM enrolments e
                                  WHERE e.person_id = me.id AND e.status = 'active'))
              )
        )
    $f$;

    -- The id of the person with this e-mail address, if the caller may write to them;
    -- NULL otherwise (unknown address and stranger alike).
    CREATE OR REPLACE FUNCTION mm_messageable_person(address text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
        SELECT p.id FROM people p
        WHERE lower(p.email) = lower(btrim(address)) AND mm_may_message(p.id)
        ORDER BY p.id LIMIT 1
    $f$;

    -- The conversation between the caller and ``person`` (whom they may write to), created
    -- when missing; NULL when they may not. Without a subject: their running mentorship's
    -- thread, else their existing two-person thread, else a new one. With a subject: a new
    -- two-person thread so named. Membership rows are written here, for the two of them
    -- only: a participant still cannot join any other thread.
    CREATE OR REPLACE FUNCTION mm_thread_with(person integer, subject text)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    DECLARE
        me integer := mm_current_person();
        ms mentorships%ROWTYPE;
        tid integer;
        my_name text;
        other_name text;
        title text := nullif(btrim(coalesce(subject, '')), '');
    BEGIN
        IF me IS NULL OR person IS NULL OR NOT mm_may_message(person) THEN
            RETURN NULL;
        END IF;
        SELECT p.full_name INTO my_name FROM people p WHERE p.id = me;
        SELECT p.full_name INTO other_name FROM people p WHERE p.id = person;
        IF title IS NULL THEN
            SELECT * INTO ms FROM mentorships m
            WHERE m.status IN ('active', 'paused')
              AND ((m.mentor_id = me AND m.mentee_id = person)
                   OR (m.mentor_id = person AND m.mentee_id = me))
            ORDER BY m.started_at DESC NULLS LAST, m.id DESC LIMIT 1;
            IF FOUND THEN
                SELECT t.id INTO tid FROM threads t WHERE t.mentorship_id = ms.id;
                IF tid IS NULL THEN
                    INSERT INTO threads (kind, subject, mentorship_id, program_id,
                                         created_by_id, created_at)
                    SELECT 'mentorship', left(r.full_name || ' & ' || e.full_name, 200),
                           ms.id, ms.program_id, me, now()
                    FROM people r, people e
                    WHERE r.id = ms.mentor_id AND e.id = ms.mentee_id
                    ON CONFLICT (mentorship_id) DO NOTHING
                    RETURNING id INTO tid;
                    IF tid IS NULL THEN  -- the partner opened it at the same moment
                        SELECT t.id INTO tid FROM threads t WHERE t.mentorship_id = ms.id;
                    END IF;
                END IF;
            ELSE
                SELECT t.id INTO tid FROM threads t
                WHERE t.kind = 'direct'
                  AND EXISTS (SELECT 1 FROM thread_participants a
                              WHERE a.thread_id = t.id AND a.person_id = me)
                  AND EXISTS (SELECT 1 FROM thread_participants b
                              WHERE b.thread_id = t.id AND b.person_id = person)
                ORDER BY t.id LIMIT 1;
            END IF;
        END IF;
        IF tid IS NULL THEN
            INSERT INTO threads (kind, subject, created_by_id, created_at)
            VALUES ('direct', left(coalesce(title, my_name || ' & ' || other_name), 200), me,
                    now())
            RETURNING id INTO tid;
        END IF;
        INSERT INTO thread_participants (thread_id, person_id, joined_at, muted)
        VALUES (tid, me, now(), false), (tid, person, now(), false)
        ON CONFLICT DO NOTHING;
        RETURN tid;
    END
    $f$;

    -- A thread's last_message_at follows its messages, whoever writes them (participants
    -- hold no UPDATE on threads). Per statement, over the inserted rows: a bulk COPY of a
    -- million messages (the demo) costs one grouped UPDATE, not a million.
    CREATE OR REPLACE FUNCTION mm_touch_thread() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $f$
    BEGIN
        UPDATE threads t SET last_message_at = n.latest
        FROM (SELECT i.thread_id, max(i.created_at) AS latest
              FROM mm_inserted_messages i GROUP BY i.thread_id) AS n
        WHERE t.id = n.thread_id
          AND (t.last_message_at IS NULL OR t.last_message_at < n.latest);
        RETURN NULL;
    END
    $f$;
    DROP TRIGGER IF EXISTS mm_touch_thread ON messages;
    CREATE TRIGGER mm_touch_thread AFTER INSERT ON messages
        REFERENCING NEW TABLE AS mm_inserted_messages
        FOR EACH STATEMENT EXECUTE FUNCTION mm_touch_thread();

    -- Busy time of people the caller schedules with: sessions held or proposed (any
    -- mentorship) and calendar busy blocks, as bare intervals — no title, agenda, partner,
    -- mentorship or meeting id. A participant gets rows for themselves and the partners of
    -- their running mentorships; a program coordinator for the people they see; a
    -- coordinator of every program and the owner for anyone; an analyst nothing. Recurring
    -- sessions come with their rule and zone (the caller expands them). The person and a
    -- program coordinator's people are InitPlans, computed once a call.
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
        -- One join per side (an OR join would not use the mentor/mentee indexes).
        SELECT x.id, 'session', g.starts_at, g.ends_at, g.rrule::text, g.time_zone::text
        FROM allowed x
        JOIN mentorships m ON m.mentor_id = x.id
        JOIN meetings g ON g.mentorship_id = m.id
        WHERE g.status IN ('proposed', 'scheduled')
          AND g.starts_at < to_ts
          AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)
          AND g.id IS DISTINCT FROM skip_meeting
        UNION ALL
        SELECT x.id, 'session', g.starts_at, g.ends_at, g.rrule::text, g.time_zone::text
        FROM allowed x
        JOIN mentorships m ON m.mentee_id = x.id
        JOIN meetings g ON g.mentorship_id = m.id
        WHERE g.status IN ('proposed', 'scheduled')
          AND g.starts_at < to_ts
          AND (g.ends_at > from_ts OR g.rrule IS NOT NULL)
          AND g.id IS DISTINCT FROM skip_meeting
        UNION ALL
        SELECT x.id, 'calendar', b.starts_at, b.ends_at, NULL, NULL
        FROM allowed x JOIN busy_blocks b ON b.person_id = x.id
        WHERE b.ends_at > from_ts AND b.starts_at < to_ts
    $f$;

    REVOKE ALL ON FUNCTION mm_may_message(integer), mm_messageable_person(text),
        mm_thread_with(integer, text), mm_touch_thread(),
        mm_busy_intervals(integer[], timestamptz, timestamptz, integer)
        FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator,
             mentormatch_participant, mentormatch_analyst;
    GRANT EXECUTE ON FUNCTION mm_messageable_person(text), mm_thread_with(integer, text)
        TO mentormatch_participant;
    GRANT EXECUTE ON FUNCTION mm_busy_intervals(integer[], timestamptz, timestamptz, integer)
        TO mentormatch_participant, mentormatch_coordinator, mentormatch_program_coordinator;
END
$helpers$;
