"""Save and load deal data in the workspace layout (one Parquet file per table).

A deal folder holds ``opportunities.parquet``, ``stage_history.parquet``,
``activities.parquet``, ``reps.parquet`` and ``quotas.parquet`` (a missing optional table
loads as empty) plus ``import.json`` (where the data came from). :func:`save_deal_data`
writes a temporary sibling folder and swaps it in with renames, so a failed import never
leaves a half-written store behind.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from spmkb.deals.schema import TABLES, DealData, empty_frame
from spmkb.errors import DealDataError

_NOTHING = "run `spmkb deals import FILE` (or generate the sample data) first"


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
    tmp = folder.parent / f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}"
    old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        for table in TABLES:
            frame = data.table(table)
            frame.to_parquet(tmp / f"{table}.parquet", index=False)
        for name, frame in (extra_csv or {}).items():
            frame.to_csv(tmp / name, index=False)
        info = {"saved_at": datetime.now(UTC).isoformat(timespec="seconds"), **(meta or {})}
        (tmp / "import.json").write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
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


def _read(path: Path) -> pd.DataFrame:
    from spmkb.deals.io import read_table

    return read_table(path)


def read_folder(folder: Path) -> DealData:
    """Read a deal folder in the store layout (Parquet, or CSV copies) into :class:`DealData`."""
    from spmkb.deals.parse import cast_table as _cast
    from spmkb.deals.parse import check_columns

    tables: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        for ext in ("parquet", "csv"):
            path = folder / f"{table}.{ext}"
            if path.is_file():
                frame = _read(path)
                check_columns(frame, table, path)
                tables[table] = _cast(frame, table)
                break
        else:
            if table == "opportunities":
                raise DealDataError(
                    "no opportunities.parquet in the deal folder", path=folder, hint=_NOTHING
                )
            tables[table] = empty_frame(table)
    return DealData(**tables)


def load_deal_data(settings: Any = None, folder: Path | str | None = None) -> DealData:
    """Load deal data: ``folder``, else ``settings.deals`` (folder or export file), else the store's import."""
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            raise DealDataError("deal data folder not found", path=folder, hint=_NOTHING)
        return read_folder(folder)
    if settings is None:
        from spmkb.config import load_settings

        settings = load_settings()
    if settings.deals is not None:
        source = Path(settings.deals)
        if source.is_dir() and any(
            (source / f"opportunities.{e}").is_file() for e in ("parquet", "csv")
        ):
            return read_folder(source)
        from spmkb.deals.validate import check_deals

        return check_deals(source, settings=settings).data
    store = settings.deals_store
    if not (store / "opportunities.parquet").is_file():
        raise DealDataError("no deal data imported yet", path=store, hint=_NOTHING)
    return read_folder(store)


def import_info(folder: Path) -> dict[str, Any]:
    """Return the ``import.json`` metadata of a deal folder (empty when absent)."""
    path = Path(folder) / "import.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


__all__ = ["import_info", "load_deal_data", "read_folder", "save_deal_data"]
