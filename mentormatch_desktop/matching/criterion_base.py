"""A base class for criteria with a fast factorised form (built-in and third-party alike).

Subclass :class:`FactorisedCriterion`, set ``name``/``label``/``description``/
``default_weight``, implement ``_build(cohort)`` returning a
:class:`~mentormatch_desktop.matching.features.Factors` or
:class:`~mentormatch_desktop.matching.features.Table`, and ``explain``. The plugin
contract's ``compute`` comes for free, and the scorer uses ``factors`` to fold the criterion
into its shared matrix product. A semantic criterion is::

    class SemanticFit(FactorisedCriterion):
        name, label, description, default_weight = "semantic_fit", "Semantic fit", "…", 2.0

        def _build(self, cohort):
            goals, profiles = my_vectors(cohort)
            return cosine_factors(goals, profiles)
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.cohort import Cohort


def number_setting(cohort: Cohort, key: str, default: float) -> float:
    """A numeric program setting, with a clear error naming the key when it is not one."""
    value = cohort.settings.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"program setting {key!r} must be a number, got {value!r}") from exc


class FactorisedCriterion(ABC):
    """Caches the representation per cohort (in ``cohort.cache``); derives ``compute``."""

    name = ""
    label = ""
    description = ""
    default_weight = 1.0

    def factors(self, cohort: Cohort) -> F.Representation:
        """The criterion's fast form for ``cohort``, built once per cohort."""
        key = f"criterion:{self.name}"
        if key not in cohort.cache:
            cohort.cache[key] = self._build(cohort)
        return cohort.cache[key]

    def compute(self, cohort: Cohort) -> np.ndarray:
        """The full ``(n_mentees, n_mentors)`` float32 matrix (plugin contract)."""
        return F.materialise(self.factors(cohort))

    @abstractmethod
    def _build(self, cohort: Cohort) -> F.Representation:
        """Build the representation (called once per cohort by :meth:`factors`)."""

    def explain(self, cohort: Cohort, mentee: int, mentor: int, value: float) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"<criterion {self.name}>"


def symmetrise(f: F.Factors) -> F.Factors:
    """For a peer pool: the mean of the value both ways, ``(v(a→b) + v(b→a)) / 2``."""
    if f.corrections is not None:
        raise ValueError("symmetrise() takes factors without corrections")
    return F.Factors(
        np.hstack([f.mentee, f.mentor]) * 0.5, np.hstack([f.mentor, f.mentee]), f.transform
    )
