"""``spmkb index`` and ``spmkb search``: a thin face over :mod:`spmkb.search`."""

from __future__ import annotations

import typer

from spmkb.cli import _app as cli


@cli.app.command("index")
def index_cmd(
    playbooks: str = cli.PlaybooksOpt,
    store: str = cli.StoreOpt,
    chroma_url: str = cli.ChromaUrlOpt,
    rebuild: bool = cli.flag(
        "--rebuild",
        "Embed everything again into a new index that replaces the old one when complete.",
    ),
    strict: bool = cli.flag("--strict", "Exit 1 when a file was skipped or lint found an error."),
    as_json: bool = cli.JsonOpt,
) -> None:
    """Index the playbook folder for search (only new or changed sections are embedded).

    Files that fail to load are reported and skipped; their previously indexed sections
    stay in the index until the file is fixed or deleted.

    Example: spmkb index --playbooks playbooks --store .spmkb
    """
    from spmkb.search import index_library

    settings = cli.settings_from(playbooks=playbooks, store=store, chroma_url=chroma_url)
    summary = index_library(settings, rebuild=rebuild, strict=strict, progress=not as_json)
    if as_json:
        cli.emit_json(summary.to_dict())
    else:
        if summary.rebuilt:
            typer.echo(f"Rebuilt the index ({summary.rebuilt}).")
        typer.echo(
            f"Indexed {summary.assets} assets, {summary.sections} sections: "
            f"{summary.embedded} embedded, {summary.reused} reused, {summary.removed} removed "
            f"in {summary.seconds:.1f} s."
        )
        for path, reason in sorted(summary.skipped.items()):
            typer.echo(f"Skipped {path}: {reason}", err=True)
        if summary.kept:
            typer.echo(
                f"Kept {summary.kept} previously indexed sections of skipped files.", err=True
            )
        if summary.query_encoder:
            typer.echo(f"Queries are embedded with {summary.query_encoder}.")
        _echo_lint(summary.problems)
    if summary.strict_failed:
        typer.echo(
            f"Error: {len(summary.skipped)} file(s) skipped, {summary.errors} lint error(s) "
            "(--strict).",
            err=True,
        )
        raise typer.Exit(1)


SHOWN_WARNINGS = 20


def _echo_lint(problems: list[dict]) -> None:
    """Every lint error, and the first warnings, as `spmkb lint` words them (file:line …)."""
    from spmkb.errors import Problem

    errors = [p for p in problems if p["severity"] == "error"]
    warnings = [p for p in problems if p["severity"] == "warning"]
    for p in [*errors, *warnings[:SHOWN_WARNINGS]]:
        typer.echo(str(Problem(**p)), err=True)
    if len(warnings) > SHOWN_WARNINGS:
        more = len(warnings) - SHOWN_WARNINGS
        typer.echo(f"… and {more} more warning(s): `spmkb lint` lists them all.", err=True)
    if errors:
        typer.echo(
            f"{len(errors)} lint error(s): these files are indexed, but fix them "
            "(`spmkb lint`); `--strict` fails on them.",
            err=True,
        )


@cli.app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    store: str = cli.StoreOpt,
    playbooks: str = cli.PlaybooksOpt,
    chroma_url: str = cli.ChromaUrlOpt,
    stage: str = typer.Option(None, "--stage", help="Only assets for this pipeline stage."),
    type_: str = typer.Option(None, "--type", help="Only assets of this type, e.g. battlecard."),
    persona: str = typer.Option(None, "--persona", help="Only assets for this buyer persona."),
    industry: str = typer.Option(None, "--industry", help="Only assets for this industry."),
    k: int = typer.Option(10, "-k", "--limit", min=1, max=100, help="Number of assets to show."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, semantic or lexical."),
    as_json: bool = cli.JsonOpt,
) -> None:
    """Search the indexed playbooks; results are assets with their best-matching section.

    Example: spmkb search "pricing objections" --stage negotiation -k 5
    """
    from spmkb.search import search
    from spmkb.search.coldstart import import_jsonschema_lightly

    import_jsonschema_lightly()  # 1.6 s of CPU chromadb's import would spend for nothing
    settings = cli.settings_from(store=store, playbooks=playbooks, chroma_url=chroma_url)
    result = search(
        query,
        settings,
        stage=stage,
        type=type_,
        persona=persona,
        industry=industry,
        k=k,
        mode=mode,
    )
    from spmkb.search.log import try_log_search

    try_log_search(settings, result, "cli")  # feeds `spmkb gaps`; never fails the search
    if as_json:
        cli.emit_json(result.to_dict())
        return
    if not result.hits:
        typer.echo("No results. Try other words, fewer filters or --mode semantic.")
        return
    for n, hit in enumerate(result.hits, 1):
        typer.echo(f"{n}. {hit.title}  [{hit.type}, {hit.freshness}]")
        typer.echo(f"   {hit.path}  §  {hit.section}")
        typer.echo(f"   {hit.snippet}")
        typer.echo("")
    typer.echo(f"{len(result.hits)} results in {result.took_ms:.0f} ms ({result.mode}).")
    for note in result.notes:
        typer.echo(f"Note: {note}")
