"""``spmkb onboarding enroll|plan|status|complete|certify|note`` and ``spmkb report ramp``."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from spmkb.cli import _app as cli

onboarding_app = cli.App(
    help="New-hire onboarding: plans, progress, certifications, milestones.", no_args_is_help=True
)
cli.app.add_typer(onboarding_app, name="onboarding")

_DEALS_HELP = "Deal data folder (default: the workspace's deals)."
DealsOpt = typer.Option(None, "--deals", help=_DEALS_HELP)
RepOpt = typer.Option(..., "--rep", help="The hire's name (or rep id) as in the roster.")
AuthorOpt = typer.Option(None, "--author", help="Who records this (default: your login name).")
ModuleOpt = typer.Option(..., "--module", help="Module id (or its last part, e.g. week-02).")


def _date(value: str | None, flag: str) -> date | None:
    from spmkb.errors import ConfigError

    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"invalid date {value!r}", field=flag, hint="use YYYY-MM-DD") from None


@dataclass(frozen=True)
class HireOptions(cli.Options):
    """--today, --deals, --store, --playbooks and --json: the options of every hire command."""

    today: Annotated[
        str | None, typer.Option("--today", help="Date to compute status on (YYYY-MM-DD).")
    ] = None
    deals: Annotated[Path | None, typer.Option("--deals", help=_DEALS_HELP)] = None
    store: cli.Store = None
    playbooks: cli.Playbooks = None
    json_out: cli.Json = False

    def open(self) -> Any:
        """The onboarding workspace (settings, deal data, curriculum) as of --today."""
        from spmkb.onboarding.service import open_workspace

        settings = cli.settings_from(store=self.store, deals=self.deals, playbooks=self.playbooks)
        return open_workspace(settings, today=_date(self.today, "--today"))


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@onboarding_app.command("enroll")
def enroll(
    rep: str = RepOpt,
    track: str = typer.Option(..., "--track", help="Track, e.g. ae or sdr ([onboarding] tracks)."),
    start: str = typer.Option(..., "--start", help="First day (YYYY-MM-DD)."),
    new: bool = typer.Option(False, "--new", help="Enrol someone not in the deal data yet."),
    business_days: bool | None = typer.Option(
        None, "--business-days/--calendar-days", help="Count module days in business days."
    ),
    author: str | None = AuthorOpt,
    *,
    opts: HireOptions,
) -> None:
    """Enrol a hire in a track from a start date (again with another track = a move).

    Example: spmkb onboarding enroll --rep "Chloe Dubois" --track ae --start 2026-06-01
    """
    from spmkb.onboarding.service import enroll as do_enroll

    ws = opts.open()
    when = _date(start, "--start")
    ev = do_enroll(
        ws, rep, track, when, author=_author(author), new=new, business_days=business_days
    )  # type: ignore[arg-type]
    if opts.json_out:
        cli.emit_json(ev.to_dict())
    else:
        moved = ev.payload.get("previous_track")
        typer.echo(f"Enrolled {ev.rep_id} in {ev.payload['track']} from {ev.payload['start']}"
                   + (f" (moved from {moved})" if moved and moved != ev.payload["track"] else "")
                   + f"; version {ev.version}")  # fmt: skip


def _print_plan(p: Any) -> None:
    h = p.hire
    typer.echo(
        f"{h.name} — track {h.track}, started {h.start} (day {p.today.toordinal() - h.start.toordinal()}), status {p.status}"
    )
    if p.made_from and p.made_from != p.version:
        typer.echo(f"  curriculum changed since the plan was made ({p.made_from} -> {p.version}):"
                   f" added {', '.join(p.added) or 'none'}; removed {', '.join(p.removed) or 'none'}")  # fmt: skip
    for item in p.items:
        cert = ""
        if item.certification:
            cert = " [certified]" if item.certified else " [certification open]"
        typer.echo(f"  {item.status:<9} {item.due}  day {item.day:>3}  {item.module}{cert}")
        for s in item.study:
            typer.echo(f"      study: {s['title']} ({s['path']})")
    cli.echo_each("  done      (no longer in the track) ", p.kept)


@onboarding_app.command("plan")
def plan(
    rep: str = RepOpt,
    refresh: bool = typer.Option(False, "--refresh", help="Adopt the current curriculum version."),
    *,
    opts: HireOptions,
) -> None:
    """Show a hire's plan: modules with due dates, study assets, certifications.

    Example: spmkb onboarding plan --rep "Chloe Dubois" --today 2026-08-14
    """
    from spmkb.onboarding.service import plan as do_plan

    p = do_plan(opts.open(), rep, refresh=refresh)
    if opts.json_out:
        cli.emit_json(p.to_dict())
    else:
        _print_plan(p)


@onboarding_app.command("status")
def status(
    rep: str | None = typer.Option(None, "--rep", help="One hire (default: every current hire)."),
    *,
    opts: HireOptions,
) -> None:
    """Status of every current hire (or one): done, due, overdue, ahead; milestones; behind.

    Example: spmkb onboarding status --today 2026-08-14
    """
    from spmkb.onboarding.service import status as do_status

    rows = do_status(opts.open(), rep)
    if opts.json_out:
        cli.emit_json([r.to_dict() for r in rows])
        return
    if not rows:
        typer.echo("No current hires (reps with a start date and a track role, or enrolled).")
    for r in rows:
        p, c = r.plan, r.plan.counts()
        typer.echo(f"{p.hire.name:<24} {p.hire.track:<4} day {(p.today - p.hire.start).days:>3}  "
                   f"{p.status:<8} done {c['done']}/{len(p.items)}, overdue {c['overdue']}")  # fmt: skip
        if rep is not None:
            for m in r.milestones:
                ev = f" — evidence: {', '.join(m.evidence[:5])}" if m.evidence else ""
                typer.echo(f"    milestone {m.text}: {m.label()}{ev}")
        cli.echo_each("    behind: ", r.behind)


@onboarding_app.command("complete")
def complete(
    rep: str = RepOpt,
    module: str = ModuleOpt,
    on: str | None = typer.Option(None, "--on", help="Completion date (default today)."),
    author: str | None = AuthorOpt,
    *,
    opts: HireOptions,
) -> None:
    """Record that a hire completed a module of their track (append-only, versioned).

    Example: spmkb onboarding complete --rep "Chloe Dubois" --module week-01-foundations
    """
    from spmkb.onboarding.service import complete as do_complete

    ws = opts.open()
    ev = do_complete(ws, rep, module, author=_author(author), on=_date(on, "--on"))
    if opts.json_out:
        cli.emit_json(ev.to_dict())
    else:
        typer.echo(
            f"Completed {ev.module} for {ev.rep_id} on {ev.payload['on']}; version {ev.version}"
        )


@onboarding_app.command("certify")
def certify(
    rep: str = RepOpt,
    module: str = ModuleOpt,
    level: list[str] = typer.Option(..., "--level", help="COMPETENCY=LEVEL, once per competency."),
    signed_off_by: str | None = typer.Option(None, "--signed-off-by", help="Who signs it off."),
    author: str | None = AuthorOpt,
    *,
    opts: HireOptions,
) -> None:
    """Record a certification: the manager's rubric level per competency (below pass = not passed).

    Example: spmkb onboarding certify --rep "Chloe Dubois" --module demo-certification --level demo-story=3 --level discovery-link=4
    """
    from spmkb.errors import OnboardingError
    from spmkb.onboarding.service import certify as do_certify

    levels: dict[str, int] = {}
    for item in level:
        comp, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise OnboardingError(f"cannot read --level {item!r}", field="--level",
                                  hint="write COMPETENCY=LEVEL, e.g. --level discovery=3")  # fmt: skip
        levels[comp.strip()] = int(value)
    ws = opts.open()
    ev, passed, msg = do_certify(ws, rep, module, levels, author=_author(author),
                                 signed_off_by=signed_off_by)  # fmt: skip
    if opts.json_out:
        cli.emit_json({**ev.to_dict(), "passed": passed, "message": msg})
    else:
        typer.echo(msg)


@onboarding_app.command("note")
def note(
    rep: str = RepOpt,
    text: str = typer.Option(..., "--text", help="The note."),
    author: str | None = AuthorOpt,
    *,
    opts: HireOptions,
) -> None:
    """Save a note on a hire's onboarding record (e.g. a free-text milestone met).

    Example: spmkb onboarding note --rep "Chloe Dubois" --text "First 20 accounts assigned"
    """
    from spmkb.onboarding.service import note as do_note

    ev = do_note(opts.open(), rep, text, author=_author(author))
    if opts.json_out:
        cli.emit_json(ev.to_dict())
    else:
        typer.echo(f"Saved note for {ev.rep_id}; version {ev.version}")


@cli.report_app.command("ramp")
def report_ramp(
    track: str | None = typer.Option(None, "--track", help="Only this track."),
    value: str = typer.Option(
        "bookings", "--value", help="Cohort curves of bookings or attainment."
    ),
    deals: Path | None = DealsOpt,
    store: Path | None = cli.StoreOpt,
    playbooks: Path | None = cli.PlaybooksOpt,
    json_out: bool = cli.JsonOpt,
) -> None:
    """Ramp: Kaplan–Meier time to first win and to ramp, cohort curves, milestones that predict.

    Example: spmkb report ramp --track ae --value attainment
    """
    from spmkb.deals.workspace import load_deal_data
    from spmkb.errors import ConfigError
    from spmkb.onboarding.curriculum import load_curriculum
    from spmkb.onboarding.ramp import ramp_report

    if value not in ("bookings", "attainment"):
        raise ConfigError(
            f"unknown --value {value!r}", field="--value", hint="bookings or attainment"
        )
    settings = cli.settings_from(store=store, deals=deals, playbooks=playbooks)
    cur = load_curriculum(settings)
    chosen = cur.find_track(track) if track else None
    rep = ramp_report(load_deal_data(settings), cur, cur.settings, track=chosen, value=value)
    if json_out:
        cli.emit_json(rep)
        return
    typer.echo(f"Ramp hires: n = {rep['n_hires']} (data to {rep['as_of']})")
    for name, tr in rep["tracks"].items():
        typer.echo(f"Track {name} (n = {tr['n_hires']}):")
        for key, label in (("first_win", "Time to first won deal"), ("ramp", "Time to ramp")):
            km = tr[key]
            if "error" in km:
                typer.echo(f"  {label}: {km['error']}")
                continue
            med = f"{km['median']:.0f} days" if km["median"] is not None else "not reached by half"
            lo, hi = km["median_ci"]
            ci = (
                ""
                if lo is None and hi is None
                else (
                    f" (95 % CI {lo if lo is None else round(lo)}–{hi if hi is None else round(hi)})"
                )
            )
            typer.echo(f"  {label}: median {med}{ci}; n = {km['n']}, events = {km['events']}, "
                       f"censored = {km['n'] - km['events']}")  # fmt: skip
        for c in tr["milestones"]:
            hr = f"HR {c['hazard_ratio']:.2f}" if c["hazard_ratio"] is not None else "HR -"
            p = f", p = {c['p']:.3g}, q = {c['q']:.3g}" if c["p"] is not None else ""
            typer.echo(f"  Milestone '{c['label']}': n met {c['n'][0]}, not met {c['n'][1]}; "
                       f"{hr}{p} — {c['verdict']}")  # fmt: skip
