"""Plugin folders: a plugin installed with ``pip install --target <folder>`` is loaded."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from pathlib import Path

import pytest

from mentormatch_desktop.plugin import folders
from mentormatch_desktop.plugin.host import PluginHost

PLUGIN = """
    from mentormatch_desktop import hookimpl

    @hookimpl
    def plugin_status():
        return "installed in a plugin folder"
"""


def _install_like_pip_target(folder: Path, dist: str, module: str) -> None:
    """What ``pip install --target folder`` leaves: the module and its dist-info."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(textwrap.dedent(PLUGIN))
    info = folder / f"{dist.replace('-', '_')}-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 2.0\n")
    (info / "entry_points.txt").write_text(f"[mentormatch]\n{module} = {module}\n")
    importlib.invalidate_caches()


@pytest.fixture
def clean_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv(folders.PLUGIN_PATH_ENV, raising=False)
    monkeypatch.setenv(folders.DATA_DIR_ENV, str(tmp_path / "data"))
    yield
    for name in ("mm_folder_user", "mm_folder_extra"):
        sys.modules.pop(name, None)


def test_user_folder_follows_the_data_dir(clean_path, tmp_path: Path) -> None:
    assert folders.user_plugin_dir() == tmp_path / "data" / "plugins"
    assert folders.plugin_dirs()[0] == tmp_path / "data" / "plugins"
    assert all(p.name == "plugins" for p in folders.system_plugin_dirs())


def test_only_existing_folders_are_appended_once(clean_path, tmp_path, monkeypatch) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    monkeypatch.setenv(
        folders.PLUGIN_PATH_ENV, os.pathsep.join([str(extra), str(tmp_path / "missing")])
    )
    before = list(sys.path)
    assert folders.activate_plugin_dirs() == [extra]
    assert sys.path == [*before, str(extra.resolve())]  # appended: never shadows the app
    assert folders.activate_plugin_dirs() == []  # idempotent


def test_host_loads_a_plugin_from_the_user_folder(clean_path, tmp_path) -> None:
    _install_like_pip_target(tmp_path / "data" / "plugins", "mm-folder-user", "mm_folder_user")
    host = PluginHost(autoload=True).load()
    info = {i.name: i for i in host.plugins()}["mm_folder_user"]
    assert info.status == "loaded"
    assert info.source == "third-party"
    assert info.version == "2.0"
    assert info.note == "installed in a plugin folder"


def test_plugin_folders_are_ignored_when_autoload_is_off(clean_path, tmp_path) -> None:
    _install_like_pip_target(tmp_path / "data" / "plugins", "mm-folder-user", "mm_folder_user")
    host = PluginHost(autoload=False).load()
    assert "mm_folder_user" not in {i.name for i in host.plugins()}
    assert str((tmp_path / "data" / "plugins").resolve()) not in sys.path
