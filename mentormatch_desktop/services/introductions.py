"""The introduction message new pairs receive when a coordinator approves a run.

:func:`introduce_run` is called by the approval's caller in the same unit of work as
``approve_run``: the mentorships, their threads, the introductions and the outbox rows
that e-mail them commit together or not at all. The text comes from the program's template
(``programs.settings["introduction_template"]``), which a coordinator edits; it is Jinja2
in a sandbox with these names:

``mentor``, ``mentee`` (how each is addressed: their preferred name, else the first
word of the full name, see :func:`~mentormatch_desktop.domain.names.address_name`),
``mentor_name``, ``mentee_name`` (full names), ``program``, ``reasons`` (why the pair was
matched: the proposal's explanation, one reason per entry) and ``score`` (0–100).
"""

from __future__ import annotations

from typing import Any

import jinja2
import sqlalchemy as sa
from jinja2.sandbox import SandboxedEnvironment

from mentormatch_desktop.domain.names import address_name
from mentormatch_desktop.matching.explain import SEPARATOR
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.inbox import ensure_mentorship_thread, post
from mentormatch_desktop.services.notifications import MessagingError
from mentormatch_desktop.storage.models import (
    MatchProposal,
    Mentorship,
    Message,
    Person,
    Program,
)

SETTING = "introduction_template"
DEFAULT_TEMPLATE = """\
Hello {{ mentee }} and {{ mentor }},

You have been matched in {{ program }}: {{ mentor_name }} as mentor, {{ mentee_name }} as mentee.
{% if reasons %}
Why you two:
{% for reason in reasons %}- {{ reason }}
{% endfor %}{% endif %}
A good first step: agree on a time for a first conversation and what you each hope to \
get out of the next months. Reply here to start.
"""

_SAMPLE = {
    "mentor": "Ada",
    "mentee": "Grace",
    "mentor_name": "Ada Lovelace",
    "mentee_name": "Grace Hopper",
    "program": "Sample program",
    "reasons": ["Teaches 3 of your 4 target skills", "Same time zone"],
    "score": 87,
}

_env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def _compile(template: str) -> jinja2.Template:
    try:
        compiled = _env.from_string(template)
        compiled.render(**_SAMPLE)
    except jinja2.TemplateError as exc:
        raise MessagingError("template", f"the introduction template does not work: {exc}") from exc
    return compiled


def introduction_template(ctx: ServiceContext, program_id: int) -> str:
    """The program's template, or the built-in one."""
    program = ctx.session.get(Program, program_id)
    if program is None:
        raise MessagingError("program", f"no program with id {program_id}")
    return str((program.settings or {}).get(SETTING) or DEFAULT_TEMPLATE)


def set_introduction_template(ctx: ServiceContext, program_id: int, template: str | None) -> None:
    """Store a coordinator's template (checked by rendering a sample); None restores the default."""
    if not ctx.actor.is_coordinator:
        raise MessagingError("template", "only coordinators edit the introduction")
    program = ctx.session.get(Program, program_id)
    if program is None:
        raise MessagingError("program", f"no program with id {program_id}")
    settings = dict(program.settings or {})
    if template is None or not template.strip():
        settings.pop(SETTING, None)
    else:
        _compile(template)
        settings[SETTING] = template
    program.settings = settings
    ctx.audit("program.introduction_template", "program", program_id, {"reset": template is None})
    ctx.session.flush()


def render_introduction(template: str, values: dict[str, Any]) -> str:
    return _compile(template).render(**values).strip()


def introduce_run(ctx: ServiceContext, run_id: int) -> int:
    """Post the introduction into the thread of every mentorship approved from ``run_id``.

    Idempotent: a mentorship whose thread already holds an introduction is skipped, so
    calling it again after a partial failure (or twice) never introduces a pair twice.
    Returns the number of introductions written.
    """
    rows = ctx.session.execute(
        sa.select(Mentorship, MatchProposal.explanation, Program.name)
        .join(MatchProposal, MatchProposal.id == Mentorship.proposal_id)
        .join(Program, Program.id == Mentorship.program_id)
        .where(MatchProposal.run_id == run_id)
        .order_by(Mentorship.id)
    ).all()
    if not rows:
        return 0
    templates: dict[int, jinja2.Template] = {}
    ids = {pid for m, _, _ in rows for pid in (m.mentor_id, m.mentee_id)}
    people = {
        pid: (full, preferred)
        for pid, full, preferred in ctx.session.execute(
            sa.select(Person.id, Person.full_name, Person.preferred_name).where(Person.id.in_(ids))
        )
    }
    written = 0
    for mentorship, explanation, program_name in rows:
        thread = ensure_mentorship_thread(ctx, mentorship.id)
        already = ctx.session.scalar(
            sa.select(Message.id)
            .where(Message.thread_id == thread.id, Message.kind == "introduction")
            .limit(1)
        )
        if already is not None:
            continue
        if mentorship.program_id not in templates:
            templates[mentorship.program_id] = _compile(
                introduction_template(ctx, mentorship.program_id)
            )
        mentor, mentor_preferred = people[mentorship.mentor_id]
        mentee, mentee_preferred = people[mentorship.mentee_id]
        reasons = [
            r.strip(" -•")
            for r in (explanation or "").replace(SEPARATOR, "\n").splitlines()
            if r.strip(" -•")
        ]
        body = templates[mentorship.program_id].render(
            mentor=address_name(mentor, mentor_preferred),
            mentee=address_name(mentee, mentee_preferred),
            mentor_name=mentor,
            mentee_name=mentee,
            program=program_name,
            reasons=reasons,
            score=round(100 * float(mentorship.match_score or 0)),
        )
        post(ctx, thread, body, sender_id=ctx.actor.person_id, kind="introduction")
        written += 1
    if written:
        ctx.audit("introductions.sent", "match_run", run_id, {"count": written})
    return written
