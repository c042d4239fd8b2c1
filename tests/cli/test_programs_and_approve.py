"""``mentormatch programs add|list`` and ``mentormatch match --approve``: a program set up
and its pairs approved from a terminal, as the deployment guide's walkthrough does it
(docs/deployment.md, "Step by step"), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from mentormatch_desktop.cli import cli


def _run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_a_program_from_nothing_to_approved_mentorships(db_url: str, tmp_path: Path) -> None:
    assert "No programs yet" in _run("programs", "list", "--database", db_url).output
    made = _run("programs", "add", "Graduate mentoring", "--database", db_url)
    assert made.exit_code == 0, made.output
    assert made.output.startswith("program ") and "(one_to_one, active)" in made.output
    again = _run("programs", "add", "graduate mentoring", "--database", db_url)
    assert again.exit_code == 1 and "Traceback" not in again.output, again.output
    listed = _run("programs", "list", "--database", db_url)
    assert "active    one_to_one  Graduate mentoring" in listed.output, listed.output

    people = tmp_path / "people.csv"
    people.write_text(
        "email,full_name,time_zone,role,teaches,learns\n"
        "ana@example.org,Ana Lima,Europe/Lisbon,mentor,SQL:4,\n"
        "bo@example.org,Bo Chen,Asia/Shanghai,mentee,,SQL:2\n",
        encoding="utf-8",
    )
    imported = _run("import", "participants", str(people), "--program", "Graduate mentoring",
                    "--database", db_url)  # fmt: skip
    assert imported.exit_code == 0, imported.output

    refused = _run("match", "--program", "Graduate mentoring", "--approve", "--dry-run",
                   "--database", db_url)  # fmt: skip
    assert refused.exit_code == 2 and "not with --dry-run" in refused.output
    approved = _run("match", "--program", "Graduate mentoring", "--approve", "--database", db_url)
    assert approved.exit_code == 0, approved.output
    assert "approved run 1: 1 mentorship(s) created" in approved.output, approved.output

    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            status = conn.execute(sa.text("SELECT status FROM match_runs")).scalar_one()
            pairs = conn.execute(sa.text("SELECT count(*) FROM mentorships")).scalar_one()
            intro = conn.execute(sa.text("SELECT count(*) FROM messages")).scalar_one()
    finally:
        engine.dispose()
    assert (status, pairs, intro) == ("approved", 1, 1)  # with the pair's introduction
