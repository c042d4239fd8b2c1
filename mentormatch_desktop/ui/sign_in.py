"""Signing in to a shared PostgreSQL database, and finding out who that makes us.

The dialog asks for server, database, user and password, tries them in a worker, and asks
the database who the login is (:func:`~mentormatch_desktop.services.identity.who_am_i`):
the role the database reports decides the screens. The password is kept in the OS keyring
(service ``mentormatch``, key ``user@host``, which is also where
:func:`~mentormatch_desktop.storage.db.create_engine` looks) only if the user asks.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session

from mentormatch_desktop.services.identity import Identity, who_am_i
from mentormatch_desktop.storage.db import create_engine, normalise_url
from mentormatch_desktop.ui.widgets import Banner
from mentormatch_desktop.ui.workers import TaskError, run_in_background

KEYRING_SERVICE = "mentormatch"


@dataclass
class SignedIn:
    """An open engine and the identity the database gave it."""

    url: str
    engine: Engine
    identity: Identity


def keyring_key(url: URL) -> str:
    return f"{url.username}@{url.host or 'localhost'}"


def remember_password(url: URL, password: str) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, keyring_key(url), password)


def sign_in(url: str | URL, *, as_email: str | None = None) -> SignedIn:
    """Connect to ``url`` and ask who we are (runs in a worker; raises on failure)."""
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            identity = who_am_i(session, as_email=as_email)
    except Exception:
        engine.dispose()
        raise
    rendered = normalise_url(url).render_as_string(hide_password=False)
    return SignedIn(rendered, engine, identity)


def login_url_for(url: str | URL, email: str) -> URL:
    """The URL that connects as ``email``'s own login (``--as`` on PostgreSQL).

    Asks the database at ``url`` (an administrator's connection) for the person's
    ``db_login``; the password then comes from the keyring, as for any login.
    """
    base = normalise_url(url)
    engine = create_engine(base)
    try:
        with engine.connect() as conn:
            login = conn.execute(
                sa.text("SELECT db_login FROM people WHERE lower(email) = lower(:e)"),
                {"e": email.strip()},
            ).scalar()
    finally:
        engine.dispose()
    if not login:
        raise ValueError(f"{email} has no database login; create one with `mentormatch org grant`")
    # Not ``base.set(password=None)``: ``set`` ignores None and would keep the
    # administrator's password for the person's login.
    return URL.create(
        base.drivername,
        username=login,
        host=base.host,
        port=base.port,
        database=base.database,
        query=base.query,
    )


def wait_for(fn, *args):  # type: ignore[no-untyped-def]
    """Run ``fn(*args)`` in a worker while the GUI keeps running; return or raise its result.

    For the few start-up steps the window cannot be built without (who is signed in).
    """
    loop = QEventLoop()
    outcome: dict[str, object] = {}

    def ok(value: object) -> None:
        outcome["value"] = value
        loop.quit()

    def failed(error: TaskError) -> None:
        outcome["error"] = error.exception
        loop.quit()

    run_in_background(fn, *args, on_success=ok, on_error=failed)
    loop.exec()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]


class SignInDialog(QDialog):
    """Server, database, user, password → a :class:`SignedIn` in ``self.signed_in``."""

    def __init__(self, url: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to a shared MentorMatch database")
        self.signed_in: SignedIn | None = None
        self.query: dict = {}  # e.g. sslmode from the administrator's preset, kept as is
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Sign in with your own database login. What you see depends on your role.")
        )
        self.banner = Banner("error")
        self.banner.hide()
        layout.addWidget(self.banner)
        form = QFormLayout()
        self.server = QLineEdit(placeholderText="db.example.org:5432")
        self.database = QLineEdit(placeholderText="mentoring")
        self.user = QLineEdit()
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember the password in the system keyring")
        form.addRow("Server", self.server)
        form.addRow("Database", self.database)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if url:
            self.prefill(url)

    def prefill(self, url: str | URL) -> None:
        parsed = make_url(url) if isinstance(url, str) else url
        if parsed.get_backend_name() != "postgresql":
            return
        host = parsed.host or "localhost"
        self.query = dict(parsed.query)
        self.server.setText(f"{host}:{parsed.port}" if parsed.port else host)
        self.database.setText(parsed.database or "")
        self.user.setText(parsed.username or "")
        if parsed.password:
            self.password.setText(str(parsed.password))

    def url(self) -> URL:
        """The URL the fields describe; raises ValueError naming a missing field."""
        server, _, port = self.server.text().strip().partition(":")
        for label, value in (("server", server), ("database", self.database.text()),
                             ("user", self.user.text())):  # fmt: skip
            if not value.strip():
                raise ValueError(f"Enter the {label}.")
        if port and not port.isdigit():
            raise ValueError(f"The port {port!r} is not a number.")
        return URL.create(
            "postgresql+psycopg",
            username=self.user.text().strip(),
            password=self.password.text() or None,
            host=server,
            port=int(port) if port else None,
            database=self.database.text().strip(),
            query=self.query,
        )

    def submit(self) -> None:
        try:
            url = self.url()
        except ValueError as exc:
            self.show_error(str(exc))
            return
        remember = self.remember.isChecked() and bool(self.password.text())
        password = self.password.text()

        def connect() -> SignedIn:
            signed = sign_in(url)
            if remember:
                remember_password(url, password)
            return signed

        self.buttons.setEnabled(False)
        run_in_background(connect, on_success=self._signed_in, on_error=self._failed, owner=self)

    def _signed_in(self, signed: SignedIn) -> None:
        self.signed_in = signed
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, error: TaskError) -> None:
        self.buttons.setEnabled(True)
        self.show_error(error.message)

    def show_error(self, message: str) -> None:
        self.banner.show_message(message, "error")
        self.banner.show()
