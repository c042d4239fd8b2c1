"""The lock-holding extension imports the app finishes before any window is on screen."""

from __future__ import annotations

import importlib.util
import logging
import sys

import pytest

from mentormatch_desktop.ui import native_imports


def test_every_listed_module_exists_and_is_imported_when_the_wait_returns() -> None:
    # A renamed module would otherwise be skipped silently (only logged), and its import
    # would move back into the preload, where it freezes the window.
    for name in native_imports.LOCK_HOLDING_MODULES:
        assert importlib.util.find_spec(name) is not None, name
    native_imports.start_importing()()
    assert all(name in sys.modules for name in native_imports.LOCK_HOLDING_MODULES)


def test_a_module_that_fails_to_import_is_logged_and_the_wait_still_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger=native_imports.__name__):
        native_imports.start_importing(("mentormatch_desktop.no_such_module", "json"))()
    assert "mentormatch_desktop.no_such_module" in caplog.text
    assert "json" in sys.modules
