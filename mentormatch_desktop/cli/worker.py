"""``mentormatch worker``: the background worker, its health report, its log format."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import timedelta
from typing import Any

import click

from mentormatch_desktop.cli.common import database_option, open_database
from mentormatch_desktop.plugin.host import default_host
from mentormatch_desktop.services.context import LOCAL_COORDINATOR, unit_of_work

log = logging.getLogger("mentormatch_desktop.worker")


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--status",
    "show_status",
    is_flag=True,
    help="Report the workers seen in the database (heartbeat, last error) and the queue "
    "depth, then exit: status 0 when at least one worker is running, 1 when none is.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    help="Output of --status.",
)
@click.option("--batch", "batch_size", default=50, show_default=True, help="Rows per claim.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between passes.")
@click.option(
    "--lease",
    default=120.0,
    show_default=True,
    help="Seconds a claimed delivery stays reserved; a crashed worker's rows return after it.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="MENTORMATCH_LOG_FORMAT",
    help="Log lines on standard error: text, or one JSON object per line "
    "(also MENTORMATCH_LOG_FORMAT).",
)
@click.option(
    "--http",
    "http_address",
    metavar="HOST:PORT",
    help="Also serve the one-click unsubscribe links (RFC 8058) and /healthz here; "
    "put it behind an HTTPS proxy and set MENTORMATCH_UNSUBSCRIBE_URL=https://…/u/{token}.",
)
@database_option
def worker_command(
    once: bool,
    show_status: bool,
    fmt: str,
    batch_size: int,
    poll: float,
    lease: float,
    log_format: str,
    http_address: str | None,
    database_url: str | None,
) -> None:
    """Deliver queued notifications through the channel plugins (e-mail, Slack, Teams).

    Runs until SIGTERM or SIGINT (Ctrl+C): the delivery in flight is finished and recorded,
    anything else it had claimed is handed back to the queue, and the command exits with
    status 0.
    """
    if show_status:
        _status(database_url, fmt)
        return
    from mentormatch_desktop import logs
    from mentormatch_desktop.jobs import JobRunner
    from mentormatch_desktop.storage.types import utcnow
    from mentormatch_desktop.worker import Heartbeat, deliver_due, run_worker

    if not once:  # a one-shot run prints its summary; the service logs
        logs.configure(log_format)
    engine = open_database(database_url)
    host = default_host()
    http = None
    try:
        if http_address and not once:
            from mentormatch_desktop.unsubscribe_http import UnsubscribeServer, parse_address

            try:
                address = parse_address(http_address)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--http") from None
            http = UnsubscribeServer(engine, address, plugins=host).serve_in_thread()
            log.info("serving unsubscribe links on %s", http.url, extra={"http": http.url})
        if once:
            # First the scheduled jobs: a reminder due now goes out in this run.
            done = JobRunner().run_due(engine, host, utcnow)
            stats = deliver_due(engine, host, batch_size=batch_size, lease=timedelta(seconds=lease))
            click.echo(
                f"sent {stats.sent}, retrying later {stats.retrying}, dead letters {stats.failed}"
            )
            for error in dict.fromkeys(stats.errors):
                click.echo(f"  {error}", err=True)
            for name, counts in done.items():
                click.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        stop = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            log.info("received %s; stopping after the delivery in flight",
                     signal.Signals(signum).name, extra={"signal": signum})  # fmt: skip
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, on_signal)
        heartbeat = Heartbeat()
        log.info(
            "worker %s delivering from %s",
            heartbeat.worker_id,
            engine.url.render_as_string(hide_password=True),
            extra={"worker_id": heartbeat.worker_id, "event": "started"},
        )

        def report(result: Any) -> None:
            for name, summary in result.results.items():
                totals = summary.totals() if hasattr(summary, "totals") else {}
                if any(totals.values()):
                    log.info(
                        "%s: %s",
                        name,
                        ", ".join(f"{k} {v}" for k, v in totals.items()),
                        extra={"worker_id": heartbeat.worker_id, "job": name, **totals},
                    )

        run_worker(
            engine,
            host,
            poll=poll,
            batch_size=batch_size,
            lease=timedelta(seconds=lease),
            stop=stop,
            on_pass=report,
            heartbeat=heartbeat,
        )
        log.info(
            "worker %s stopped",
            heartbeat.worker_id,
            extra={"worker_id": heartbeat.worker_id, "event": "stopped"},
        )
    finally:
        if http is not None:
            http.close()
        for channel in host.messaging_channels().values():
            close = getattr(channel, "close", None)
            if callable(close):
                close()
        engine.dispose()


def _status(database_url: str | None, fmt: str) -> None:
    from mentormatch_desktop.services import workers

    engine = open_database(database_url)
    try:
        with unit_of_work(engine, actor=LOCAL_COORDINATOR) as ctx:
            report = workers.status(ctx)
    finally:
        engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        age = (
            f", oldest waiting {report.oldest_due_seconds:.0f} s"
            if report.oldest_due_seconds is not None
            else ""
        )
        click.echo(
            f"queue: {report.pending} pending ({report.due} due now{age}), "
            f"{report.dead_letters} dead letter(s)"
        )
        if not report.workers:
            click.echo("no worker has run against this database lately")
        for w in report.workers:
            ok = f"{w.last_success_at:%Y-%m-%d %H:%M:%S}" if w.last_success_at else "never"
            click.echo(
                f"{w.state:8} {w.worker_id}  version {w.version}  "
                f"heartbeat {w.beat_at:%Y-%m-%d %H:%M:%S} UTC  last good pass {ok}"
            )
            if w.last_error:
                when = f"{w.last_error_at:%Y-%m-%d %H:%M:%S}" if w.last_error_at else ""
                click.echo(f"         last error {when}: {w.last_error}")
    if not report.running:
        raise SystemExit(1)
