"""The demo organisation: a realistic, seeded company with six months of mentoring history.

``generate(DemoConfig(...))`` builds every row in memory; ``write_dataset`` inserts them in
bulk. :mod:`mentormatch_desktop.services.demo` is the entry point the app and CLI use.
The hidden relation between pair features and outcomes is in :mod:`.relation` and
documented in ``docs/demo-data.md``; :mod:`.features` recomputes the features.
"""

from mentormatch_desktop.demo.features import PairFeatures, Profile, pair_features
from mentormatch_desktop.demo.generator import (
    DEFAULT_PARTICIPANTS,
    DEFAULT_SEED,
    DemoConfig,
    default_now,
    generate,
)
from mentormatch_desktop.demo.writer import write_dataset

__all__ = [
    "DEFAULT_PARTICIPANTS",
    "DEFAULT_SEED",
    "DemoConfig",
    "PairFeatures",
    "Profile",
    "default_now",
    "generate",
    "pair_features",
    "write_dataset",
]
