"""``spmkb backup DEST`` and ``spmkb restore SRC``: copy the workspace database (a thin face)."""

from __future__ import annotations

from pathlib import Path

import typer

from spmkb.cli._app import JsonOpt, StoreOpt, app, emit_json, settings_from


@app.command("backup")
def backup(
    dest: Path = typer.Argument(
        ...,
        help="Backup file to create (e.g. x.db), or a folder: an existing one or a name "
        "without extension (then spmkb-<UTC time>.db inside it).",
    ),
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Back up the workspace database (<store>/spmkb.db: reviews, progress, plans, search log).

    Uses SQLite's online backup, so it is safe while notebooks or the app are writing.
    Deal data is not in the database: re-import it from the CRM export.

    Example: spmkb backup backups/ --store .spmkb
    """
    from spmkb.storage import backup_database

    settings = settings_from(store=store)
    info = backup_database(settings.db_path, dest)
    if json_out:
        emit_json(info)
        return
    rows = sum(info["tables"].values())  # type: ignore[union-attr]
    typer.echo(
        f"Backed up {info['database']} to {info['backup']} "
        f"({info['bytes']:,} bytes, {len(info['tables']):,} tables, {rows:,} rows)."  # type: ignore[arg-type]
    )


@app.command("restore")
def restore(
    src: Path = typer.Argument(..., help="A backup file written by `spmkb backup`."),
    store: Path | None = StoreOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Replace the workspace database with a backup; the current one is kept as a copy first.

    Refuses a file that is not an spmkb database. The current database is copied to
    spmkb.db.before-restore-<UTC time> next to it before it is replaced.

    Example: spmkb restore backups/spmkb-20261130-120000.db --store .spmkb
    """
    from spmkb.storage import restore_database

    settings = settings_from(store=store)
    info = restore_database(src, settings.db_path)
    if json_out:
        emit_json(info)
        return
    typer.echo(f"Restored {info['database']} from {info['restored_from']}.")
    if info["previous_copy"]:
        typer.echo(f"The database it replaced is kept as {info['previous_copy']}.")
