"""``mentormatch org …``: prepare a shared PostgreSQL database and manage people's logins."""

from __future__ import annotations

import sys

import click

from mentormatch_desktop.cli.common import database_option, resolve_database_url, safe_url
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.services.context import unit_of_work
from mentormatch_desktop.services.org import (
    OrgError,
    grant_login,
    prepare_shared_database,
    restrict_connect,
    revoke_login,
)
from mentormatch_desktop.storage.db import create_engine
from mentormatch_desktop.storage.security import CLIENT_ROLES, LOGIN_GROUPS


@click.group("org")
def org_group() -> None:
    """Shared deployment: roles, row-level security and people's logins (PostgreSQL)."""


@org_group.command("init")
@database_option
def org_init(database_url: str | None) -> None:
    """Migrate and apply roles, grants and row-level security; safe to run again."""
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    try:
        tables = prepare_shared_database(url, engine)
        warning = restrict_connect(engine)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:
        raise click.ClickException(f"cannot prepare {safe_url(url)}: {exc}") from exc
    finally:
        engine.dispose()
    click.echo(
        f"{safe_url(url)} is ready for shared use: {tables} tables under row-level security; "
        f"roles {', '.join(LOGIN_GROUPS)}"
    )
    if warning:
        click.echo(f"warning: {warning}", err=True)


def _read_password() -> str:
    """The whole of stdin, without its final newline (so `echo pw |` and a file both work)."""
    password = sys.stdin.read()
    password = password[:-1] if password.endswith("\n") else password
    password = password[:-1] if password.endswith("\r") else password
    if not password:
        raise click.ClickException("--password-stdin: nothing was read from standard input")
    return password


@org_group.command("grant")
@click.argument("email")
@click.option("--role", type=click.Choice(list(CLIENT_ROLES)), required=True)
@click.option(
    "--program",
    "programs",
    multiple=True,
    metavar="P",
    help="Limit a coordinator to this program (name or id); repeat for several.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (never from the command line).",
)
@click.option(
    "--login", default=None, help="Role name (default: the current one, else from e-mail)."
)
@database_option
def org_grant(
    email: str,
    role: str,
    programs: tuple[str, ...],
    password_stdin: bool,
    login: str | None,
    database_url: str | None,
) -> None:
    """Create or update EMAIL's login and make it a ROLE; SCRAM password from stdin."""
    password = _read_password() if password_stdin else None
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    try:
        with unit_of_work(engine, plugins=PluginHost()) as ctx:
            result = grant_login(
                ctx, email, role, programs=list(programs), password=password, login=login
            )
    except OrgError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    scope = f" for {', '.join(result.programs)}" if result.programs else ""
    verb = "created" if result.created else "updated"
    click.echo(f"{verb} login {result.login} for {result.email}: {result.role}{scope}")
    if result.open_to_all_logins:
        # Migrations alone (`db upgrade`) leave PUBLIC's CONNECT in place; a login of another
        # MentorMatch database on this server could then read this one's directory.
        click.echo(
            "warning: every login on this server may still connect to this database "
            "(PUBLIC holds CONNECT): run `mentormatch org init` as its owner or a superuser "
            "so that only its own logins may",
            err=True,
        )


@org_group.command("revoke")
@click.argument("email")
@database_option
def org_revoke(email: str, database_url: str | None) -> None:
    """Take EMAIL's login away (no role, cannot log in)."""
    url = resolve_database_url(database_url)
    engine = create_engine(url)
    try:
        with unit_of_work(engine, plugins=PluginHost()) as ctx:
            login = revoke_login(ctx, email)
    except OrgError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"revoked login {login} of {email}")


def register(cli: click.Group) -> None:
    cli.add_command(org_group)
