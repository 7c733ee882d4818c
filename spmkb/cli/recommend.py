"""``spmkb recommend`` (what to read before a call) and ``spmkb gaps`` (content gaps)."""

from __future__ import annotations

import typer

from spmkb.cli import _app as cli


@cli.app.command("recommend")
def recommend_cmd(
    stage: str = typer.Option(None, "--stage", help="Pipeline stage, e.g. discovery."),
    industry: str = typer.Option(None, "--industry", help="Customer industry, e.g. healthcare."),
    persona: str = typer.Option(None, "--persona", help="Who you meet, e.g. economic-buyer."),
    competitor: str = typer.Option(None, "--competitor", help="Competitor in the deal."),
    deal: str = typer.Option(
        None, "--deal", help="Open deal id: stage, industry, competitor come from the deal data."
    ),
    store: str = cli.StoreOpt,
    playbooks: str = cli.PlaybooksOpt,
    chroma_url: str = cli.ChromaUrlOpt,
    as_json: bool = cli.JsonOpt,
) -> None:
    """Recommend what to read before a call: stage playbook, battlecard, objections, case study.

    Example: spmkb recommend --stage negotiation --industry healthcare --competitor acme
    """
    from spmkb.deals.lookup import deal_context
    from spmkb.search.recommend import recommend

    settings = cli.settings_from(store=store, playbooks=playbooks, chroma_url=chroma_url)
    pack = recommend(
        settings,
        stage=stage,
        industry=industry,
        persona=persona,
        competitor=competitor,
        deal=deal_context(settings, deal) if deal else None,
    )
    if as_json:
        cli.emit_json(pack.to_dict())
        return
    context = ", ".join(
        f"{k} {v}"
        for k, v in (
            ("deal", pack.deal_id),
            ("stage", pack.stage),
            ("industry", pack.industry),
            ("persona", pack.persona),
            ("competitor", pack.competitor),
        )
        if v
    )
    typer.echo(f"Before the call ({context}):")
    for note in pack.notes:
        typer.echo(f"  note: {note}")
    for item in pack.items:
        if item.hit is None:
            typer.echo(f"\n{item.slot.capitalize()}: nothing found\n  {item.reason}")
            continue
        hit = item.hit
        flag = "  [stale — review overdue]" if hit.freshness == "stale" else ""
        typer.echo(
            f"\n{item.slot.capitalize()}: {hit.title}{flag}\n  {hit.path}\n  why: {item.reason}"
        )


@cli.app.command("gaps")
def gaps_cmd(
    store: str = cli.StoreOpt,
    playbooks: str = cli.PlaybooksOpt,
    top: int = typer.Option(10, "--top", help="How many frequent queries to list."),
    as_json: bool = cli.JsonOpt,
) -> None:
    """Content gaps: frequent, unanswered and poorly answered questions; thin stages and types.

    Example: spmkb gaps --top 20
    """
    from spmkb.search.log import content_gaps

    settings = cli.settings_from(store=store, playbooks=playbooks)
    tables = content_gaps(settings, top=top)
    if as_json:
        cli.emit_json({name: frame.to_dict(orient="records") for name, frame in tables.items()})
        return
    titles = {
        "top_queries": "Most frequent questions",
        "zero_results": "Questions with no results",
        "poor_results": "Questions with poor results (fewer than asked for, or never opened)",
        "stages": "Stages with few assets",
        "types": "Asset types with few assets",
    }
    for name, frame in tables.items():
        if name in ("stages", "types"):
            frame = frame[frame["gap"]]
        typer.echo(f"\n{titles.get(name, name)}:")
        if frame.empty:
            typer.echo("  (none)")
        else:
            typer.echo(frame.head(top).to_string(index=False))
