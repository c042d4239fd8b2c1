"""Fairness audit, the embedding refresh, switching the text criterion, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from mentormatch_desktop.cli import cli
from mentormatch_desktop.domain.progress import Cancelled, CancelToken
from mentormatch_desktop.matching import text_vectors
from mentormatch_desktop.services.context import ServiceContext
from mentormatch_desktop.services.demo import fill_demo
from mentormatch_desktop.services.embeddings import refresh_embeddings
from mentormatch_desktop.services.fairness import AuditError, audit_run
from mentormatch_desktop.services.weights import switch_text_criterion
from mentormatch_desktop.storage.models import MatchRun, Program, TextEmbedding, WeightSet
from mentormatch_desktop.testing import UnitOfWork

from .conftest import CountingEncoder, semantic


@pytest.fixture
def demo(engine: Engine, uow: UnitOfWork) -> Engine:
    with uow() as ctx:
        fill_demo(ctx, participants=300)
    return engine


def test_fairness_audit_groups_and_flags(demo: Engine, ctx: ServiceContext) -> None:
    session = ctx.session
    run_id = session.scalar(sa.select(MatchRun.id).order_by(MatchRun.id))
    program = session.get(Program, session.get(MatchRun, run_id).program_id)
    program.settings = {**(program.settings or {}), "protected_attributes": ["gender"]}
    session.flush()
    audit = audit_run(ctx, run_id)
    dimensions = {g.dimension for g in audit.groups}
    assert {"department", "region", "role", "gender"} <= dimensions
    roles = {g.group for g in audit.groups if g.dimension == "role"}
    assert "mentee" in roles
    mentees = sum(g.people for g in audit.groups if g.dimension == "region")
    assert mentees == next(
        g.people for g in audit.groups if g.dimension == "role" and g.group == "mentee"
    )
    for g in audit.groups:
        assert 0.0 <= g.match_rate <= 1.0 and g.matched <= g.people
    assert all(isinstance(f, str) for f in audit.flags)
    with pytest.raises(AuditError, match="no match run"):
        audit_run(ctx, 999_999)


def test_refresh_encodes_only_what_is_missing_and_cancels_cleanly(
    demo: Engine, ctx: ServiceContext
) -> None:
    encoder = CountingEncoder()
    session = ctx.session
    program_id = session.scalar(sa.select(Program.id).order_by(Program.id))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        refresh_embeddings(ctx, program_id, encoder=encoder, cancel=token)
    session.rollback()  # what the unit of work does on the exception
    assert session.scalar(sa.select(sa.func.count()).select_from(TextEmbedding)) == 0
    first = refresh_embeddings(ctx, program_id, encoder=encoder)
    assert first.encoded > 0 and first.encoded == first.texts - first.cached
    stored = session.scalar(sa.select(sa.func.count()).select_from(TextEmbedding))
    assert stored == first.encoded
    fresh_process = CountingEncoder()
    fresh_process.model_name = encoder.model_name
    text_vectors.process_memory(encoder.model_name).clear()
    again = refresh_embeddings(ctx, program_id, encoder=fresh_process)
    assert again.encoded == 0 and again.cached == first.texts


@semantic
def test_switching_to_semantic_fit_moves_the_goal_fit_weight(
    demo: Engine, encoder, ctx: ServiceContext
) -> None:
    session = ctx.session
    program_id = session.scalar(sa.select(Program.id).order_by(Program.id))
    result = switch_text_criterion(ctx, program_id, "semantic_fit")
    latest = session.scalars(
        sa.select(WeightSet)
        .where(WeightSet.program_id == program_id)
        .order_by(WeightSet.version.desc())
    ).first()
    assert latest.version == result.version and latest.weights["goal_fit"] == 0.0
    assert latest.weights["semantic_fit"] == pytest.approx(result.weight) and result.weight > 0
    back = switch_text_criterion(ctx, program_id, "goal_fit")
    assert back.weight == pytest.approx(result.weight)


def test_cli_suggest_audit_and_merges(demo: Engine) -> None:
    url = demo.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = runner.invoke(
        cli,
        ["weights", "suggest", "--program", "1", "--criteria", "skill_fit,availability",
         "--database", url],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "Held-out AUC" in out.output and "skill_fit" in out.output
    audit = runner.invoke(cli, ["audit", "--run", "1", "--database", url])
    assert audit.exit_code == 0, audit.output
    assert "department" in audit.output and "match rate" in audit.output
    merges = runner.invoke(cli, ["skills", "suggest-merges", "--aliases-only", "--database", url])
    assert merges.exit_code == 0 and "new suggestions" in merges.output


def test_plugins_command_says_which_text_criterion_is_active(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["plugins"])
    assert out.exit_code == 0
    assert "note:   Semantic fit is available" in out.output
    assert "switches it on" in out.output  # which text criterion a program uses, and how


def test_without_the_extra_semantic_fit_is_absent_and_the_reason_is_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from mentormatch_desktop.matching import embeddings
    from mentormatch_desktop.plugin.host import PluginHost
    from mentormatch_plugins.matching import semantic

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        embeddings.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real_find_spec(name, *a),
    )
    status = embeddings.semantic_status()
    assert not status.available and "torch" in status.reason and "pip install" in status.reason
    monkeypatch.setattr(semantic, "semantic_status", lambda: status)
    host = PluginHost().load()
    assert "semantic_fit" not in host.criteria() and "goal_fit" in host.criteria()
    info = next(i for i in host.plugins() if i.name == "semantic")
    assert info.status == "loaded"
    assert "not available" in info.note and "Keyword goal fit stays in use" in info.note
