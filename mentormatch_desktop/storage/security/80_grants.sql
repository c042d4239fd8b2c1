-- Privileges. Everything is revoked from the three client roles and PUBLIC first, then
-- granted table by table, so re-running this file after an upgrade leaves exactly this.

DO $$
DECLARE
    fn regprocedure;
BEGIN
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator, '
        || 'mentormatch_participant, mentormatch_analyst';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM PUBLIC, mentormatch_coordinator, mentormatch_program_coordinator, '
        || 'mentormatch_participant, mentormatch_analyst';
    FOR fn IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'mm\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, mentormatch_coordinator, '
                       'mentormatch_program_coordinator, mentormatch_participant, '
                       'mentormatch_analyst', fn);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public
    TO mentormatch_owner, mentormatch_coordinator, mentormatch_program_coordinator,
       mentormatch_participant, mentormatch_analyst;
GRANT SELECT ON alembic_version
    TO mentormatch_coordinator, mentormatch_program_coordinator, mentormatch_participant,
       mentormatch_analyst;

-- Identity helpers every role's policies and triggers call.
GRANT EXECUTE ON FUNCTION mm_current_login(), mm_current_person(), mm_is_owner(),
    mm_current_group()
    TO mentormatch_coordinator, mentormatch_program_coordinator, mentormatch_participant,
       mentormatch_analyst;

-- ---- participants --------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION mm_my_mentorships(), mm_my_threads(), mm_directory_rows(),
    mm_person_names(integer[])
    TO mentormatch_participant;
GRANT SELECT ON departments, skills, skill_categories, skill_aliases, directory
    TO mentormatch_participant;
GRANT INSERT ON skills TO mentormatch_participant;  -- a new skill typed in one's profile
GRANT SELECT, UPDATE (full_name, title, time_zone, country, region, bio, updated_at)
    ON people TO mentormatch_participant;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON person_languages, availability_slots, contact_channels, person_skills, goals,
       pair_preferences, calendar_connections, busy_blocks
    TO mentormatch_participant;
GRANT SELECT ON programs, mentorships, threads TO mentormatch_participant;
-- Partner's name and e-mail for invitations; audit rows with the database's actor.
GRANT EXECUTE ON FUNCTION mm_mentorship_people(integer), mm_record_audit(timestamptz, integer, text, text, text, text, jsonb),
    mm_record_partner_event(integer, integer, text, timestamptz, jsonb)
    TO mentormatch_participant;
GRANT SELECT, UPDATE (motivation, preferences) ON enrolments TO mentormatch_participant;
GRANT SELECT, INSERT, UPDATE ON milestones, meetings, feedback TO mentormatch_participant;
GRANT SELECT, UPDATE (last_read_at, muted) ON thread_participants TO mentormatch_participant;
GRANT SELECT, INSERT, UPDATE (body, edited_at) ON messages TO mentormatch_participant;
GRANT SELECT, INSERT ON engagement_events TO mentormatch_participant;

-- ---- coordinators (both kinds hold the same privileges; policies tell them apart) -------
GRANT EXECUTE ON FUNCTION mm_coordinated_programs(), mm_coordinated_people(),
    mm_hidden_people(), mm_enrolled_anywhere(integer)
    TO mentormatch_program_coordinator;
GRANT EXECUTE ON FUNCTION mm_directory_rows(), mm_person_names(integer[]),
    mm_mentorship_people(integer)
    TO mentormatch_coordinator, mentormatch_program_coordinator;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON departments, skills, skill_categories, skill_aliases, skill_merge_suggestions,
       text_embeddings, people, person_languages, availability_slots, contact_channels,
       person_skills, goals, pair_preferences, programs, enrolments, weight_sets,
       match_runs, match_proposals, mentorships, milestones, meetings, feedback,
       threads, thread_participants
    TO mentormatch_coordinator, mentormatch_program_coordinator;
-- Message bodies are for the thread's members: coordinators see that messages exist.
GRANT SELECT (id, thread_id, sender_id, kind, created_at, edited_at), INSERT
    ON messages TO mentormatch_coordinator, mentormatch_program_coordinator;
GRANT SELECT, INSERT, UPDATE ON message_deliveries TO mentormatch_coordinator, mentormatch_program_coordinator;
GRANT SELECT, INSERT ON engagement_events, audit_log TO mentormatch_coordinator, mentormatch_program_coordinator;
GRANT SELECT ON coordinator_programs, directory, coordinator_program_summary
    TO mentormatch_coordinator, mentormatch_program_coordinator;

GRANT USAGE ON ALL SEQUENCES IN SCHEMA public
    TO mentormatch_coordinator, mentormatch_program_coordinator, mentormatch_participant;

-- ---- analysts ------------------------------------------------------------------------------
GRANT USAGE ON SCHEMA mm_analytics TO mentormatch_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA mm_analytics TO mentormatch_analyst;
