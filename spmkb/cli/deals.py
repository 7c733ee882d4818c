"""``spmkb deals check|import``: validate and import CRM deal exports (a thin face)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from spmkb.cli._app import JsonOpt, StoreOpt, deals_app, emit_json, settings_from

PresetOpt = typer.Option(
    None,
    "--preset",
    "-p",
    help="Export format: salesforce, hubspot, maven, salvirt, olist, canonical or mapping "
    "(default: [deals] preset in spmkb.toml, else detected from the headers).",
)


def render_report(report: Any, *, verb: str = "Checked") -> str:
    """Human summary of an ImportReport: counts, problems per rule with 5 examples, rejects file."""
    c = report.counts
    lines = [
        f"{verb} {report.path} (preset {report.preset}): {c['rows']:,} rows, {c['loaded']:,} valid "
        f"(won {c['won']:,} · lost {c['lost']:,} · open {c['open']:,}), {c['rejected']:,} rejected.",
    ]
    rules = report.by_rule()
    shown = {k: v for k, v in rules.items() if v["severity"] != "info"}
    if shown:
        lines.append("Problems by rule (rows count from the header = row 1):")
        for code, info in shown.items():
            lines.append(f"  {code} ({info['severity']}): {info['count']:,}")
            lines.extend(f"    {ex}" for ex in info["examples"])
            if info["count"] > len(info["examples"]):
                lines.append(
                    f"    … and {info['count'] - len(info['examples']):,} more (see --json)"
                )
    info = report.issues[report.issues["severity"] == "info"]
    lines.extend(f"Note: {msg}" for msg in info["message"])
    lines.extend(f"Note: {note}" for note in report.notes if note.startswith("restored"))
    if report.outcome:
        lines.append(report.outcome[0].upper() + report.outcome[1:])
    if report.rejects_path:
        lines.append(f"Rejected rows written to {report.rejects_path}")
    elif c["rejected"] and verb == "Checked":
        lines.append(
            "Fix the rows above, or import anyway: valid rows load, rejected rows go to "
            "<name>.rejects.csv in the deal store."
        )
    return "\n".join(lines)


ExportArg = typer.Argument(..., help="Export file (CSV, .xlsx, Parquet) or folder (maven, olist).")


@deals_app.command("check")
def check(
    file: Path = ExportArg,
    preset: str | None = PresetOpt,
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Validate a deal export without importing it; exit 1 when rows would be rejected.

    Example: spmkb deals check exports/opportunities.csv --preset salesforce
    """
    from spmkb.deals.validate import check_deals

    report = check_deals(file, preset=preset, settings=settings_from(store=store))
    if json_out:
        emit_json(report.to_dict())
    else:
        typer.echo(render_report(report))
    if not report.ok:
        raise typer.Exit(1)


@deals_app.command("import")
def import_(
    file: Path = ExportArg,
    preset: str | None = PresetOpt,
    store: Path | None = StoreOpt,
    allow_empty: bool = typer.Option(
        False,
        "--allow-empty",
        help="Replace the deal data even when the export has no valid row (default: keep it).",
    ),
    json_out: bool = JsonOpt,
) -> None:
    """Import a deal export into the workspace (replacing the previous import).

    Exit 1 when rows were rejected or nothing was saved: an export without a valid row
    keeps the previous data unless --allow-empty is given.

    Example: spmkb deals import ../shared/data/deals-maven-crm --store .spmkb
    """
    from spmkb.deals.workspace import import_deals

    report = import_deals(
        file, preset=preset, settings=settings_from(store=store), allow_empty=allow_empty
    )
    if json_out:
        emit_json(report.to_dict())
    else:
        typer.echo(render_report(report, verb="Imported"))
    if not report.ok or report.saved_to is None:
        raise typer.Exit(1)
