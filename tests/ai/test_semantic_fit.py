"""Semantic fit understands paraphrases that keyword overlap (TF-IDF) cannot see."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mentormatch_desktop.matching.cohort import Cohort, PersonRecord
from mentormatch_desktop.matching.phrases import best_phrase_pair, display_phrase, split_phrases
from mentormatch_desktop.matching.tfidf import STOP_WORDS
from mentormatch_plugins.matching.criteria import GoalFit
from mentormatch_plugins.matching.semantic import SemanticFit

from .conftest import semantic

# Each goal with the mentor a person would pick, written so that no content word is shared.
PAIRS = [
    ("I want to become a people manager and run my own group",
     "Led a team of 12 engineers; hired and coached new leads"),
    ("Get better at bargaining with clients over price",
     "Head of sales who closed multi-million enterprise deals"),
    ("Feel confident presenting at a conference",
     "Keynote speaker at PyCon and regular meetup host"),
    ("Understand budgets, forecasts and profit",
     "CFO with twenty years in corporate finance and planning"),
    ("Switch careers into data science",
     "Built machine learning models for fraud detection"),
    ("Write cleaner, more maintainable code",
     "Open-source library maintainer who champions refactoring and software craftsmanship"),
    ("Balance parenting with a demanding career",
     "Mother of three who grew into a VP role while working part-time"),
    ("Move from individual contributor to manager",
     "Led a team of 12 engineers; hired and coached new leads"),
]  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP_WORDS}


def _cohort() -> tuple[Cohort, list[int]]:
    mentors = list(dict.fromkeys(profile for _, profile in PAIRS))
    cohort = Cohort.from_records(
        [PersonRecord(i + 1, f"mentee {i}", goal_text=g) for i, (g, _) in enumerate(PAIRS)],
        [PersonRecord(100 + j, f"mentor {j}", profile_text=p) for j, p in enumerate(mentors)],
        skills={},
    )
    return cohort, [mentors.index(p) for _, p in PAIRS]


def test_the_hand_written_pairs_share_no_content_words() -> None:
    for goal, profile in PAIRS:
        assert not _words(goal) & _words(profile), (goal, profile)


def _strictly_first(matrix: np.ndarray, truth: list[int]) -> int:
    """How many mentees rank their right mentor strictly above every other mentor."""
    hits = 0
    for row, right in enumerate(truth):
        others = np.delete(matrix[row], right)
        hits += int(matrix[row, right] > others.max())
    return hits


@semantic
def test_semantic_fit_ranks_the_right_mentor_first_where_tfidf_cannot(encoder) -> None:
    cohort, truth = _cohort()
    values = SemanticFit().compute(cohort)
    assert values.shape == cohort.shape and values.dtype == np.float32
    assert values.min() >= 0.0 and values.max() <= 1.0
    keyword = GoalFit().compute(cohort)
    semantic_hits = _strictly_first(values, truth)
    keyword_hits = _strictly_first(keyword, truth)
    # Measured: 7 of 8 (the model puts "individual contributor to manager" nearest the CFO).
    assert semantic_hits >= 6
    assert keyword_hits == 0  # no shared words: every TF-IDF score is 0
    mean_rank = np.mean([int((values[r] > values[r, t]).sum()) for r, t in enumerate(truth)])
    assert mean_rank < 0.5


@semantic
def test_explanation_quotes_the_driving_phrases(encoder) -> None:
    cohort = Cohort.from_records(
        [
            PersonRecord(
                1,
                "Ana",
                goal_text="Improve my Spanish. I want to grow into a team lead role; learn SQL",
            )
        ],
        [
            PersonRecord(
                2,
                "Bo",
                profile_text="Avid cyclist and home baker. Led a team of 12 engineers. Ruby",
            )
        ],
        skills={},
    )
    criterion = SemanticFit()
    value = float(criterion.compute(cohort)[0, 0])
    text = criterion.explain(cohort, 0, 0, value)
    assert text is not None
    assert "your goal 'grow into a team lead role' ↔ 'Led a team of 12 engineers'" in text


@semantic
def test_blank_texts_score_zero_and_explain_nothing(encoder) -> None:
    cohort = Cohort.from_records(
        [PersonRecord(1, "A", goal_text=""), PersonRecord(2, "B", goal_text="learn to lead")],
        [PersonRecord(3, "C", profile_text="team lead for ten years")],
        skills={},
    )
    values = SemanticFit().compute(cohort)
    assert values[0, 0] == 0.0 and values[1, 0] > 0.0
    assert SemanticFit().explain(cohort, 0, 0, 0.0) is None


def test_phrases_are_split_on_sentences_and_clauses() -> None:
    assert split_phrases("I want to move into management. Also: SQL, public speaking; x") == [
        "I want to move into management",
        "Also: SQL",
        "public speaking",
    ]
    assert display_phrase("I want to move into management") == "move into management"
    assert display_phrase("I'd like to learn Go") == "learn Go"
    assert split_phrases("") == []


def test_best_phrase_pair_picks_the_highest_cosine() -> None:
    g = np.eye(3, dtype=np.float32)[:2]
    e = np.array([[0, 0.6, 0.8], [0.1, 0.99, 0.0]], dtype=np.float32)
    match = best_phrase_pair(["a b", "c d"], g, ["x y", "z w"], e)
    assert match is not None and (match.goal, match.expertise) == ("c d", "z w")
    assert match.similarity == pytest.approx(0.99)
    assert best_phrase_pair([], g[:0], ["x y"], e[:1]) is None
