"""One-glance explanations of proposed pairs, built from the criteria's own phrases.

"Teaches 3 of 4 target skills: SQL, Leadership, Public speaking · 4.5 h/week common
availability · 2 time zones apart": the phrases of the criteria that contributed most to
the score (weight × value) come first; a heavily weighted criterion the pair does badly on
is added as a caveat, because that is what a coordinator needs to know before approving.

A criterion may set ``weak_below`` (default :data:`CAVEAT_BELOW`): values under it are a
weakness (a caveat), values at or above it a reason. Text similarities, which run low,
use a lower threshold than, say, skill fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext

from mentormatch_desktop.matching.cohort import Cohort
from mentormatch_desktop.matching.contracts import MatchCriterion

SEPARATOR = " · "
MAX_PHRASES = 3
CAVEAT_BELOW = 0.34  # a criterion valued below this is a caveat worth showing


def explain_pair(
    cohort: Cohort,
    criteria: Mapping[str, MatchCriterion],
    weights: Mapping[str, float],
    values: Mapping[str, float],
    mentee: int,
    mentor: int,
    *,
    max_phrases: int = MAX_PHRASES,
    guard: Callable[[str], AbstractContextManager[object]] | None = None,
) -> str:
    """The explanation of one pair (cohort indices) from its per-criterion ``values``.

    ``weights`` are the normalised weights the score used; criteria with no weight are
    not mentioned. A criterion whose ``explain`` raises is skipped by the caller's guard.
    """
    guard = guard or (lambda _n: nullcontext())
    ranked = sorted(
        (n for n in weights if weights[n] > 0 and n in criteria and n in values),
        key=lambda n: -weights[n] * values[n],
    )

    def weak(name: str) -> bool:
        return values[name] < float(getattr(criteria[name], "weak_below", CAVEAT_BELOW))

    phrases: list[str] = []
    used: set[str] = set()
    for name in ranked:
        if len(phrases) >= max_phrases:
            break
        if weak(name):
            continue
        with guard(name):
            text = criteria[name].explain(cohort, mentee, mentor, float(values[name]))
        if text:
            phrases.append(text)
            used.add(name)
    caveats = sorted(
        (n for n in ranked if n not in used and weak(n)),
        key=lambda n: -weights[n] * (1.0 - values[n]),
    )
    for name in caveats:
        with guard(name):
            text = criteria[name].explain(cohort, mentee, mentor, float(values[name]))
        if text:
            phrases.append(text)
            break
    return SEPARATOR.join(phrases)


def breakdown_record(values: Mapping[str, float]) -> dict[str, float]:
    """The JSON stored on a proposal: criterion name → value in [0, 1], rounded."""
    return {name: round(float(v), 4) for name, v in sorted(values.items())}
