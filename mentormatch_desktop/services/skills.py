"""Skill merge suggestions: find duplicate skills, let a coordinator approve or reject each.

``suggest_skill_merges`` stores :class:`SkillMergeSuggestion` rows (never changes a skill);
``approve_skill_merge`` performs one merge — people's skill rows move to the kept skill,
the label becomes an alias so future imports resolve it — and ``reject_skill_merge``
records the "no" so the same pair is not suggested again. Each is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.progress import CancelToken, Progress, check, report
from mentormatch_desktop.matching.embeddings import (
    default_encoder,
    embed_texts,
    semantic_status,
)
from mentormatch_desktop.matching.skill_normalisation import (
    DEFAULT_THRESHOLD,
    TaxonomySkill,
    canonical_label,
    judge_merge,
    pick_canonical,
    suggest_merges,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.storage.models import (
    PersonSkill,
    Skill,
    SkillAlias,
    SkillMergeSuggestion,
)


class SkillMergeError(ValueError):
    """A suggestion cannot be decided (unknown id, already decided, skill gone)."""


@dataclass(frozen=True)
class SkillMergeView:
    """One suggestion as the review dialog and the CLI show it."""

    id: int
    label: str
    skill_id: int
    skill_name: str
    similarity: float
    method: str
    status: str
    people_affected: int  # people whose skill rows would move
    confidence: str = "likely"  # "sure" | "likely" | "unlikely" (matching.skill_normalisation)
    reason: str = ""  # why it is suggested, in plain words


@dataclass(frozen=True)
class SuggestResult:
    created: list[SkillMergeView]
    skills_checked: int
    used_embeddings: bool
    note: str


def suggest_skill_merges(
    ctx: ServiceContext,
    *,
    labels: list[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    use_embeddings: bool = True,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> SuggestResult:
    """Suggest merges among existing skills (and for free-text ``labels``, e.g. from an
    import); pending or rejected pairs are not suggested again."""
    session = ctx.session
    usage = dict(
        session.execute(
            sa.select(PersonSkill.skill_id, sa.func.count()).group_by(PersonSkill.skill_id)
        ).all()
    )
    skills = session.execute(sa.select(Skill.id, Skill.name, Skill.category_id)).all()
    aliases: dict[int, list[str]] = {}
    for skill_id, alias in session.execute(sa.select(SkillAlias.skill_id, SkillAlias.alias)):
        aliases.setdefault(skill_id, []).append(alias)
    info = {
        s.id: (s.id, s.name, int(usage.get(s.id, 0)), s.category_id is not None) for s in skills
    }
    taxonomy = [TaxonomySkill(s.id, s.name, tuple(aliases.get(s.id, ()))) for s in skills]

    status = semantic_status()
    embed = None
    note = ""
    if use_embeddings and status.available:
        encoder = default_encoder()
        names = [s.name for s in skills] + list(labels or [])
        report(progress, 0.05, f"embedding {len(names)} skill names")
        vectors, _ = embed_texts(session, names, encoder, cancel=cancel)
        lookup = {n: vectors[i] for i, n in enumerate(names)}

        def embed(texts: list[str]) -> np.ndarray:
            return np.stack([lookup[t] for t in texts])

        model = encoder.model_name
    else:
        model = ""
        note = "alias rules only" + ("" if not use_embeddings else f" ({status.reason})")

    seen = {
        (canonical_label(label), skill_id)
        for label, skill_id in session.execute(
            sa.select(SkillMergeSuggestion.label, SkillMergeSuggestion.skill_id)
        )
    }
    name_to_id = {s.name: s.id for s in skills}
    proposals: dict[str, tuple[str, int, float, str]] = {}
    # Each existing skill against all the others: is it a duplicate of one of them?
    for k, skill in enumerate(taxonomy):
        if k % 50 == 0:
            check(cancel)
            report(progress, 0.1 + 0.8 * k / max(1, len(taxonomy)), "comparing skills")
        others = [t for t in taxonomy if t.skill_id != skill.skill_id]
        for cand in suggest_merges(
            [skill.name], others, embed=embed, model_name=model, threshold=threshold
        ):
            keep, drop = pick_canonical(info[cand.skill_id], info[skill.skill_id])
            key = canonical_label(drop[1])
            if key not in proposals or proposals[key][2] < cand.similarity:
                proposals[key] = (drop[1], keep[0], cand.similarity, cand.method)
    for cand in suggest_merges(
        [lbl for lbl in labels or [] if lbl not in name_to_id],
        taxonomy,
        embed=embed,
        model_name=model,
        threshold=threshold,
    ):
        proposals.setdefault(
            canonical_label(cand.label), (cand.label, cand.skill_id, cand.similarity, cand.method)
        )

    holders = _holders(session)
    created: list[SkillMergeSuggestion] = []
    turned_down = 0
    for label, target, similarity, method in proposals.values():
        pair = (canonical_label(label), target)
        reverse = (canonical_label(info[target][1]), name_to_id.get(label, -1))
        if pair in seen or reverse in seen or name_to_id.get(label) == target:
            continue
        # Closeness of meaning alone is not enough: the names and the people who list
        # both skills must agree, or the pair is not suggested at all.
        mine, theirs = holders.get(name_to_id.get(label, -1), set()), holders.get(target, set())
        verdict = judge_merge(label, info[target][1], method, people_label=len(mine),
                              people_skill=len(theirs), people_both=len(mine & theirs))  # fmt: skip
        if not verdict.suggest:
            turned_down += 1
            continue
        row = SkillMergeSuggestion(
            label=label[:120], skill_id=target, similarity=similarity, method=method
        )
        session.add(row)
        created.append(row)
        seen.add(pair)
    session.flush()
    views = [_view(session, row) for row in created]
    report(progress, 1.0, f"{len(views)} new suggestions")
    if turned_down:
        kept_apart = (
            f"{turned_down} pair{'s' if turned_down != 1 else ''} close in meaning only "
            "left out: their names differ or people list both"
        )
        note = f"{note}; {kept_apart}" if note else kept_apart
    return SuggestResult(views, len(taxonomy), embed is not None, note)


def list_skill_merges(ctx: ServiceContext, status: str | None = "pending") -> list[SkillMergeView]:
    """Suggestions with ``status`` (all when None), most similar first."""
    session = ctx.session
    query = sa.select(SkillMergeSuggestion).order_by(
        SkillMergeSuggestion.similarity.desc(), SkillMergeSuggestion.id
    )
    if status is not None:
        query = query.where(SkillMergeSuggestion.status == status)
    return [_view(session, row) for row in session.scalars(query)]


@dataclass(frozen=True)
class MergeOutcome:
    suggestion: SkillMergeView
    people_moved: int
    duplicate_removed: bool


def approve_skill_merge(ctx: ServiceContext, suggestion_id: int) -> MergeOutcome:
    """Merge the suggested label into its skill: one unit of work, nothing half-merged."""
    session = ctx.session
    row = _pending(session, suggestion_id)
    target = session.get(Skill, row.skill_id)
    if target is None:
        raise SkillMergeError(f"suggestion {suggestion_id}: skill {row.skill_id} no longer exists")
    duplicate = session.scalars(sa.select(Skill).where(Skill.name == row.label)).first()
    moved = 0
    if duplicate is not None and duplicate.id != target.id:
        moved = _move_person_skills(session, duplicate.id, target.id)
        for alias in list(duplicate.aliases):
            alias.skill = target  # moves it out of the duplicate's cascade-deleted aliases
        session.execute(
            sa.update(SkillMergeSuggestion)
            .where(
                SkillMergeSuggestion.label == row.label,
                SkillMergeSuggestion.status == "pending",
                SkillMergeSuggestion.id != row.id,
            )
            .values(status="rejected", decided_at=ctx.now())
        )
        session.delete(duplicate)
        session.flush()
    _add_alias(session, target.id, row.label)
    row.status = "approved"
    row.decided_by_id = ctx.actor.person_id
    row.decided_at = ctx.now()
    ctx.audit("skill_merge.approved", "skill_merge_suggestion", row.id,
              {"label": row.label, "skill_id": target.id, "people_moved": moved})  # fmt: skip
    session.flush()
    view = _view(session, row)
    return MergeOutcome(view, moved, duplicate is not None and duplicate.id != target.id)


def reject_skill_merge(ctx: ServiceContext, suggestion_id: int) -> SkillMergeView:
    """Record that the label is *not* that skill; it will not be suggested again."""
    session = ctx.session
    row = _pending(session, suggestion_id)
    row.status = "rejected"
    row.decided_by_id = ctx.actor.person_id
    row.decided_at = ctx.now()
    ctx.audit("skill_merge.rejected", "skill_merge_suggestion", row.id, {"label": row.label})
    session.flush()
    return _view(session, row)


def resolve_skill_label(ctx: ServiceContext, label: str) -> int | None:
    """The skill id a label stands for by name or approved alias (case/punctuation-blind)."""
    session = ctx.session
    key = canonical_label(label)
    for skill_id, name in session.execute(sa.select(Skill.id, Skill.name)):
        if canonical_label(name) == key:
            return int(skill_id)
    for skill_id, alias in session.execute(sa.select(SkillAlias.skill_id, SkillAlias.alias)):
        if canonical_label(alias) == key:
            return int(skill_id)
    return None


def _pending(session: Session, suggestion_id: int) -> SkillMergeSuggestion:
    row = session.get(SkillMergeSuggestion, suggestion_id)
    if row is None:
        raise SkillMergeError(f"no skill merge suggestion with id {suggestion_id}")
    if row.status != "pending":
        raise SkillMergeError(f"suggestion {suggestion_id} was already {row.status}")
    return row


def _move_person_skills(session: Session, source: int, target: int) -> int:
    """Re-point ``source`` rows to ``target``; where a person has both, keep the higher level."""
    moved = 0
    rows = session.scalars(sa.select(PersonSkill).where(PersonSkill.skill_id == source)).all()
    for row in rows:
        twin = session.scalars(
            sa.select(PersonSkill).where(
                PersonSkill.person_id == row.person_id,
                PersonSkill.skill_id == target,
                PersonSkill.direction == row.direction,
            )
        ).first()
        if twin is not None:
            twin.level = max(twin.level, row.level)
            session.delete(row)
        else:
            row.skill_id = target
        moved += 1
    session.flush()
    return moved


def _add_alias(session: Session, skill_id: int, label: str) -> None:
    alias = label.strip().lower()[:120]
    exists = session.scalars(sa.select(SkillAlias).where(SkillAlias.alias == alias)).first()
    if exists is None:
        session.add(SkillAlias(skill_id=skill_id, alias=alias))
        session.flush()


def _holders(session: Session) -> dict[int, set[int]]:
    """The people listing each skill (teach or learn)."""
    found: dict[int, set[int]] = {}
    for skill_id, person_id in session.execute(
        sa.select(PersonSkill.skill_id, PersonSkill.person_id).distinct()
    ):
        found.setdefault(skill_id, set()).add(person_id)
    return found


def _people_with(session: Session, condition: sa.ColumnElement[bool]) -> set[int]:
    return set(
        session.scalars(
            sa.select(PersonSkill.person_id)
            .join(Skill, Skill.id == PersonSkill.skill_id)
            .where(condition)
            .distinct()
        )
    )


def _view(session: Session, row: SkillMergeSuggestion) -> SkillMergeView:
    skill_name = session.scalar(sa.select(Skill.name).where(Skill.id == row.skill_id)) or "?"
    mine = _people_with(session, Skill.name == row.label)
    theirs = _people_with(session, Skill.id == row.skill_id)
    people = len(mine)
    verdict = judge_merge(row.label, skill_name, row.method, people_label=len(mine),
                          people_skill=len(theirs), people_both=len(mine & theirs))  # fmt: skip
    return SkillMergeView(
        id=row.id,
        label=row.label,
        skill_id=row.skill_id,
        skill_name=skill_name,
        similarity=round(float(row.similarity), 4),
        method=row.method,
        status=row.status,
        people_affected=int(people or 0),
        confidence=verdict.confidence,
        reason=verdict.reason,
    )
