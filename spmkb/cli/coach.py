"""``spmkb report profile|recognition``, ``spmkb coach plan|show|followup``,
``spmkb profile suggest-standards``: the coaching practice on the command line (a thin face)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from spmkb.cli import _app as cli

coach_app = cli.App(help="Coaching plans: focus, assets, goals, follow-up.", no_args_is_help=True)
profile_app = cli.App(help="The top-performer profile and what it suggests.", no_args_is_help=True)
cli.app.add_typer(coach_app, name="coach")
cli.app.add_typer(profile_app, name="profile")

DataOpt = typer.Option(
    None, "--data", help="Deal data folder (default: the store's imported deals)."
)
TeamOpt = typer.Option(None, "--team", help="Only this team.")
WindowOpt = typer.Option(
    None,
    "--window",
    help="Window of at least two quarters: 2026-H1 or 2026 (default: the last full half).",
)
RepOpt = typer.Option(..., "--rep", help="Rep name (or id) as in the deal data.")
KeepOpt = typer.Option(
    False, "--keep-circumstance", help="Keep 'top by circumstance' reps in the comparison."
)


def _ctx(store: Path | None, data: Path | None) -> tuple[Any, Any, Any]:
    from spmkb.coaching.options import options_from
    from spmkb.deals import load_deal_data

    settings = cli.settings_from(store=store)
    return settings, load_deal_data(settings, folder=data), options_from(settings)


def _window(d: Any, window: str | None) -> str:
    from spmkb.deals.metrics import data_today
    from spmkb.deals.periods import period_of

    return window or period_of(data_today(d), "half").previous().label


def _with(opts: Any, **kw: Any) -> Any:
    from dataclasses import replace

    return replace(opts, **{k: v for k, v in kw.items() if v is not None})


@cli.report_app.command("profile")
def report_profile(
    team: str | None = TeamOpt, window: str | None = WindowOpt, keep: bool = KeepOpt,
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Top-performer profile: what the top tier does differently, FDR-controlled across measures.

    Example: spmkb report profile --team East --window 2026-H1
    """
    from spmkb.coaching.profile import top_profile

    _settings, d, opts = _ctx(store, data)
    opts = _with(opts, exclude_circumstance=False if keep else None)
    prof = top_profile(d, _window(d, window), team=team, options=opts)
    if json_out:
        cli.emit_json(prof.to_dict())
        return
    t = prof.tiers.to_dict()
    typer.echo(
        f"Top-performer profile {prof.window.label}" + (f" — {prof.team}" if prof.team else "")
    )
    typer.echo(f"Tiers by {t['basis']}: " + ", ".join(f"{k} {v}" for k, v in t["sizes"].items()))
    for line in prof.summary():
        typer.echo(f"* {line}")
    if prof.comparisons:
        typer.echo("")
        wide = max(len("measure"), *(len(c.label) for c in prof.comparisons))
        typer.echo(f"{'measure':{wide}} {'top':>10} {'rest':>10} {'diff':>9} {'q':>7}  note")
        from spmkb.coaching.profile import _fmt, _fmt_diff
        from spmkb.fmt import p_cell

        for c in prof.comparisons:
            q = p_cell(c.q_value)
            mark = " *" if c.finding else ""
            typer.echo(f"{c.label:{wide}} {_fmt(c.top, c.unit):>10} {_fmt(c.rest, c.unit):>10} "
                       f"{_fmt_diff(c.diff, c.unit):>9} {q:>7}{mark}  {c.note}")  # fmt: skip
    for note in prof.notes:
        typer.echo(f"Note: {note}")


@cli.report_app.command("recognition")
def report_recognition(
    period: str = typer.Option(..., "--period", help="Period: 2026-Q2, 2026-H1, 2026-07 or 2026."),
    team: str | None = TeamOpt,
    rep: str | None = typer.Option(None, "--rep", help="A rep's own view (their position too)."),
    post: bool = typer.Option(False, "--post", help="Store the post as a draft for approval."),
    approve: bool = typer.Option(False, "--approve", help="Approve the stored draft post."),
    author: str | None = typer.Option(None, "--author", help="Who saves or approves the post."),
    html: bool = typer.Option(False, "--html", help="Print the post as sanitised HTML."),
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Recognition board: quota levels, improvement beyond luck, notable wins (no ranking).

    Example: spmkb report recognition --period 2026-Q2 --team East --post --author "Grace Okafor"
    """
    from spmkb.coaching import recognition as rc

    settings, d, opts = _ctx(store, data)
    if rep:
        view = rc.rep_view(d, period, rep, options=opts)
        if json_out:
            cli.emit_json(view)
            return
        typer.echo(f"{view['rep']} — {view['period']}")
        for key in ("message", "attainment", "level", "next_level", "to_next_level", "position"):
            if view.get(key) is not None:
                v = view[key]
                text = f"{v:.0%}" if key in ("attainment", "level", "next_level") else (
                    f"{v:,.0f}" if isinstance(v, float) else v)  # fmt: skip
                typer.echo(f"  {key.replace('_', ' ')}: {text}")
        for a in view["awards"]:
            typer.echo(f"  * {a['title']}: {a['detail']}")
        return
    board = rc.recognition_board(d, period, team=team, options=opts)
    saved = None
    if post or approve:
        from spmkb.coaching import store as cs

        if not author:
            typer.echo("Error: --author is required to save or approve a post", err=True)
            raise typer.Exit(1)
        conn = cs.open_db(settings.db_path)
        current = cs.latest(conn, rc.post_id(board))
        if approve:
            if current is None:
                typer.echo(
                    f"Error: no draft post {rc.post_id(board)} to approve (use --post first)",
                    err=True,
                )
                raise typer.Exit(1)
            saved = rc.approve_post(
                conn, current.doc_id, approver=author, expected_version=current.version
            )
        else:
            saved = rc.save_post(conn, board, author=author,
                                 expected_version=current.version if current else 0)  # fmt: skip
    if json_out:
        cli.emit_json({**board.to_dict(), "saved": saved.to_dict() if saved else None})
        return
    md = saved.payload["markdown"] if saved else rc.post_markdown(board)
    typer.echo(rc.post_html(md) if html else md)
    for note in board.notes:
        typer.echo(f"Note: {note}")
    if saved:
        typer.echo(f"Saved {saved.doc_id} version {saved.version} ({saved.status})")


def _plan_text(plan: Any) -> None:
    d = plan.to_dict()
    typer.echo(f"Coaching plan {d['plan_id']} — {plan.rep} ({plan.team or 'no team'})")
    typer.echo(f"  period {plan.period}: {plan.start} to follow-up {plan.followup}")
    typer.echo(f"  focus: {plan.focus.reason}")
    for s in plan.skills:
        typer.echo(f"  skill: {s}")
    for g in plan.goals:
        typer.echo(f"  goal: {g['text']}")
    for a in plan.assets:
        typer.echo(f"  {a['slot']}: {a['title']} ({a['path']} › {a['section']})")
    for n in plan.notes:
        typer.echo(f"  Note: {n}")


@coach_app.command("plan")
def coach_plan(
    rep: str = RepOpt, window: str | None = WindowOpt,
    period: str | None = typer.Option(None, "--period", help="Period coached (default: the quarter after the window)."),
    stage: str | None = typer.Option(None, "--stage", help="Coach this stage instead of the one found."),
    company: bool = typer.Option(False, "--company", help="Profile the whole company, not the rep's team."),
    save: bool = typer.Option(False, "--save", help="Save the plan (a new version)."),
    author: str | None = typer.Option(None, "--author", help="Who saves the plan."),
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Build a coaching plan for a rep (focus, skills, assets, goals); --save stores a version.

    Example: spmkb coach plan --rep "Priya Nair" --window 2026-H1 --save --author "Grace Okafor"
    """
    from spmkb.coaching import store as cs
    from spmkb.coaching.plans import build_plan, save_plan
    from spmkb.coaching.profile import top_profile
    from spmkb.deals.roster import roster

    settings, d, opts = _ctx(store, data)
    w = _window(d, window)
    who = roster(d).find(rep)
    prof = top_profile(d, w, team=None if company else who.team, options=opts)
    plan = build_plan(d, rep, window=w, period=period, stage=stage, profile=prof,
                      settings=settings, options=opts)  # fmt: skip
    saved = None
    if save:
        if not author:
            typer.echo("Error: --author is required with --save", err=True)
            raise typer.Exit(1)
        conn = cs.open_db(settings.db_path)
        last = cs.latest(conn, plan.plan_id)
        saved = save_plan(conn, plan, author=author, expected_version=last.version if last else 0)
    if json_out:
        cli.emit_json({**plan.to_dict(), "saved": saved.to_dict() if saved else None})
        return
    _plan_text(plan)
    if saved:
        typer.echo(f"Saved {saved.doc_id} version {saved.version} ({saved.status})")


@coach_app.command("show")
def coach_show(
    rep: str = RepOpt,
    period: str | None = typer.Option(None, "--period", help="Period coached (default: the latest plan)."),
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Show a rep's saved coaching plan and its versions.

    Example: spmkb coach show --rep "Priya Nair"
    """
    from spmkb.coaching import store as cs
    from spmkb.coaching.plans import load_plan

    settings, d, _opts = _ctx(store, data)
    conn = cs.open_db(settings.db_path)
    plan, saved = load_plan(conn, d, rep, period)
    history = cs.versions(conn, saved.doc_id)
    if json_out:
        cli.emit_json({**plan.to_dict(), "version": saved.version, "status": saved.status,
                   "versions": [{k: v for k, v in h.to_dict().items() if k != "payload"} for h in history]})  # fmt: skip
        return
    _plan_text(plan)
    for h in history:
        typer.echo(f"  v{h.version} {h.status} by {h.author} at {h.saved_at}")


@coach_app.command("followup")
def coach_followup(
    rep: str = RepOpt,
    period: str | None = typer.Option(None, "--period", help="Period coached (default: the latest plan)."),
    on: str | None = typer.Option(None, "--on", help="Follow-up date YYYY-MM-DD (default: the data's latest date)."),
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Did the coaching work? The rep's change against uncoached reps (difference in differences).

    Example: spmkb coach followup --rep "Priya Nair" --on 2026-09-30
    """
    from spmkb.coaching import store as cs
    from spmkb.coaching.followup import follow_up
    from spmkb.coaching.plans import load_plan

    settings, d, opts = _ctx(store, data)
    conn = cs.open_db(settings.db_path)
    plan, _saved = load_plan(conn, d, rep, period)
    coached = {s.payload["rep"] for s in cs.find(conn, "plan", period=plan.period)}
    fu = follow_up(d, plan, on=on, coached=coached, options=opts)
    if json_out:
        cli.emit_json(fu.to_dict())
        return
    typer.echo(f"Follow-up of {fu.plan_id} on {fu.on}: {fu.measure}"
               + (f" [{fu.stage}]" if fu.stage else "") + f", {fu.before} -> {fu.after}")  # fmt: skip
    typer.echo(f"  {fu.message}")
    for n in fu.notes:
        typer.echo(f"  Note: {n}")


@profile_app.command("suggest-standards")
def profile_suggest(
    team: str | None = TeamOpt, window: str | None = WindowOpt,
    standards: Path | None = typer.Option(None, "--standards", help="standards.yml (default: the workspace's)."),
    top_profile_kind: bool = typer.Option(False, "--top-profile", help="Suggest 'standard: top_profile' (resolved per review) instead of fixed targets."),
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt,
) -> None:  # fmt: skip
    """Print a diff of standards.yml setting the profile's findings as targets (nothing is written).

    Example: spmkb profile suggest-standards --window 2026-H1 --top-profile > standards.diff
    """
    from spmkb.coaching.profile import top_profile
    from spmkb.coaching.standards import suggest_standards
    from spmkb.errors import ConfigError

    settings, d, opts = _ctx(store, data)
    path = standards or settings.standards
    try:
        text = Path(path).read_text(encoding="utf-8") if Path(path).is_file() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read standards file: {exc}", path=path) from None
    prof = top_profile(d, _window(d, window), team=team, options=opts)
    kind = "top_profile" if top_profile_kind else "absolute"
    diff = suggest_standards(prof, text, Path(path).name, kind)
    if not diff:
        typer.echo(prof.message or "No change: no measure separates the top tier from the rest.")
        return
    typer.echo(diff, nl=False)


@cli.report_app.command("asset-outcomes")
def report_asset_outcomes(
    store: Path | None = cli.StoreOpt, data: Path | None = DataOpt, json_out: bool = cli.JsonOpt,
) -> None:  # fmt: skip
    """Per stage: win rate of deals with vs without each asset opened (association, not cause).

    Opens come from asset_opens.csv in the deal folder and from the opens the notebooks' panels
    logged for a picked deal; the same open counts once and each row names its source.

    Example: spmkb report asset-outcomes --data deals
    """
    from spmkb.coaching.outcomes import NOTE, asset_outcomes, gather_asset_opens

    settings, d, opts = _ctx(store, data)
    folder = data or settings.deals or settings.deals_store
    opens = gather_asset_opens(d, folder=folder, settings=settings)
    table = asset_outcomes(d, opens.frame, fdr=opts.fdr)
    if json_out:
        cli.emit_json({"note": NOTE, "opens": opens.to_dict(),
                       "assets": table.to_dict(orient="records")})  # fmt: skip
        return
    typer.echo(opens.summary())
    for r in table.itertuples():
        mark = " *" if r.associated else ""
        typer.echo(f"{r.stage:12} {r.asset[:40]:40} opened {r.win_rate_opened:4.0%} (n = {r.n_opened}) "
                   f"vs not {r.win_rate_not_opened:4.0%} (n = {r.n_not_opened}) [{r.source}]{mark}")  # fmt: skip
    typer.echo(f"Note: * = survives false-discovery control; {NOTE}")
