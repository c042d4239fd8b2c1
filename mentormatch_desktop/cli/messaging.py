"""Messaging from the command line: ``inbox``, ``send``, ``worker``, ``outbox``, ``unsubscribe``.

``--as EMAIL`` acts as that person. On SQLite that is all it takes (whoever holds the file
holds the data); on PostgreSQL the command connects as the person's own login
(``people.db_login``, password from the keyring or trust auth), so row-level security
decides what they may read and write exactly as in their desktop app.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mentormatch_desktop.cli.common import database_option, open_database, resolve_database_url
from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.plugin.host import default_host
from mentormatch_desktop.services import groups, inbox, notifications, outbox
from mentormatch_desktop.services.context import (
    LOCAL_COORDINATOR,
    Actor,
    ServiceContext,
    unit_of_work,
)
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.storage.models import Person

T = TypeVar("T")


@contextmanager
def acting_as(database_url: str | None, email: str | None) -> Iterator[tuple[Engine, Actor]]:
    """An engine and actor for ``--as EMAIL`` (or the local coordinator without it)."""
    admin = open_database(database_url)
    try:
        if email is None:
            yield admin, LOCAL_COORDINATOR
            return
        with admin.connect() as conn:
            row = conn.execute(
                sa.select(Person.id, Person.db_login, Person.app_role, Person.is_active).where(
                    sa.func.lower(Person.email) == email.strip().lower()
                )
            ).first()
        if row is None:
            raise click.BadParameter(f"nobody with e-mail {email!r}", param_hint="--as")
        person_id, login, role, active = row
        if not active:
            raise click.BadParameter(f"{email} is no longer active", param_hint="--as")
        if admin.dialect.name != "postgresql":
            yield admin, Actor(person_id=person_id, login=login or email, role=role)
            return
        if not login:
            raise click.ClickException(
                f"{email} has no database login (people.db_login); a coordinator creates one "
                "before they can use a shared database"
            )
        url = normalise_url(resolve_database_url(database_url)).set(username=login, password=None)
        personal = create_engine(url)
        try:
            yield personal, Actor(person_id=person_id, login=login, role=role)
        finally:
            personal.dispose()
    finally:
        admin.dispose()


def _run(engine: Engine, actor: Actor, action: Callable[[ServiceContext], T]) -> T:
    host = default_host()
    try:
        with unit_of_work(engine, plugins=host, actor=actor) as ctx:
            return action(ctx)
    except FieldError as exc:
        raise click.ClickException(exc.message) from None
    except sa.exc.ProgrammingError as exc:  # e.g. permission denied under row-level security
        raise click.ClickException(str(exc.orig).strip().splitlines()[0]) from None


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


@click.command("inbox")
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Whose inbox.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@database_option
def inbox_command(as_email: str, fmt: str, database_url: str | None) -> None:
    """List a person's conversations with their unread counts."""
    with acting_as(database_url, as_email) as (engine, actor):
        threads = _run(engine, actor, inbox.list_threads)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "person": as_email,
                    "unread": sum(t.unread for t in threads),
                    "threads": [
                        {
                            "id": t.id,
                            "kind": t.kind,
                            "subject": t.subject,
                            "members": t.members,
                            "unread": t.unread,
                            "muted": t.muted,
                            "last_message_at": t.last_message_at.isoformat()
                            if t.last_message_at
                            else None,
                        }
                        for t in threads
                    ],
                },
                indent=2,
            )
        )
        return
    if not threads:
        click.echo("No conversations yet.")
        return
    click.echo(f"{'ID':>6}  {'UNREAD':>6}  {'LAST':16}  {'KIND':12}  SUBJECT")
    for t in threads:
        flag = " (muted)" if t.muted else ""
        click.echo(
            f"{t.id:>6}  {t.unread:>6}  {_when(t.last_message_at):16}  {t.kind:12}  "
            f"{t.subject}{flag}"
        )


@click.command("send")
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Who writes.")
@click.option("--to", "to_email", metavar="EMAIL", help="Write to this person.")
@click.option("--thread", "thread_id", type=int, help="Write into this conversation.")
@click.option("--subject", default=None, help="With --to: start a new conversation so named.")
@click.argument("text")
@database_option
def send_command(
    as_email: str,
    to_email: str | None,
    thread_id: int | None,
    subject: str | None,
    text: str,
    database_url: str | None,
) -> None:
    """Send TEXT (``-`` reads standard input) to a person or into a thread."""
    if (to_email is None) == (thread_id is None):
        raise click.UsageError("give exactly one of --to EMAIL and --thread ID")
    if subject is not None and thread_id is not None:
        raise click.UsageError("--subject starts a new conversation; use it with --to")
    body = sys.stdin.read() if text == "-" else text

    def action(ctx: ServiceContext) -> inbox.SentMessage:
        if thread_id is not None:
            return inbox.send_message(ctx, thread_id, body)
        # A participant's own login finds only the people they may write to: anyone else
        # reads exactly like an unknown address.
        other = inbox.person_by_email(ctx, to_email)
        if other is None:
            raise notifications.MessagingError("to", f"nobody with e-mail {to_email!r}")
        thread = inbox.thread_with(ctx, other, subject=subject)
        return inbox.send_message(ctx, thread.id, body)

    with acting_as(database_url, as_email) as (engine, actor):
        sent = _run(engine, actor, action)
    if sent.fanout_pending:
        click.echo(
            f"sent message {sent.message_id} in thread {sent.thread_id}; "
            "the delivery worker queues its notifications"
        )
        return
    click.echo(
        f"sent message {sent.message_id} in thread {sent.thread_id}; "
        f"{sent.deliveries} notification(s) queued"
    )


@click.command("group")
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Who acts.")
@click.option("--name", default=None, help="Start a new group conversation so named.")
@click.option("--thread", "thread_id", type=int, help="Add people to this group (yours).")
@click.option(
    "--with",
    "with_emails",
    multiple=True,
    required=True,
    metavar="EMAIL",
    help="A member (repeat for several); people you may write to only.",
)
@database_option
def group_command(
    as_email: str,
    name: str | None,
    thread_id: int | None,
    with_emails: tuple[str, ...],
    database_url: str | None,
) -> None:
    """Start a group conversation (--name) or add people to one you started (--thread)."""
    if (name is None) == (thread_id is None):
        raise click.UsageError("give exactly one of --name NAME and --thread ID")

    def action(ctx: ServiceContext) -> tuple[int, list[int]]:
        people = []
        for address in with_emails:
            pid = inbox.person_by_email(ctx, address)
            if pid is None:
                raise notifications.MessagingError(
                    "with", f"nobody you may write to has e-mail {address!r}"
                )
            people.append(pid)
        if thread_id is None:
            assert name is not None
            thread = groups.start_group(ctx, name, people)
            return thread.id, people
        return thread_id, groups.add_members(ctx, thread_id, people)

    with acting_as(database_url, as_email) as (engine, actor):
        tid, added = _run(engine, actor, action)
    verb = "started group" if thread_id is None else "added to group"
    click.echo(f"{verb} {tid}: {len(added)} member(s) besides you" if thread_id is None
               else f"{verb} {tid}: {len(added)} new member(s)")  # fmt: skip


@click.command("outbox")
@click.option("--retry", "retry_ids", type=int, multiple=True, help="Queue a dead letter again.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@database_option
def outbox_command(retry_ids: tuple[int, ...], fmt: str, database_url: str | None) -> None:
    """Delivery counts and dead letters (deliveries given up on, with their error)."""
    engine = open_database(database_url)
    try:
        if retry_ids:
            n = _run(
                engine,
                LOCAL_COORDINATOR,
                lambda ctx: outbox.retry_dead_letters(ctx, list(retry_ids)),
            )
            click.echo(f"{n} delivery(ies) queued again")
            return
        counts, dead = _run(
            engine,
            LOCAL_COORDINATOR,
            lambda ctx: (outbox.outbox_counts(ctx), outbox.dead_letters(ctx)),
        )
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "counts": counts,
                    "dead_letters": [
                        {
                            "id": d.id,
                            "message_id": d.message_id,
                            "recipient": d.recipient,
                            "channel": d.channel,
                            "status": d.status,
                            "attempts": d.attempts,
                            "error": d.last_error,
                        }
                        for d in dead
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "outbox empty")
    for d in dead:
        click.echo(f"{d.id:>8}  {d.channel:8}  {d.recipient:30}  {d.attempts:>2}×  {d.last_error}")


@click.command("unsubscribe")
@click.argument("token")
@database_option
def unsubscribe_command(token: str, database_url: str | None) -> None:
    """Use the unsubscribe token from an e-mail's footer."""
    engine = open_database(database_url)
    try:
        done = _run(engine, LOCAL_COORDINATOR, lambda ctx: notifications.unsubscribe(ctx, token))
    finally:
        engine.dispose()
    click.echo(f"{done.email} no longer receives {', '.join(done.topics)} by {done.channel}")


def register(group: click.Group) -> None:
    from mentormatch_desktop.cli.worker import worker_command

    for command in (
        inbox_command,
        send_command,
        worker_command,
        outbox_command,
        unsubscribe_command,
    ):
        group.add_command(command)
