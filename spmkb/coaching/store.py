"""Coaching plans and recognition posts in the workspace SQLite database: append-only versions.

The pattern of :mod:`spmkb.reviews.store`: a head table (one row per plan or post, with the
latest version and status) and an append-only versions table whose triggers refuse UPDATE and
DELETE. A save names the version it started from (``expected_version``); inside one
``BEGIN IMMEDIATE`` transaction a mismatch raises :class:`ConflictError` and writes nothing.
Plans are keyed on the rep's stable id (``rep_id``), never on the display name.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from spmkb import storage
from spmkb.errors import NotFoundError, SpmkbError
from spmkb.jsonable import Jsonable

KINDS: tuple[str, ...] = ("plan", "post")
STATUSES: dict[str, tuple[str, ...]] = {
    "plan": ("draft", "active", "closed"),
    "post": ("draft", "approved"),
}

_DOCS = storage.Versioned("coaching_docs", "coaching_versions", "doc_id").register(
    "kind TEXT NOT NULL, rep_id TEXT, rep TEXT, period TEXT, created_at TEXT NOT NULL, "
    "version INTEGER NOT NULL DEFAULT 0, status TEXT",
    "author TEXT NOT NULL, saved_at TEXT NOT NULL, status TEXT NOT NULL, payload TEXT NOT NULL",
    "CREATE INDEX IF NOT EXISTS coaching_docs_rep ON coaching_docs (kind, rep_id);\n",
)
#: Open the workspace database (StorageError naming the file when missing or corrupt).
open_db = storage.connect


@dataclass
class Saved(Jsonable):
    """One saved version of a plan or post."""

    doc_id: str
    kind: str
    rep_id: str | None
    period: str | None
    version: int
    author: str
    saved_at: str
    status: str
    payload: dict[str, Any] = field(default_factory=dict)


_SELECT = (
    "SELECT v.doc_id, d.kind, d.rep_id, d.period, v.version, v.author, v.saved_at, v.status, "
    "v.payload FROM coaching_versions v JOIN coaching_docs d USING (doc_id) "
)


def _row(row: sqlite3.Row) -> Saved:
    return Saved(
        row["doc_id"], row["kind"], row["rep_id"], row["period"], row["version"], row["author"],
        row["saved_at"], row["status"], json.loads(row["payload"]),
    )  # fmt: skip


def latest(conn: sqlite3.Connection, doc_id: str) -> Saved | None:
    """The latest version of a plan or post, or None when never saved."""
    row = _DOCS.last(conn, _SELECT, doc_id)
    return _row(row) if row else None


def versions(conn: sqlite3.Connection, doc_id: str) -> list[Saved]:
    """Every version of a plan or post, oldest first."""
    return [_row(r) for r in _DOCS.history(conn, _SELECT, doc_id)]


def find(
    conn: sqlite3.Connection, kind: str, *, rep_id: str | None = None, period: str | None = None
) -> list[Saved]:
    """Latest versions of every ``kind`` document, filtered by rep id and period."""
    sql = "SELECT doc_id FROM coaching_docs WHERE kind = ?"
    args: list[Any] = [kind]
    if rep_id is not None:
        sql += " AND rep_id = ?"
        args.append(rep_id)
    if period is not None:
        sql += " AND period = ?"
        args.append(str(period))
    ids = [r["doc_id"] for r in conn.execute(sql + " ORDER BY created_at, doc_id", args)]
    return [s for s in (latest(conn, i) for i in ids) if s is not None]


def save(
    conn: sqlite3.Connection,
    doc_id: str,
    kind: str,
    payload: dict[str, Any],
    *,
    author: str,
    expected_version: int,
    status: str = "draft",
    rep_id: str | None = None,
    rep: str | None = None,
    period: str | None = None,
) -> Saved:
    """Append a version if the latest is still ``expected_version``; ConflictError otherwise."""
    if kind not in KINDS:
        raise SpmkbError(f"unknown document kind {kind!r}")
    if status not in STATUSES[kind]:
        raise SpmkbError(
            f"unknown {kind} status {status!r}",
            field="status",
            hint="use " + ", ".join(STATUSES[kind]),
        )
    author = storage.require_author(author, SpmkbError, "give your name (--author)")
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    now = storage.now()
    with storage.transaction(conn):
        new, _head = _DOCS.begin(
            conn,
            {"doc_id": doc_id, "kind": kind, "rep_id": rep_id, "rep": rep, "period": period,
             "created_at": now},
            expected=expected_version, what=f"{kind} {doc_id}",
            hint=f"reload the {kind}, re-apply your changes and save again",
        )  # fmt: skip
        _DOCS.append(
            conn,
            {"doc_id": doc_id, "version": new, "author": author, "saved_at": now,
             "status": status, "payload": text},
            {"version": new, "status": status},
        )  # fmt: skip
    return Saved(doc_id, kind, rep_id, period, new, author, now, status, json.loads(text))


def get(conn: sqlite3.Connection, doc_id: str, kind: str) -> Saved:
    """The latest version of ``doc_id``; NotFoundError naming close ids when it does not exist."""
    hit = latest(conn, doc_id)
    if hit is None or hit.kind != kind:
        from spmkb.errors import suggest

        ids = [
            r["doc_id"]
            for r in conn.execute("SELECT doc_id FROM coaching_docs WHERE kind = ?", (kind,))
        ]
        raise NotFoundError(f"no {kind} {doc_id!r} saved", suggestions=suggest(doc_id, ids))
    return hit


__all__ = ["STATUSES", "Saved", "find", "get", "latest", "open_db", "save", "versions"]
