"""The ``mentormatch`` command. Each area adds its commands in a module of this package.

Subcommands are imported only when they run: ``mentormatch --help`` and a small ``solve``
must not pay for pandas, polars, Alembic and the analytics stack that other commands need
(importing every command module took about 2.4 CPU-seconds before any work started).
``COMMANDS`` names, for each top-level command, the module and attribute that define it and
the one-line help that ``mentormatch --help`` shows, so listing the commands imports none of
them; ``tests/test_cli_lazy.py`` checks the table against the commands themselves.

To add a command, define it in a module of this package and add one row to ``COMMANDS``.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, NamedTuple

import click

from mentormatch_desktop import __version__


class LazyCommand(NamedTuple):
    """Where a top-level command lives, and its help's first paragraph (listed by ``--help``)."""

    module: str
    attribute: str
    summary: str


_PKG = "mentormatch_desktop.cli"

COMMANDS: dict[str, LazyCommand] = {
    "audit": LazyCommand(
        f"{_PKG}.ai",
        "audit_command",
        "Fairness audit of a match run by department, region, role (and protected attributes).",
    ),
    "db": LazyCommand(
        f"{_PKG}.db",
        "db_group",
        "Create and migrate the database schema.",
    ),
    "calendar": LazyCommand(
        f"{_PKG}.schedule",
        "calendar_group",
        "Sessions as calendar files.",
    ),
    "demo": LazyCommand(
        f"{_PKG}.demo",
        "demo_command",
        "Fill an empty database with a realistic demo organisation and six months of history.",
    ),
    "embeddings": LazyCommand(
        f"{_PKG}.ai",
        "embeddings_group",
        "The sentence-embedding cache used by semantic fit.",
    ),
    "export": LazyCommand(
        f"{_PKG}.transfer",
        "export_group",
        "Export data to files.",
    ),
    "import": LazyCommand(
        f"{_PKG}.transfer",
        "import_group",
        "Import data from files.",
    ),
    "match": LazyCommand(
        f"{_PKG}.matching",
        "match_command",
        "Match a program's participants and store the proposals (with explanations).",
    ),
    "inbox": LazyCommand(
        f"{_PKG}.messaging",
        "inbox_command",
        "List a person's conversations with their unread counts.",
    ),
    "nudges": LazyCommand(
        f"{_PKG}.nudges",
        "nudges_group",
        "Pairs with no first session yet, and nudging them (three suggested times).",
    ),
    "group": LazyCommand(
        f"{_PKG}.messaging",
        "group_command",
        "Start a group conversation (--name) or add people to one you started (--thread).",
    ),
    "outbox": LazyCommand(
        f"{_PKG}.messaging",
        "outbox_command",
        "Delivery counts and dead letters (deliveries given up on, with their error).",
    ),
    "send": LazyCommand(
        f"{_PKG}.messaging",
        "send_command",
        "Send TEXT (``-`` reads standard input) to a person or into a thread.",
    ),
    "unsubscribe": LazyCommand(
        f"{_PKG}.messaging",
        "unsubscribe_command",
        "Use the unsubscribe token from an e-mail's footer.",
    ),
    "worker": LazyCommand(
        f"{_PKG}.worker",
        "worker_command",
        "Deliver queued notifications through the channel plugins (e-mail, Slack, Teams).",
    ),
    "metrics": LazyCommand(
        f"{_PKG}.analytics",
        "metrics_command",
        "Print metric NAME as a table (or CSV/JSON for scripts).",
    ),
    "org": LazyCommand(
        f"{_PKG}.org",
        "org_group",
        "Shared deployment: roles, row-level security and people's logins (PostgreSQL).",
    ),
    "plugins": LazyCommand(
        f"{_PKG}.plugins",
        "plugins_command",
        "List every plugin: source, version, hooks it implements, status.",
    ),
    "programs": LazyCommand(
        f"{_PKG}.programs",
        "programs_group",
        "List and create mentoring programs.",
    ),
    "report": LazyCommand(
        f"{_PKG}.analytics",
        "report_command",
        "Write the program health report (KPIs, charts, at-risk list) to HTML or PDF.",
    ),
    "skills": LazyCommand(
        f"{_PKG}.ai",
        "skills_group",
        "Skill taxonomy upkeep: duplicate skills suggested for merging.",
    ),
    "slots": LazyCommand(
        f"{_PKG}.schedule",
        "slots_command",
        "Ranked common free slots for 2 to 8 people, in UTC and each person's own zone.",
    ),
    "solve": LazyCommand(
        f"{_PKG}.solve",
        "solve_command",
        "Solve PROBLEM_FILE (mentormatch.problem/1) and write a mentormatch.solution/1 document.",
    ),
    "weights": LazyCommand(
        f"{_PKG}.ai",
        "weights_group",
        "Criterion weights learned from outcomes, and the text criterion in use.",
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a command from ``lazy`` the first time it is needed."""

    def __init__(self, *args: Any, lazy: dict[str, LazyCommand], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        spec = self.lazy[cmd_name]
        command = getattr(importlib.import_module(spec.module), spec.attribute)
        self.add_command(command, cmd_name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a database problem met anywhere in it (a read-only file, a lost
        connection) ends it with one sentence and exit status 3, not a traceback. The
        translation is imported only when an exception needs it, so start-up stays lazy."""
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            from mentormatch_desktop.cli.common import database_error

            translated = database_error(exc)
            if translated is None:
                raise
            raise translated from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's command list, taking not-yet-imported commands' help from their row."""
        names = [
            name
            for name in self.list_commands(ctx)
            if name not in self.commands or not self.commands[name].hidden
        ]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)  # as click computes it
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                # a stand-in with the same help truncates it exactly as the real command would
                stand_in = click.Command(name, help=self.lazy[name].summary)
                rows.append((name, stand_in.get_short_help_str(limit)))
            else:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="mentormatch")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """MentorMatch Desktop: mentorship matching and analytics workbench."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="mentormatch")


if __name__ == "__main__":
    main()
