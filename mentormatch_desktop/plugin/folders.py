"""Plugin folders: directories an admin or user installs plugin wheels into.

The packaged app has no ``pip`` and no writable site-packages, so third-party plugins
cannot be installed "into" it. Instead the host adds these folders to ``sys.path`` before
it reads entry points; a plugin installed with::

    pip install --target <folder> some-mentormatch-plugin

leaves its package and its ``*.dist-info`` (with the ``mentormatch`` entry points) there,
and ``importlib.metadata`` finds it like any installed distribution. The same works for
a pip-installed MentorMatch, so plugin authors test what admins will deploy.

Folders, in the order they are searched:

1. ``$MENTORMATCH_PLUGIN_PATH`` (``os.pathsep``-separated), for tests and odd setups;
2. the user's folder: ``<user data dir>/plugins`` (``$MENTORMATCH_DATA_DIR/plugins`` when
   that is set), e.g. ``~/.local/share/mentormatch/plugins``;
3. the system-wide folders: ``<site data dir>/plugins`` for every XDG data dir on Linux
   (``/usr/local/share/mentormatch/plugins``, ``/usr/share/mentormatch/plugins``),
   ``C:\\ProgramData\\mentormatch\\plugins`` on Windows,
   ``/Library/Application Support/mentormatch/plugins`` on macOS.

Folders are *appended* to ``sys.path``: a wheel that drags in its own copy of numpy or
pluggy cannot shadow the versions the app was built and tested with.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "mentormatch"  # the same name config.py uses for its platformdirs folders
PLUGIN_PATH_ENV = "MENTORMATCH_PLUGIN_PATH"
DATA_DIR_ENV = "MENTORMATCH_DATA_DIR"


def user_plugin_dir() -> Path:
    """The current user's plugin folder (not created: an absent folder is simply skipped)."""
    base = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
    return Path(base) / "plugins"


def system_plugin_dirs() -> list[Path]:
    """The machine-wide plugin folders an admin manages (may be several on Linux)."""
    joined = platformdirs.site_data_dir(APP_NAME, multipath=True)
    return [Path(part) / "plugins" for part in joined.split(os.pathsep) if part]


def plugin_dirs() -> list[Path]:
    """Every candidate folder, in search order, whether it exists or not."""
    extra = [Path(p) for p in os.environ.get(PLUGIN_PATH_ENV, "").split(os.pathsep) if p]
    return [*extra, user_plugin_dir(), *system_plugin_dirs()]


def activate_plugin_dirs() -> list[Path]:
    """Append the existing plugin folders to ``sys.path`` (once each); return those added.

    Called by the plugin host just before it reads entry points, and only when
    third-party plugins are enabled.
    """
    added: list[Path] = []
    for folder in plugin_dirs():
        if not folder.is_dir():
            continue
        entry = str(folder.resolve())
        if entry in sys.path:
            continue
        sys.path.append(entry)
        added.append(folder)
    return added
