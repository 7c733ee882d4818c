"""Read and write deal folders (one Parquet file per table); crash-safe replacement.

A deal folder holds ``opportunities.parquet``, ``stage_history.parquet``,
``activities.parquet``, ``reps.parquet`` and ``quotas.parquet`` (a missing optional table
reads as empty) plus ``import.json`` (where the data came from).

:func:`save_deal_data` writes a hidden sibling ``.<name>.tmp-…`` folder, then swaps it in
with two renames (``<name>`` → ``.<name>.old-…``, tmp → ``<name>``) and removes the old
folder. Saves hold an exclusive lock on the parent folder, so two imports never interleave.
A process killed at any point leaves either the old folder in place, or the new one, or
(between the two renames) no ``<name>`` and the old data in ``.<name>.old-…``:
:func:`recover_folder` (run by every save and by every read that finds the folder missing)
puts that back and removes the leftovers. Which states a kill can leave is tested by
killing real processes (``SPMKB_TEST_PAUSE_AT``, see :func:`_checkpoint`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from spmkb.csvsafe import write_csv
from spmkb.deals.io import read_table
from spmkb.deals.parse import cast_table, check_columns
from spmkb.deals.schema import TABLES, DealData, empty_frame
from spmkb.errors import DealDataError

_NOTHING = "run `spmkb deals import FILE` (or generate the sample data) first"
#: Steps of :func:`save_deal_data` where a test can pause the process (then kill it).
PAUSE_STEPS: tuple[str, ...] = ("writing", "written", "moved-old", "swapped")


def _checkpoint(step: str) -> None:
    """Test hook: with ``SPMKB_TEST_PAUSE_AT=<step>``, announce the step and wait to be killed.

    The process writes ``<step>`` to the file named by ``SPMKB_TEST_PAUSE_FILE`` (when set)
    and sleeps; a test then kills it with SIGKILL to prove what a crash at that step leaves.
    """
    if os.environ.get("SPMKB_TEST_PAUSE_AT") != step:
        return
    marker = os.environ.get("SPMKB_TEST_PAUSE_FILE")
    if marker:  # written then renamed, so a test never reads it half-written
        tmp = Path(f"{marker}.tmp")
        tmp.write_text(step, encoding="utf-8")
        os.replace(tmp, marker)
    print(f"paused at {step}", file=sys.stderr, flush=True)
    time.sleep(600)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder``'s parent while saving or recovering.

    The lock is released by the kernel when the process dies, so a killed import never
    leaves a stale lock behind.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock
        yield
        return
    try:
        fd = os.open(folder.parent, os.O_RDONLY)
    except OSError:  # an unreadable parent: nothing to lock (a save then fails clearly)
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _leftovers(folder: Path, kind: str) -> list[Path]:
    """Hidden ``.<name>.<kind>-…`` siblings of ``folder``, oldest first."""
    found = [p for p in folder.parent.glob(f".{folder.name}.{kind}-*") if p.is_dir()]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns)


def _recover_unlocked(folder: Path) -> str | None:
    """Put back a previous folder stranded by a killed save; drop half-written leftovers."""
    restored = None
    olds = _leftovers(folder, "old")
    if not folder.exists() and olds:
        os.replace(olds[-1], folder)
        restored = f"restored the previous deal data from {olds[-1].name} (an import was killed)"
        olds = olds[:-1]
    for p in [*olds, *_leftovers(folder, "tmp")]:
        shutil.rmtree(p, ignore_errors=True)
    return restored


def recover_folder(folder: Path | str) -> str | None:
    """Repair ``folder`` after a killed save; return what was restored (``None`` if nothing).

    Takes the save lock, so it waits for a save in progress and never touches its files.
    """
    folder = Path(folder)
    if not folder.parent.is_dir():
        return None
    with _locked(folder):
        return _recover_unlocked(folder)


def save_deal_data(
    data: DealData,
    folder: Path | str,
    *,
    extra_csv: dict[str, pd.DataFrame] | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write ``data`` to ``folder`` atomically, replacing what was there; return the folder."""

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = folder.parent / f".{folder.name}.tmp-{tag}"
    old = folder.parent / f".{folder.name}.old-{tag}"
    with _locked(folder):
        _recover_unlocked(folder)
        try:
            tmp.mkdir()
            for table in TABLES:
                data.table(table).to_parquet(tmp / f"{table}.parquet", index=False)
                _checkpoint("writing")
            for name, frame in (extra_csv or {}).items():
                write_csv(frame, tmp / name)
            info = {"saved_at": datetime.now(UTC).isoformat(timespec="seconds"), **(meta or {})}
            text = json.dumps(info, indent=2, default=str)
            (tmp / "import.json").write_text(text, encoding="utf-8")
            _checkpoint("written")
            if folder.exists():
                os.replace(folder, old)
                _checkpoint("moved-old")
            os.replace(tmp, folder)
            _checkpoint("swapped")
        except OSError as exc:
            if old.exists() and not folder.exists():
                os.replace(old, folder)  # put the previous import back
            raise DealDataError(
                f"cannot save deal data: {exc.strerror or exc}",
                path=folder,
                hint="check that the store folder is writable and the disk is not full",
            ) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return folder


def read_folder(folder: Path) -> DealData:
    """Read a deal folder in the store layout (Parquet, or CSV copies) into :class:`DealData`."""
    tables: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        for ext in ("parquet", "csv"):
            path = folder / f"{table}.{ext}"
            if path.is_file():
                frame = read_table(path)
                check_columns(frame, table, path)
                tables[table] = cast_table(frame, table)
                break
        else:
            if table == "opportunities":
                raise DealDataError(
                    "no opportunities.parquet in the deal folder", path=folder, hint=_NOTHING
                )
            tables[table] = empty_frame(table)
    return DealData(**tables)


def has_deal_data(folder: Path) -> bool:
    """True when ``folder`` holds an opportunities table (Parquet or CSV)."""
    return folder.is_dir() and any(
        (folder / f"opportunities.{e}").is_file() for e in ("parquet", "csv")
    )


def _inode(folder: Path) -> int | None:
    """The folder's inode number (changes when an import swaps it in), ``None`` when absent."""
    try:
        return folder.stat().st_ino
    except OSError:
        return None


def read_store(folder: Path | str) -> DealData:
    """Read the workspace's imported deal folder, first repairing it after a killed import.

    When an import swaps the folder while it is being read (its inode changes, or a file
    vanishes), the read starts again, so the tables never mix two imports.
    """
    folder = Path(folder)
    for _attempt in range(5):
        if not (folder / "opportunities.parquet").is_file():
            recover_folder(folder)
        before = _inode(folder)
        if before is None:
            break
        try:
            data = read_folder(folder)
        except (DealDataError, FileNotFoundError):
            if _inode(folder) == before:
                raise  # a real problem with the folder, not a swap
            continue
        if _inode(folder) == before:
            return data
    if not (folder / "opportunities.parquet").is_file():
        raise DealDataError("no deal data imported yet", path=folder, hint=_NOTHING)
    raise DealDataError(
        "the deal data kept changing while it was read",
        path=folder,
        hint="wait for the running imports to finish and try again",
    )


def import_info(folder: Path) -> dict[str, Any]:
    """Return the ``import.json`` metadata of a deal folder (empty when absent)."""
    path = Path(folder) / "import.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


__all__ = [
    "PAUSE_STEPS",
    "has_deal_data",
    "import_info",
    "read_folder",
    "read_store",
    "recover_folder",
    "save_deal_data",
]
