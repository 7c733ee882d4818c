"""``spmkb lint``: check the playbook folder (a thin face over :func:`lint_library`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from spmkb.cli._app import JsonOpt, PlaybooksOpt, app, emit_json, settings_from


@app.command("lint")
def lint(
    playbooks: Path | None = PlaybooksOpt,
    json_out: bool = JsonOpt,
    assets: bool = typer.Option(
        False, "--assets", help="Also list every asset with its freshness."
    ),
    today: str | None = typer.Option(
        None, "--today", help="Date for freshness (YYYY-MM-DD); default today."
    ),
) -> None:
    """Check playbook files: front matter, vocabularies, duplicate ids, links, freshness.

    Prints one line per problem (path:line: error: message — hint) and a summary; exits 1
    when there is any error, so it can gate a playbook repo's CI.

    Example: spmkb lint --playbooks playbooks/
    """
    from spmkb.content.lint import format_problem, lint_library
    from spmkb.errors import ConfigError

    settings = settings_from(playbooks=playbooks)
    when = None
    if today:
        try:
            when = date.fromisoformat(today)
        except ValueError:
            raise ConfigError(
                f"invalid date {today!r}", field="--today", hint="write it as YYYY-MM-DD"
            ) from None
    report = lint_library(settings.playbooks, settings, today=when)
    # The onboarding practice checks the curriculum (content does not import onboarding).
    from spmkb.onboarding.lint import lint_curriculum

    report.problems.extend(lint_curriculum(report.assets, settings, report.root))
    report.problems.sort(key=lambda p: (p.path or "", p.line or 0, p.severity != "error"))
    if json_out:
        emit_json(report.to_dict())
    else:
        shown = playbooks if playbooks is not None else settings.playbooks
        for problem in report.problems:
            typer.echo(format_problem(problem, shown))
        if assets:
            for row in report.to_dict()["assets"]:
                typer.echo(
                    f"{row['freshness']:<8} {row['due'] or '-':<10} {row['id']}"
                    f"  ({row['owner'] or 'no owner'})"
                )
        typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)
