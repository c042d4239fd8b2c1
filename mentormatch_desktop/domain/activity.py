"""What counts as a pair being in touch, and when a running pair is at risk.

The engagement log (``engagement_events``) is the one record of activity: every service
that records a session held, a message sent, a milestone completed or feedback given
writes the domain row and its event in the same unit of work. Screens, metrics, the
at-risk list and notifications all read activity from that log, with these definitions:

* a pair's *last activity* is its latest event of a kind in :data:`SIGNS_OF_LIFE` (a
  session held or a message sent), or its start when it has none;
* an *active* pair is *at risk* when its last activity is more than ``days`` (default
  :data:`RISK_DAYS`) whole days ago, or when one of its milestones is overdue (due before
  today and not completed). Paused pairs are never at risk: someone chose the pause.

The rule itself is applied in one place, :func:`mentormatch_desktop.analytics.outcomes.
with_risk`, which the Mentorships screen, the dashboard, reports, the CLI and notebooks
all call.
"""

from __future__ import annotations

from mentormatch_desktop.domain.enums import EngagementKind

RISK_DAYS = 30

#: Events that show the two people are in touch; their latest one is "last activity".
SIGNS_OF_LIFE = (EngagementKind.SESSION_HELD, EngagementKind.MESSAGE_SENT)

#: Every kind of activity a service records (the domain row plus this event).
ACTIVITY_KINDS = (
    EngagementKind.SESSION_HELD,
    EngagementKind.MESSAGE_SENT,
    EngagementKind.MILESTONE_COMPLETED,
    EngagementKind.FEEDBACK_GIVEN,
)
