"""The coordinator's dialogs: learned weights review and skill merges (pytest-qt, offscreen)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication
from sqlalchemy.engine import Engine

from mentormatch_desktop.config import Settings
from mentormatch_desktop.matching.embeddings import SemanticStatus
from mentormatch_desktop.plugin.host import PluginHost
from mentormatch_desktop.storage.models import Program, Skill, SkillAlias, WeightSet
from mentormatch_desktop.testing import fill_demo_database
from mentormatch_desktop.ui import theme
from mentormatch_desktop.ui.context import AppContext
from mentormatch_desktop.ui.screenshots import wait_idle
from mentormatch_desktop.ui.views import weights_review
from mentormatch_desktop.ui.views.skill_merges import SkillMergesDialog
from mentormatch_desktop.ui.views.weights_review import WeightsReviewDialog
from mentormatch_plugins.matching import semantic

from .conftest import semantic as semantic_group

UNAVAILABLE = SemanticStatus(False, "the 'semantic' extra is not installed (test)")


@pytest.fixture
def context(
    engine: Engine, qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppContext]:
    # Without the extra (simulated), semantic_fit is absent: encoding a whole org's texts
    # is the benchmark's job. The dialog must then say why semantic fit cannot be chosen.
    monkeypatch.setattr(semantic, "semantic_status", lambda: UNAVAILABLE)
    monkeypatch.setattr(weights_review, "semantic_status", lambda: UNAVAILABLE)
    theme.apply_theme(qapp, "light")
    url = engine.url.render_as_string(hide_password=False)
    # Loaded before any worker starts: two workers must not race to load plugins.
    ctx = AppContext(Settings(database_url=url), plugin_host=PluginHost().load())
    yield ctx
    idle = wait_idle(30)
    ctx.close()
    assert idle, "a background task outlived the test"


@pytest.mark.slow
def test_review_learned_weights_and_apply(qtbot, engine: Engine, context: AppContext) -> None:
    fill_demo_database(engine, participants=1500)
    with context.session() as session:
        program_id = session.scalar(sa.select(Program.id).order_by(Program.id))
        before = session.scalar(sa.select(sa.func.max(WeightSet.version)))
    dialog = WeightsReviewDialog(context, program_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "not installed" in dialog.text_label.text(), timeout=10_000)
    assert not dialog.switch_button.isEnabled()
    assert not dialog.apply_button.isEnabled()

    dialog.learn()  # runs in its own process: its start-up (imports) counts too
    qtbot.waitUntil(lambda: dialog.apply_button.isEnabled(), timeout=240_000)
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert names[0] == "Skill fit" and "Semantic fit" not in names
    assert "learned" in dialog.fact_labels["auc"].text()

    with qtbot.waitSignal(dialog.applied, timeout=20_000) as signal:
        dialog.apply()
    assert signal.args[0] == (before or 0) + 1
    with context.session() as session:
        latest = session.scalars(sa.select(WeightSet).order_by(WeightSet.id.desc())).first()
        assert latest.source == "learned" and latest.evidence["outcomes"] > 0


def test_too_little_data_is_a_warning_not_an_error(
    qtbot, engine: Engine, context: AppContext
) -> None:
    fill_demo_database(engine, participants=150)
    dialog = WeightsReviewDialog(context, 1)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.learn()
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=240_000)
    assert dialog.banner.kind == "warning"
    assert "more outcomes are needed" in dialog.banner.message.text()
    assert not dialog.apply_button.isEnabled()


@semantic_group
def test_skill_merges_dialog_approves_a_merge(qtbot, engine: Engine, context: AppContext) -> None:
    with context.session() as session:
        session.add_all([Skill(name="Machine learning"), Skill(name="ML")])
        session.commit()
    dialog = SkillMergesDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.find()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=240_000)
    assert dialog.table.item(0, 0).text() == "ML"
    assert dialog.table.item(0, 1).text() == "Machine learning"
    dialog.table.selectRow(0)
    assert dialog.approve_button.isEnabled()
    with qtbot.waitSignal(dialog.merged, timeout=20_000):
        dialog.approve()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)
    with context.session() as session:
        assert session.scalar(sa.select(SkillAlias.alias)) == "ml"
        assert session.scalar(sa.select(sa.func.count()).select_from(Skill)) == 1
