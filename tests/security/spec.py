"""The permission matrix: what each role may do to each relation, written independently of
the policies. Predicates are SQL over the relation, evaluated by the owner (RLS bypassed)
with ``:me`` (the login's person) and ``:progs`` (the coordinator's programs) bound.

``None`` means refused outright; a predicate means "exactly the rows it selects" for SELECT,
UPDATE and DELETE, and "a copy of a row outside it is refused" for INSERT. A relation
missing here fails the suite: whoever adds a table adds its policy and its line below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Access:
    select: str | None = None
    insert: str | None = None
    update: str | None = None
    delete: str | None = None


NONE = Access()
READ_ALL = Access(select="true")
ALL = Access("true", "true", "true", "true")


def own(pred: str) -> Access:
    return Access(pred, pred, pred, pred)


MY_MS = "(SELECT id FROM mentorships WHERE mentor_id = :me OR mentee_id = :me)"
MY_THREADS = "(SELECT thread_id FROM thread_participants WHERE person_id = :me)"
MINE = "person_id = :me"
MY_MEETINGS = f"(SELECT id FROM meetings WHERE mentorship_id IN {MY_MS})"
MY_GROUPS_PRED = "(kind = 'group' AND created_by_id = :me)"
MY_GROUPS = f"(SELECT id FROM threads WHERE {MY_GROUPS_PRED})"
#: Whom a participant may write to: running partners, and active coordinators of a program
#: they are actively enrolled in (or of every program, when listed for none).
MESSAGEABLE = (
    "(SELECT p.id FROM people p WHERE p.is_active AND p.id <> :me AND ("
    " p.id IN (SELECT mentor_id FROM mentorships WHERE mentee_id = :me"
    "          AND status IN ('active', 'paused'))"
    " OR p.id IN (SELECT mentee_id FROM mentorships WHERE mentor_id = :me"
    "             AND status IN ('active', 'paused'))"
    " OR (p.app_role IN ('coordinator', 'admin') AND (p.id IN (SELECT c.person_id"
    "     FROM coordinator_programs c JOIN enrolments e ON e.program_id = c.program_id"
    "     WHERE e.person_id = :me AND e.status = 'active')"
    "  OR (NOT EXISTS (SELECT 1 FROM coordinator_programs c WHERE c.person_id = p.id)"
    "      AND EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = :me"
    "                  AND e.status = 'active'))))))"
)
# Group sessions (0013): the meetings one is invited to, and those one organises.
ATTENDING = "(SELECT meeting_id FROM meeting_attendees WHERE person_id = :me)"
ORGANISING = (
    "(SELECT id FROM meetings WHERE is_group AND organiser_id = :me"
    f" AND (mentorship_id IN {MY_MS} OR id IN {ATTENDING}))"
)

PROG_MS = "(SELECT id FROM mentorships WHERE program_id = ANY(:progs))"
PROG_PEOPLE = (
    "(SELECT p.id FROM people p WHERE p.id = :me"
    " OR EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id"
    "            AND e.program_id = ANY(:progs))"
    " OR NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id))"
)
PROG_THREADS = (
    f"(SELECT id FROM threads WHERE program_id = ANY(:progs) OR mentorship_id IN {PROG_MS})"
)

PARTICIPANT: dict[str, Access] = {
    "public.alembic_version": READ_ALL,
    "public.departments": READ_ALL,
    "public.skill_categories": READ_ALL,
    "public.skill_aliases": READ_ALL,
    "public.skills": Access(select="true", insert="true"),
    "public.people": Access(select="id = :me", update="id = :me"),
    "public.person_languages": own(MINE),
    "public.availability_slots": own(MINE),
    "public.contact_channels": own(MINE),
    "public.person_skills": own(MINE),
    "public.pair_preferences": own(MINE),
    "public.calendar_connections": own(MINE),
    "public.busy_blocks": own(MINE),
    "public.goals": Access(f"{MINE} OR mentorship_id IN {MY_MS}", MINE, MINE, MINE),
    "public.programs": Access(
        select="id IN (SELECT program_id FROM enrolments WHERE person_id = :me)"
    ),
    "public.enrolments": Access(select=MINE, update=MINE),
    # No UPDATE: a participant's activity is an engagement event (0007 dropped the
    # last_activity_at column they used to move).
    "public.mentorships": Access(select="mentor_id = :me OR mentee_id = :me"),
    "public.milestones": Access(*[f"mentorship_id IN {MY_MS}"] * 3),
    # A group session is read by its attendees, changed through its anchor mentorship only.
    "public.meetings": Access(
        f"mentorship_id IN {MY_MS} OR id IN {ATTENDING}",
        f"mentorship_id IN {MY_MS}",
        f"mentorship_id IN {MY_MS}",
    ),
    # Attendees see the list and change their own answer; the organiser invites.
    "public.meeting_attendees": Access(
        f"meeting_id IN {ATTENDING} OR meeting_id IN {ORGANISING}",
        f"meeting_id IN {ORGANISING}",
        f"person_id = :me OR meeting_id IN {ORGANISING}",
    ),
    "public.feedback": Access(
        "author_id = :me", f"author_id = :me AND mentorship_id IN {MY_MS}", "author_id = :me"
    ),
    # Group conversations (0012): a participant starts a group of their own and, as its
    # creator, adds themselves and people they may write to; they see the groups they made.
    "public.threads": Access(
        select=f"id IN {MY_THREADS} OR {MY_GROUPS_PRED}",
        insert=f"{MY_GROUPS_PRED} AND mentorship_id IS NULL AND program_id IS NULL"
        " AND group_key IS NULL AND last_message_at IS NULL",
    ),
    "public.thread_participants": Access(
        select=f"thread_id IN {MY_THREADS}",
        insert=f"thread_id IN {MY_GROUPS} AND (person_id = :me OR person_id IN {MESSAGEABLE})"
        " AND last_read_at IS NULL AND NOT muted",
        update=MINE,
    ),
    "public.messages": Access(
        f"thread_id IN {MY_THREADS}",
        f"sender_id = :me AND thread_id IN {MY_THREADS}",
        "sender_id = :me",
    ),
    "public.engagement_events": Access(MINE, MINE),
    # Scheduling (0006): one's own exceptions and preferences; session logs one wrote,
    # and the shared half of both sides' logs through the view (never private notes).
    "public.availability_exceptions": own(MINE),
    "public.scheduling_preferences": own(MINE),
    "public.session_logs": Access(
        "author_id = :me",
        f"author_id = :me AND (meeting_id IN {MY_MEETINGS} OR meeting_id IN {ATTENDING})",
        "author_id = :me",
    ),
    "public.shared_session_logs": Access(
        select=f"meeting_id IN {MY_MEETINGS} OR meeting_id IN {ATTENDING}"
    ),
    # Session notices (0008): read those of one's sessions, write the notice of one's own
    # change; never alter one (the worker posts them and writes reminders as the owner).
    "public.session_notices": Access(
        select=f"meeting_id IN {MY_MEETINGS} OR meeting_id IN {ATTENDING}",
        insert=f"actor_id = :me AND (meeting_id IN {MY_MEETINGS} OR meeting_id IN {ATTENDING})",
    ),
    # Messaging (0005): one's own notification choices; never tokens or program defaults.
    "public.notification_preferences": own(MINE),
    "public.program_notification_defaults": NONE,
    "public.unsubscribe_tokens": NONE,
    "public.worker_heartbeats": NONE,
    "public.weight_sets": NONE,
    "public.match_runs": NONE,
    "public.match_proposals": NONE,
    "public.skill_merge_suggestions": NONE,
    "public.text_embeddings": NONE,
    "public.coordinator_programs": NONE,
    "public.message_deliveries": NONE,
    "public.audit_log": NONE,
    "public.directory": READ_ALL,
    "public.coordinator_program_summary": NONE,
}

_progs = "program_id = ANY(:progs)"
COORDINATOR: dict[str, Access] = {
    "public.alembic_version": READ_ALL,
    "public.departments": ALL,
    "public.skill_categories": ALL,
    "public.skill_aliases": ALL,
    "public.skills": ALL,
    "public.skill_merge_suggestions": ALL,
    "public.text_embeddings": ALL,
    # New people may be added (they are enrolled nowhere yet, so in every coordinator's view).
    "public.people": Access(
        f"id IN {PROG_PEOPLE}", "true", f"id IN {PROG_PEOPLE}", f"id IN {PROG_PEOPLE}"
    ),
    "public.person_languages": own(f"person_id IN {PROG_PEOPLE}"),
    "public.availability_slots": own(f"person_id IN {PROG_PEOPLE}"),
    "public.contact_channels": own(f"person_id IN {PROG_PEOPLE}"),
    "public.person_skills": own(f"person_id IN {PROG_PEOPLE}"),
    "public.pair_preferences": own(f"person_id IN {PROG_PEOPLE}"),
    "public.goals": own(f"person_id IN {PROG_PEOPLE}"),
    "public.calendar_connections": NONE,
    "public.busy_blocks": NONE,
    "public.programs": own("id = ANY(:progs)"),
    "public.enrolments": own(_progs),
    "public.weight_sets": own(_progs),
    "public.match_runs": own(_progs),
    "public.mentorships": own(_progs),
    "public.match_proposals": own(
        "run_id IN (SELECT id FROM match_runs WHERE program_id = ANY(:progs))"
    ),
    "public.milestones": own(f"mentorship_id IN {PROG_MS}"),
    "public.meetings": own(f"mentorship_id IN {PROG_MS}"),
    "public.meeting_attendees": own(
        f"meeting_id IN (SELECT id FROM meetings WHERE mentorship_id IN {PROG_MS})"
    ),
    "public.feedback": own(f"NOT is_private AND mentorship_id IN {PROG_MS}"),
    "public.threads": own(f"program_id = ANY(:progs) OR mentorship_id IN {PROG_MS}"),
    "public.thread_participants": own(f"thread_id IN {PROG_THREADS}"),
    "public.messages": Access(
        f"thread_id IN {PROG_THREADS}", f"sender_id = :me AND thread_id IN {PROG_THREADS}"
    ),
    "public.message_deliveries": Access(
        *[f"message_id IN (SELECT id FROM messages WHERE thread_id IN {PROG_THREADS})"] * 3
    ),
    "public.engagement_events": Access(
        *[f"{_progs} OR (program_id IS NULL AND person_id IN {PROG_PEOPLE})"] * 2
    ),
    # Anyone with INSERT may add an audit row: the database writes the actor (tested apart).
    "public.audit_log": Access("actor_id = :me", "true"),
    "public.coordinator_programs": Access(select=MINE),
    "public.directory": READ_ALL,
    "public.coordinator_program_summary": Access(select="program_id = ANY(:progs)"),
    "public.availability_exceptions": own(f"person_id IN {PROG_PEOPLE}"),
    "public.scheduling_preferences": own(f"person_id IN {PROG_PEOPLE}"),
    # Held and rating only: the notes are columns coordinators have no grant on.
    "public.session_logs": own(
        f"meeting_id IN (SELECT id FROM meetings WHERE mentorship_id IN {PROG_MS})"
    ),
    "public.shared_session_logs": NONE,
    "public.session_notices": own(
        f"meeting_id IN (SELECT id FROM meetings WHERE mentorship_id IN {PROG_MS})"
    ),
    "public.notification_preferences": Access(select=f"person_id IN {PROG_PEOPLE}"),
    "public.program_notification_defaults": own(_progs),
    "public.unsubscribe_tokens": NONE,
    "public.worker_heartbeats": NONE,
}

# A coordinator of every program: everything, except private feedback, message bodies (a
# column it has no grant on, checked apart), calendars and other people's audit inserts.
COORDINATOR_ALL: dict[str, Access] = {
    **{name: ALL for name, rule in COORDINATOR.items() if rule != NONE},
    "public.alembic_version": READ_ALL,
    "public.calendar_connections": NONE,
    "public.busy_blocks": NONE,
    "public.feedback": own("NOT is_private"),
    "public.messages": Access("true", "sender_id = :me"),
    "public.message_deliveries": Access("true", "true", "true"),
    "public.engagement_events": Access("true", "true"),
    "public.audit_log": Access("true", "true"),
    "public.coordinator_programs": Access(select=MINE),
    "public.directory": READ_ALL,
    "public.coordinator_program_summary": READ_ALL,
    "public.shared_session_logs": NONE,
    "public.notification_preferences": READ_ALL,
    "public.unsubscribe_tokens": NONE,
    "public.worker_heartbeats": READ_ALL,
}

ANALYST: dict[str, Access] = {"public.alembic_version": READ_ALL}
"""Analysts read only ``mm_analytics`` (every view there, all rows); nothing else."""

SPECS = {
    "participant": PARTICIPANT,
    "coordinator": COORDINATOR,
    "coordinator_all": COORDINATOR_ALL,
    "analyst": ANALYST,
}
