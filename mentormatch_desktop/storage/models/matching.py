"""Match runs and the pairs they propose, with score breakdowns and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mentormatch_desktop.domain.enums import MatchRunStatus, ProposalStatus
from mentormatch_desktop.storage.models.base import Base, created_at, enum_column, intpk, jsondoc

if TYPE_CHECKING:
    from mentormatch_desktop.storage.models.people import Person


class MatchRun(Base):
    """One execution of a strategy on a program; approval turns its pairs into mentorships."""

    __tablename__ = "match_runs"
    __table_args__ = (Index("ix_match_runs_program_started", "program_id", "started_at"),)

    id: Mapped[intpk]
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    strategy: Mapped[str] = mapped_column(String(80))
    status: Mapped[MatchRunStatus] = enum_column(MatchRunStatus, default=MatchRunStatus.RUNNING)
    weight_set_id: Mapped[int | None] = mapped_column(ForeignKey("weight_sets.id"))
    parent_run_id: Mapped[int | None] = mapped_column(ForeignKey("match_runs.id"))
    parameters: Mapped[jsondoc]
    objective: Mapped[jsondoc]  # matched, total_score, min_score, bound…
    solver_status: Mapped[str | None] = mapped_column(String(20))
    diagnosis: Mapped[str] = mapped_column(Text, default="", server_default="")
    seconds: Mapped[float | None] = mapped_column(Float)
    is_dry_run: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approved_at: Mapped[datetime | None]
    started_at: Mapped[created_at]
    finished_at: Mapped[datetime | None]
    # Optimistic concurrency: every ORM update checks and bumps it (see ``__mapper_args__``).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    proposals: Mapped[list[MatchProposal]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="MatchProposal.score.desc()"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy


class MatchProposal(Base):
    """A proposed pair: its score, per-criterion breakdown and plain-language explanation."""

    __tablename__ = "match_proposals"
    __table_args__ = (
        UniqueConstraint("run_id", "mentee_id", "mentor_id"),
        Index("ix_match_proposals_run_score", "run_id", "score"),
    )

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    breakdown: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explanation: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[ProposalStatus] = enum_column(ProposalStatus, default=ProposalStatus.PROPOSED)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The version a coordinator saw travels with their decision; an update made on an
    # older version matches no row and is refused (StaleDecisionError), never overwritten.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    run: Mapped[MatchRun] = relationship(back_populates="proposals")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id])
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read by SQLAlchemy
