"""``spmkb review new|list|show|export``: structured performance reviews (a thin face)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from spmkb.cli._app import (
    JsonOpt,
    PlaybooksOpt,
    StoreOpt,
    emit_json,
    review_app,
    settings_from,
)

DealsOpt = typer.Option(
    None, "--deals", help="Deal data folder (default: the workspace's imported deals)."
)
PeriodOpt = typer.Option(None, "--period", help="Period label: 2026-Q2, 2026-07, 2026-H1 or 2026.")


def _settings(
    store: Path | None,
    deals: Path | None = None,
    playbooks: Path | None = None,
    out: Path | None = None,
) -> Any:
    return settings_from(store=store, deals=deals, playbooks=playbooks, reviews_dir=out)


@review_app.command("new")
def new(
    rep: str | None = typer.Option(None, "--rep", help="Rep name as in the deal data."),
    period: str = typer.Option(
        ..., "--period", help="Period label: 2026-Q2, 2026-07, 2026-H1 or 2026."
    ),
    team: str | None = typer.Option(
        None, "--team", help="Generate a review for every rep of this team."
    ),
    all_reps: bool = typer.Option(
        False, "--all", help="Generate a review for every rep with deals."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for review notebooks (default reviews/)."
    ),
    recommend: bool | None = typer.Option(
        None,
        "--recommend/--no-recommend",
        help="Recommend assets for the focus stage (default: when a search index exists).",
    ),
    workers: int = typer.Option(2, "--workers", min=1, help="Notebooks executed in parallel."),
    deals: Path | None = DealsOpt,
    store: Path | None = StoreOpt,
    playbooks: Path | None = PlaybooksOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Generate executed review notebooks (reviews/<period>/<rep>.ipynb); exit 1 if any failed.

    Example: spmkb review new --rep "Priya Nair" --period 2026-Q2
    """
    from spmkb.deals.roster import roster
    from spmkb.deals.workspace import load_deal_data
    from spmkb.reviews.generate import new_reviews

    chosen = sum(x is not None and x is not False for x in (rep, team, all_reps or None))
    if chosen != 1:
        typer.echo("Error: give exactly one of --rep NAME, --team TEAM or --all", err=True)
        raise typer.Exit(2)
    settings = _settings(store, deals, playbooks, out)
    data = load_deal_data(settings)
    reps = [rep] if rep else roster(data).names(team=team, with_deals=True)
    result = new_reviews(settings, reps, period, recommend=recommend, data=data, workers=workers)
    if json_out:
        emit_json(result.to_dict())
    else:
        for name, path in result.paths.items():
            typer.echo(f"{name}: {path}")
        for name, err in result.errors.items():
            typer.echo(f"{name}: FAILED {err}", err=True)
        for note in result.notes:
            typer.echo(f"Note: {note}")
        for warning in result.warnings:
            typer.echo(f"Warning: {warning}", err=True)
        d = result.to_dict()
        typer.echo(
            f"Generated {d['generated']} review(s) for {result.period} in {d['seconds']} s"
            + (f" ({d['seconds_per_review']} s each)" if d["generated"] else "")
        )
    if not result.ok:
        raise typer.Exit(1)


@review_app.command("list")
def list_(
    team: str | None = typer.Option(None, "--team", help="Only this team."),
    period: str | None = PeriodOpt,
    rep: str | None = typer.Option(None, "--rep", help="Only this rep (their reviews over time)."),
    deals: Path | None = DealsOpt,
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """List reviews with status, version and overall rating, plus completion and score distribution.

    Example: spmkb review list --team East --period 2026-Q2
    """
    from spmkb.reviews.history import completion, list_reviews, score_distribution
    from spmkb.reviews.store import open_db

    settings = _settings(store, deals)
    reps = None
    if team and period:  # show reps without a review too, when deal data is available
        from spmkb.deals.roster import roster
        from spmkb.deals.workspace import load_deal_data
        from spmkb.errors import DealDataError

        try:
            reps = roster(load_deal_data(settings)).names(team=team, with_deals=True)
        except DealDataError:
            reps = None
    conn = open_db(settings.db_path, create=False)
    df = list_reviews(conn, team=team, period=period, rep=rep, reps=reps)
    summary = {"completion": completion(df), "score_distribution": score_distribution(df)}
    if json_out:
        emit_json({"reviews": df.to_dict(orient="records"), **summary})
        return
    if not len(df):
        typer.echo("No reviews match.")
        return
    for r in df.itertuples():
        rating = "—" if r.rating is None or r.rating != r.rating else f"{r.rating:.1f}"
        typer.echo(
            f"{r.period}  {r.rep:<24} {r.team or '':<12} {r.status:<13} v{r.version}  rating {rating}"
        )
    typer.echo("Completion: " + ", ".join(f"{k} {v}" for k, v in summary["completion"].items()))
    typer.echo(
        "Ratings: " + ", ".join(f"{k}: {v}" for k, v in summary["score_distribution"].items())
    )


@review_app.command("show")
def show(
    rep: str = typer.Argument(..., help="Rep name."),
    period: str = typer.Argument(..., help="Period label, e.g. 2026-Q2."),
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Show the latest saved version of a review and its version history.

    Example: spmkb review show "Priya Nair" 2026-Q2
    """
    from spmkb.deals.periods import Period
    from spmkb.errors import NotFoundError
    from spmkb.reviews.store import open_db, review_rows, versions

    settings = _settings(store)
    label = Period.parse(period).label
    conn = open_db(settings.db_path, create=False)
    rows = review_rows(conn, period=label)
    match = [r for r in rows if r["rep"].lower() == rep.lower()]
    if not match:
        from spmkb.errors import suggest

        raise NotFoundError(
            f"no review of {rep!r} for {label}",
            field="rep",
            suggestions=suggest(rep, [r["rep"] for r in rows]),
        )
    history = versions(conn, match[0]["rep"], label)
    if json_out:
        emit_json(
            {
                **{k: v for k, v in match[0].items() if k != "payload"},
                "versions": [v.to_dict() for v in history],
            }
        )
        return
    r = match[0]
    typer.echo(
        f"{r['rep']} — {label} (team {r['team'] or '-'}): {r['status'] or 'generated, not saved'}"
    )
    if r["notebook"]:
        typer.echo(f"Notebook: {r['notebook']}")
    for v in history:
        typer.echo(f"  v{v.version} {v.status:<12} {v.author} at {v.saved_at}")
    if history:
        p = history[-1].payload
        for cid, level in p.get("ratings", {}).items():
            typer.echo(f"  {cid}: {level}/5")
        for key in ("strengths", "development_areas", "self_assessment"):
            if p.get(key):
                typer.echo(f"  {key.replace('_', ' ')}: {p[key]}")
        for g in p.get("goals", []):
            typer.echo(f"  goal: {g['text']}" + (f" (due {g['due']})" if g.get("due") else ""))
        for a in p.get("action_items", []):
            typer.echo(f"  action: {a['text']}" + (f" (due {a['due']})" if a.get("due") else ""))


@review_app.command("export")
def export(
    rep: str = typer.Argument(..., help="Rep name."),
    period: str = typer.Argument(..., help="Period label, e.g. 2026-Q2."),
    out: Path | None = typer.Option(
        None, "--out", help="HTML file to write (default: next to the notebook)."
    ),
    store: Path | None = StoreOpt,
    playbooks: Path | None = PlaybooksOpt,
) -> None:
    """Export a review as standalone HTML without code (figures plus the saved form).

    Example: spmkb review export "Priya Nair" 2026-Q2 --out priya-q2.html
    """
    from spmkb.reviews.export import export_review

    path = export_review(_settings(store, playbooks=playbooks), rep, period, out)
    typer.echo(f"Wrote {path}")
