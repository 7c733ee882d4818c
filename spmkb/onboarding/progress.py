"""Onboarding progress in the workspace SQLite database: append-only, versioned, per hire.

Tables (registered with :func:`spmkb.storage.register_schema`):

* ``onboarding_hires`` — one row per hire, keyed on the rep's stable id from the roster
  (``Rep.id``, not a slug): name and the number of the latest version.
* ``onboarding_events`` — append-only: every save adds one version: ``enrol`` (track, start,
  calendar), ``plan`` (the curriculum version and module ids the plan was made from),
  ``complete`` (a module), ``certify`` (rubric levels, passed or not) and ``note``.
  Triggers refuse UPDATE and DELETE.

Every save takes ``expected_version`` (the version the caller read); inside one
``BEGIN IMMEDIATE`` transaction it is compared with the stored version, and a mismatch raises
:class:`~spmkb.errors.ConflictError` and writes nothing. A process killed mid-save leaves the
previous version: the event and the version bump commit together.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from spmkb import storage
from spmkb.errors import OnboardingError
from spmkb.jsonable import Jsonable

KINDS: tuple[str, ...] = ("enrol", "plan", "complete", "certify", "note")
MAX_NOTE = 10_000

_HIRES = storage.Versioned("onboarding_hires", "onboarding_events", "rep_id").register(
    "name TEXT NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0",
    "kind TEXT NOT NULL, module TEXT, author TEXT NOT NULL, saved_at TEXT NOT NULL, "
    "payload TEXT NOT NULL",
)


@dataclass
class Event(Jsonable):
    """One saved version of a hire's onboarding record."""

    rep_id: str
    version: int
    kind: str
    module: str | None
    author: str
    saved_at: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """A hire's stored state, folded from their events."""

    rep_id: str
    name: str | None = None
    version: int = 0
    enrolment: dict[str, Any] | None = None
    plan: dict[str, Any] | None = None
    completed: dict[str, Event] = field(default_factory=dict)  # module -> event
    certifications: dict[str, list[Event]] = field(default_factory=dict)  # module -> attempts
    notes: list[Event] = field(default_factory=list)

    def passed(self, module: str) -> Event | None:
        """The first passed certification attempt of ``module``, if any."""
        return next(
            (e for e in self.certifications.get(module, []) if e.payload.get("passed")), None
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "rep_id": self.rep_id,
            "name": self.name,
            "version": self.version,
            "enrolment": self.enrolment,
            "plan": self.plan,
            "completed": {k: v.to_dict() for k, v in self.completed.items()},
            "certifications": {k: [e.to_dict() for e in v] for k, v in self.certifications.items()},
            "notes": [e.to_dict() for e in self.notes],
        }


#: Open the workspace database (StorageError naming the file when missing or corrupt).
open_db = storage.connect


def _event(row: sqlite3.Row) -> Event:
    return Event(row["rep_id"], row["version"], row["kind"], row["module"], row["author"],
                 row["saved_at"], json.loads(row["payload"]))  # fmt: skip


def events(conn: sqlite3.Connection, rep_id: str) -> list[Event]:
    """Every saved version of a hire, oldest first."""
    rows = conn.execute(
        "SELECT * FROM onboarding_events WHERE rep_id = ? ORDER BY version", (rep_id,)
    ).fetchall()
    return [_event(r) for r in rows]


def fold(rep_id: str, evs: list[Event], name: str | None = None) -> Record:
    """The state after ``evs``: latest enrolment and plan, completions, attempts, notes."""
    rec = Record(rep_id, name)
    for e in evs:
        rec.version = e.version
        if e.kind == "enrol":
            rec.enrolment = e.payload
        elif e.kind == "plan":
            rec.plan = e.payload
        elif e.kind == "complete" and e.module:
            rec.completed.setdefault(e.module, e)
        elif e.kind == "certify" and e.module:
            rec.certifications.setdefault(e.module, []).append(e)
        elif e.kind == "note":
            rec.notes.append(e)
    return rec


def record(conn: sqlite3.Connection, rep_id: str) -> Record:
    """The stored record of one hire (empty, version 0, when nothing was saved)."""
    row = conn.execute("SELECT name FROM onboarding_hires WHERE rep_id = ?", (rep_id,)).fetchone()
    return fold(rep_id, events(conn, rep_id), row["name"] if row else None)


def records(conn: sqlite3.Connection) -> dict[str, Record]:
    """Every stored hire's record, by rep id (one query)."""
    names = {
        r["rep_id"]: r["name"] for r in conn.execute("SELECT rep_id, name FROM onboarding_hires")
    }
    by_rep: dict[str, list[Event]] = {}
    for row in conn.execute("SELECT * FROM onboarding_events ORDER BY rep_id, version"):
        by_rep.setdefault(row["rep_id"], []).append(_event(row))
    return {rid: fold(rid, by_rep.get(rid, []), names[rid]) for rid in names}


def save_event(
    conn: sqlite3.Connection,
    rep_id: str,
    name: str,
    kind: str,
    payload: dict[str, Any],
    *,
    author: str,
    expected_version: int,
    module: str | None = None,
) -> Event:
    """Append one version if the latest is still ``expected_version``; ConflictError otherwise.

    Completing a module twice is refused (OnboardingError naming the first completion).
    """
    if kind not in KINDS:
        raise OnboardingError(f"unknown event kind {kind!r}", hint="use " + ", ".join(KINDS))
    author = storage.require_author(author, OnboardingError, "give --author NAME")
    if kind == "note":
        text = str(payload.get("text") or "").replace("\x00", "").strip()
        if not text or len(text) > MAX_NOTE:
            raise OnboardingError(f"a note needs 1-{MAX_NOTE} characters", field="note")
        payload = {**payload, "text": text}
    now = storage.now()
    with storage.transaction(conn):
        new, _head = _HIRES.begin(
            conn, {"rep_id": rep_id, "name": name, "created_at": now},
            expected=expected_version, what=f"the onboarding record of {name}",
            hint="reload the hire's status and try again",
        )  # fmt: skip
        if kind == "complete":
            done = conn.execute(
                "SELECT version, saved_at FROM onboarding_events WHERE rep_id = ? AND kind = "
                "'complete' AND module = ?",
                (rep_id, module),
            ).fetchone()
            if done is not None:
                raise OnboardingError(
                    f"{name} already completed {module} (version {done['version']}, "
                    f"saved {done['saved_at']})",
                    field="module",
                    hint="nothing was changed; add a note instead if something needs saying",
                )
        _HIRES.append(
            conn,
            {"rep_id": rep_id, "version": new, "kind": kind, "module": module, "author": author,
             "saved_at": now, "payload": json.dumps(payload, ensure_ascii=False, sort_keys=True,
                                                    default=str)},
            {"version": new, "name": name},
        )  # fmt: skip
    return Event(rep_id, new, kind, module, author, now, payload)


def iso(value: date | str | None) -> str | None:
    """A date as ISO text (None stays None)."""
    return value.isoformat() if isinstance(value, date) else value


__all__ = [
    "KINDS",
    "Event",
    "Record",
    "events",
    "fold",
    "open_db",
    "record",
    "records",
    "save_event",
]
