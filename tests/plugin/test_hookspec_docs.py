"""Every hook in hookspecs.py is documented in docs/plugins.md with the same arguments."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from mentormatch_desktop.plugin import hookspecs

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def _hookspecs() -> dict[str, list[str]]:
    return {
        name: list(inspect.signature(fn).parameters)
        for name, fn in vars(hookspecs).items()
        if callable(fn) and hasattr(fn, "mentormatch_spec")
    }


def test_every_hook_is_documented_with_matching_arguments() -> None:
    documented = {
        m.group(1): [a.strip() for a in m.group(2).split(",") if a.strip()]
        for m in re.finditer(r"^### `(\w+)\(([^)]*)\)`", DOC.read_text(), re.MULTILINE)
    }
    specs = _hookspecs()
    assert specs, "no hookspecs found"
    assert documented == specs


def test_every_hook_has_a_docstring() -> None:
    for name in _hookspecs():
        assert (getattr(hookspecs, name).__doc__ or "").strip(), name
