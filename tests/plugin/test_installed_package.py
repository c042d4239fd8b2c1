"""A real, non-editable install works outside the repository.

The editable install used for development can hide packaging mistakes: files read relative
to the source tree, a package missing from the wheel, an entry point naming a module that
only exists in the checkout. This test installs the project the way a user would (a plain
``pip install``, no editable finder) into a fresh virtual environment outside the
repository and runs the installed ``mentormatch`` from an unrelated directory.

Dependencies are not downloaded: the fresh environment sees the test environment's
site-packages through a ``.pth`` line placed *after* its own, so the freshly installed
``mentormatch_desktop`` and ``mentormatch_plugins`` are the ones imported.
"""

from __future__ import annotations

import os
import shutil
import site
import sqlite3
import subprocess
import sys
import sysconfig
from contextlib import closing
from pathlib import Path

import pytest

from mentormatch_desktop.storage.migrations import head_revision

REPO = Path(__file__).resolve().parents[2]
# What a source distribution of the project holds: everything the build reads.
SOURCES = ["pyproject.toml", "setup.py", "README.md", "LICENSE", "mentormatch_desktop", "plugins"]
# Nothing is downloaded: no index, no build isolation (setuptools comes from this venv).
PIP_LOCAL = ["--no-deps", "--no-build-isolation", "--no-index"]
BUILTIN_PLUGINS = ["criteria", "greedy", "optimizer", "peer", "semantic", "stable"]

DEMO_FLAGS = ["--participants", "40", "--now", "2026-06-01"]

# One install serves the module's tests: keep them on one xdist worker (make test uses
# --dist loadgroup), or each worker would build and install its own copy.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("installed_package")]


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin dir, a scratch dir outside the repo, environment) with the project installed."""
    root = tmp_path_factory.mktemp("installed")
    # Build from a copy, so the build leaves no build/ or egg-info in the checkout.
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root, env=dict(os.environ))
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    ours = [sysconfig.get_paths()["purelib"], *site.getsitepackages()]
    (purelib / "_test_dependencies.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MENTORMATCH_"))}
    scratch = root / "elsewhere"
    scratch.mkdir()
    env.update(
        MENTORMATCH_DATA_DIR=str(scratch / "data"),
        MENTORMATCH_CONFIG=str(scratch / "no-config.toml"),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", *PIP_LOCAL, source],
        cwd=scratch,
        env=env,
    )
    return venv / "bin", scratch, env


def test_wheel_installs_mentormatch_plugins_and_no_top_level_plugins(installed) -> None:
    bin_dir, scratch, env = installed
    out = _run(
        [
            bin_dir / "python",
            "-c",
            "import importlib.util, mentormatch_desktop, mentormatch_plugins.matching.criteria;"
            "print(mentormatch_desktop.__file__);"
            "print(mentormatch_plugins.__file__);"
            "print(importlib.util.find_spec('plugins'))",
        ],
        cwd=scratch,
        env=env,
    )
    core, plugins, bare = out.splitlines()
    venv = bin_dir.parent
    assert Path(core).is_relative_to(venv), core
    assert Path(plugins).is_relative_to(venv), plugins
    assert bare == "None", "the wheel must not install a top-level 'plugins' package"


def test_installed_mentormatch_plugins_lists_and_loads_the_builtins(installed) -> None:
    bin_dir, scratch, env = installed
    out = _run([bin_dir / "mentormatch", "plugins"], cwd=scratch, env=env)
    for name in BUILTIN_PLUGINS:
        assert f"{name}  [built-in: mentormatch-desktop 0.1.0]  loaded" in out, out
        assert f"module: mentormatch_plugins.matching.{name}" in out, out
    assert "0 failed" in out


def test_installed_mentormatch_demo_fills_a_database(installed) -> None:
    bin_dir, scratch, env = installed
    database = scratch / "x.sqlite3"
    out = _run(
        [bin_dir / "mentormatch", "demo", "--database", f"sqlite:///{database}", *DEMO_FLAGS],
        cwd=scratch,
        env=env,
    )
    assert "40 participants" in out, out
    # the schema came from the installed migrations and the rows from the packaged recipe
    with closing(sqlite3.connect(database)) as connection:
        (people,) = connection.execute("SELECT count(*) FROM people").fetchone()
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert people >= 40
    assert revision == head_revision()
