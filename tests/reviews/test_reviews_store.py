"""Saved reviews: versions, status transitions, optimistic concurrency, crash safety."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spmkb.errors import ConflictError, ReviewError, StorageError
from spmkb.reviews import store

COMPS = ["discovery", "closing"]
PAYLOAD = {
    "ratings": {"discovery": 4, "closing": 3},
    "strengths": "Great discovery calls.",
    "development_areas": "Multi-threading in late stages.",
    "goals": [{"text": "Lift demo->proposal to 60%", "due": "2026-09-30"}],
    "action_items": [{"text": "Shadow Maya on two demos", "due": "2026-08-31"}],
    "self_assessment": "Felt strong on new logos.",
}


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A fresh workspace database path."""
    return tmp_path / "spmkb.db"


def test_save_appends_versions_and_reopen_returns_latest(db: Path) -> None:
    conn = store.open_db(db)
    v1 = store.save_review(
        conn,
        "Priya Nair",
        "2026-Q2",
        PAYLOAD,
        author="grace",
        expected_version=0,
        competencies=COMPS,
    )
    assert v1.version == 1
    assert v1.status == "draft"
    changed = {**PAYLOAD, "strengths": "Even better."}
    v2 = store.save_review(
        conn,
        "Priya Nair",
        "2026-Q2",
        changed,
        author="grace",
        expected_version=1,
        status="submitted",
        competencies=COMPS,
    )
    assert v2.version == 2
    again = store.open_db(db)
    latest = store.latest(again, "Priya Nair", "2026-Q2")
    assert latest is not None
    assert (latest.version, latest.status, latest.payload["strengths"]) == (
        2,
        "submitted",
        "Even better.",
    )
    history = store.versions(again, "Priya Nair", "2026-Q2")
    assert [(v.version, v.status) for v in history] == [(1, "draft"), (2, "submitted")]
    assert history[0].payload["strengths"] == "Great discovery calls."
    assert history[0].payload["goals"] == [
        {"text": "Lift demo->proposal to 60%", "due": "2026-09-30"}
    ]


def test_versions_are_append_only(db: Path) -> None:
    conn = store.open_db(db)
    store.save_review(conn, "A B", "2026-Q2", PAYLOAD, author="x", expected_version=0)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE review_versions SET author = 'y'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM review_versions")


@pytest.mark.parametrize(
    ("steps", "bad", "message"),
    [
        ([], "acknowledged", "cannot change status from None to acknowledged"),
        (["submitted", "acknowledged"], "draft", "an acknowledged review is final"),
        (["draft"], "done", "unknown status 'done'"),
    ],
    ids=["ack-before-submit", "ack-is-final", "unknown-status"],
)
def test_status_transitions(db: Path, steps: list[str], bad: str, message: str) -> None:
    conn = store.open_db(db)
    for i, status in enumerate(steps):
        store.save_review(
            conn, "A B", "2026-Q2", PAYLOAD, author="x", expected_version=i, status=status
        )
    with pytest.raises(ReviewError, match=message):
        store.save_review(
            conn, "A B", "2026-Q2", PAYLOAD, author="x", expected_version=len(steps), status=bad
        )
    latest = store.latest(conn, "A B", "2026-Q2")
    if steps:  # the refused save added nothing: the latest is still the last good one
        assert latest is not None
        assert latest.version == len(steps)
        assert latest.status == steps[-1]
    else:  # nothing was ever saved
        assert latest is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ratings": {"discovery": 6}}, "ratings.discovery"),
        ({"ratings": {"prospecting": 3}}, "ratings.prospecting"),
        ({"goals": [{"text": "x", "due": "next week"}]}, "goals[0].due"),
        ({"mood": "good"}, "mood"),
    ],
    ids=["rating-range", "unknown-competency", "bad-due-date", "unknown-field"],
)
def test_invalid_payload_names_field(db: Path, payload: dict, field: str) -> None:
    conn = store.open_db(db)
    with pytest.raises(ReviewError) as info:
        store.save_review(
            conn, "A B", "2026-Q2", payload, author="x", expected_version=0, competencies=COMPS
        )
    assert info.value.field == field
    assert store.latest(conn, "A B", "2026-Q2") is None


def test_submit_requires_every_rating(db: Path) -> None:
    conn = store.open_db(db)
    with pytest.raises(ReviewError, match="not rated: closing"):
        store.save_review(
            conn,
            "A B",
            "2026-Q2",
            {"ratings": {"discovery": 3}},
            author="x",
            expected_version=0,
            status="submitted",
            competencies=COMPS,
        )


def test_stale_save_conflicts_and_keeps_both_versions_apart(db: Path) -> None:
    a = store.open_db(db)
    b = store.open_db(db)
    store.save_review(a, "A B", "2026-Q2", PAYLOAD, author="ann", expected_version=0)
    with pytest.raises(ConflictError, match="version 1 was saved by ann"):
        store.save_review(b, "A B", "2026-Q2", PAYLOAD, author="bob", expected_version=0)
    assert [v.author for v in store.versions(a, "A B", "2026-Q2")] == ["ann"]


def _save_at_once(db: str, author: str, barrier, results) -> None:  # runs in a child process
    conn = store.open_db(db)
    barrier.wait()
    try:
        v = store.save_review(
            conn,
            "A B",
            "2026-Q2",
            {**PAYLOAD, "strengths": author},
            author=author,
            expected_version=1,
        )
        results.put(("saved", author, v.version))
    except ConflictError as err:
        results.put(("conflict", author, str(err)))


def test_two_processes_saving_at_once(db: Path) -> None:
    conn = store.open_db(db)
    store.save_review(conn, "A B", "2026-Q2", PAYLOAD, author="first", expected_version=0)
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_save_at_once, args=(str(db), name, barrier, results))
        for name in ("ann", "bob")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    outcome = sorted([results.get(timeout=5), results.get(timeout=5)])
    assert [o[0] for o in outcome] == ["conflict", "saved"]
    winner = outcome[1][1]
    assert "changed since you opened it" in outcome[0][2]
    history = store.versions(conn, "A B", "2026-Q2")
    assert [v.version for v in history] == [1, 2]
    assert history[1].author == winner
    assert history[1].payload["strengths"] == winner


def test_process_killed_mid_save_leaves_previous_version(db: Path) -> None:
    conn = store.open_db(db)
    store.save_review(conn, "A B", "2026-Q2", PAYLOAD, author="first", expected_version=0)
    conn.close()
    script = textwrap.dedent(f"""
        import json, os, signal
        from spmkb import storage
        from spmkb.reviews import store
        conn = store.open_db({str(db)!r})
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO review_versions VALUES (?, 2, 'ghost', 'now', 'draft', '{{}}')",
                     (store.review_id("A B", "2026-Q2"),))
        conn.execute("UPDATE reviews SET version = 2")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -9
    again = store.open_db(db)  # quick_check passes
    assert again.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    latest = store.latest(again, "A B", "2026-Q2")
    assert (latest.version, latest.author) == (1, "first")
    changed = {**PAYLOAD, "strengths": "Saved after the crash."}
    v2 = store.save_review(again, "A B", "2026-Q2", changed, author="second", expected_version=1)
    assert v2.version == 2


def test_unchanged_save_adds_no_version(db: Path) -> None:
    """Saving the same content and status again writes nothing and returns the latest version.

    v1 = PAYLOAD (draft). Same payload, same status, another author: still v1, one row.
    Same payload with status submitted: v2 (a status change is a change). Whitespace that
    cleaning strips ("Great discovery calls.  ") is no change either.
    """
    conn = store.open_db(db)
    v1 = store.save_review(conn, "A B", "2026-Q2", PAYLOAD, author="ann", expected_version=0)
    again = store.save_review(
        conn, "A B", "2026-Q2", {**PAYLOAD, "strengths": "Great discovery calls.  "},
        author="bob", expected_version=1,
    )  # fmt: skip
    assert (again.version, again.author, again.saved_at) == (1, "ann", v1.saved_at)
    assert [v.version for v in store.versions(conn, "A B", "2026-Q2")] == [1]
    submitted = store.save_review(
        conn, "A B", "2026-Q2", PAYLOAD, author="ann", expected_version=1, status="submitted"
    )
    assert submitted.version == 2
    assert [v.status for v in store.versions(conn, "A B", "2026-Q2")] == ["draft", "submitted"]


def test_unchanged_save_from_a_stale_form_is_still_a_conflict(db: Path) -> None:
    """An editor at v1 while v2 exists gets the conflict, even if their content equals v2's."""
    conn = store.open_db(db)
    store.save_review(conn, "A B", "2026-Q2", PAYLOAD, author="ann", expected_version=0)
    changed = {**PAYLOAD, "strengths": "v2"}
    store.save_review(conn, "A B", "2026-Q2", changed, author="bob", expected_version=1)
    with pytest.raises(ConflictError, match="changed since you opened it"):
        store.save_review(conn, "A B", "2026-Q2", changed, author="ann", expected_version=1)


def test_corrupt_database_is_a_clear_error_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "spmkb.db"
    db.write_bytes(b"this is not sqlite" * 100)
    before = db.read_bytes()
    with pytest.raises(StorageError, match=r"spmkb\.db"):
        store.open_db(db)
    assert db.read_bytes() == before


def test_missing_database_when_reading(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="workspace database not found"):
        store.open_db(tmp_path / "none.db", create=False)


@pytest.mark.parametrize(
    ("a", "b"),
    [("李雷", "王芳"), ("Anna O'Neil", "Anna O Neil"), ("José García", "Jose Garcia")],
)
def test_different_people_never_share_a_review_or_a_file(db: Path, a: str, b: str) -> None:
    """Two reps whose names differ only by script, punctuation or accents stay apart."""
    conn = store.open_db(db)
    store.save_review(conn, a, "2026-Q2", {"strengths": f"private to {a}"}, author="m",
                      expected_version=0)  # fmt: skip
    store.save_review(conn, b, "2026-Q2", {"strengths": f"private to {b}"}, author="m",
                      expected_version=0)  # fmt: skip
    assert store.latest(conn, a, "2026-Q2").payload["strengths"] == f"private to {a}"
    assert store.latest(conn, b, "2026-Q2").payload["strengths"] == f"private to {b}"
    assert store.slugify(a) != store.slugify(b)
    assert store.review_id(a, "2026-Q2") != store.review_id(b, "2026-Q2")


def test_file_names_stay_readable() -> None:
    assert store.slugify("Priya Nair") == "priya-nair"
    assert store.slugify("李雷") == "李雷"
    assert store.slugify("José García") == "josé-garcía"
    assert store.slugify("Anna O Neil") == "anna-o-neil"
    assert store.slugify("Anna O'Neil").startswith("anna-o-neil-")  # + a hash: the ' is lost
    assert store.review_id("Anna O'Néil", "2026-Q3") == "2026-Q3/Anna O'Néil"


def test_reviews_saved_under_old_slug_ids_keep_their_versions(db: Path) -> None:
    """A store written by an earlier spmkb (id ``<period>/<ascii slug>``) keeps working."""
    conn = store.open_db(db)
    conn.execute(
        "INSERT INTO reviews (review_id, rep, period, created_at) VALUES (?, ?, ?, ?)",
        ("2026-Q2/jose-garcia", "José García", "2026-Q2", "2026-07-01T00:00:00+00:00"),
    )
    conn.execute(
        "INSERT INTO review_versions VALUES ('2026-Q2/jose-garcia', 1, 'm', "
        "'2026-07-01T00:00:00+00:00', 'draft', '{\"strengths\": \"old\"}')"
    )
    conn.execute("UPDATE reviews SET version = 1, status = 'draft'")
    assert store.latest(conn, "José García", "2026-Q2").payload == {"strengths": "old"}
    v2 = store.save_review(conn, "José García", "2026-Q2", {"strengths": "new"}, author="m",
                           expected_version=1)  # fmt: skip
    assert (v2.review_id, v2.version) == ("2026-Q2/jose-garcia", 2)
    assert [v.version for v in store.versions(conn, "José García", "2026-Q2")] == [1, 2]
    assert store.latest(conn, "Jose Garcia", "2026-Q2") is None  # a different person
