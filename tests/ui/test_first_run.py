"""The first-run chooser (pytest-qt, offscreen): each of its four ways in, the app
started with an administrator's system file going straight to the sign-in dialog, and a new
local database created from the chooser, migrated, and filled through the import wizard."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from sqlalchemy.engine import make_url

from mentormatch_desktop.testing import REQUIRE_POSTGRES_ENV, DatabaseFactory, _migrate
from mentormatch_desktop.ui.first_run import DEMO, FILE, NEW, SERVER, FirstRunDialog


def _pg_factory(database_factories: dict[str, object]) -> DatabaseFactory:
    factory = database_factories["postgresql"]
    if isinstance(factory, str):
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(factory)
        pytest.skip(factory)
    assert isinstance(factory, DatabaseFactory)
    return factory


@pytest.fixture
def pg_migrated(database_factories: dict[str, object]) -> str:
    factory = _pg_factory(database_factories)
    return factory.create(template=factory.template("schema", _migrate))


@pytest.fixture
def pg_empty(database_factories: dict[str, object]) -> str:
    factory = database_factories["postgresql"]
    if isinstance(factory, str):
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(factory)
        pytest.skip(factory)
    assert isinstance(factory, DatabaseFactory)
    return factory.create(prefix="firstrun")


def test_demo_is_the_default_button(qtbot) -> None:
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    assert chooser.demo_button.isDefault()
    qtbot.keyClick(chooser, Qt.Key.Key_Return)  # Enter takes the default: the demo
    assert chooser.choice == DEMO and chooser.result() == FirstRunDialog.DialogCode.Accepted


def test_open_a_database_file(qtbot, tmp_path: Path) -> None:
    db = tmp_path / "club.sqlite3"
    db.write_bytes(b"")
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.mouseClick(chooser.file_button, Qt.MouseButton.LeftButton)
    assert chooser.file_dialog is not None and chooser.file_dialog.isVisible()
    chooser.file_dialog.setDirectory(str(tmp_path))
    chooser.file_dialog.selectFile(str(db))
    chooser.file_dialog.accept()
    assert chooser.choice == FILE and chooser.path == db
    assert chooser.result() == FirstRunDialog.DialogCode.Accepted


def _pick_new(qtbot, chooser: FirstRunDialog, path: Path | None = None) -> None:
    qtbot.mouseClick(chooser.new_button, Qt.MouseButton.LeftButton)
    dialog = chooser.new_dialog
    assert dialog is not None and dialog.isVisible()
    if path is not None:
        dialog.setDirectory(str(path.parent))
        dialog.selectFile(path.name)
    dialog.accept()


def test_create_a_new_local_database(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MENTORMATCH_DATA_DIR", str(tmp_path / "data"))
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    _pick_new(qtbot, chooser)  # the suggestion as it stands: the user data dir
    made = tmp_path / "data" / "my-organisation.sqlite3"
    assert chooser.choice == NEW and chooser.path == made
    assert chooser.result() == FirstRunDialog.DialogCode.Accepted
    assert made.exists() and made.stat().st_size == 0  # the app migrates it when it opens
    assert made.stat().st_mode & 0o777 == 0o600  # personal data: the owner's alone


def test_a_new_database_never_overwrites_a_file(qtbot, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MENTORMATCH_DATA_DIR", str(tmp_path / "data"))
    precious = tmp_path / "precious.sqlite3"
    precious.write_bytes(b"the only copy")
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    _pick_new(qtbot, chooser, precious)
    assert chooser.choice is None and chooser.isVisible()  # still choosing
    assert chooser.banner.isVisible() and "already exists" in chooser.banner.message.text()
    assert precious.read_bytes() == b"the only copy"
    # The suggestion moves on from a name already taken.
    _pick_new(qtbot, chooser)
    assert chooser.choice == NEW and chooser.path == tmp_path / "data" / "my-organisation.sqlite3"
    second = FirstRunDialog()
    qtbot.addWidget(second)
    second.show()
    _pick_new(qtbot, second)
    assert second.path == tmp_path / "data" / "my-organisation-2.sqlite3"


def test_cancelling_the_file_dialog_goes_back_to_the_chooser(qtbot) -> None:
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.mouseClick(chooser.file_button, Qt.MouseButton.LeftButton)
    chooser.file_dialog.reject()
    assert chooser.choice is None and chooser.isVisible()


def test_connect_to_the_server_signs_in_with_the_sign_in_dialog(qtbot, pg_empty: str) -> None:
    parsed = make_url(pg_empty)
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.mouseClick(chooser.server_button, Qt.MouseButton.LeftButton)
    dialog = chooser.sign_in_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.reject()  # cancelled: still choosing
    assert chooser.choice is None and chooser.isVisible()
    qtbot.mouseClick(chooser.server_button, Qt.MouseButton.LeftButton)
    dialog = chooser.sign_in_dialog
    dialog.server.setText(f"{parsed.host}:{parsed.port or 5432}")
    dialog.database.setText(parsed.database)
    dialog.user.setText(parsed.username)
    dialog.submit()
    qtbot.waitUntil(lambda: chooser.choice is not None, timeout=30_000)
    assert chooser.choice == SERVER
    assert chooser.signed_in is not None
    assert make_url(chooser.signed_in.url).database == parsed.database
    chooser.signed_in.engine.dispose()


def test_the_chooser_looks_right(qtbot, tmp_path: Path) -> None:
    chooser = FirstRunDialog()
    qtbot.addWidget(chooser)
    chooser.show()
    qtbot.waitExposed(chooser)
    image = chooser.grab()
    assert image.save(str(tmp_path / "chooser.png"))
    if os.environ.get("MENTORMATCH_KEEP_SHOT"):
        image.save(os.environ["MENTORMATCH_KEEP_SHOT"])
    buttons = (chooser.demo_button, chooser.new_button, chooser.server_button, chooser.file_button)
    for button in buttons:
        assert button.isVisible() and button.width() > 300


# Runs the real entry point in its own process (it owns its QApplication and theme), and
# answers the dialog it shows: records what it saw, signs in, quits once the window is up.
DRIVER = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from mentormatch_desktop import app

    qapp = QApplication(sys.argv[:1])
    def look():
        names = {type(w).__name__: w for w in qapp.topLevelWidgets() if w.isVisible()}
        if "FirstRunDialog" in names:
            print("CHOOSER", flush=True); names["FirstRunDialog"].reject(); return
        if "SignInDialog" in names:
            d = names["SignInDialog"]
            if d.buttons.isEnabled():
                print("SIGN-IN", d.server.text(), d.database.text(), d.query, flush=True)
                d.user.setText(sys.argv[1]); d.submit()
        if "MainWindow" in names:
            from mentormatch_desktop.ui.screenshots import wait_idle
            wait_idle(60)  # the start-up check finishes before the app quits
            print("WINDOW", names["MainWindow"].windowTitle(), flush=True)
            qapp.quit(); return
        QTimer.singleShot(50, look)
    QTimer.singleShot(50, look)
    sys.exit(app.main([]))
    """
)


def test_app_with_a_system_config_shows_the_sign_in(pg_migrated: str, tmp_path: Path) -> None:
    parsed = make_url(pg_migrated)
    system = tmp_path / "etc" / "config.toml"
    system.parent.mkdir()
    server = parsed.set(username=None, password=None, drivername="postgresql+psycopg")
    system.write_text(
        f'database_url = "{server.render_as_string(hide_password=False)}"\n'
        'sslmode = "disable"\nlocked = ["database_url"]\n'
    )
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        MENTORMATCH_DATA_DIR=str(tmp_path / "data"),
        MENTORMATCH_CONFIG=str(tmp_path / "user" / "config.toml"),
        MENTORMATCH_SYSTEM_CONFIG=str(system),
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "xdg"),
    )
    env.pop("MENTORMATCH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, parsed.username],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert "CHOOSER" not in lines, done.stdout
    assert any(
        line.startswith(f"SIGN-IN {parsed.host}")
        and f" {parsed.database} " in line
        and "'sslmode': 'disable'" in line
        for line in lines
    ), (done.stdout, done.stderr[-2000:])
    assert any(line.startswith("WINDOW") for line in lines), (done.stdout, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "user" / "config.toml").exists()  # nothing asked, nothing saved


def test_app_with_nothing_configured_asks_first(tmp_path: Path) -> None:
    system = tmp_path / "etc" / "config.toml"  # does not exist
    user = tmp_path / "user" / "config.toml"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        MENTORMATCH_DATA_DIR=str(tmp_path / "data"),
        MENTORMATCH_CONFIG=str(user),
        MENTORMATCH_SYSTEM_CONFIG=str(system),
    )
    env.pop("MENTORMATCH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, "nobody"],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.stdout.splitlines() == ["CHOOSER"], (done.stdout, done.stderr[-2000:])
    assert done.returncode == 1  # "Quit" in the chooser: nothing opened, nothing saved
    assert not user.exists()


def test_make_run_opens_the_demo_without_asking(tmp_path: Path, monkeypatch) -> None:
    from mentormatch_desktop.app import _should_ask_first, parse_args
    from mentormatch_desktop.config import default_database_url, load_settings

    monkeypatch.setenv("MENTORMATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MENTORMATCH_CONFIG", str(tmp_path / "user.toml"))
    monkeypatch.setenv("MENTORMATCH_SYSTEM_CONFIG", str(tmp_path / "system.toml"))
    monkeypatch.delenv("MENTORMATCH_DATABASE_URL", raising=False)
    settings = load_settings()
    assert _should_ask_first(parse_args([]), settings)
    assert not _should_ask_first(parse_args(["--demo"]), settings)  # `make run`
    (tmp_path / "data" / "mentormatch.sqlite3").write_bytes(b"")  # a demo from before
    assert not _should_ask_first(parse_args([]), settings)
    assert settings.database_url == default_database_url()


# The whole path through the real app: the chooser's "Create a new local database…", the
# main window on the new file (migrated by the app), and participants imported through the
# import wizard, as the coordinator of a local database does it.
NEW_DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWizard
    from mentormatch_desktop import app

    target, people = Path(sys.argv[1]), sys.argv[2]
    qapp = QApplication(sys.argv[:1])
    state = {}

    def look():
        names = {type(w).__name__: w for w in qapp.topLevelWidgets() if w.isVisible()}
        chooser = names.get("FirstRunDialog")
        if chooser is not None and "asked" not in state:
            state["asked"] = True
            print("CHOOSER", flush=True)
            chooser.new_button.click()
            dialog = chooser.new_dialog
            print("SUGGESTED", dialog.directory().absolutePath(), flush=True)
            dialog.setDirectory(str(target.parent)); dialog.selectFile(target.name)
            dialog.accept()
        window = names.get("MainWindow")
        if window is not None and "wizard" not in state:
            from mentormatch_desktop.ui.screenshots import wait_idle
            wait_idle(60)  # start-up (the migration) done
            print("WINDOW", window.context.identity.role, flush=True)
            view = window.screen("participants")
            wizard = state["wizard"] = view.open_import_wizard()
            wizard.set_file(people)
            def checked(check):
                print("CHECKED", check.ok, flush=True)
                wizard.button(QWizard.WizardButton.NextButton).click()  # Import
            def imported(summary):
                print("IMPORTED", summary.created, flush=True)
                qapp.quit()
            wizard.checked.connect(checked)
            wizard.imported.connect(imported)
            wizard.failed.connect(lambda e: (print("FAILED", e.message, flush=True), qapp.quit()))
            wizard.button(QWizard.WizardButton.NextButton).click()  # check the file
            return
        QTimer.singleShot(50, look)

    QTimer.singleShot(50, look)
    QTimer.singleShot(150_000, qapp.quit)
    sys.exit(app.main([]))
    """
)


def test_app_creates_a_new_local_database_and_imports_into_it(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from mentormatch_desktop.storage.migrations import head_revision

    people = tmp_path / "people.csv"
    people.write_text(
        "email,full_name,time_zone,teaches\n"
        "ana@example.org,Ana Lima,Europe/Lisbon,SQL:4\n"
        "bo@example.org,Bo Chen,Asia/Shanghai,Python:3\n",
        encoding="utf-8",
    )
    target = tmp_path / "club" / "our-programme.sqlite3"
    target.parent.mkdir()
    user = tmp_path / "user" / "config.toml"
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        MENTORMATCH_DATA_DIR=str(tmp_path / "data"),
        MENTORMATCH_CONFIG=str(user),
        MENTORMATCH_SYSTEM_CONFIG=str(tmp_path / "etc" / "config.toml"),
    )
    env.pop("MENTORMATCH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", NEW_DRIVER, str(target), str(people)],
        env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    context = (done.stdout, done.stderr[-3000:])
    assert lines[0] == "CHOOSER", context
    assert lines[1] == f"SUGGESTED {tmp_path / 'data'}", context  # the user data dir
    assert "WINDOW coordinator" in lines, context
    assert "CHECKED True" in lines and "IMPORTED 2" in lines, context
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    # Remembered, so the chooser is not asked again; the file is a migrated database.
    assert user.read_text().startswith(f'database_url = "sqlite:///{target}"')
    engine = sa.create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
                head_revision()
            )
            names = conn.execute(sa.text("SELECT full_name FROM people ORDER BY 1")).scalars()
            assert list(names) == ["Ana Lima", "Bo Chen"]  # no demo people: only the import
    finally:
        engine.dispose()
    assert not (tmp_path / "data" / "mentormatch.sqlite3").exists()  # the demo was not made
