"""AI matching speed: encoding, the cached re-run, the semantic score matrix, learning.

Run: ``.venv/bin/python benchmarks/ai.py`` (``--quick`` for 2,000 profiles instead of
20,000). Needs the ``semantic`` extra. Prints one table; times are wall-clock seconds on
this machine (2 cores, shared: expect ±20 %).

Rows:
* encode N profiles cold — every text encoded with all-MiniLM-L6-v2 and stored in a fresh
  SQLite cache;
* the cached re-run — the same texts again: hashing + one lookup per 500 texts, no encoding;
* one profile edited — the re-run after 1 % of the texts changed (only those are encoded);
* semantic score matrix 10,000 × 2,000 — the criterion's factorised form materialised
  block by block (one float32 product with the rescale folded in, then a clip), as the
  scorer does;
* fitting weights on 5,000 outcomes — 5-fold cross-validated logistic regression plus the
  final fit and Wald intervals.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session

from mentormatch_desktop.matching import features as F
from mentormatch_desktop.matching.embeddings import (
    default_encoder,
    embed_texts,
    semantic_status,
)
from mentormatch_desktop.matching.learning import OutcomeTable, fit_weights
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.migrations import upgrade
from mentormatch_plugins.matching.semantic import semantic_factors

ROLES = ["engineer", "designer", "analyst", "sales lead", "product manager", "recruiter",
         "data scientist", "accountant", "support lead", "marketing manager"]  # fmt: skip
DEEDS = ["led a team of {n} people", "shipped a {x} platform", "mentored {n} juniors",
         "ran {x} workshops", "negotiated {x} contracts", "built {x} dashboards",
         "spoke at {n} conferences", "migrated {x} systems to the cloud",
         "hired {n} engineers", "wrote the {x} style guide"]  # fmt: skip
THINGS = ["payments", "analytics", "mobile", "pricing", "onboarding", "security", "search",
          "billing", "reporting", "logistics"]  # fmt: skip


def profiles(n: int, seed: int = 0) -> list[str]:
    """Unique, realistic-length profile texts (two or three sentences each)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        deeds = rng.choice(len(DEEDS), size=2, replace=False)
        parts = [f"{ROLES[rng.integers(len(ROLES))].capitalize()} for {rng.integers(2, 25)} years"]
        for d in deeds:
            parts.append(
                DEEDS[d].format(n=int(rng.integers(2, 40)), x=THINGS[rng.integers(len(THINGS))])
            )
        out.append(". ".join(parts) + f". Profile {i}.")
    return out


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 profiles instead of 20,000")
    args = parser.parse_args()
    status = semantic_status()
    if not status.available:
        sys.exit(f"benchmarks/ai.py needs the semantic extra: {status.reason}")
    n = 2_000 if args.quick else 20_000
    rows: list[tuple[str, float, str]] = []

    encoder = default_encoder()
    load, _ = timed(lambda: encoder.encode(["warm up"]))
    rows.append(("load model (torch + weights)", load, "once per process"))

    texts = profiles(n)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        engine = create_engine(url)
        upgrade(url, engine=engine)
        with Session(engine) as session:
            cold, (_, stats) = timed(lambda: embed_texts(session, texts, encoder))
            session.commit()
            rows.append((f"encode {n:,} profiles cold", cold, f"{n / cold:,.0f} texts/s"))
            assert stats.encoded == n
        with Session(engine) as session:
            warm, (_, stats) = timed(lambda: embed_texts(session, texts, encoder))
            assert stats.encoded == 0
            rows.append((f"cached re-run, {n:,} profiles", warm, f"{cold / warm:,.0f}× faster"))
        edited = list(texts)
        for i in range(0, n, 100):
            edited[i] = edited[i] + " Now also coaching new managers."
        with Session(engine) as session:
            delta, (_, stats) = timed(lambda: embed_texts(session, edited, encoder))
            session.commit()
            rows.append((f"re-run after editing 1 % ({stats.encoded})", delta, "only edits"))
        engine.dispose()

    rng = np.random.default_rng(1)
    goals = rng.normal(size=(10_000, 384)).astype(np.float32)
    experts = rng.normal(size=(2_000, 384)).astype(np.float32)
    goals /= np.linalg.norm(goals, axis=1, keepdims=True)
    experts /= np.linalg.norm(experts, axis=1, keepdims=True)
    factors = semantic_factors(goals, experts)
    F.materialise(semantic_factors(goals[:100], experts))  # warm BLAS
    matrix_s, matrix = timed(lambda: F.materialise(factors))
    rate = matrix.size / matrix_s / 1e6
    rows.append(("semantic score matrix 10,000 × 2,000", matrix_s, f"{rate:,.0f} M pairs/s"))

    names = ["skill_fit", "goal_fit", "availability", "time_zone", "language", "experience_gap"]
    x = rng.random((5_000, len(names)))
    p = 1 / (1 + np.exp(-(x @ np.array([2.0, 0.3, 1.4, 0.7, 0.0, 0.0]) * 2 - 3)))
    good = rng.random(5_000) < p
    table = OutcomeTable(names, x, good, good.astype(float), np.zeros(5_000, dtype=bool))
    fit_weights(table, dict.fromkeys(names, 1.0))  # import SciPy's optimizer outside the timing
    fit_s, learned = timed(lambda: fit_weights(table, dict.fromkeys(names, 1.0)))
    rows.append(("fit weights on 5,000 outcomes", fit_s, f"CV AUC {learned.cv_auc:.3f} (5 folds)"))

    print(f"\nAI matching benchmark — {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, model {encoder.model_name}")  # fmt: skip
    print(f"{'step':<44}{'seconds':>10}   note")
    for name, seconds, note in rows:
        print(f"{name:<44}{seconds:>10.3f}   {note}")


if __name__ == "__main__":
    main()
