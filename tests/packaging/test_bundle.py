"""Smoke test of the PyInstaller bundle, run from a copy outside the repository.

Builds the onedir bundle with ``packaging/build.py`` once per test run (or reuses the one
named by ``$MENTORMATCH_BUNDLE_DIR``, e.g. from ``make dist`` earlier in the same CI job),
copies it to a temporary directory, and runs it with an environment that has no Python,
no virtualenv and no repository on its paths: what a laptop that received the bundle has.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.slow,
    pytest.mark.xdist_group("bundle"),  # one build per run: every test on the same worker
    pytest.mark.timeout(3600),  # the first test's setup builds the bundle
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux bundle"),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PLUGIN = Path(__file__).resolve().parent / "sample_plugin"
# Every plugin this distribution declares (matching, calendar, messaging): the bundle must
# find all of them through the copied metadata, not just the ones that existed when the
# spec was written.
BUILTINS = {
    ep.name
    for ep in metadata.distribution("mentormatch-desktop").entry_points
    if ep.group == "mentormatch"
}
BUNDLE_DIR_ENV = "MENTORMATCH_BUNDLE_DIR"


@pytest.fixture(scope="session")
def built_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prebuilt = os.environ.get(BUNDLE_DIR_ENV)
    if prebuilt:
        path = Path(prebuilt)
        assert (path / "mentormatch").is_file(), f"${BUNDLE_DIR_ENV}={path} holds no bundle"
        return path
    pytest.importorskip("PyInstaller", reason="pip install -e '.[dist]' to build the bundle")
    base = tmp_path_factory.mktemp("bundle-build")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--no-archive",
            "--dist",
            str(base / "dist"),
            "--work",
            str(base / "work"),
        ],
        check=True,
        timeout=900,
    )
    return base / "dist" / "mentormatch"


@pytest.fixture(scope="session")
def app_home(built_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundle, outside the repository, and a scratch home for it."""
    home = tmp_path_factory.mktemp("bundle-run")
    assert ROOT not in home.parents
    shutil.copytree(built_bundle, home / "mentormatch", symlinks=True)
    (home / "data").mkdir()
    return home


def _env(home: Path) -> dict[str, str]:
    """Nothing from this Python: no venv on PATH, no PYTHONPATH, a fresh HOME and data dir."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_DIRS": str(home / "system-share"),
        "MENTORMATCH_DATA_DIR": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }


def run_bundled(home: Path, program: str, *args: str, timeout: float = 240) -> str:
    result = subprocess.run(
        [str(home / "mentormatch" / program), *args],
        cwd=home,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{program} {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="session")
def demo_database(app_home: Path) -> Path:
    path = app_home / "demo.sqlite3"
    out = run_bundled(
        app_home, "mentormatch", "demo", "-n", "60", "--now", "2026-06-01",
        "--database", f"sqlite:///{path}",
    )  # fmt: skip
    assert "demo written to" in out
    return path


def test_help_runs_without_python(app_home: Path) -> None:
    out = run_bundled(app_home, "mentormatch", "--help")
    for command in ("demo", "plugins", "db"):
        assert command in out


def test_builtin_plugins_are_found_through_entry_points(app_home: Path) -> None:
    infos = json.loads(run_bundled(app_home, "mentormatch", "plugins", "--json"))
    builtins = {i["name"]: i for i in infos if i["source"] == "built-in"}
    assert set(builtins) == BUILTINS
    assert {i["status"] for i in builtins.values()} == {"loaded"}
    assert {i["distribution"] for i in builtins.values()} == {"mentormatch-desktop"}


def test_a_plugin_installed_into_the_plugin_folder_is_loaded(app_home: Path) -> None:
    folder = app_home / "data" / "plugins"
    source = shutil.copytree(SAMPLE_PLUGIN, app_home / "sample-plugin-src")  # builds leave files
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(folder), str(source)],
        check=True, timeout=180, capture_output=True,
    )  # fmt: skip
    infos = {
        i["name"]: i for i in json.loads(run_bundled(app_home, "mentormatch", "plugins", "--json"))
    }
    sample = infos["bundle_sample"]
    assert sample["source"] == "third-party"
    assert sample["status"] == "loaded", sample["error"]
    assert sample["version"] == "1.0.0"
    assert sample["note"] == "loaded from the plugin folder"
    assert "bundle_sample" in run_bundled(app_home, "mentormatch", "plugins")


def test_demo_writes_a_sqlite_database(demo_database: Path) -> None:
    import sqlite3

    with sqlite3.connect(demo_database) as db:
        (people,) = db.execute("select count(*) from people").fetchone()
        (revision,) = db.execute("select version_num from alembic_version").fetchone()
    assert people >= 60
    assert revision  # the bundled Alembic migrations ran


def test_desktop_screenshots_offscreen(app_home: Path, demo_database: Path) -> None:
    from PIL import Image

    shots = app_home / "screenshots"
    out = run_bundled(
        app_home, "mentormatch-desktop", "--screenshots", str(shots),
        "--database", f"sqlite:///{demo_database}",
    )  # fmt: skip
    pngs = sorted(shots.glob("*.png"))
    assert len(pngs) >= 5, out
    for png in pngs:
        with Image.open(png) as image:
            assert image.width >= 800 and image.height >= 500, png.name
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
            assert len(colours) > 50, f"{png.name} is nearly blank"  # text, icons, charts
