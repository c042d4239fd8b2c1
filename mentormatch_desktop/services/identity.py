"""Who is signed in, as the database sees it, and what the app may therefore show them.

On a shared PostgreSQL database the identity is the login (``current_user``) and its group
role, read through the security functions (``mm_current_person()`` …): the desktop app
shows a participant the participant's screens because the *database* says they are one,
not because the app was told so. On embedded SQLite whoever opens the file is its
coordinator; ``--as EMAIL`` only changes what the app shows there.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mentormatch_desktop.domain.errors import FieldError
from mentormatch_desktop.storage.models import Person

ROLES = ("owner", "coordinator", "participant", "analyst")


@dataclass(frozen=True)
class Identity:
    """The signed-in person: ``role`` is one of :data:`ROLES`; ``person_id`` may be None
    (the owner, or the local user of an embedded database)."""

    login: str
    role: str
    person_id: int | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """ "Ana Lima · participant" for the status bar."""
        return f"{self.name or self.login} · {self.role}"


LOCAL = Identity(login="local", role="coordinator", name="Local coordinator")


def _security_installed(session: Session) -> bool:
    return bool(session.scalar(sa.text("SELECT to_regprocedure('mm_current_group()') IS NOT NULL")))


def check_one_group(connection: sa.Connection | Session) -> None:
    """Refuse a login that holds more than one of the client group roles.

    ``mentormatch org grant`` gives a login exactly one (revoking the others); a second
    granted by hand would mix two roles' rules, so the database then treats the login as
    nobody (``mm_current_person()`` is NULL) and the app says what to do instead of
    guessing. Superusers and the owner role are members of everything: not checked.
    """
    from mentormatch_desktop.storage.security import LOGIN_GROUPS

    row = connection.execute(
        sa.text(
            "SELECT r.rolname, r.rolsuper OR pg_has_role(r.oid, 'mentormatch_owner', 'MEMBER'),"
            " ARRAY(SELECT g.rolname::text FROM pg_roles g WHERE g.rolname = ANY(:groups)"
            "       AND pg_has_role(r.oid, g.oid, 'MEMBER') ORDER BY g.rolname)"
            " FROM pg_roles r WHERE r.rolname = current_user"
            " AND EXISTS (SELECT 1 FROM pg_roles o WHERE o.rolname = 'mentormatch_owner')"
        ),
        {"groups": list(LOGIN_GROUPS)},
    ).first()
    if row is None or row[1] or len(row[2]) <= 1:
        return
    raise FieldError(
        "login",
        f"login {row[0]} holds several MentorMatch roles ({', '.join(row[2])}); a login "
        "holds exactly one: run `mentormatch org grant EMAIL --role ROLE` to repair it",
    )


def who_am_i(session: Session, *, as_email: str | None = None) -> Identity:
    """The identity of this connection (PostgreSQL) or of the embedded database's user.

    ``as_email`` on SQLite picks the person whose view the app shows (their ``app_role``);
    on PostgreSQL the connection itself must already be that person's login.
    """
    if session.get_bind().dialect.name != "postgresql":
        if as_email is None:
            return LOCAL
        person = session.scalars(
            sa.select(Person).where(sa.func.lower(Person.email) == as_email.strip().lower())
        ).one_or_none()
        if person is None:
            raise FieldError("as", f"no person with e-mail {as_email!r} in this database")
        role = "coordinator" if person.app_role.value == "admin" else person.app_role.value
        return Identity(person.db_login or "local", role, person.id, person.full_name)
    login = str(session.scalar(sa.text("SELECT current_user")))
    if not _security_installed(session):
        return Identity(login, "owner", None, login)  # not prepared for sharing: single user
    check_one_group(session)
    group, person_id = session.execute(
        sa.text("SELECT mm_current_group(), mm_current_person()")
    ).one()
    role = (group or "").removeprefix("mentormatch_")
    role = "coordinator" if role == "program_coordinator" else role
    if role not in ROLES:
        raise FieldError(
            "login", f"{login} is in no MentorMatch role; ask for `mentormatch org grant`"
        )
    name = login
    if person_id is not None and role in ("coordinator", "participant"):
        name = session.scalar(sa.select(Person.full_name).where(Person.id == person_id)) or login
    return Identity(login, role, person_id, name)


def current_group(session: Session) -> str | None:
    """The group role this PostgreSQL connection acts in (``mentormatch_participant`` …),
    None on SQLite or where security is not installed. Asked once per session."""
    key = "mm_current_group"
    if key not in session.info:
        group = None
        if session.get_bind().dialect.name == "postgresql" and _security_installed(session):
            group = session.scalar(sa.text("SELECT mm_current_group()"))
        session.info[key] = group
    return session.info[key]


def participant_login(session: Session) -> bool:
    """True when this connection is a participant's own login on a shared database.

    Row-level security then hides other people's rows (addresses, preferences, their other
    sessions), so services take the definer helpers of ``87_rls_helpers.sql`` instead of
    reading those rows. False on SQLite and for the owner, coordinators and analysts.
    """
    return current_group(session) == "mentormatch_participant"


def sees_only_some_people(session: Session) -> bool:
    """True for logins whose row-level security hides some people's sessions and calendars
    (participants, coordinators limited to some programs): their busy time comes from
    ``mm_busy_intervals()``."""
    return current_group(session) in (
        "mentormatch_participant",
        "mentormatch_program_coordinator",
    )
