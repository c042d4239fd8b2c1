"""Fixtures for service tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def _load_seed():
    path = Path(__file__).resolve().parents[1] / "ui" / "seed.py"
    spec = importlib.util.spec_from_file_location("mm_test_seed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def org(engine) -> dict[str, int]:
    """A small organisation (see ``tests/ui/seed.py``); returns names → ids."""
    return _load_seed().seed_small_org(engine)
