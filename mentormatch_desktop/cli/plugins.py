"""``mentormatch plugins``: what is installed, where it came from, and whether it works."""

from __future__ import annotations

import json

import click

from mentormatch_desktop.plugin.host import PluginError, default_host


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """List every plugin: source, version, hooks it implements, status."""
    try:
        host = default_host()
    except PluginError as exc:  # a broken built-in: say so loudly, it is our bug
        raise click.ClickException(str(exc)) from exc
    infos = host.plugins()
    if as_json:
        click.echo(json.dumps([vars(i) for i in infos], indent=2))
        return
    if not infos:
        click.echo("No plugins installed.")
        return
    for info in infos:
        status = click.style(info.status, fg="green" if info.status == "loaded" else "red")
        click.echo(
            f"{click.style(info.name, bold=True)}  [{info.source}: {info.distribution} "
            f"{info.version}]  {status}"
        )
        click.echo(f"    module: {info.module}")
        click.echo(f"    hooks:  {', '.join(info.hooks) or '(none)'}")
        if info.error:
            click.echo(f"    reason: {info.error}")
        if info.note:
            click.echo(f"    note:   {info.note}")
    failed = sum(1 for i in infos if i.status != "loaded")
    click.echo(f"\n{len(infos)} plugins, {len(infos) - failed} loaded, {failed} failed.")
