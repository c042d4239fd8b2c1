"""The CLI imports a subcommand only when it runs, and its lazy table tells the truth."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
from click.testing import CliRunner

import mentormatch_desktop.cli as cli_package
from mentormatch_desktop.cli import COMMANDS, LazyGroup, cli
from mentormatch_desktop.matching.solve_format import problem_document
from mentormatch_desktop.matching.solvers.synthetic import random_small_problem

# What the cheap paths must not load: the data and database stacks of other commands.
HEAVY = ("pandas", "polars", "pyarrow", "sqlalchemy", "alembic", "sklearn", "matplotlib")
# What loading the plugins must not import: the calendar connectors' network, OAuth, keyring
# and iCalendar stacks (about 0.55 s together), the criteria's scipy.sparse and the
# solvers' OR-Tools and rustworkx. Each is imported by the plugin code that uses it.
PLUGIN_STACKS = (
    "httpx",
    "authlib",
    "joserfc",
    "cryptography",
    "caldav",
    "keyring",
    "icalendar",
    "recurring_ical_events",
    "scipy",
    "ortools",
    "rustworkx",
    "jsonschema",
    "sklearn",
)
# ``solve`` itself validates the file (jsonschema) and solves (OR-Tools): the rest stays out.
SOLVE_MUST_NOT_LOAD = (*HEAVY, *(m for m in PLUGIN_STACKS if m not in ("ortools", "jsonschema")))


def _heavy_modules_after(argv: list[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    """Run ``mentormatch ARGV`` in a fresh interpreter; list the heavy packages it imported."""
    code = (
        "import sys\n"
        "from mentormatch_desktop.cli import cli\n"
        "try:\n"
        f"    cli({argv!r}, prog_name='mentormatch')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY=")][-1]
    return [m for m in line.removeprefix("HEAVY=").split(",") if m]


def test_help_imports_no_command_module_and_no_heavy_package() -> None:
    assert _heavy_modules_after(["--help"]) == []


def test_a_small_solve_skips_the_database_and_dataframe_stacks(tmp_path: Path) -> None:
    problem = random_small_problem(np.random.default_rng(3), 40, 12, max_capacity=4)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem_document(problem)))
    argv = ["solve", str(path), "-o", str(tmp_path / "out.json")]
    assert _heavy_modules_after(argv, SOLVE_MUST_NOT_LOAD) == []
    assert json.loads((tmp_path / "out.json").read_text())["status"] == "optimal"


def test_loading_every_plugin_imports_none_of_their_heavy_stacks() -> None:
    """The plugin load that ``solve`` (and every command) does: all built-ins come in
    through their entry points and register what they provide, yet none of the stacks
    they need to *work* is imported until a hook's object is used."""
    code = (
        "import sys, json\n"
        "from mentormatch_desktop.plugin.host import default_host\n"
        "host = default_host()\n"
        f"loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({PLUGIN_STACKS!r}))\n"
        "provided = {\n"
        "    'connectors': sorted(host.calendar_connectors()),\n"
        "    'channels': sorted(host.messaging_channels()),\n"
        "    'strategies': sorted(host.strategies()),\n"
        "    'criteria': len(host.criteria()),\n"
        "}\n"
        "infos = {i.name: (i.source, i.status, i.module) for i in host.plugins()}\n"
        "print('RESULT=' + json.dumps([loaded, provided, infos]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT=")][-1]
    loaded, provided, infos = json.loads(line.removeprefix("RESULT="))
    assert loaded == [], f"loading plugins imported {loaded}"
    assert provided["connectors"] == ["caldav", "google", "ics", "microsoft"]
    assert {"email", "slack", "teams"} <= set(provided["channels"])
    assert {"optimizer", "greedy", "stable", "peer"} <= set(provided["strategies"])
    assert provided["criteria"] >= 5
    # real pluggy plugins from entry points, every one loaded (listing asks for their notes)
    for name in ("calendar-caldav", "calendar-google", "calendar-ics", "optimizer", "slack"):
        source, status, module = infos[name]
        assert (source, status) == ("built-in", "loaded") and module.startswith(
            "mentormatch_plugins."
        )


def test_every_row_names_its_command_with_the_command_s_own_summary() -> None:
    for name, row in COMMANDS.items():
        command = getattr(importlib.import_module(row.module), row.attribute)
        assert isinstance(command, click.Command), name
        assert command.name == name
        first_paragraph = inspect.cleandoc(command.help or "").split("\n\n")[0]
        assert row.summary == " ".join(first_paragraph.split()), name


def test_every_top_level_command_defined_in_the_package_has_a_row() -> None:
    """A command defined in cli/*.py and attached to no group would be unreachable."""
    defined: dict[str, click.Command] = {}
    attached: set[int] = set()
    for info in pkgutil.iter_modules(cli_package.__path__):
        if info.name == "__main__":  # runs the command when imported
            continue
        module = importlib.import_module(f"{cli_package.__name__}.{info.name}")
        for value in vars(module).values():
            callback = getattr(value, "callback", None)
            own = callback is not None and callback.__module__ == module.__name__
            if isinstance(value, click.Command) and own:
                defined[f"{module.__name__}:{value.name}"] = value
            if isinstance(value, click.Group):
                attached.update(id(c) for c in value.commands.values())
    top_level = {key for key, command in defined.items() if id(command) not in attached}
    listed = {f"{row.module}:{name}" for name, row in COMMANDS.items()}
    assert top_level == listed


def test_lazy_help_reads_exactly_like_the_fully_loaded_group() -> None:
    lazy = CliRunner().invoke(cli, ["--help"], prog_name="mentormatch")
    eager = click.Group(
        name=cli.name,
        params=cli.params,
        help=cli.help,
        context_settings=cli.context_settings,
        commands={
            name: getattr(importlib.import_module(row.module), row.attribute)
            for name, row in COMMANDS.items()
        },
    )
    loaded = CliRunner().invoke(eager, ["--help"], prog_name="mentormatch")
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output == loaded.output


def test_an_unknown_command_is_still_named_in_the_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.output


def test_the_group_is_lazy_and_the_table_is_the_only_registration() -> None:
    assert isinstance(cli, LazyGroup)
    source = Path(cli_package.__file__).read_text()
    # no module-level import of a command module: they are loaded by get_command only
    imported = {
        node.module
        for node in ast.parse(source).body
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {row.module for row in COMMANDS.values()} & imported
