"""The progress store: append-only versions, optimistic concurrency, crash safety, with real
processes racing for the same hire and a process killed while it holds the write lock."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spmkb.errors import ConflictError, OnboardingError
from spmkb.onboarding import progress

REPO = Path(__file__).resolve().parents[2]


def test_versions_are_appended_and_folded(tmp_path: Path) -> None:
    conn = progress.open_db(tmp_path / "spmkb.db")
    e1 = progress.save_event(conn, "R1", "Ann", "enrol", {"track": "ae", "start": "2026-01-05"},
                             author="lead", expected_version=0)  # fmt: skip
    e2 = progress.save_event(conn, "R1", "Ann", "complete", {"on": "2026-01-09"}, author="mgr",
                             expected_version=1, module="week-1")  # fmt: skip
    e3 = progress.save_event(conn, "R1", "Ann", "note", {"text": "  good start "}, author="mgr",
                             expected_version=2)  # fmt: skip
    assert (e1.version, e2.version, e3.version) == (1, 2, 3)
    rec = progress.record(conn, "R1")
    assert rec.version == 3
    assert rec.enrolment == {"track": "ae", "start": "2026-01-05"}
    assert list(rec.completed) == ["week-1"]
    assert rec.notes[0].payload["text"] == "good start"
    assert [e.kind for e in progress.events(conn, "R1")] == ["enrol", "complete", "note"]


def test_stale_version_is_a_conflict_and_writes_nothing(tmp_path: Path) -> None:
    conn = progress.open_db(tmp_path / "spmkb.db")
    progress.save_event(conn, "R1", "Ann", "note", {"text": "a"}, author="x", expected_version=0)
    with pytest.raises(ConflictError, match="you edited version 0, version 1 was saved"):
        progress.save_event(conn, "R1", "Ann", "note", {"text": "b"}, author="y",
                            expected_version=0)  # fmt: skip
    assert progress.record(conn, "R1").version == 1


def test_completing_twice_is_refused_and_keeps_the_first(tmp_path: Path) -> None:
    conn = progress.open_db(tmp_path / "spmkb.db")
    progress.save_event(conn, "R1", "Ann", "complete", {"on": "2026-01-09"}, author="m",
                        expected_version=0, module="week-1")  # fmt: skip
    with pytest.raises(OnboardingError, match="Ann already completed week-1 \\(version 1"):
        progress.save_event(conn, "R1", "Ann", "complete", {"on": "2026-02-01"}, author="m",
                            expected_version=1, module="week-1")  # fmt: skip
    rec = progress.record(conn, "R1")
    assert rec.version == 1 and rec.completed["week-1"].payload == {"on": "2026-01-09"}


def test_versions_cannot_be_updated_or_deleted(tmp_path: Path) -> None:
    conn = progress.open_db(tmp_path / "spmkb.db")
    progress.save_event(conn, "R1", "Ann", "note", {"text": "a"}, author="x", expected_version=0)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE onboarding_events SET author = 'z'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM onboarding_events")


_RACER = """
import sys
from spmkb.errors import ConflictError
from spmkb.onboarding import progress
conn = progress.open_db(sys.argv[1])
try:
    progress.save_event(conn, "R1", "Ann", "note", {"text": sys.argv[2]}, author=sys.argv[2],
                        expected_version=0)
    print("saved")
except ConflictError:
    print("conflict")
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_processes_racing_on_one_version_one_wins(tmp_path: Path) -> None:
    """Four processes all start from version 0: exactly one saves, three get a conflict."""
    db = tmp_path / "spmkb.db"
    progress.open_db(db).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(db), f"writer{i}"],
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for i in range(4)
    ]
    outs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outs == ["conflict", "conflict", "conflict", "saved"]
    rec = progress.record(progress.open_db(db), "R1")
    assert rec.version == 1 and len(rec.notes) == 1


_KILLED = """
import sys, time
from spmkb import storage
from spmkb.onboarding import progress
conn = progress.open_db(sys.argv[1])
with storage.transaction(conn):
    conn.execute("INSERT INTO onboarding_hires (rep_id, name, created_at, version) "
                 "VALUES ('R1', 'Ann', 'now', 1)")
    conn.execute("INSERT INTO onboarding_events VALUES ('R1', 1, 'note', NULL, 'x', 'now', '{}')")
    print("inside", flush=True)
    time.sleep(60)
"""


def test_a_process_killed_mid_save_leaves_the_previous_version(tmp_path: Path) -> None:
    db = tmp_path / "spmkb.db"
    conn = progress.open_db(db)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED, str(db)], stdout=subprocess.PIPE,
                            text=True, env=_env())  # fmt: skip
    assert proc.stdout.readline().strip() == "inside"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.1)
    assert progress.record(conn, "R1").version == 0
    ev = progress.save_event(conn, "R1", "Ann", "note", {"text": "after"}, author="y",
                             expected_version=0)  # fmt: skip
    assert ev.version == 1 and progress.events(conn, "R1")[0].payload == {"text": "after"}
