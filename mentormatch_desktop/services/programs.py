"""Creating, editing and listing programs, including their matching constraints and weights.

A program's nudge policy (:class:`NudgePolicy`) lives in ``Program.settings["nudges"]``.
A program's matching constraints live in ``Program.settings["constraints"]`` using the
field names of :class:`mentormatch_desktop.matching.problem.Constraints` (and the solve
format), so the matching service reads them without translation. Criterion weights are
versioned :class:`WeightSet` rows: saving changed weights adds a version, never edits one,
so every past match run keeps pointing at the weights that produced it; they are saved
through :func:`mentormatch_desktop.services.weights.save_weights`, the one write path for
weights (validated against the installed criteria, audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import (
    EnrolmentRole,
    EnrolmentStatus,
    MentorshipStatus,
    ProgramKind,
    ProgramStatus,
)
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.weights import (
    WeightsError,
    latest_weight_set,
    save_weights,
    validate_weights,
)
from mentormatch_desktop.storage.models import Enrolment, Mentorship, Program


class ProgramError(FieldError):
    """A program the user described cannot be saved."""


@dataclass
class ProgramConstraints:
    """Matching rules a coordinator sets per program (all optional)."""

    min_score: float | None = None
    mentors_per_mentee: int = 1
    max_per_mentor_same_department: int | None = None
    min_cross_department_share: float | None = None
    objective: str = "total"  # "total" maximises the sum; "fair" lifts the weakest pairs

    def to_settings(self) -> dict[str, Any]:
        quotas = []
        if self.max_per_mentor_same_department:
            quotas.append({"attribute": "department", "max": self.max_per_mentor_same_department})
        shares = []
        if self.min_cross_department_share:
            shares.append({"attribute": "department", "min_share": self.min_cross_department_share})
        return {
            "min_score": self.min_score,
            "mentors_per_mentee": self.mentors_per_mentee,
            "max_per_mentor_by_attribute": quotas,
            "min_cross_attribute_share": shares,
            "objective": self.objective,
        }

    @classmethod
    def from_settings(cls, data: dict[str, Any] | None) -> ProgramConstraints:
        data = data or {}
        quota = next(
            (
                q.get("max")
                for q in data.get("max_per_mentor_by_attribute") or []
                if q.get("attribute") == "department"
            ),
            None,
        )
        share = next(
            (
                s.get("min_share")
                for s in data.get("min_cross_attribute_share") or []
                if s.get("attribute") == "department"
            ),
            None,
        )
        return cls(
            min_score=data.get("min_score"),
            mentors_per_mentee=int(data.get("mentors_per_mentee") or 1),
            max_per_mentor_same_department=quota,
            min_cross_department_share=share,
            objective=str(data.get("objective") or "total"),
        )


@dataclass(frozen=True)
class NudgePolicy:
    """When coordinators are told a pair is waiting, and how often it may be nudged.

    A pair is *waiting* once its mentorship has run ``after_days`` without a session; a
    pair nudged less than ``cooldown_days`` ago is not nudged again. Programs differ (a
    six-week sprint cannot wait two weeks; a year-long program can), so each sets its own;
    programs saved before this existed get the defaults.
    """

    after_days: int = 14
    cooldown_days: int = 14

    def to_settings(self) -> dict[str, int]:
        return {"after_days": self.after_days, "cooldown_days": self.cooldown_days}

    @classmethod
    def from_settings(cls, data: dict[str, Any] | None) -> NudgePolicy:
        data = data or {}
        default = cls()
        return cls(
            after_days=int(data.get("after_days", default.after_days)),
            cooldown_days=int(data.get("cooldown_days", default.cooldown_days)),
        )


def nudge_policies(
    session: Session, program_ids: list[int] | None = None
) -> dict[int, NudgePolicy]:
    """Each program's nudge policy (of ``program_ids``, or of every program)."""
    query = sa.select(Program.id, Program.settings)
    if program_ids is not None:
        query = query.where(Program.id.in_(program_ids))
    return {
        pid: NudgePolicy.from_settings((settings or {}).get("nudges"))
        for pid, settings in session.execute(query)
    }


@dataclass
class ProgramInput:
    """What the program form submits. ``weights`` maps criterion name → weight (≥ 0)."""

    name: str
    kind: ProgramKind = ProgramKind.ONE_TO_ONE
    status: ProgramStatus = ProgramStatus.DRAFT
    description: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    session_cadence_days: int = 14
    group_size: int = 2
    constraints: ProgramConstraints = field(default_factory=ProgramConstraints)
    weights: dict[str, float] = field(default_factory=dict)
    nudges: NudgePolicy = field(default_factory=NudgePolicy)


@dataclass
class ProgramDetails:
    """A program as the Programs screen shows it."""

    id: int
    name: str
    kind: ProgramKind
    status: ProgramStatus
    description: str
    starts_on: date | None
    ends_on: date | None
    session_cadence_days: int
    group_size: int
    constraints: ProgramConstraints
    weights: dict[str, float]
    weights_version: int | None
    mentors: int = 0
    mentees: int = 0
    peers: int = 0
    active_mentorships: int = 0
    nudges: NudgePolicy = field(default_factory=NudgePolicy)

    def to_input(self) -> ProgramInput:
        return ProgramInput(
            name=self.name,
            kind=self.kind,
            status=self.status,
            description=self.description,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            session_cadence_days=self.session_cadence_days,
            group_size=self.group_size,
            constraints=self.constraints,
            weights=dict(self.weights),
            nudges=self.nudges,
        )


def validate_program(data: ProgramInput) -> list[ProgramError]:
    """Every problem with ``data`` at once, so the form can mark all offending fields."""
    errors = []
    if not data.name.strip():
        errors.append(ProgramError("name", "a program needs a name"))
    elif len(data.name.strip()) > 120:
        errors.append(ProgramError("name", "at most 120 characters"))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        errors.append(ProgramError("ends_on", "the program ends before it starts"))
    if not 1 <= data.session_cadence_days <= 365:
        errors.append(ProgramError("session_cadence_days", "between 1 and 365 days"))
    if data.kind == ProgramKind.PEER and not 2 <= data.group_size <= 4:
        errors.append(ProgramError("group_size", "peer groups have 2 to 4 people"))
    if data.kind == ProgramKind.GROUP and not 2 <= data.group_size <= 20:
        errors.append(ProgramError("group_size", "a mentoring group has 2 to 20 people"))
    if not 0 <= data.nudges.after_days <= 365:
        errors.append(ProgramError("nudge_after_days", "between 0 and 365 days"))
    if not 0 <= data.nudges.cooldown_days <= 365:
        errors.append(ProgramError("nudge_cooldown_days", "between 0 and 365 days"))
    c = data.constraints
    if c.min_score is not None and not 0 <= c.min_score <= 1:
        errors.append(ProgramError("min_score", "a score between 0 and 1"))
    if c.mentors_per_mentee < 1:
        errors.append(ProgramError("mentors_per_mentee", "at least 1"))
    if c.max_per_mentor_same_department is not None and c.max_per_mentor_same_department < 1:
        errors.append(ProgramError("max_per_mentor_same_department", "at least 1"))
    if c.min_cross_department_share is not None and not 0 <= c.min_cross_department_share <= 1:
        errors.append(ProgramError("min_cross_department_share", "a share between 0 and 1"))
    if c.objective not in ("total", "fair"):
        errors.append(ProgramError("objective", "either 'total' or 'fair'"))
    for name, weight in data.weights.items():
        if weight < 0:
            errors.append(ProgramError(f"weights.{name}", "weights cannot be negative"))
    if data.weights and sum(data.weights.values()) <= 0:
        errors.append(ProgramError("weights", "at least one criterion needs a weight above 0"))
    return errors


def _raise_if_invalid(ctx: ServiceContext, data: ProgramInput, program_id: int | None) -> None:
    errors = validate_program(data)
    if data.weights and not any(e.field.startswith("weights") for e in errors):
        try:
            validate_weights(data.weights, ctx.plugins)
        except WeightsError as exc:
            field = f"weights.{exc.field}" if exc.field in data.weights else "weights"
            errors.append(ProgramError(field, exc.message))
    clash = ctx.session.scalar(
        sa.select(Program.id).where(
            sa.func.lower(Program.name) == data.name.strip().lower(),
            Program.id != (program_id or -1),
        )
    )
    if clash is not None:
        errors.append(ProgramError("name", f"another program is already called {data.name!r}"))
    if errors:
        raise errors[0] if len(errors) == 1 else ProgramValidationError(errors)


class ProgramValidationError(ProgramError):
    """Several fields are wrong; ``errors`` lists each of them."""

    def __init__(self, errors: list[ProgramError]) -> None:
        super().__init__(errors[0].field, "; ".join(str(e) for e in errors))
        self.errors = errors


def _apply(program: Program, data: ProgramInput) -> None:
    program.name = data.name.strip()
    program.kind = data.kind
    program.status = data.status
    program.description = data.description
    program.starts_on = data.starts_on
    program.ends_on = data.ends_on
    program.session_cadence_days = data.session_cadence_days
    program.group_size = data.group_size
    settings = dict(program.settings or {})
    settings["constraints"] = data.constraints.to_settings()
    settings["nudges"] = data.nudges.to_settings()
    program.settings = settings


def _store_weights(ctx: ServiceContext, program_id: int, weights: dict[str, float]) -> None:
    if weights:
        save_weights(ctx, program_id, weights, notes="program settings", only_if_changed=True)


def create_program(ctx: ServiceContext, data: ProgramInput) -> ProgramDetails:
    """Create a program (and its first weight set); raises :class:`ProgramError` if invalid."""
    _raise_if_invalid(ctx, data, None)
    program = Program(settings={})
    _apply(program, data)
    ctx.session.add(program)
    ctx.session.flush()
    _store_weights(ctx, program.id, data.weights)
    ctx.audit("program.created", "program", program.id, {"name": program.name})
    ctx.session.flush()
    return get_program(ctx, program.id)


def update_program(ctx: ServiceContext, program_id: int, data: ProgramInput) -> ProgramDetails:
    """Save edits; changed weights become a new :class:`WeightSet` version."""
    program = ctx.session.get(Program, program_id)
    if program is None:
        raise ProgramError("program", f"no program with id {program_id}")
    _raise_if_invalid(ctx, data, program_id)
    _apply(program, data)
    _store_weights(ctx, program_id, data.weights)
    ctx.audit("program.updated", "program", program_id, {"name": program.name})
    ctx.session.flush()
    return get_program(ctx, program_id)


def get_program(ctx: ServiceContext, program_id: int) -> ProgramDetails:
    program = ctx.session.get(Program, program_id)
    if program is None:
        raise ProgramError("program", f"no program with id {program_id}")
    return _details(ctx.session, [program])[0]


def list_programs(ctx: ServiceContext) -> list[ProgramDetails]:
    """Every program, newest start date first, with enrolment and mentorship counts."""
    programs = list(
        ctx.session.scalars(
            sa.select(Program).order_by(Program.starts_on.desc().nulls_last(), Program.name)
        )
    )
    return _details(ctx.session, programs)


def _details(session: Session, programs: list[Program]) -> list[ProgramDetails]:
    ids = [p.id for p in programs]
    if not ids:
        return []
    counts: dict[tuple[int, str], int] = {}
    for program_id, role, n in session.execute(
        sa.select(Enrolment.program_id, Enrolment.role, sa.func.count())
        .where(Enrolment.program_id.in_(ids), Enrolment.status == EnrolmentStatus.ACTIVE)
        .group_by(Enrolment.program_id, Enrolment.role)
    ):
        counts[(program_id, EnrolmentRole(role).value)] = n
    active = dict(
        session.execute(
            sa.select(Mentorship.program_id, sa.func.count())
            .where(Mentorship.program_id.in_(ids), Mentorship.status == MentorshipStatus.ACTIVE)
            .group_by(Mentorship.program_id)
        ).all()
    )
    result = []
    for p in programs:
        weights = latest_weight_set(session, p.id)
        result.append(
            ProgramDetails(
                id=p.id,
                name=p.name,
                kind=ProgramKind(p.kind),
                status=ProgramStatus(p.status),
                description=p.description,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
                session_cadence_days=p.session_cadence_days,
                group_size=p.group_size,
                constraints=ProgramConstraints.from_settings((p.settings or {}).get("constraints")),
                weights={k: float(v) for k, v in (weights.weights if weights else {}).items()},
                weights_version=weights.version if weights else None,
                mentors=counts.get((p.id, "mentor"), 0),
                mentees=counts.get((p.id, "mentee"), 0),
                peers=counts.get((p.id, "peer"), 0),
                active_mentorships=int(active.get(p.id, 0)),
                nudges=NudgePolicy.from_settings((p.settings or {}).get("nudges")),
            )
        )
    return result
