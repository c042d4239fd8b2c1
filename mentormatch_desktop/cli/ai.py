"""AI-matching commands: learned weights, semantic fit, skill merges, fairness audit.

``mentormatch weights suggest|apply|use-semantic``, ``mentormatch skills suggest-merges|
merges|approve|reject``, ``mentormatch audit --run N`` and ``mentormatch embeddings
refresh``. Each calls one service; nothing is applied without an explicit command.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import click

from mentormatch_desktop.cli.common import database_option, open_database, unit_of_work
from mentormatch_desktop.cli.matching import _program_id
from mentormatch_desktop.matching.embeddings import SemanticUnavailable
from mentormatch_desktop.matching.learning import NotEnoughOutcomes
from mentormatch_desktop.services import embeddings as embedding_services
from mentormatch_desktop.services import fairness, learning, skills
from mentormatch_desktop.services import weights as weight_services
from mentormatch_desktop.services.context import ServiceContext


def _run(database_url: str | None, action: Callable[[ServiceContext], Any]) -> Any:
    """Run one command's action in one unit of work (committed when it succeeds)."""
    engine = open_database(database_url)
    try:
        with unit_of_work(engine) as ctx:
            return action(ctx)
    except (NotEnoughOutcomes, SemanticUnavailable, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()


def _progress() -> Callable[[float, str], None] | None:
    if not sys.stderr.isatty():
        return None
    return lambda f, msg: click.echo(f"\r{f:4.0%} {msg[:60]:<60}", nl=False, err=True)


# --------------------------------------------------------------------------- weights
@click.group("weights")
def weights_group() -> None:
    """Criterion weights learned from outcomes, and the text criterion in use."""


def print_suggestion(s: learning.WeightSuggestion) -> None:
    lw = s.learned
    click.echo(
        f"Learned from {lw.n_outcomes} outcomes ({lw.n_good} good, {lw.n_ongoing} ongoing; "
        f"{s.skipped} skipped) · confidence: {lw.confidence}"
    )
    click.echo(
        f"Held-out AUC (5-fold): learned {lw.cv_auc:.3f} ± {lw.cv_auc_std:.3f} · "
        f"current weights {lw.auc_current:.3f} · uniform weights {lw.auc_uniform:.3f}"
    )
    click.echo(lw.advice())
    click.echo(f"\n  {'criterion':<16}{'current':>9}{'suggested':>11}   effect (90% interval)")
    for c in sorted(lw.criteria, key=lambda c: -c.suggested):
        lo, hi = c.interval
        click.echo(
            f"  {c.name:<16}{c.current:>9.3f}{c.suggested:>11.3f}   "
            f"{c.coefficient:+.2f} ({lo:+.2f} … {hi:+.2f})"
        )
    for name, why in lw.dropped.items():
        click.echo(f"  {name:<16} not used: {why}")
    if s.effect is not None:
        e = s.effect
        click.echo(
            f"\nExpected effect on the next run: predicted good outcomes {e.current_rate:.0%} → "
            f"{e.suggested_rate:.0%}; {e.changed_picks} of {e.mentees} mentees get a "
            "different first choice."
        )


@weights_group.command("suggest")
@click.option("--program", required=True, help="Program id or name.")
@click.option("--criteria", default=None, help="Comma-separated criteria (default: all).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@database_option
def suggest_command(
    program: str, criteria: str | None, as_json: bool, database_url: str | None
) -> None:
    """Suggest weights learned from outcomes (changes nothing)."""
    only = [c.strip() for c in criteria.split(",")] if criteria else None

    def action(ctx: ServiceContext) -> learning.WeightSuggestion:
        pid = _program_id(ctx.session, program)
        return learning.suggest_weights(ctx, pid, only=only, progress=_progress())

    s = _run(database_url, action)
    if as_json:
        payload = {
            "program_id": s.program_id,
            "current_version": s.current_version,
            "suggested": s.learned.suggested,
            "current": s.learned.current,
            "evidence": s.learned.evidence(),
            "effect": asdict(s.effect) if s.effect else None,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        print_suggestion(s)


@weights_group.command("apply")
@click.option("--program", required=True, help="Program id or name.")
@click.option("--criteria", default=None, help="Comma-separated criteria (default: all).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@database_option
def apply_command(program: str, criteria: str | None, yes: bool, database_url: str | None) -> None:
    """Learn weights and save them as the program's next weight-set version."""
    only = [c.strip() for c in criteria.split(",")] if criteria else None

    def action(ctx: ServiceContext) -> learning.AppliedWeights | None:
        pid = _program_id(ctx.session, program)
        s = learning.suggest_weights(ctx, pid, only=only, progress=_progress())
        print_suggestion(s)
        if not yes and not click.confirm("\nSave these as a new weight-set version?"):
            return None
        return learning.apply_learned_weights(ctx, s)

    applied = _run(database_url, action)
    if applied is not None:
        click.echo(f"Saved weight-set version {applied.version} (id {applied.weight_set_id}).")


@weights_group.command("use-semantic")
@click.option("--program", required=True, help="Program id or name.")
@click.option("--off", is_flag=True, help="Switch back to keyword (TF-IDF) goal fit.")
@database_option
def use_semantic_command(program: str, off: bool, database_url: str | None) -> None:
    """Make semantic fit (or, with --off, TF-IDF goal fit) the program's text criterion."""
    target = "goal_fit" if off else "semantic_fit"

    def action(ctx: ServiceContext) -> weight_services.TextCriterionSwitch:
        pid = _program_id(ctx.session, program)
        return weight_services.switch_text_criterion(ctx, pid, target)

    result = _run(database_url, action)
    click.echo(
        f"{result.active} is now the text criterion (weight {result.weight:.2f}, "
        f"weight-set version {result.version})."
    )


# ---------------------------------------------------------------------------- skills
@click.group("skills")
def skills_group() -> None:
    """Skill taxonomy upkeep: duplicate skills suggested for merging."""


def _print_merges(views: list[skills.SkillMergeView]) -> None:
    if not views:
        click.echo("No suggestions.")
    for v in views:
        click.echo(
            f"  #{v.id:<5} '{v.label}' → '{v.skill_name}'  {v.similarity:.2f} ({v.method}) "
            f"· {v.people_affected} people · {v.status}"
        )


@skills_group.command("suggest-merges")
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.6, show_default=True)
@click.option("--aliases-only", is_flag=True, help="No embeddings: alias and acronym rules only.")
@database_option
def suggest_merges_command(threshold: float, aliases_only: bool, database_url: str | None) -> None:
    """Find skills that are probably the same; store them as suggestions for review."""
    result = _run(
        database_url,
        lambda s: skills.suggest_skill_merges(
            s, threshold=threshold, use_embeddings=not aliases_only, progress=_progress()
        ),
    )
    click.echo(f"{len(result.created)} new suggestions from {result.skills_checked} skills.")
    if result.note:
        click.echo(f"  ({result.note})")
    _print_merges(result.created)


@skills_group.command("merges")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]))
@database_option
def merges_command(status: str | None, database_url: str | None) -> None:
    """List merge suggestions (pending by default)."""
    wanted = None if status == "all" else (status or "pending")
    _print_merges(_run(database_url, lambda s: skills.list_skill_merges(s, wanted)))


@skills_group.command("approve")
@click.argument("suggestion_id", type=int)
@database_option
def approve_command(suggestion_id: int, database_url: str | None) -> None:
    """Merge a suggested skill into its target (people's skills move, an alias is kept)."""
    out = _run(database_url, lambda s: skills.approve_skill_merge(s, suggestion_id))
    click.echo(
        f"Merged '{out.suggestion.label}' into '{out.suggestion.skill_name}': "
        f"{out.people_moved} skill rows moved."
    )


@skills_group.command("reject")
@click.argument("suggestion_id", type=int)
@database_option
def reject_command(suggestion_id: int, database_url: str | None) -> None:
    """Reject a suggestion; the same pair is not suggested again."""
    view = _run(database_url, lambda s: skills.reject_skill_merge(s, suggestion_id))
    click.echo(f"Rejected: '{view.label}' is not '{view.skill_name}'.")


# ------------------------------------------------------------------------ audit, cache
@click.command("audit")
@click.option("--run", "run_id", type=int, required=True, help="Match run id.")
@database_option
def audit_command(run_id: int, database_url: str | None) -> None:
    """Fairness audit of a match run by department, region, role (and protected attributes)."""
    audit = _run(database_url, lambda s: fairness.audit_run(s, run_id))
    mean = "—" if audit.overall_mean_score is None else f"{audit.overall_mean_score:.3f}"
    click.echo(f"Run {audit.run_id}: match rate {audit.overall_match_rate:.0%}, mean score {mean}")
    dimension = None
    for g in audit.groups:
        if g.dimension != dimension:
            dimension = g.dimension
            click.echo(f"\n  {dimension:<28}{'people':>7}{'matched':>9}{'score':>7}"
                       f"{'ended early':>13}{'rating':>8}")  # fmt: skip
        score = "—" if g.mean_score is None else f"{g.mean_score:.2f}"
        early = "—" if g.ended_early_rate is None else f"{g.ended_early_rate:.0%}"
        rating = "—" if g.mean_rating is None else f"{g.mean_rating:.1f}"
        click.echo(
            f"  {g.group[:28]:<28}{g.people:>7}{g.match_rate:>9.0%}{score:>7}{early:>13}{rating:>8}"
        )
    click.echo("\nFlags:" if audit.flags else "\nNo large gaps found.")
    for flag in audit.flags:
        click.echo(f"  ! {flag}")


@click.group("embeddings")
def embeddings_group() -> None:
    """The sentence-embedding cache used by semantic fit."""


@embeddings_group.command("refresh")
@click.option("--program", default=None, help="Program id or name (default: all programs).")
@database_option
def refresh_command(program: str | None, database_url: str | None) -> None:
    """Encode every goal, profile and phrase text not cached yet."""

    def action(ctx: ServiceContext) -> embedding_services.RefreshResult:
        pid = _program_id(ctx.session, program) if program else None
        return embedding_services.refresh_embeddings(ctx, pid, progress=_progress())

    r = _run(database_url, action)
    click.echo(
        f"{r.programs} programs, {r.texts} texts: {r.encoded} encoded, {r.cached} already "
        f"cached ({r.seconds:.1f} s)."
    )
