"""``mentormatch demo`` on a fresh database file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mentormatch_desktop.cli import cli


def test_demo_command_fills_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    runner = CliRunner()
    result = runner.invoke(
        cli, ["demo", "-n", "40", "--seed", "2", "--now", "2026-04-01", "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert "40 participants, seed 2, history up to 2026-04-01T00:00:00+00:00" in result.output
    again = runner.invoke(cli, ["demo", "-n", "40", "--database", url])
    assert again.exit_code == 1
    assert "only fills an empty database" in again.output
