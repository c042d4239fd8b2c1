"""The ``preferences`` criterion: what participants themselves asked for.

Two kinds of wishes count:

* **pair preferences** about one specific person (``pair_preferences`` table): *prefer* sets
  the pair's value to 1, *avoid* to 0 (avoid wins when the two sides disagree); *must not*
  also forbids the pair (a hard rule applied by the scorer).
* **enrolment preferences** about the other side's attributes (``Enrolment.preferences``):
  ``departments`` (ids or names), ``cross_department`` (true) and ``languages`` (codes).

A pair's value is ``0.5 + 0.25·s_mentee + 0.25·s_mentor`` where ``s`` is the mean over that
person's stated wishes of +1 (met) / −1 (not met), 0 when they stated none. Each wish is
linear in the other person's one-hot attributes, so the whole criterion is one low-rank
product plus sparse corrections for the pair preferences.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

from mentormatch_desktop.plugin.api import (
    AVOID,
    PREFER,
    Cohort,
    FactorisedCriterion,
    Participants,
)
from mentormatch_desktop.plugin.api import (
    features as F,
)

if TYPE_CHECKING:
    import scipy.sparse as sp  # imported where a matrix is built: loading must stay cheap


def _language_codes(side: Participants) -> list[frozenset[str]]:
    return [frozenset(langs) for langs in side.languages]


def _wanted_departments(prefs: dict[str, Any], names: dict[int, str]) -> set[int]:
    by_name = {n.lower(): i for i, n in names.items()}
    out: set[int] = set()
    for item in prefs.get("departments") or []:
        if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
            out.add(int(item))
        elif isinstance(item, str) and item.lower() in by_name:
            out.add(by_name[item.lower()])
    return out


Check = tuple[str, str, Callable[[Any], int]]
"""(label, attribute "department" | "languages", test(value) → +1 met / 0 unknown / −1 not)."""


def wish_checks(prefs: dict[str, Any], own_dept: int, names: dict[int, str]) -> list[Check]:
    """The wishes stated in ``prefs``, each with a test on the other person's attribute."""
    checks: list[Check] = []
    wanted = _wanted_departments(prefs, names)
    if wanted:
        label = "department " + "/".join(str(names.get(d, d)) for d in sorted(wanted))
        checks.append((label, "department", lambda d: 0 if d < 0 else (1 if d in wanted else -1)))
    if prefs.get("cross_department") and own_dept >= 0:
        checks.append(
            ("another department", "department", lambda d: 0 if d < 0 else 1 - 2 * (d == own_dept))
        )
    langs = {str(c).lower() for c in prefs.get("languages") or []}
    if langs:
        label = "speaks " + "/".join(sorted(langs))
        checks.append(
            (label, "languages", lambda spoken: 0 if not spoken else 1 - 2 * (not spoken & langs))
        )
    return checks


def _wish_matrix(
    wishers: Participants, others: Participants, names: dict[int, str]
) -> tuple[np.ndarray, np.ndarray]:
    """Wish coefficients of ``wishers`` over the one-hot attributes of ``others``, and those
    one-hot attributes: ``wishes @ onehot.T`` is each wisher's mean satisfaction."""
    dept_codes, dept_vals = F.encode(others.department_ids.tolist())
    lang_codes, lang_vals = F.encode(_language_codes(others))
    n_d = len(dept_vals)
    onehot = np.hstack([F.one_hot(dept_codes, n_d), F.one_hot(lang_codes, len(lang_vals))])
    wishes = np.zeros((len(wishers), onehot.shape[1]), dtype=np.float32)
    for i, prefs in enumerate(wishers.preferences):
        if not prefs:
            continue
        checks = wish_checks(prefs, int(wishers.department_ids[i]), names)
        for _, attribute, test in checks:
            if attribute == "department":
                coef = [test(int(d)) for d in dept_vals]
                wishes[i, :n_d] += np.asarray(coef, dtype=np.float32) / len(checks)
            else:
                coef = [test(langs) for langs in lang_vals]
                wishes[i, n_d:] += np.asarray(coef, dtype=np.float32) / len(checks)
    return wishes, onehot


class Preferences(FactorisedCriterion):
    name = "preferences"
    label = "Own preferences"
    description = (
        "What the participants asked for: specific people to prefer or avoid, and wishes "
        "about the other side's department or language."
    )
    default_weight = 0.1

    def _build(self, cohort: Cohort) -> F.Factors:
        names = cohort.department_names
        w_e, onehot_m = _wish_matrix(cohort.mentees, cohort.mentors, names)
        w_m, onehot_e = _wish_matrix(cohort.mentors, cohort.mentees, names)
        keep_a = np.flatnonzero(np.abs(w_e).sum(axis=0) > 0)
        keep_b = np.flatnonzero(np.abs(w_m).sum(axis=0) > 0)
        mentee = np.hstack(
            [np.full((cohort.n_mentees, 1), 0.5), 0.25 * w_e[:, keep_a], 0.25 * onehot_e[:, keep_b]]
        )
        mentor = np.hstack([np.ones((cohort.n_mentors, 1)), onehot_m[:, keep_a], w_m[:, keep_b]])
        base = F.Factors(mentee, mentor)
        return F.Factors(base.mentee, base.mentor, corrections=self._corrections(cohort, base))

    def _corrections(self, cohort: Cohort, base: F.Factors) -> sp.csr_matrix | None:
        prefs = cohort.pair_preferences
        if len(prefs) == 0:
            return None
        target: dict[tuple[int, int], float] = {}
        for e, m, kind in zip(
            prefs.mentee.tolist(), prefs.mentor.tolist(), prefs.kind.tolist(), strict=True
        ):
            value = 1.0 if kind == PREFER else 0.0
            target[(e, m)] = min(target.get((e, m), value), value)  # avoid / must-not win
        pairs = np.array(list(target), dtype=np.int64).reshape(-1, 2)
        rows, cols = pairs[:, 0], pairs[:, 1]
        delta = np.array(list(target.values()), dtype=np.float32) - base.values_at(rows, cols)
        if cohort.is_peer:  # the matrix is symmetric: correct both orientations
            rows, cols, delta = np.r_[rows, cols], np.r_[cols, rows], np.r_[delta, delta]
        import scipy.sparse as sp  # when needed: loading the plugin must not import scipy

        return sp.csr_matrix((delta, (rows, cols)), shape=cohort.shape, dtype=np.float32)

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        prefs = cohort.pair_preferences
        a, b = (min(mentee, mentor), max(mentee, mentor)) if cohort.is_peer else (mentee, mentor)
        hit = np.flatnonzero((prefs.mentee == a) & (prefs.mentor == b))
        kinds = set(prefs.kind[hit].tolist())
        if kinds & {AVOID} or (kinds and PREFER not in kinds):
            return "Asked not to be matched together"
        if PREFER in kinds:
            return "Asked to be matched together"
        met, missed = [], []
        for wisher, other, i, j in (
            (cohort.mentees, cohort.mentors, mentee, mentor),
            (cohort.mentors, cohort.mentees, mentor, mentee),
        ):
            own = int(wisher.department_ids[i])
            for label, attribute, test in wish_checks(
                wisher.preferences[i], own, cohort.department_names
            ):
                if attribute == "department":
                    verdict = test(int(other.department_ids[j]))
                else:
                    verdict = test(frozenset(other.languages[j]))
                (met if verdict > 0 else missed if verdict < 0 else []).append(label)
        if not met and not missed:
            return None
        parts = []
        if met:
            parts.append("wished for " + ", ".join(_unique(met)))
        if missed:
            parts.append("not " + ", ".join(_unique(missed)))
        text = "; ".join(parts)
        return text[0].upper() + text[1:]


def _unique(items: list[Hashable]) -> list[str]:
    return [str(x) for x in dict.fromkeys(items)]
