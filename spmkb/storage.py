"""The workspace SQLite database (``<store>/spmkb.db``): search log, reviews, onboarding progress.

Each domain registers its tables with :func:`register_schema` at import time; :func:`connect`
creates what is missing. Connections use WAL and a busy timeout so that several processes
(a notebook, the CLI, the web app) can share one database; writes go through
:func:`transaction`, which takes the write lock up front (``BEGIN IMMEDIATE``) so a killed
process leaves the database as it was before the transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from spmkb.errors import StorageError

_SCHEMAS: dict[str, str] = {}

_BASE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def register_schema(name: str, ddl: str) -> None:
    """Register idempotent DDL (``CREATE TABLE IF NOT EXISTS ...``) for one domain."""
    _SCHEMAS[name] = ddl


def connect(
    db_path: Path | str, *, create: bool = True, timeout: float = 30.0
) -> sqlite3.Connection:
    """Open the workspace database, creating it and every registered table if needed.

    Raises :class:`StorageError` naming the file when it is missing (``create=False``),
    not a SQLite database, or corrupt.
    """
    path = Path(db_path)
    if not path.exists():
        if not create:
            raise StorageError(
                "workspace database not found",
                path=path,
                hint="run a command that writes to the workspace first, or check --store",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    elif path.is_dir():
        raise StorageError("expected a SQLite file but found a folder", path=path)
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            conn.close()
            raise StorageError(
                f"database is corrupt ({ok})",
                path=path,
                hint="restore it from a backup; spmkb will not write to it",
            )
        conn.executescript(_BASE + "".join(_SCHEMAS.values()))
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"cannot open workspace database: {exc}",
            path=path,
            hint="the file is not a valid SQLite database; restore it from a backup "
            "or move it away to start a new one",
        ) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``/``ROLLBACK``)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise StorageError(f"database is busy: {exc}", hint="try again in a moment") from None
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
