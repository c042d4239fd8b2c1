"""Suite-wide settings. Fixtures come from ``mentormatch_desktop.testing`` (a pytest11 plugin)."""

import os

# Qt widgets are tested offscreen: running `pytest` by hand on a desktop or on a headless
# machine must behave like `make test` (without this, Qt would try a display and abort).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
