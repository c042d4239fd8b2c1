"""Fixtures: the fake Google/Microsoft server, a real Radicale, an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mentormatch_plugins.calendar.testserver import (
    Radicale,
    start_radicale,
)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    pytest.importorskip("radicale", reason="radicale is in the test extra")
    with start_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server
