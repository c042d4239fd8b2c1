"""The ``mentormatch`` command. Each area adds its commands in a module of this package.

A module listed in ``_COMMAND_MODULES`` exposes ``register(group)``, which adds its click
commands to the top-level group. Keeping one module per area lets them grow independently.
"""

from __future__ import annotations

import importlib
import logging

import click

from mentormatch_desktop import __version__

_COMMAND_MODULES = [
    "mentormatch_desktop.cli.db",
    "mentormatch_desktop.cli.plugins",
    "mentormatch_desktop.cli.analytics",
    "mentormatch_desktop.cli.demo",
    "mentormatch_desktop.cli.transfer",
    "mentormatch_desktop.cli.solve",
    "mentormatch_desktop.cli.matching",
    "mentormatch_desktop.cli.ai",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mentormatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """MentorMatch Desktop: mentorship matching and analytics workbench."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="mentormatch")


if __name__ == "__main__":
    main()
