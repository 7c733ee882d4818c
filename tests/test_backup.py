"""`spmkb backup` / `spmkb restore`: online backups of the workspace database while a real
process writes, and restores that refuse anything that is not an spmkb database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.errors import StorageError
from spmkb.storage import backup_database, check_spmkb_database, connect, restore_database

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: Each transaction inserts two rows of one batch and records the batch in meta: a
#: consistent copy has exactly 2 rows per batch and meta 'last' = the highest batch.
WRITER = """
import sys, time
from pathlib import Path
from spmkb.storage import connect, register_schema, transaction
register_schema("ticks", "CREATE TABLE IF NOT EXISTS ticks (batch INTEGER, part INTEGER);")
conn = connect(sys.argv[1])
ready = Path(sys.argv[2])
b = 0
while True:
    b += 1
    with transaction(conn):
        conn.execute("INSERT INTO ticks VALUES (?, 0)", (b,))
        time.sleep(0.001)
        conn.execute("INSERT INTO ticks VALUES (?, 1)", (b,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('last', ?)", (str(b),))
    if b == 20:
        ready.write_text("ready")
"""


def _consistent(path: Path) -> int:
    """Check a copy is consistent (2 rows per batch, meta 'last' = top batch); return its batches."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        torn = conn.execute(
            "SELECT batch FROM ticks GROUP BY batch HAVING COUNT(*) != 2"
        ).fetchall()
        assert torn == []
        top = conn.execute("SELECT COALESCE(MAX(batch), 0) FROM ticks").fetchone()[0]
        last = conn.execute("SELECT value FROM meta WHERE key = 'last'").fetchone()
        assert int(last[0]) == top
        n = conn.execute("SELECT COUNT(DISTINCT batch) FROM ticks").fetchone()[0]
        assert n == top  # no batch lost
        return int(top)
    finally:
        conn.close()


@pytest.fixture()
def writer(tmp_path: Path):
    """A real process that commits a transaction every few milliseconds to store/spmkb.db."""
    db = tmp_path / "store" / "spmkb.db"
    connect(db).close()
    ready = tmp_path / "writer-ready"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(ready)], env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the writer never committed 20 batches"
            time.sleep(0.05)
        yield db, proc
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_backup_while_another_process_writes(writer, tmp_path: Path) -> None:
    """Five backups taken while the writer commits: each is a consistent snapshot (no batch
    with one row, meta agrees), and the writer kept committing in between (later copies hold
    more batches; the writer was alive for all five)."""
    db, proc = writer
    tops = []
    for i in range(5):
        info = backup_database(db, tmp_path / "backups" / f"b{i}.db")
        assert proc.poll() is None  # the writer was running during the backup
        assert Path(info["backup"]).name == f"b{i}.db"
        tops.append(_consistent(Path(info["backup"])))
        time.sleep(0.2)
    assert tops == sorted(tops) and tops[-1] > tops[0] >= 20
    assert not list((tmp_path / "backups").glob(".*"))  # no temporary files left


def test_restore_keeps_a_copy_and_refuses_other_files(writer, tmp_path: Path) -> None:
    """Restore the first backup over a database that has moved on; the replaced database is
    kept as spmkb.db.before-restore-*; files that are not spmkb databases are refused."""
    db, proc = writer
    first = Path(backup_database(db, tmp_path / "first.db")["backup"])
    first_top = _consistent(first)
    time.sleep(0.3)
    proc.kill()
    proc.wait(timeout=30)
    current_top = _consistent(db)
    assert current_top > first_top

    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("hello, this is not a database\n", encoding="utf-8")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for bad, why in [(not_sqlite, "not a SQLite file"), (other, "without spmkb's meta table")]:
        with pytest.raises(StorageError, match=f"not an spmkb database: .*{why}"):
            restore_database(bad, db)
    assert not list(db.parent.glob("spmkb.db.before-restore-*"))  # refused before copying
    assert _consistent(db) == current_top

    info = restore_database(first, db)
    assert _consistent(db) == first_top
    kept = Path(str(info["previous_copy"]))
    assert kept.name.startswith("spmkb.db.before-restore-")
    assert _consistent(kept) == current_top
    check_spmkb_database(db)


def test_cli_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`spmkb backup DIR --json` names the file it wrote; `spmkb restore` brings back the
    meta row changed after the backup; a non-database file is refused with exit 1."""
    monkeypatch.chdir(tmp_path)
    for var in ("SPMKB_STORE", "SPMKB_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    conn = connect(tmp_path / "ws" / "spmkb.db")
    conn.execute("INSERT INTO meta VALUES ('owner', 'before')")
    result = runner.invoke(app, ["backup", "backups", "--store", "ws", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert Path(info["backup"]).resolve().parent == (tmp_path / "backups").resolve()
    assert info["tables"]["meta"] == 1
    conn.execute("UPDATE meta SET value = 'after' WHERE key = 'owner'")
    conn.close()

    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = runner.invoke(app, ["restore", str(bad), "--store", "ws"])
    assert refused.exit_code == 1
    assert "Error: " in refused.output and "not an spmkb database" in refused.output

    result = runner.invoke(app, ["restore", info["backup"], "--store", "ws"])
    assert result.exit_code == 0, result.output
    assert "The database it replaced is kept as" in result.output
    conn = sqlite3.connect(tmp_path / "ws" / "spmkb.db")
    assert conn.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()[0] == "before"
    conn.close()


def test_backup_refuses_to_overwrite(tmp_path: Path) -> None:
    db = tmp_path / "spmkb.db"
    connect(db).close()
    (tmp_path / "exists.db").write_text("keep me", encoding="utf-8")
    with pytest.raises(StorageError, match="the backup file already exists"):
        backup_database(db, tmp_path / "exists.db")
    assert (tmp_path / "exists.db").read_text(encoding="utf-8") == "keep me"
