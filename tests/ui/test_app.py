"""The entry point, run as users run it: ``python -m mentormatch_desktop --screenshots``.

A subprocess (as pyqtgraph smoke-tests its examples): the app owns its QApplication,
theme and settings, which must not leak into the rest of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from mentormatch_desktop.app import parse_args


def test_screenshots_of_every_screen(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MENTORMATCH_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop", "--database", db_url,
         "--screenshots", str(out), "--theme", "dark"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    # Checking (SQLite: migrating) the schema is routine: Alembic's INFO lines stay out.
    assert "alembic" not in done.stderr, done.stderr[-2000:]
    names = sorted(p.name for p in out.glob("*.png"))
    for screen in ("programs", "participants", "matching", "mentorships", "plugins"):
        assert any(name.endswith(f"-{screen}.png") for name in names), names
    image = QImage(str(out / next(n for n in names if n.endswith("-participants.png"))))
    assert (image.width(), image.height()) == (1440, 900)
    middle = image.pixelColor(image.width() - 8, image.height() // 2)  # page background
    assert middle.lightness() < 100  # the dark palette was applied


def test_screenshots_stop_with_a_sentence_when_the_sign_in_fails(tmp_path: Path) -> None:
    """Offscreen nobody can dismiss the "Cannot sign in" dialog: it used to wait for ever
    (a shared login whose password is in neither the environment nor the keyring)."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/mentoring"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop", "--database", url,
         "--screenshots", str(tmp_path / "shots")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"Cannot sign in: cannot connect to {url}" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "shots").exists()


def test_flags() -> None:
    args = parse_args(["--database", "sqlite:///x.db", "--screenshots", "out"])
    assert args.database == "sqlite:///x.db" and args.screenshots == Path("out")
    assert parse_args([]).screenshots is None


def test_quitting_while_start_up_work_runs_leaves_no_traceback(tmp_path: Path) -> None:
    """``--exit-when-shown`` quits as soon as the window is up, while the start-up work (the
    demo, the preload) is still running: it must end before the objects it reports to go."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop", "--demo", "--exit-when-shown"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "window shown" in done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-2000:]


def test_participant_screenshots_include_their_mentorship_page(
    db_url: str, tmp_path: Path, ui_seed
) -> None:
    """``--as`` shoots the participant's screens and their own mentorship page, which fits
    the small window it opens over (it was 1180 × 780 whatever the window)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("--as on a shared database signs in with the person's own login")
    from datetime import UTC, datetime

    from mentormatch_desktop.storage.db import create_engine, transaction
    from mentormatch_desktop.storage.models import Mentorship

    seed = ui_seed
    engine = create_engine(db_url)
    ids = seed.seed_small_org(engine)
    with transaction(engine) as s:
        s.add(Mentorship(program_id=ids["program"], mentor_id=ids["ada"], mentee_id=ids["alan"],
                         started_at=datetime(2026, 3, 2, tzinfo=UTC)))  # fmt: skip
    engine.dispose()
    out = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MENTORMATCH_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "mentormatch_desktop", "--database", db_url,
         "--as", "alan@example.org", "--screenshots", str(out), "--screenshot-size", "1100x700"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    [page] = out.glob("*-my-mentorship-detail.png")
    image = QImage(str(page))
    assert image.width() <= 1100 and image.height() <= 700
