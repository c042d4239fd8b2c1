"""``mentormatch inbox``, ``send``, ``worker --once``, ``outbox`` and ``unsubscribe``."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from mentormatch_desktop.cli import cli


def _invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def logins(engine, org, login_names):
    """On PostgreSQL each person gets a real participant login (``org grant``), so the CLI's
    ``--as`` runs under row-level security."""
    if engine.dialect.name != "postgresql":
        yield {}
        return
    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_desktop.services.context import unit_of_work
    from mentormatch_desktop.services.org import grant_login

    made = {}
    host = PluginHost(autoload=False).load()
    for name in ("ada", "alan"):
        role = f"mm_{name}_{uuid.uuid4().hex[:8]}"
        with unit_of_work(engine, plugins=host) as ctx:
            grant_login(ctx, f"{name}@example.org", "participant", login=role)
        made[name] = role
        login_names.append(role)
    yield made


def _queued(logins: dict[str, str], n: int) -> str:
    """What `send` says about notifications: counted on SQLite; on a participant's own
    PostgreSQL login the delivery worker queues them (it alone reads others' addresses)."""
    if logins:
        return "the delivery worker queues its notifications"
    return f"{n} notification(s) queued"


def _pending_fanout(engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM messages WHERE fanout_pending")).scalar()


def test_send_and_inbox_json_as_participants(db_url, org, logins, engine):
    out = _invoke(
        "send",
        "--database",
        db_url,
        "--as",
        "alan@example.org",
        "--to",
        "ada@example.org",
        "Hello Ada",
    )
    assert out.exit_code == 0, out.output
    assert _queued(logins, 1) in out.output
    assert _pending_fanout(engine) == (1 if logins else 0)
    out = _invoke("inbox", "--database", db_url, "--as", "ada@example.org", "--format", "json")
    data = json.loads(out.output)
    [thread] = data["threads"]
    assert thread["unread"] == 1 and isinstance(thread["unread"], int)
    assert thread["kind"] == "mentorship" and data["unread"] == 1
    out = _invoke(
        "send",
        "--database",
        db_url,
        "--as",
        "ada@example.org",
        "--thread",
        str(thread["id"]),
        "Hi Alan",
    )
    assert out.exit_code == 0, out.output
    out = _invoke("inbox", "--database", db_url, "--as", "alan@example.org")
    assert out.output.splitlines()[0].split() == ["ID", "UNREAD", "LAST", "KIND", "SUBJECT"]
    assert "Ada Lovelace & Alan Turing" in out.output
    out = _invoke("inbox", "--database", db_url, "--as", "alan@example.org", "--format", "json")
    assert [t["unread"] for t in json.loads(out.output)["threads"]] == [1]
    if logins:  # the CLI really connects as Alan's own login: take his role away, it fails
        with engine.begin() as c:
            role = logins["alan"]
            c.execute(sa.text(f'REVOKE mentormatch_participant FROM "{role}"'))
        r = CliRunner().invoke(
            cli,
            [
                "send",
                "--database",
                db_url,
                "--as",
                "alan@example.org",
                "--thread",
                str(thread["id"]),
                "again",
            ],
        )
        assert r.exit_code == 1 and "permission denied" in r.output


def test_send_rejects_bad_input_with_a_clear_message(db_url, org, logins):
    runner = CliRunner()
    r = runner.invoke(cli, ["send", "--database", db_url, "--as", "alan@example.org", "x"])
    assert r.exit_code == 2 and "exactly one of --to EMAIL and --thread ID" in r.output
    r = runner.invoke(
        cli,
        [
            "send",
            "--database",
            db_url,
            "--as",
            "nobody@example.org",
            "--to",
            "ada@example.org",
            "x",
        ],
    )
    assert r.exit_code == 2 and "nobody with e-mail 'nobody@example.org'" in r.output
    r = runner.invoke(
        cli,
        ["send", "--database", db_url, "--as", "alan@example.org", "--to", "who@example.org", "x"],
    )
    assert r.exit_code == 1 and "nobody with e-mail 'who@example.org'" in r.output
    r = runner.invoke(
        cli, ["send", "--database", db_url, "--as", "ada@example.org", "--thread", "999", "x"]
    )
    assert r.exit_code == 1 and "no thread with id 999" in r.output


def test_send_on_postgres_needs_a_login(db_url, org, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite acts as the person directly")
    r = CliRunner().invoke(
        cli,
        ["send", "--database", db_url, "--as", "mary@example.org", "--to", "ada@example.org", "x"],
    )
    assert r.exit_code == 1 and "has no database login" in r.output


def test_worker_once_outbox_and_unsubscribe_commands(db_url, org, logins, smtp, engine):
    out = _invoke(
        "send",
        "--database",
        db_url,
        "--as",
        "alan@example.org",
        "--to",
        "ada@example.org",
        "--subject",
        "Books",
        "Read this",
    )
    assert _queued(logins, 1) in out.output
    out = _invoke("worker", "--once", "--database", db_url)
    assert out.output.startswith("sent 1, retrying later 0, dead letters 0")
    [mail] = smtp.messages
    assert mail["Subject"] == "Books"
    token = mail.get_body(("plain",)).get_content().split("mentormatch unsubscribe ")[1].split()[0]
    out = _invoke("unsubscribe", "--database", db_url, token)
    assert "ada@example.org no longer receives new_message by email" in out.output
    out = _invoke(
        "send",
        "--database",
        db_url,
        "--as",
        "alan@example.org",
        "--to",
        "ada@example.org",
        "--subject",
        "Books",
        "Again",
    )
    assert _queued(logins, 0) in out.output
    out = _invoke("worker", "--once", "--database", db_url)  # fans out: Ada opted out
    assert out.output.startswith("sent 0, retrying later 0, dead letters 0")
    assert _pending_fanout(engine) == 0 and len(smtp.messages) == 1
    out = _invoke("outbox", "--database", db_url, "--format", "json")
    assert json.loads(out.output)["counts"] == {"sent": 1}
