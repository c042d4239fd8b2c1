"""Fixtures: the fake Google/Microsoft server, a real Radicale, an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from mentormatch_plugins.calendar.testserver import (
    Cloud,
    MemoryKeyring,
    Radicale,
    start_cloud,
    start_radicale,
)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def cloud() -> Iterator[Cloud]:
    with start_cloud() as c:
        yield c


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    pytest.importorskip("radicale", reason="radicale is in the test extra")
    with start_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server
