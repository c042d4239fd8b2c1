"""Fixtures for service tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def org(engine, ui_seed) -> dict[str, int]:
    """A small organisation (see ``tests/ui/seed.py``); returns names → ids."""
    return ui_seed.seed_small_org(engine)
