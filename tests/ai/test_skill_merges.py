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
    judge_merge,
    name_agreement,
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
    SkillMergeSuggestion,
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


# -- suggestion quality and plain words (issue 12) -----------------------------------------


def test_names_must_agree_for_a_meaning_based_merge() -> None:
    assert name_agreement("UX design", "User experience design")
    assert name_agreement("ML", "Machine learning")
    assert name_agreement("Kubernets", "Kubernetes")  # a typo
    assert name_agreement("Javascript", "JavaScript")
    # Close in meaning, and still two skills.
    assert name_agreement("Deep learning", "Machine learning") is None
    assert name_agreement("Project management", "Product management") is None
    assert name_agreement("Data science", "Data analysis") is None


def test_people_listing_both_skills_keep_them_apart() -> None:
    listed_together = judge_merge(
        "Deep learning", "Machine learning", "embedding:all-MiniLM-L6-v2",
        people_label=29, people_skill=40, people_both=12,
    )  # fmt: skip
    assert not listed_together.suggest and listed_together.confidence == "unlikely"
    assert "12 of the 29 people" in listed_together.reason
    abbreviated = judge_merge(
        "UX design", "User experience design", "embedding:all-MiniLM-L6-v2",
        people_label=3, people_skill=20, people_both=0,
    )  # fmt: skip
    assert abbreviated.suggest and abbreviated.confidence == "likely"
    assert "abbreviates" in abbreviated.reason and "nobody lists both" in abbreviated.reason
    # A model-only hunch with different names is not suggested either.
    hunch = judge_merge("Bookkeeping", "Accounting", "embedding:all-MiniLM-L6-v2",
                        people_label=2, people_skill=9, people_both=0)  # fmt: skip
    assert not hunch.suggest


def test_each_suggestion_says_why_in_plain_words(session: Session, ctx: ServiceContext) -> None:
    ids = _seed(session)
    deep = Skill(name="Deep learning")
    session.add(deep)
    session.flush()
    people = session.scalars(sa.select(Person).order_by(Person.id)).all()
    for person in people[:2]:  # both also list Machine learning or ML
        session.add(PersonSkill(person_id=person.id, skill_id=deep.id,
                                direction=SkillDirection.LEARN, level=2))  # fmt: skip
    machine = session.get(Skill, ids["Machine learning"])
    session.add(PersonSkill(person_id=people[0].id, skill_id=machine.id,
                            direction=SkillDirection.TEACH, level=3))  # fmt: skip
    # A suggestion stored before the bar was raised (an embedding's hunch only).
    hunch = SkillMergeSuggestion(label="Deep learning", skill_id=machine.id, similarity=0.71,
                                 method="embedding:all-MiniLM-L6-v2")  # fmt: skip
    session.add(hunch)
    session.flush()
    created = suggest_skill_merges(ctx, use_embeddings=False).created
    views = {v.label: v for v in list_skill_merges(ctx)}
    assert [v.label for v in created] == ["ML"]
    assert views["ML"].confidence == "sure" and "abbreviates" in views["ML"].reason
    doubtful = views["Deep learning"]
    assert doubtful.confidence == "unlikely"
    assert "list both" in doubtful.reason
    for view in views.values():
        assert "embedding" not in view.reason.lower() and "cosine" not in view.reason.lower()
