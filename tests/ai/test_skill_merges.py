"""Duplicate skills are suggested for merging, never merged until a coordinator approves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.enums import SkillDirection
from mentormatch_desktop.matching.skill_normalisation import (
    TaxonomySkill,
    acronym,
    canonical_label,
    suggest_merges,
)
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.skills import (
    SkillMergeError,
    approve_skill_merge,
    list_skill_merges,
    reject_skill_merge,
    resolve_skill_label,
    suggest_skill_merges,
)
from mentormatch_desktop.storage.models import (
    Person,
    PersonSkill,
    Skill,
    SkillAlias,
    SkillCategory,
)

from .conftest import semantic


def test_alias_rules() -> None:
    assert canonical_label("Machine-Learning ") == "machine learning"
    assert acronym("Natural language processing") == "nlp"
    assert acronym("Python") is None
    taxonomy = [
        TaxonomySkill(1, "Machine learning", ("ml",)),
        TaxonomySkill(2, "Natural language processing"),
        TaxonomySkill(3, "Public speaking"),
    ]
    found = suggest_merges(
        ["ML", "machine-learning", "NLP", "Public speaking", "Cooking"], taxonomy
    )
    assert [(c.label, c.skill_id, c.method) for c in found] == [
        ("ML", 1, "alias"),
        ("machine-learning", 1, "alias"),
        ("NLP", 2, "alias"),
    ]


def _seed(session: Session) -> dict[str, int]:
    cat = SkillCategory(name="Data")
    session.add(cat)
    session.flush()
    names = ["Machine learning", "ML", "User experience design", "UX design", "Accounting"]
    skills = {
        n: Skill(name=n, category_id=cat.id if n == "Machine learning" else None) for n in names
    }
    session.add_all(skills.values())
    session.flush()
    people = [Person(email=f"p{i}@example.org", full_name=f"P {i}") for i in range(3)]
    session.add_all(people)
    session.flush()
    teach, learn = SkillDirection.TEACH, SkillDirection.LEARN
    for person, skill, direction, level in [
        (0, "ML", teach, 4),
        (1, "ML", learn, 1),
        (1, "Machine learning", learn, 2),
        (2, "UX design", teach, 3),
    ]:
        session.add(
            PersonSkill(
                person_id=people[person].id,
                skill_id=skills[skill].id,
                direction=direction,
                level=level,
            )
        )
    session.commit()
    return {n: s.id for n, s in skills.items()}


def test_suggest_then_approve_merges_people_and_keeps_an_alias(
    session: Session, ctx: ServiceContext
) -> None:
    ids = _seed(session)
    result = suggest_skill_merges(ctx, use_embeddings=False)
    assert [(v.label, v.skill_name, v.method) for v in result.created] == [
        ("ML", "Machine learning", "alias")
    ]
    assert result.created[0].people_affected == 2
    # nothing merged yet
    assert session.get(Skill, ids["ML"]) is not None
    again = suggest_skill_merges(ctx, use_embeddings=False)
    assert again.created == []  # a pending suggestion is not repeated

    outcome = approve_skill_merge(ctx, result.created[0].id)
    assert outcome.duplicate_removed and outcome.people_moved == 2
    assert session.get(Skill, ids["ML"]) is None
    rows = session.execute(
        sa.select(PersonSkill.person_id, PersonSkill.direction, PersonSkill.level).where(
            PersonSkill.skill_id == ids["Machine learning"]
        )
    ).all()
    assert sorted((d.value, lvl) for _, d, lvl in rows) == [("learn", 2), ("teach", 4)]
    assert session.scalar(sa.select(SkillAlias.alias)) == "ml"
    assert resolve_skill_label(ctx, "ML") == ids["Machine learning"]
    assert list_skill_merges(ctx) == []
    with pytest.raises(SkillMergeError, match="already approved"):
        approve_skill_merge(ctx, result.created[0].id)


def test_rejected_suggestions_are_not_repeated(session: Session, ctx: ServiceContext) -> None:
    _seed(session)
    created = suggest_skill_merges(ctx, use_embeddings=False).created
    reject_skill_merge(ctx, created[0].id)
    assert suggest_skill_merges(ctx, use_embeddings=False).created == []
    assert [v.status for v in list_skill_merges(ctx, status=None)] == ["rejected"]


@semantic
def test_embedding_suggestions_need_the_threshold(
    session: Session, encoder, ctx: ServiceContext
) -> None:
    _seed(session)
    result = suggest_skill_merges(ctx, labels=["Bookkeeping", "Kubernetes"])
    pairs = {(v.label, v.skill_name) for v in result.created}
    assert ("UX design", "User experience design") in pairs
    assert all(v.method.startswith("embedding:") for v in result.created if v.label != "ML")
    assert not any(v.label == "Kubernetes" for v in result.created)
