-- Views. The ones the app reads across people run with the caller's rights
-- (security_invoker); what a participant may not read row by row comes from a SECURITY
-- DEFINER function (the directory). The analyst schema is the deliberate exception: its
-- views exist to show rows the analyst may not read themselves, pseudonymised, so they run
-- with the owner role's rights and the analyst has no privilege on any base table.

DROP VIEW IF EXISTS directory;
CREATE VIEW directory WITH (security_invoker = true) AS
    SELECT * FROM mm_directory_rows();
COMMENT ON VIEW directory IS
    'Public profile fields of active people (no e-mail, ratings, feedback or availability).';

DROP VIEW IF EXISTS coordinator_program_summary;
CREATE VIEW coordinator_program_summary WITH (security_invoker = true) AS
    SELECT p.id AS program_id, p.name, p.status,
           (SELECT count(*) FROM enrolments e
            WHERE e.program_id = p.id AND e.status = 'active') AS active_enrolments,
           (SELECT count(*) FROM mentorships m
            WHERE m.program_id = p.id AND m.status = 'active') AS active_mentorships,
           (SELECT avg(f.rating)::float8 FROM feedback f JOIN mentorships m ON m.id = f.mentorship_id
            WHERE m.program_id = p.id) AS mean_rating
    FROM programs p;
COMMENT ON VIEW coordinator_program_summary IS
    'Per program counts for coordinators; only rows their policies let them see count.';

-- The analyst schema shadows the tables the dashboards and the notebook workbench read:
-- an analyst login has search_path = mm_analytics, public, so the same queries run
-- unchanged. Names become "Person <id>", prose and e-mail addresses are blanked.
DROP SCHEMA IF EXISTS mm_analytics CASCADE;
CREATE SCHEMA mm_analytics;
COMMENT ON SCHEMA mm_analytics IS 'Pseudonymised, read-only views for the analyst role.';

CREATE VIEW mm_analytics.people AS
    SELECT id, NULL::varchar AS external_id, NULL::varchar AS email,
           ('Person ' || id)::varchar AS full_name, title, department_id,
           NULL::integer AS manager_id, seniority, years_experience, hired_on, time_zone,
           country, region, ''::text AS bio, app_role, NULL::varchar AS db_login, is_active,
           '{}'::jsonb AS attributes, created_at, updated_at
    FROM public.people;
CREATE VIEW mm_analytics.departments AS SELECT * FROM public.departments;
CREATE VIEW mm_analytics.programs AS SELECT * FROM public.programs;
CREATE VIEW mm_analytics.skills AS SELECT * FROM public.skills;
CREATE VIEW mm_analytics.skill_categories AS SELECT * FROM public.skill_categories;
CREATE VIEW mm_analytics.person_skills AS SELECT * FROM public.person_skills;
CREATE VIEW mm_analytics.weight_sets AS SELECT * FROM public.weight_sets;
CREATE VIEW mm_analytics.enrolments AS
    SELECT id, program_id, person_id, role, status, capacity, cohort, ''::text AS motivation,
           '{}'::jsonb AS preferences, enrolled_at
    FROM public.enrolments;
CREATE VIEW mm_analytics.mentorships AS
    SELECT id, program_id, mentor_id, mentee_id, proposal_id, group_key, status, match_score,
           started_at, ended_at, ''::text AS end_reason, ended_by_id, created_at
    FROM public.mentorships;
CREATE VIEW mm_analytics.milestones AS
    SELECT id, mentorship_id, owner_id, goal_id, ''::varchar AS title, ''::text AS description,
           due_on, completed_at, created_at
    FROM public.milestones;
CREATE VIEW mm_analytics.meetings AS
    SELECT id, mentorship_id, organiser_id, starts_at, ends_at, time_zone, status,
           ''::text AS location, ''::text AS agenda, ''::text AS notes, rrule, series_uid,
           '{}'::jsonb AS external_refs, created_at
    FROM public.meetings;
CREATE VIEW mm_analytics.feedback AS
    SELECT id, mentorship_id, meeting_id, author_id, rating, ''::text AS comment, is_private,
           created_at
    FROM public.feedback;
CREATE VIEW mm_analytics.engagement_events AS
    SELECT id, person_id, program_id, mentorship_id, kind, occurred_at, NULL::jsonb AS payload
    FROM public.engagement_events;
CREATE VIEW mm_analytics.match_runs AS
    SELECT id, program_id, strategy, status, weight_set_id, parent_run_id, parameters,
           objective, solver_status, diagnosis, seconds, is_dry_run, created_by_id,
           approved_by_id, approved_at, started_at, finished_at
    FROM public.match_runs;
CREATE VIEW mm_analytics.match_proposals AS
    SELECT id, run_id, mentee_id, mentor_id, score, breakdown, ''::text AS explanation,
           status, decided_by_id, decided_at, ''::text AS note
    FROM public.match_proposals;
