"""The workspace SQLite database (``<store>/spmkb.db``): search log, reviews, onboarding progress.

Each domain registers its tables with :func:`register_schema` at import time; :func:`connect`
creates what is missing. Connections use WAL and a busy timeout so that several processes
(a notebook, the CLI, the web app) can share one database; writes go through
:func:`transaction`, which takes the write lock up front (``BEGIN IMMEDIATE``) so a killed
process leaves the database as it was before the transaction. :func:`backup_database` and
:func:`restore_database` copy it with SQLite's online backup API (safe while others write).
:class:`Versioned` is the one pattern of versioned, append-only documents (reviews, onboarding
progress, coaching plans and posts): a head table, a versions table whose triggers refuse UPDATE
and DELETE, and saves that name the version they started from.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spmkb.errors import ConflictError, StorageError

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


def _stamp() -> str:
    """A file-name-safe UTC time stamp (``20261130-131500``)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _summary(conn: sqlite3.Connection) -> dict[str, int]:
    """Row count of every table in a database (sorted by table name)."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


def check_spmkb_database(path: Path | str) -> dict[str, int]:
    """Open ``path`` read-only and return its tables' row counts; raise unless it is an spmkb database.

    An spmkb database is a SQLite file that passes ``PRAGMA quick_check`` and has the
    ``meta`` table every workspace database is created with.
    """
    path = Path(path)
    hint = "give a file written by `spmkb backup` (or a copy of a workspace's spmkb.db)"
    if not path.is_file():
        raise StorageError("backup file not found", path=path, hint=hint)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = _summary(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"not an spmkb database: not a SQLite file ({exc})", path=path, hint=hint
        ) from None
    if ok != "ok":
        raise StorageError(
            f"not an spmkb database: the file is corrupt ({ok})", path=path, hint=hint
        )
    if "meta" not in tables:
        raise StorageError(
            "not an spmkb database: a SQLite file without spmkb's meta table", path=path, hint=hint
        )
    return tables


def backup_database(db_path: Path | str, dest: Path | str) -> dict[str, object]:
    """Copy the workspace database to ``dest`` with SQLite's online backup API; return a summary.

    Safe while other processes write: the copy is one consistent snapshot (in WAL mode a
    reader does not block writers). ``dest`` may be a folder, existing or a new name without
    an extension (the file is then ``spmkb-<UTC time>.db`` inside it); an existing file is
    never overwritten. The copy is written
    under a temporary name and renamed when complete and checked.
    """
    db_path, dest = Path(db_path), Path(dest)
    if not db_path.is_file():
        raise StorageError(
            "workspace database not found", path=db_path, hint="check --store (env SPMKB_STORE)"
        )
    if dest.is_dir() or (not dest.exists() and not dest.suffix):
        dest = dest / f"spmkb-{_stamp()}.db"
    if dest.exists():
        raise StorageError(
            "the backup file already exists", path=dest, hint="choose a new file name or a folder"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        src = sqlite3.connect(str(db_path), timeout=30.0)
        try:
            src.execute("PRAGMA busy_timeout = 30000")
            out = sqlite3.connect(str(tmp))
            try:
                src.backup(out)  # all pages in one step: one consistent snapshot
                out.execute("PRAGMA journal_mode = DELETE")  # a single self-contained file
            finally:
                out.close()
        finally:
            src.close()
        tables = check_spmkb_database(tmp)
        os.replace(tmp, dest)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"backup failed: {exc}", path=db_path) from None
    except OSError as exc:
        raise StorageError(
            f"cannot write the backup: {exc.strerror or exc}", path=dest, hint="check the folder"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return {
        "database": str(db_path),
        "backup": str(dest),
        "bytes": dest.stat().st_size,
        "tables": tables,
    }


def restore_database(src: Path | str, db_path: Path | str) -> dict[str, object]:
    """Replace the workspace database with the backup ``src``; return a summary.

    Refuses a file that is not an spmkb database. The current database is first copied to
    ``spmkb.db.before-restore-<UTC time>`` next to it. The backup is copied in with SQLite's
    backup API, so processes that have the database open see the restored content and WAL
    files stay consistent.
    """
    src, db_path = Path(src), Path(db_path)
    tables = check_spmkb_database(src)
    if db_path.exists() and src.resolve() == db_path.resolve():
        raise StorageError("cannot restore the workspace database onto itself", path=src)
    previous = None
    if db_path.exists():
        previous = db_path.with_name(f"{db_path.name}.before-restore-{_stamp()}")
        backup_database(db_path, previous)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(str(db_path), timeout=30.0)
            try:
                target.execute("PRAGMA busy_timeout = 30000")
                source.backup(target)
                target.execute("PRAGMA journal_mode = WAL")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"restore failed: {exc}",
            path=db_path,
            hint=f"the previous database is kept in {previous}" if previous else None,
        ) from None
    return {
        "database": str(db_path),
        "restored_from": str(src),
        "previous_copy": str(previous) if previous else None,
        "tables": tables,
    }


# --- versioned, append-only documents (reviews, onboarding progress, coaching plans) --------


def now() -> str:
    """The current UTC time as ISO text (seconds), as versions record it."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


def require_author(author: str | None, error: type[Exception], hint: str) -> str:
    """The author of a save, stripped; ``error("author is required")`` when there is none."""
    name = (author or "").strip()
    if not name:
        raise error("author is required", field="author", hint=hint)  # type: ignore[call-arg]
    return name


def append_only(table: str, what: str) -> str:
    """DDL: triggers that refuse UPDATE and DELETE on ``table`` (``what`` names it in the error)."""
    return "".join(
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}\n"
        f"BEGIN SELECT RAISE(ABORT, '{what} are append-only'); END;\n"
        for op in ("UPDATE", "DELETE")
    )


def next_version(
    conn: sqlite3.Connection,
    *,
    versions: str,
    key: str,
    value: object,
    current: int,
    expected: int,
    what: str,
    hint: str,
) -> int:
    """The version a save appends (``current + 1``), inside the caller's write transaction.

    When another writer saved since the version the editor started from (``expected``), raise
    :class:`ConflictError` naming who saved and when; nothing is written.
    """
    if current != expected:
        last = conn.execute(
            f"SELECT author, saved_at FROM {versions} WHERE {key} = ? AND version = ?",
            (value, current),
        ).fetchone()
        who = f" by {last['author']} at {last['saved_at']}" if last else ""
        raise ConflictError(
            f"{what} changed since you opened it (you edited version {expected}, "
            f"version {current} was saved{who})",
            hint=hint,
        )
    return current + 1


@dataclass(frozen=True)
class Versioned:
    """A store of versioned documents: a ``head`` table (one row per document, with its latest
    version) and an append-only ``versions`` table, both keyed on ``key``."""

    head: str
    versions: str
    key: str

    def register(self, head: str, versions: str, extra: str = "") -> Versioned:
        """Register (:func:`register_schema`) both tables and return this store.

        ``head`` lists the head table's columns after the key (``created_at``, ``version`` …);
        ``versions`` the versions table's after the key and ``version`` (``author``,
        ``saved_at``, ``payload`` …). Triggers refuse UPDATE and DELETE on versions (the error
        names them after the table: ``review versions are append-only``); ``extra`` is more DDL.
        """
        key, table = self.key, self.versions
        register_schema(
            self.head,
            f"CREATE TABLE IF NOT EXISTS {self.head} ({key} TEXT PRIMARY KEY, {head});\n"
            f"CREATE TABLE IF NOT EXISTS {table} ({key} TEXT NOT NULL REFERENCES "
            f"{self.head}({key}), version INTEGER NOT NULL, {versions}, "
            f"PRIMARY KEY ({key}, version));\n{extra}"
            + append_only(table, table.replace("_", " ")),
        )
        return self

    def history(self, conn: sqlite3.Connection, select: str, value: object) -> list[sqlite3.Row]:
        """Every version row of document ``value``, oldest first (``select``: ``SELECT … FROM
        <versions> v …``, ending in a space)."""
        sql = f"{select}WHERE v.{self.key} = ? ORDER BY v.version"
        return conn.execute(sql, (value,)).fetchall()

    def last(self, conn: sqlite3.Connection, select: str, value: object) -> sqlite3.Row | None:
        """The latest version row of document ``value`` (``None`` when it was never saved)."""
        sql = f"{select}WHERE v.{self.key} = ? ORDER BY v.version DESC LIMIT 1"
        return conn.execute(sql, (value,)).fetchone()

    def begin(
        self,
        conn: sqlite3.Connection,
        new_head: dict[str, object],
        *,
        expected: int,
        what: str,
        hint: str,
        read: str = "version",
    ) -> tuple[int, sqlite3.Row | None]:
        """Inside the caller's write transaction: the version a save appends, and the head row.

        The head row of ``new_head[key]`` (``read`` names the columns returned) is created from
        ``new_head`` when the document is new (the row returned is then ``None``); a stale
        ``expected`` version raises :class:`ConflictError` as :func:`next_version` does.
        """
        value = new_head[self.key]
        row = conn.execute(
            f"SELECT {read} FROM {self.head} WHERE {self.key} = ?", (value,)
        ).fetchone()
        if row is None:
            conn.execute(
                f"INSERT INTO {self.head} ({', '.join(new_head)}) "
                f"VALUES ({', '.join('?' * len(new_head))})",
                tuple(new_head.values()),
            )
        new = next_version(
            conn, versions=self.versions, key=self.key, value=value,
            current=row["version"] if row else 0, expected=expected, what=what, hint=hint,
        )  # fmt: skip
        return new, row

    def append(
        self, conn: sqlite3.Connection, version: dict[str, object], head: dict[str, object]
    ) -> None:
        """Insert the ``version`` row and set ``head`` (its version, status …) on its head row."""
        conn.execute(
            f"INSERT INTO {self.versions} ({', '.join(version)}) "
            f"VALUES ({', '.join('?' * len(version))})",
            tuple(version.values()),
        )
        sets = ", ".join(f"{column} = ?" for column in head)
        conn.execute(
            f"UPDATE {self.head} SET {sets} WHERE {self.key} = ?",
            (*head.values(), version[self.key]),
        )
