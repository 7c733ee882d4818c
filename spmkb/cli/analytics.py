"""``spmkb sample-data`` and ``spmkb report ...``: deal analytics on the command line (a thin face).

Each report loads the workspace's deal data, calls one function of ``spmkb.deals`` and
prints a table (or ``--json``). The figures are the ones the dashboard shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from spmkb.cli._app import (
    Json,
    JsonOpt,
    Options,
    Store,
    StoreOpt,
    app,
    echo_each,
    emit_json,
    report_app,
    settings_from,
)

Rep = Annotated[str | None, typer.Option("--rep", help="Only this rep (compared with their team).")]
Team = Annotated[
    str | None, typer.Option("--team", help="Only this team (compared with the company).")
]
Period = Annotated[str | None, typer.Option(
    "--period", help="Period by close date: 2026-Q3, 2026-07, 2026-H2 or 2026 (default: all time, "
    "or the data's current quarter where a period is needed).",
)]  # fmt: skip
Data = Annotated[Path | None, typer.Option(
    "--data", help="Deal data folder (default: the store's imported deals; env SPMKB_DEALS)."
)]  # fmt: skip
_PCT = ("win_rate", "rest_win_rate", "lift", "conversion", "pct_of_first", "attainment",
        "prev_attainment", "improvement", "rep_conversion", "team_conversion", "gap", "share",
        "probability")  # fmt: skip


@dataclass(frozen=True)
class Scope(Options):
    """--rep, --team and --period: whose deals a report reads, and when."""

    rep: Rep = None
    team: Team = None
    period: Period = None


@dataclass(frozen=True)
class Source(Options):
    """--store, --data and --json: where the deal data is, and how to print the report."""

    store: Store = None
    data: Data = None
    json_out: Json = False

    def load(self) -> Any:
        """The deal data (the store's imported deals, or the --data folder)."""
        from spmkb.deals.workspace import load_deal_data

        return load_deal_data(settings_from(store=self.store), folder=self.data)


def format_table(frame: Any, columns: list[str] | None = None) -> str:
    """Render a metric DataFrame as aligned text: fractions as %, amounts rounded, NaN as '-'."""
    import pandas as pd

    out = frame[columns] if columns else frame.copy()
    out = out.copy()
    for col in out.columns:
        s = out[col]
        if col in _PCT:
            out[col] = [f"{v:.0%}" if pd.notna(v) else "-" for v in s]
        elif col in ("p_value", "p_adjusted"):
            out[col] = [f"{v:.3g}" if pd.notna(v) else "-" for v in s]
        elif pd.api.types.is_float_dtype(s):
            out[col] = [f"{v:,.0f}" if pd.notna(v) else "-" for v in s]
        else:
            out[col] = [
                "-" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in s
            ]
    if out.empty:
        return "(no rows)"
    return out.to_string(index=False)


def _emit(frames: dict[str, Any], json_out: bool, hide: tuple[str, ...] = ()) -> None:
    from spmkb.deals.overview import records

    if json_out:
        emit_json({k: records(v) for k, v in frames.items()})
        return
    for title, frame in frames.items():
        if len(frames) > 1:
            typer.echo(f"\n{title}:")
        cols = [c for c in frame.columns if c not in hide]
        typer.echo(format_table(frame, cols))
        warned = frame["warning"].astype(bool).sum() if "warning" in frame else 0
        if warned:
            typer.echo(f"({warned} row(s) with a small sample: see the warning column in --json)")


@app.command("sample-data")
def sample_data(
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same data)."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write (default: <store>/deals)."
    ),
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Generate the realistic sample deal data (three years, 80 people) into the workspace.

    Example: spmkb sample-data --seed 7
    """
    from spmkb.deals.sample import SAMPLE_END, write_sample

    settings = settings_from(store=store)
    folder = out or settings.deals_store
    data = write_sample(folder, seed)
    o, reps = data.opportunities, data.reps
    with (Path(folder) / "asset_opens.csv").open(encoding="utf-8") as fh:
        n_opens = sum(1 for _ in fh) - 1  # header
    info = {
        "folder": str(folder),
        "seed": seed,
        "end": SAMPLE_END.isoformat(),
        "opportunities": len(o),
        "won": int((o["status"] == "won").sum()),
        "lost": int((o["status"] == "lost").sum()),
        "open": int((o["status"] == "open").sum()),
        "stage_history": len(data.stage_history),
        "activities": len(data.activities),
        "reps": len(reps),
        "sdrs": int((reps["role"] == "SDR").sum()),
        "left": int(reps["end_date"].notna().sum()),
        "quotas": len(data.quotas),
        "asset_opens": n_opens,
    }
    if json_out:
        emit_json(info)
        return
    typer.echo(
        f"Wrote sample deal data to {folder}: {info['opportunities']:,} opportunities (won "
        f"{info['won']:,} · lost {info['lost']:,} · open {info['open']:,}), {info['activities']:,} "
        f"activities, {info['reps']} people ({info['sdrs']} SDRs, {info['left']} who left), "
        f"{info['asset_opens']:,} asset opens (asset_opens.csv), data up to {info['end']}."
    )


@report_app.command("funnel")
def report_funnel(scope: Scope, src: Source) -> None:
    """Funnel and stage-to-stage conversion, a rep vs their team (or a team vs the company).

    Example: spmkb report funnel --rep "Priya Nair" --period 2026-Q2
    """
    from spmkb.deals.metrics import funnel, stage_conversion

    d = src.load()
    fun = funnel(d, **vars(scope))
    conv = stage_conversion(d, **vars(scope))
    _emit({"funnel": fun, "conversion": conv}, src.json_out, hide=("warning", "step", "note"))
    if not src.json_out:
        _notes(fun, conv)
        if scope.rep is not None:
            typer.echo("(team = the rest of the rep's team, the comparison coaching uses)")


def _notes(*frames: Any) -> None:
    """Print each distinct non-empty ``note`` of the frames once."""
    seen: list[str] = []
    for frame in frames:
        if "note" in frame:
            seen.extend(t for t in frame["note"] if t and t not in seen)
    echo_each("Note: ", seen)


@report_app.command("winloss")
def report_winloss(scope: Scope, src: Source) -> None:
    """Win/loss by segment, product, competitor, deal-size band and loss reason.

    Example: spmkb report winloss --team East --period 2026
    """
    from spmkb.deals.winloss import winloss

    frame = winloss(src.load(), **vars(scope))
    _emit({"winloss": frame}, src.json_out, ("warning",))
    if not src.json_out and (frame["warning"] == "amount not in this data").any():
        typer.echo("Note: amount not in this data: every deal is in the unknown size band")


@report_app.command("behaviours")
def report_behaviours(scope: Scope, src: Source) -> None:
    """Win rate and adjusted effect (95 % CI) of contacts per deal, discovery before demo, first response.

    Example: spmkb report behaviours --period 2026-H1
    """
    from spmkb.deals.behaviours import behaviours, ci_text

    frame = behaviours(src.load(), **vars(scope))
    if src.json_out:
        _emit({"behaviours": frame}, True)
        return
    view = frame.assign(
        ci_95=ci_text(frame),
        odds_ratio=[f"{v:.2f}" if v == v else "-" for v in frame["odds_ratio"]],
    )
    cols = ["behaviour", "value", "reference", "n", "win_rate", "lift", "ci_95", "odds_ratio",
            "p_adjusted", "significant"]  # fmt: skip
    typer.echo(format_table(view, cols))
    typer.echo(
        "lift = difference in win probability vs the reference band, adjusted for segment and "
        "rep; p_adjusted = Benjamini-Hochberg over all bands"
    )
    for behaviour, counted in dict(zip(frame["behaviour"], frame["counted"], strict=True)).items():
        typer.echo(f"Counted: {behaviour} = {counted}")
    _notes(frame)


@report_app.command("attainment")
def report_attainment(
    scope: Scope,
    periods: int = typer.Option(1, "--periods", help="Also show this many periods back (1 = just one)."),
    *, src: Source,
) -> None:  # fmt: skip
    """Quota attainment per rep: won amount / quota for the period.

    Example: spmkb report attainment --team West --period 2026-Q2 --periods 4
    """
    from spmkb.deals.metrics import attainment

    frame = attainment(src.load(), **vars(scope), periods=periods)
    _emit({"attainment": frame}, src.json_out, ("warning",))


@report_app.command("leaderboard")
def report_leaderboard(
    team: Team = None, period: Period = None,
    by: str = typer.Option("attainment", "--by", help="attainment (% of quota) or improvement."),
    top: int | None = typer.Option(None, "--top", help="Show only the first N reps."),
    *, src: Source,
) -> None:  # fmt: skip
    """Reps ranked by % of quota (by won amount without quotas) or by improvement.

    Improvement compares the same elapsed days while the period runs, whole periods after.
    Example: spmkb report leaderboard --period 2026-Q2 --by improvement --top 10
    """
    from spmkb.deals.metrics import leaderboard

    frame = leaderboard(src.load(), team=team, period=period, by=by, top=top)
    _emit({"leaderboard": frame}, src.json_out, ("warning", "ranked_by", "compared"))
    if not src.json_out and len(frame):
        row = frame.iloc[0]
        typer.echo(f"Ranked by {row['ranked_by']}; improvement: {row['compared']}.")


@report_app.command("coaching")
def report_coaching(scope: Scope, src: Source) -> None:
    """Each rep's coaching focus: the stage converting furthest below their team (significance-tested).

    Example: spmkb report coaching --team Central
    """
    from spmkb.deals.winloss import coaching_focus

    frame = coaching_focus(src.load(), **vars(scope))
    if src.json_out:
        _emit({"coaching": frame}, True)
        return
    typer.echo(format_table(frame, ["rep", "team", "flagged", "reason"]))


@report_app.command("forecast")
def report_forecast(
    scope: Scope,
    as_of: str | None = typer.Option(None, "--as-of", help="Forecast as of this date (YYYY-MM-DD)."),
    quota: float | None = typer.Option(None, "--quota", help="Compare with this quota instead."),
    sims: int = typer.Option(5000, "--sims", help="Monte Carlo simulations."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the simulation."),
    *, src: Source,
) -> None:  # fmt: skip
    """Am I going to make my number? Bookings P10/P50/P90 and the chance of reaching quota.

    Example: spmkb report forecast --rep "Maya Chen" --period 2026-Q3
    """
    from spmkb.deals.forecast import forecast

    fc = forecast(src.load(), **vars(scope), as_of=as_of, quota=quota, n_sims=sims, seed=seed)
    if src.json_out:
        emit_json(fc.to_dict())
        return
    typer.echo(fc.summary())
    echo_each("Note: ", fc.notes)
    if len(fc.by_stage):
        typer.echo("\nOpen pipeline by stage:")
        typer.echo(format_table(fc.by_stage))
