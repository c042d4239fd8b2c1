"""Package discovery that ``pyproject.toml`` alone cannot express.

Everything else (metadata, dependencies, entry points, package data) lives in
``pyproject.toml``. This file exists for one reason: the repository folder ``plugins/``
installs as the package ``mentormatch_plugins`` (a top-level ``plugins`` would collide with
other distributions), and setuptools' declarative ``packages.find`` cannot re-root a found
tree under another name. So the package list is computed here, with the same namespace-aware
discovery ``packages.find`` used before (``storage/migrations/versions`` has no
``__init__.py`` and must still ship).
"""

from setuptools import find_namespace_packages, setup

PLUGINS_PACKAGE = "mentormatch_plugins"
PLUGINS_FOLDER = "plugins"


def _packages() -> list[str]:
    core = find_namespace_packages(
        include=["mentormatch_desktop", "mentormatch_desktop.*"], exclude=["*.__pycache__"]
    )
    plugin_subpackages = find_namespace_packages(PLUGINS_FOLDER, exclude=["*__pycache__"])
    return [*core, PLUGINS_PACKAGE, *(f"{PLUGINS_PACKAGE}.{p}" for p in plugin_subpackages)]


setup(packages=_packages(), package_dir={PLUGINS_PACKAGE: PLUGINS_FOLDER})
