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
def logins(engine, org):
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
    yield made
    with engine.begin() as c:
        for role in made.values():
            c.execute(sa.text(f'DROP OWNED BY "{role}"'))
            c.execute(sa.text(f'DROP ROLE "{role}"'))


# Under row-level security a participant may write into their own threads, but `send --to
# EMAIL` looks the recipient up by e-mail (the directory hides e-mails from participants) and
# queuing deliveries reads the recipients' channels and preferences (hidden too): both need
# SECURITY DEFINER helpers (or a worker-side fan-out) that are not built yet.
# Strict: the day it works, these flip to XPASS and must lose the mark.
_PARTICIPANT_SEND_UNDER_RLS = pytest.mark.xfail(
    strict=True,
    reason="participants cannot address by e-mail nor queue deliveries under RLS yet (issue 14)",
)


def _known_gap_on_postgres(request: pytest.FixtureRequest, engine) -> None:
    if engine.dialect.name == "postgresql":
        request.applymarker(_PARTICIPANT_SEND_UNDER_RLS)


def test_send_and_inbox_json_as_participants(request, db_url, org, logins, engine):
    _known_gap_on_postgres(request, engine)
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
    assert "1 notification(s) queued" in out.output
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


def test_worker_once_outbox_and_unsubscribe_commands(request, db_url, org, logins, smtp, engine):
    _known_gap_on_postgres(request, engine)
    _invoke(
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
    assert "0 notification(s) queued" in out.output
    out = _invoke("outbox", "--database", db_url, "--format", "json")
    assert json.loads(out.output)["counts"] == {"sent": 1}
