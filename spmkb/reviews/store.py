"""Saved reviews in the workspace SQLite database: append-only versions, optimistic concurrency.

Tables (registered with :func:`spmkb.storage.register_schema`):

* ``reviews`` — one row per review (``review_id`` = ``<period>/<rep-slug>``): rep, period,
  team, notebook path, and the number and status of the latest version.
* ``review_versions`` — append-only: every save adds a row (version, author, timestamp,
  status, JSON payload). Triggers refuse UPDATE and DELETE.

Concurrency: :func:`save_review` takes ``expected_version`` (the version the editor started
from). Inside one ``BEGIN IMMEDIATE`` transaction it compares it with the stored latest
version; if someone saved in between it raises :class:`ConflictError` and writes nothing
(the second writer reloads and saves again). A process killed mid-save leaves the database
at the previous version because the insert and the ``reviews`` update commit together.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from spmkb import storage
from spmkb.deals.roster import rep_key
from spmkb.errors import ConflictError, NotFoundError, ReviewError
from spmkb.jsonable import Jsonable

STATUSES: tuple[str, ...] = ("draft", "submitted", "acknowledged")
#: status of the latest version (None = never saved) -> statuses a new save may have.
TRANSITIONS: dict[str | None, tuple[str, ...]] = {
    None: ("draft", "submitted"),
    "draft": ("draft", "submitted"),
    "submitted": ("submitted", "acknowledged", "draft"),
    "acknowledged": (),
}
TEXT_FIELDS: tuple[str, ...] = ("strengths", "development_areas", "self_assessment")
MAX_TEXT = 20_000

_REVIEWS = storage.Versioned("reviews", "review_versions", "review_id").register(
    "rep TEXT NOT NULL, period TEXT NOT NULL, team TEXT, notebook TEXT, created_at TEXT NOT NULL, "
    "version INTEGER NOT NULL DEFAULT 0, status TEXT, UNIQUE (rep, period)",
    "author TEXT NOT NULL, saved_at TEXT NOT NULL, status TEXT NOT NULL, payload TEXT NOT NULL",
)


def slugify(name: str) -> str:
    """A readable file name for a rep that never merges two people.

    Letters of every script are kept (``"李雷"`` -> ``李雷``, ``"José García"`` ->
    ``josé-garcía``); other characters become ``-``. When that drops more than spaces and case
    (``"Anna O'Neil"``), a short hash of the full name is appended, so ``Anna O Neil`` and
    ``Anna O'Neil`` get different files.
    """
    key = rep_key(name)
    slug = re.sub(r"[^\w]+|_", "-", key.casefold()).strip("-")
    if not slug:
        slug = "rep"
    if slug.replace("-", " ") != key.casefold():
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug}-{digest}"
    return slug


def review_id(rep: str, period: Any) -> str:
    """The id given to a NEW review of ``rep`` for ``period``: ``2026-Q3/Anna O'Neil``.

    Reviews are found by (rep, period) — see :func:`find_review_id` — so reviews saved under
    the ids of earlier versions (``2026-Q3/anna-o-neil``) keep working, versions and all.
    """
    return f"{period}/{rep_key(rep)}"


def find_review_id(conn: sqlite3.Connection, rep: str, period: Any) -> str:
    """The id of the stored review of ``rep`` for ``period``, or the id a new one gets."""
    row = conn.execute(
        "SELECT review_id FROM reviews WHERE rep = ? AND period = ?", (rep_key(rep), str(period))
    ).fetchone()
    return row["review_id"] if row else review_id(rep, period)


@dataclass
class ReviewVersion(Jsonable):
    """One saved version of a review."""

    review_id: str
    rep: str
    period: str
    version: int
    author: str
    saved_at: str
    status: str
    payload: dict[str, Any] = field(default_factory=dict)


#: Open the workspace database (StorageError naming the file when missing or corrupt).
open_db = storage.connect


def _clean_text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ReviewError(f"must be text, got {type(value).__name__}", field=name)
    if len(value) > MAX_TEXT:
        raise ReviewError(f"is longer than {MAX_TEXT} characters", field=name, hint="shorten it")
    return value.replace("\x00", "").strip()


def _clean_date(value: Any, name: str) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        raise ReviewError(f"invalid date {value!r}", field=name, hint="use YYYY-MM-DD") from None


def _clean_rows(rows: Any, name: str, extra: tuple[str, ...]) -> list[dict[str, Any]]:
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ReviewError("must be a list", field=name)
    out = []
    for i, row in enumerate(rows):
        if isinstance(row, str):
            row = {"text": row}
        if not isinstance(row, dict):
            raise ReviewError("each entry must be a mapping with 'text'", field=f"{name}[{i}]")
        text = _clean_text(row.get("text"), f"{name}[{i}].text")
        if not text:
            continue  # empty rows in the form are ignored
        item: dict[str, Any] = {
            "text": text,
            "due": _clean_date(row.get("due"), f"{name}[{i}].due"),
        }
        for key in extra:
            if key in row and row[key] is not None:
                item[key] = row[key]
        out.append(item)
    return out


def validate_payload(
    payload: dict[str, Any], competencies: list[str] | None = None, status: str = "draft"
) -> dict[str, Any]:
    """Check and normalise a review payload; raise ReviewError naming the bad field."""
    if not isinstance(payload, dict):
        raise ReviewError("review payload must be a mapping")
    known = {"ratings", "goals", "action_items", *TEXT_FIELDS}
    for key in payload:
        if key not in known:
            raise ReviewError(
                f"unknown field '{key}'", field=key, hint="allowed: " + ", ".join(sorted(known))
            )
    ratings_in = payload.get("ratings") or {}
    if not isinstance(ratings_in, dict):
        raise ReviewError("must map competency id to a rating 1-5", field="ratings")
    ratings: dict[str, int] = {}
    for comp, value in ratings_in.items():
        if competencies is not None and comp not in competencies:
            raise ReviewError(
                f"unknown competency '{comp}'",
                field=f"ratings.{comp}",
                hint="rubric competencies: " + ", ".join(competencies),
            )
        if value in (None, 0):
            continue  # not rated yet
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise ReviewError(
                f"rating must be a whole number 1-5, got {value!r}", field=f"ratings.{comp}"
            )
        ratings[str(comp)] = value
    out: dict[str, Any] = {"ratings": ratings}
    for key in TEXT_FIELDS:
        out[key] = _clean_text(payload.get(key), key)
    out["goals"] = _clean_rows(payload.get("goals"), "goals", ("measure", "target", "met"))
    out["action_items"] = _clean_rows(
        payload.get("action_items"), "action_items", ("owner", "done")
    )
    if status in ("submitted", "acknowledged") and competencies:
        missing = [c for c in competencies if c not in ratings]
        if missing:
            raise ReviewError(
                "cannot submit: competencies not rated: " + ", ".join(missing),
                field="ratings",
                hint="rate every competency, or save as draft",
            )
    return out


def ensure_review(
    conn: sqlite3.Connection,
    rep: str,
    period: Any,
    *,
    team: str | None = None,
    notebook: str | None = None,
) -> str:
    """Create (or update the team/notebook of) the review row for ``rep`` and ``period``."""
    rep = rep_key(rep)
    rid = find_review_id(conn, rep, period)
    with storage.transaction(conn):
        conn.execute(
            "INSERT INTO reviews (review_id, rep, period, team, notebook, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(review_id) DO UPDATE SET "
            "team = COALESCE(excluded.team, reviews.team), "
            "notebook = COALESCE(excluded.notebook, reviews.notebook)",
            (rid, rep, str(period), team, notebook, storage.now()),
        )
    return rid


def _version_from_row(row: sqlite3.Row) -> ReviewVersion:
    return ReviewVersion(
        row["review_id"],
        row["rep"],
        row["period"],
        row["version"],
        row["author"],
        row["saved_at"],
        row["status"],
        json.loads(row["payload"]),
    )


_SELECT = (
    "SELECT v.review_id, r.rep, r.period, v.version, v.author, v.saved_at, v.status, v.payload "
    "FROM review_versions v JOIN reviews r USING (review_id) "
)


def latest(conn: sqlite3.Connection, rep: str, period: Any) -> ReviewVersion | None:
    """The latest saved version of a review, or ``None`` when it was never saved."""
    row = _REVIEWS.last(conn, _SELECT, find_review_id(conn, rep, period))
    return _version_from_row(row) if row else None


def versions(conn: sqlite3.Connection, rep: str, period: Any) -> list[ReviewVersion]:
    """Every saved version of a review, oldest first."""
    rows = _REVIEWS.history(conn, _SELECT, find_review_id(conn, rep, period))
    return [_version_from_row(r) for r in rows]


def get_version(conn: sqlite3.Connection, rep: str, period: Any, version: int) -> ReviewVersion:
    """One saved version; NotFoundError when it does not exist."""
    rid = find_review_id(conn, rep, period)
    row = conn.execute(
        _SELECT + "WHERE v.review_id = ? AND v.version = ?", (rid, version)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"review {rid} has no version {version}")
    return _version_from_row(row)


def save_review(
    conn: sqlite3.Connection,
    rep: str,
    period: Any,
    payload: dict[str, Any],
    *,
    author: str,
    expected_version: int,
    status: str = "draft",
    competencies: list[str] | None = None,
    team: str | None = None,
) -> ReviewVersion:
    """Append a new version if the latest is still ``expected_version``; else ConflictError.

    A save that changes nothing (same content and status as the latest version) writes
    nothing and returns the latest version, whose number is then ``expected_version``.
    """
    if status not in STATUSES:
        raise ReviewError(
            f"unknown status {status!r}", field="status", hint="use " + ", ".join(STATUSES)
        )
    author = storage.require_author(author, ReviewError, "enter your name before saving")
    clean = validate_payload(payload, competencies, status)
    rep = rep_key(rep)
    now = storage.now()
    with storage.transaction(conn):
        rid = find_review_id(conn, rep, period)  # inside the write lock: no race on a new id
        new, head = _REVIEWS.begin(
            conn,
            {"review_id": rid, "rep": rep, "period": str(period), "team": team, "created_at": now},
            expected=expected_version, what=f"review {rid}",
            hint="reload the review, re-apply your changes and save again", read="version, status",
        )  # fmt: skip
        current_status = head["status"] if head else None
        if head is not None and head["version"] and status == current_status:
            last = conn.execute(
                _SELECT + "WHERE v.review_id = ? AND v.version = ?", (rid, head["version"])
            ).fetchone()
            if last is not None and json.loads(last["payload"]) == clean:
                return _version_from_row(last)  # unchanged: no new version
        if status not in TRANSITIONS[current_status]:
            allowed = TRANSITIONS[current_status]
            raise ReviewError(
                f"cannot change status from {current_status} to {status}",
                field="status",
                hint=(
                    "an acknowledged review is final"
                    if not allowed
                    else "allowed next: " + ", ".join(allowed)
                ),
            )
        _REVIEWS.append(
            conn,
            {"review_id": rid, "version": new, "author": author, "saved_at": now, "status": status,
             "payload": json.dumps(clean, ensure_ascii=False, sort_keys=True)},
            {"version": new, "status": status},
        )  # fmt: skip
    return ReviewVersion(rid, rep, str(period), new, author, now, status, clean)


def review_rows(
    conn: sqlite3.Connection, *, team: str | None = None, period: Any = None, rep: str | None = None
) -> list[dict[str, Any]]:
    """Review rows (with latest version and payload) filtered by team, period and rep."""
    sql = (
        "SELECT r.review_id, r.rep, r.period, r.team, r.notebook, r.version, r.status, "
        "v.author, v.saved_at, v.payload FROM reviews r LEFT JOIN review_versions v "
        "ON v.review_id = r.review_id AND v.version = r.version WHERE 1=1"
    )
    args: list[Any] = []
    for col, value in (("team", team), ("period", period), ("rep", rep)):
        if value is not None:
            sql += f" AND r.{col} = ?"
            args.append(str(value))
    out = []
    for row in conn.execute(sql + " ORDER BY r.period, r.rep", args):
        d = dict(row)
        d["payload"] = json.loads(d["payload"]) if d["payload"] else None
        out.append(d)
    return out
