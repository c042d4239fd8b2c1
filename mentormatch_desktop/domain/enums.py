"""Enumerations shared by storage, services and the UI. Values are what the database stores."""

from enum import StrEnum


class AppRole(StrEnum):
    PARTICIPANT = "participant"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    ANALYST = "analyst"


class ProgramKind(StrEnum):
    ONE_TO_ONE = "one_to_one"
    PEER = "peer"
    GROUP = "group"


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class EnrolmentRole(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    PEER = "peer"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class SkillDirection(StrEnum):
    """Whether a person can teach a skill or wants to learn it."""

    TEACH = "teach"
    LEARN = "learn"


class PairPreferenceKind(StrEnum):
    PREFER = "prefer"
    AVOID = "avoid"
    MUST_NOT = "must_not"


class MatchRunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    APPROVED = "approved"
    DISCARDED = "discarded"


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LOCKED = "locked"


class MentorshipStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"


class GoalStatus(StrEnum):
    OPEN = "open"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class MeetingStatus(StrEnum):
    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"
    MISSED = "missed"
    DECLINED = "declined"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the retry budget
    DEAD = "dead"  # the channel said the address can never work
    CANCELLED = "cancelled"  # the message was deleted, or the recipient opted out, before sending


class EngagementKind(StrEnum):
    LOGIN = "login"
    PROFILE_UPDATED = "profile_updated"
    MESSAGE_SENT = "message_sent"
    MESSAGE_READ = "message_read"
    SESSION_PROPOSED = "session_proposed"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_DECLINED = "session_declined"
    SESSION_RESCHEDULED = "session_rescheduled"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_HELD = "session_held"
    SESSION_MISSED = "session_missed"
    MILESTONE_COMPLETED = "milestone_completed"
    FEEDBACK_GIVEN = "feedback_given"
    GOAL_UPDATED = "goal_updated"
    MATCHED = "matched"
