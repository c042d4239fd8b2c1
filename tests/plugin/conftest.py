"""Builds tiny third-party plugin distributions on disk and puts them on ``sys.path``.

A ``*.dist-info`` folder with ``METADATA`` and ``entry_points.txt`` is exactly what pip
leaves behind, so ``importlib.metadata`` discovers these like any installed plugin.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MakeDist = Callable[[str, str, str, str], Path]


@pytest.fixture
def make_plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeDist]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    created: list[str] = []

    def make(dist: str, version: str, module: str, source: str) -> Path:
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[mentormatch]\n{module} = {module}\n")
        created.append(module)
        importlib.invalidate_caches()
        return site

    yield make
    for module in created:
        sys.modules.pop(module, None)
