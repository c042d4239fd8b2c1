"""All models, re-exported so ``from mentormatch_desktop.storage.models import Person`` works."""

from mentormatch_desktop.storage.models.activity import AuditLog, EngagementEvent
from mentormatch_desktop.storage.models.base import Base
from mentormatch_desktop.storage.models.calendar import BusyBlock, CalendarConnection
from mentormatch_desktop.storage.models.embeddings import TextEmbedding
from mentormatch_desktop.storage.models.goals import Goal
from mentormatch_desktop.storage.models.matching import MatchProposal, MatchRun
from mentormatch_desktop.storage.models.mentorships import Feedback, Meeting, Mentorship, Milestone
from mentormatch_desktop.storage.models.messaging import (
    Message,
    MessageDelivery,
    NotificationPreference,
    ProgramNotificationDefault,
    Thread,
    ThreadParticipant,
    UnsubscribeToken,
)
from mentormatch_desktop.storage.models.people import (
    AvailabilitySlot,
    ContactChannel,
    Department,
    Person,
    PersonLanguage,
)
from mentormatch_desktop.storage.models.programs import (
    CoordinatorProgram,
    Enrolment,
    PairPreference,
    Program,
    WeightSet,
)
from mentormatch_desktop.storage.models.scheduling import (
    ATTENDEE_RESPONSES,
    AvailabilityException,
    MeetingAttendee,
    SchedulingPreference,
    SessionLog,
    SessionNotice,
)
from mentormatch_desktop.storage.models.skills import (
    PersonSkill,
    Skill,
    SkillAlias,
    SkillCategory,
    SkillMergeSuggestion,
)
from mentormatch_desktop.storage.models.workers import WorkerHeartbeat

__all__ = [
    "ATTENDEE_RESPONSES",
    "AuditLog",
    "AvailabilityException",
    "AvailabilitySlot",
    "Base",
    "BusyBlock",
    "CalendarConnection",
    "ContactChannel",
    "CoordinatorProgram",
    "Department",
    "EngagementEvent",
    "Enrolment",
    "Feedback",
    "Goal",
    "MatchProposal",
    "MatchRun",
    "Meeting",
    "MeetingAttendee",
    "Mentorship",
    "Message",
    "MessageDelivery",
    "Milestone",
    "NotificationPreference",
    "PairPreference",
    "Person",
    "PersonLanguage",
    "PersonSkill",
    "Program",
    "ProgramNotificationDefault",
    "SchedulingPreference",
    "SessionLog",
    "SessionNotice",
    "Skill",
    "SkillAlias",
    "SkillCategory",
    "SkillMergeSuggestion",
    "TextEmbedding",
    "Thread",
    "ThreadParticipant",
    "UnsubscribeToken",
    "WeightSet",
    "WorkerHeartbeat",
]
