"""Hypothesis settings for the fuzzing suites, and the database fingerprint they compare.

The example budget is a profile chosen by ``MENTORMATCH_FUZZ_PROFILE``:

* ``ci`` (default): a small fixed budget, derandomised, so CI is quick and repeatable;
* ``dev``: a few hundred examples with fresh randomness each run;
* ``long``: thousands of examples, for an evening: see CONTRIBUTING.md / docs/fuzzing.md.

``pytest --hypothesis-profile=long tests/fuzz`` selects a profile too.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine

from mentormatch_desktop.storage.models import Base

_COMMON = {
    "deadline": None,  # database round trips vary with the machine's load
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("MENTORMATCH_FUZZ_EXAMPLES", "25")),
    derandomize=True,
    print_blob=True,
    **_COMMON,
)
settings.register_profile("dev", max_examples=300, print_blob=True, **_COMMON)
settings.register_profile("long", max_examples=5000, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("MENTORMATCH_FUZZ_PROFILE", "ci"))


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row, per table: equal means nothing was written."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(sa.select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode("utf-8", "surrogatepass"))
                count += 1
            out[table.name] = (count, digest.hexdigest()[:16])
    return out


@pytest.fixture
def db_fingerprint() -> Callable[[Engine], dict[str, tuple[int, str]]]:
    """:func:`fingerprint`, for the test modules (conftest is not importable with
    ``--import-mode=importlib``)."""
    return fingerprint
