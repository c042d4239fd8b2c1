"""Importing creates then updates (never duplicates); export → import changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from mentormatch_desktop.cli import cli
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.participants import (
    ImportFailed,
    export_participants,
    import_participants,
)
from mentormatch_desktop.storage.models import (
    AvailabilitySlot,
    Enrolment,
    PairPreference,
    Person,
    PersonSkill,
    Program,
    Skill,
)

COLUMNS = (
    "external_id,email,full_name,title,department,manager_email,time_zone,languages,teaches,"
    "learns,goals,availability,bio,must_not_match"
)
ANA = (
    "E1,ana.lima@example.com,Ana Lima,Engineer,Platform,bo.chen@example.com,America/Sao_Paulo,"
    "pt:native; en,,Python:2; SQL:1,Write clean Python. | Own a pipeline,"
    "Mon 09:00-11:00; Wed 14:00-16:30,Likes data.,bo.chen@example.com"
)
BO = (
    "E2,bo.chen@example.com,Bo Chen,Lead,Platform,,Asia/Singapore,en:fluent; zh:native,"
    "Python:5; SQL:4,,,Tue 08:00-10:00,,"
)
FILE = f"{COLUMNS}\n{ANA}\n{BO}\n"


def _count(session: Session, model: type) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_then_reimport_changes_nothing(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    path = _write(tmp_path, FILE)
    first = import_participants(ctx, path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert sorted(first.created_skills) == ["Python", "SQL"]
    assert first.created_departments == ["Platform"]
    ana = session.scalars(sa.select(Person).where(Person.external_id == "E1")).one()
    assert ana.manager is not None and ana.manager.email == "bo.chen@example.com"
    assert {(lang.language, lang.level) for lang in ana.languages} == {
        ("pt", "native"),
        ("en", "fluent"),
    }
    assert sorted(g.description for g in ana.goals) == ["Own a pipeline", "Write clean Python."]
    assert [(s.weekday, s.start_minute, s.end_minute) for s in ana.availability] == [
        (0, 540, 660),
        (2, 840, 990),
    ]
    assert _count(session, PairPreference) == 1

    again = import_participants(ctx, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert again.created_skills == []
    assert (
        _count(session, Person),
        _count(session, PersonSkill),
        _count(session, AvailabilitySlot),
    ) == (2, 4, 3)


def test_changed_rows_update_by_external_id_then_email(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    import_participants(ctx, _write(tmp_path, FILE))
    changed = FILE.replace("Ana Lima,Engineer", "Ana Lima,Senior Engineer").replace(
        "E2,bo.chen",
        ",bo.chen",  # no external id: found by e-mail
    )
    summary = import_participants(ctx, _write(tmp_path, changed, "changed.csv"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 1)
    assert _count(session, Person) == 2
    ana = session.scalars(sa.select(Person).where(Person.external_id == "E1")).one()
    session.refresh(ana)
    assert ana.title == "Senior Engineer"
    bo = session.scalars(sa.select(Person).where(Person.email == "bo.chen@example.com")).one()
    assert bo.external_id == "E2"  # an empty cell never erases a stable id


def test_email_conflict_with_another_person_is_refused(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    import_participants(ctx, _write(tmp_path, FILE))
    clash = "external_id,email,full_name,time_zone\nE1,bo.chen@example.com,Ana Lima,UTC\n"
    path = _write(tmp_path, clash, "clash.csv")
    from mentormatch_desktop.domain.participants import ImportFailed

    with pytest.raises(ImportFailed) as caught:
        import_participants(ctx, path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:2:email: bo.chen@example.com belongs to another person in the database "
        "(external_id E2), not to E1"
    ]


def test_labels_map_through_aliases_or_create_skills(
    demo_session: Session, tmp_path: Path, demo_ctx: ServiceContext
) -> None:
    text = (
        "email,full_name,time_zone,teaches,learns\n"
        "new.person@example.com,New Person,Africa/Nairobi,ml:4; K8S:3,Quantum knitting:1\n"
    )
    summary = import_participants(demo_ctx, _write(tmp_path, text))
    assert summary.created_skills == ["Quantum knitting"]
    person = demo_session.scalars(
        sa.select(Person).where(Person.email == "new.person@example.com")
    ).one()
    names = {(demo_session.get(Skill, s.skill_id).name, str(s.direction)) for s in person.skills}
    assert names == {
        ("Machine learning", "teach"),
        ("Kubernetes", "teach"),
        ("Quantum knitting", "learn"),
    }


def test_import_into_a_program_enrols_with_role_and_capacity(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    session.add(Program(name="Pilot"))
    session.commit()
    text = "email,full_name,time_zone,role,capacity,cohort\nm@example.com,Mentor,UTC,mentor,3,A\n"
    summary = import_participants(ctx, _write(tmp_path, text), program="pilot")
    assert summary.program == "Pilot" and summary.created == 1
    enrolment = session.scalars(sa.select(Enrolment)).one()
    assert (str(enrolment.role), enrolment.capacity, enrolment.cohort) == ("mentor", 3, "A")
    again = import_participants(
        ctx, _write(tmp_path, text.replace(",3,", ",2,"), "b.csv"), program="Pilot"
    )
    assert (again.updated, _count(session, Enrolment)) == (1, 1)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("program", [None, "Company Mentoring Program", "Leadership Circles"])
def test_export_then_import_changes_nothing(
    demo_session: Session,
    tmp_path: Path,
    suffix: str,
    program: str | None,
    demo_ctx: ServiceContext,
) -> None:
    path = tmp_path / f"export{suffix}"
    exported = export_participants(demo_ctx, path, program=program)
    assert exported.rows > 0
    summary = import_participants(demo_ctx, path, program=program)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, exported.rows)
    assert summary.created_skills == [] and summary.created_departments == []
    if suffix == ".csv":
        second = tmp_path / "second.csv"
        export_participants(demo_ctx, second, program=program)
        assert second.read_bytes() == path.read_bytes()


def test_cli_reports_every_problem_and_imports_good_files(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    bad = _write(tmp_path, "email,full_name,time_zone\nnope,Ann,Mars/Base\n", "bad.csv")
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--database", url]).exit_code == 0
    result = runner.invoke(cli, ["import", "participants", str(bad), "--database", url])
    assert result.exit_code == 1
    assert f"{bad}:2:email: 'nope' is not a valid e-mail address" in result.output
    assert f"{bad}:2:time_zone: unknown IANA time zone 'Mars/Base'" in result.output
    assert "2 problems found; nothing was imported" in result.output
    good = _write(tmp_path, FILE, "good.csv")
    result = runner.invoke(cli, ["import", "participants", str(good), "--database", url])
    assert result.exit_code == 0, result.output
    assert "imported 2 participants: 2 created, 0 updated, 0 unchanged" in result.output
    out = tmp_path / "out.xlsx"
    result = runner.invoke(cli, ["export", "participants", str(out), "--database", url])
    assert result.exit_code == 0 and "exported 2 participants" in result.output
    one = _write(tmp_path, "email,full_name,time_zone\njo@example.org,Jo,UTC\n", "one.csv")
    result = runner.invoke(cli, ["import", "participants", str(one), "--database", url])
    assert "imported 1 participant: 1 created, 0 updated, 0 unchanged" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_like_text_is_exported_inert_and_round_trips(
    session: Session, tmp_path: Path, suffix: str, ctx: ServiceContext
) -> None:
    risky = '=HYPERLINK("http://evil.example","click")'
    path = _write(tmp_path, FILE)
    import_participants(ctx, path)
    ana = session.scalars(sa.select(Person).where(Person.external_id == "E1")).one()
    ana.bio = risky
    ana.title = "+1 engineer"
    session.commit()
    out = tmp_path / f"out{suffix}"
    export_participants(ctx, out)
    if suffix == ".csv":
        text = out.read_text(encoding="utf-8")
        assert "'=HYPERLINK" in text and "'+1 engineer" in text
        assert ",=HYPERLINK" not in text and ',"=HYPERLINK' not in text
    summary = import_participants(ctx, out)
    assert (summary.created, summary.updated) == (0, 0)
    session.expire_all()
    ana = session.scalars(sa.select(Person).where(Person.external_id == "E1")).one()
    assert (ana.bio, ana.title) == (risky, "+1 engineer")


def test_preferred_name_column_is_optional_imported_and_exported(
    session: Session, tmp_path: Path, ctx: ServiceContext
) -> None:
    """``preferred_name`` sets what a person is called; a file without the column (or with
    an empty cell) leaves it alone, and export writes it back."""
    text = (
        "email,full_name,preferred_name,time_zone\n"
        "jj.goh@example.com,Jun Jie Goh,Jun Jie,Asia/Singapore\n"
        "siew.goh@example.com,Goh Siew Ling,Siew Ling,Asia/Singapore\n"
        "ana.lima@example.com,Ana Lima,,America/Sao_Paulo\n"
    )
    summary = import_participants(ctx, _write(tmp_path, text))
    assert summary.created == 3

    def preferred() -> dict[str, str | None]:
        session.expire_all()
        return dict(session.execute(sa.select(Person.email, Person.preferred_name)).all())

    assert preferred() == {
        "jj.goh@example.com": "Jun Jie",
        "siew.goh@example.com": "Siew Ling",
        "ana.lima@example.com": None,
    }
    # Without the column nothing changes; the people are unchanged, not updated.
    plain = "email,full_name,time_zone\njj.goh@example.com,Jun Jie Goh,Asia/Singapore\n"
    again = import_participants(ctx, _write(tmp_path, plain, "plain.csv"))
    assert (again.updated, again.unchanged) == (0, 1)
    assert preferred()["jj.goh@example.com"] == "Jun Jie"
    # A new value replaces it.
    renamed = "email,full_name,preferred_name,time_zone\njj.goh@example.com,Jun Jie Goh,JJ,UTC\n"
    assert import_participants(ctx, _write(tmp_path, renamed, "renamed.csv")).updated == 1
    assert preferred()["jj.goh@example.com"] == "JJ"

    out = tmp_path / "out.csv"
    export_participants(ctx, out)
    header, *rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert header.split(",")[:4] == ["external_id", "email", "full_name", "preferred_name"]
    assert any(r.startswith(",jj.goh@example.com,Jun Jie Goh,JJ,") for r in rows)
    too_long = f"email,full_name,preferred_name,time_zone\nx@example.com,X Y,{'z' * 81},UTC\n"
    with pytest.raises(ImportFailed) as failed:
        import_participants(ctx, _write(tmp_path, too_long, "long.csv"))
    assert [(e.row, e.field) for e in failed.value.errors] == [(2, "preferred_name")]
