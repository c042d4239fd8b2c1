"""``mentormatch_desktop.plugin.api``: the one module plugins import, complete and cheap."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from mentormatch_desktop.plugin import api

API_SOURCE = Path(api.__file__).read_text()
PLUGINS_DIR = Path(__file__).resolve().parents[2] / "plugins"


def _type_checking_imports() -> dict[str, str]:
    """name → module, from the ``if TYPE_CHECKING:`` block of api.py."""
    tree = ast.parse(API_SOURCE)
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            found[alias.asname or alias.name] = node.module
    return found


def test_all_lists_every_export_and_hookimpl() -> None:
    assert sorted(api.__all__) == sorted([*api._EXPORTS, "hookimpl"])


def test_the_type_checking_block_declares_the_same_names_from_the_same_modules() -> None:
    assert _type_checking_imports() == api._EXPORTS


@pytest.mark.parametrize("name", sorted(api._EXPORTS))
def test_each_name_is_the_object_of_its_home_module(name: str) -> None:
    source = api._EXPORTS[name]
    home = importlib.import_module(source)
    expected = getattr(home, name, None) or importlib.import_module(f"{source}.{name}")
    assert getattr(api, name) is expected
    assert name in dir(api)


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'MatchRun'"):
        api.MatchRun  # noqa: B018
    with pytest.raises(ImportError):
        exec("from mentormatch_desktop.plugin.api import MatchRun", {})


def test_built_in_plugins_import_mentormatch_desktop_only_through_the_api() -> None:
    """The import-linter contract checks this too; this names the offending line."""
    offenders = []
    for path in sorted(PLUGINS_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
                if node.module == "mentormatch_desktop.plugin":
                    modules = [f"mentormatch_desktop.plugin.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            for module in modules:
                if module.startswith("mentormatch_desktop") and module != (
                    "mentormatch_desktop.plugin.api"
                ):
                    offenders.append(f"{path.name}:{node.lineno} imports {module}")
    assert offenders == []


def test_loading_the_built_in_plugins_does_not_load_the_database_layer() -> None:
    code = (
        "import sys\n"
        "from mentormatch_desktop.plugin.host import PluginHost\n"
        "host = PluginHost(autoload=False).load()\n"
        "assert 'optimizer' in host.strategies() and 'skill_fit' in host.criteria()\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'alembic'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert out.strip() == "[]"
