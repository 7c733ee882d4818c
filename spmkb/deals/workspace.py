"""The workspace's deal data: import an export into the store, load what dashboards read.

:func:`import_deals` validates an export (:func:`~spmkb.deals.validate.check_deals`) and
saves the valid rows into ``<store>/deals/`` (:func:`~spmkb.deals.store.save_deal_data`).
An import with no valid row keeps the previous data unless ``allow_empty`` says otherwise.
:func:`load_deal_data` reads the folder or file named by the ``deals`` setting, else the
store's last import (first repairing it after a killed import).
"""

from __future__ import annotations

import time
from pathlib import Path

from spmkb.config import Settings
from spmkb.csvsafe import write_csv
from spmkb.deals.report import ImportReport
from spmkb.deals.schema import DealData
from spmkb.deals.store import (
    has_deal_data,
    import_info,
    read_store,
    recover_folder,
    save_deal_data,
)
from spmkb.deals.validate import check_deals
from spmkb.errors import DealDataError

_NOTHING = "run `spmkb deals import FILE` (or generate the sample data) first"


def load_deal_data(settings: Settings, folder: Path | str | None = None) -> DealData:
    """Load deal data: ``folder``, else ``settings.deals`` (folder or export file), else the store's import."""
    if folder is not None:
        folder = Path(folder)
        if not folder.is_dir():
            recover_folder(folder)
        if not folder.is_dir():
            raise DealDataError("deal data folder not found", path=folder, hint=_NOTHING)
        return read_store(folder)
    if settings.deals is not None:
        source = Path(settings.deals)
        if not source.exists():
            recover_folder(source)
        if has_deal_data(source):
            return read_store(source)
        return check_deals(source, settings=settings).data
    return read_store(settings.deals_store)


def deal_data_stamp(settings: Settings) -> tuple[str, int | None, int | None]:
    """What changes when the workspace's deal data is re-imported: the opportunities file's
    path, mtime and size (``None``s while there is none), read without loading anything."""
    source = Path(settings.deals) if settings.deals is not None else Path(settings.deals_store)
    target = source / "opportunities.parquet" if not source.is_file() else source
    try:
        stat = target.stat()
    except OSError:
        return (str(target), None, None)
    return (str(target), stat.st_mtime_ns, stat.st_size)


def _previous(target: Path) -> str:
    """One phrase describing the deal data saved in ``target`` (or that there is none)."""
    if not (target / "opportunities.parquet").is_file():
        return "there was no previous import, so the workspace still has no deal data"
    info = import_info(target)
    n = (info.get("counts") or {}).get("loaded")
    src = Path(str(info.get("source") or "an earlier import")).name
    when = info.get("saved_at") or "an unknown time"
    deals = f"{n:,} deals" if isinstance(n, int) else "its deals"
    return f"the previous import ({deals} from {src}, saved {when}) is kept"


def import_deals(
    path: Path | str,
    *,
    settings: Settings,
    preset: str | None = None,
    folder: Path | str | None = None,
    allow_empty: bool = False,
) -> ImportReport:
    """Validate an export and save its valid rows to the workspace (``folder`` or ``settings.deals_store``).

    Rejected rows go to ``<name>.rejects.csv`` in the deal folder. When no row is valid
    (a header-only file, every row rejected) nothing is replaced unless ``allow_empty``:
    the previous data stays, ``report.saved_to`` is ``None`` and ``report.outcome`` says so
    (the rejects file then goes next to the deal folder).
    """
    t0 = time.perf_counter()
    target = Path(folder) if folder is not None else settings.deals_store
    restored = recover_folder(target)
    report = check_deals(path, preset=preset, settings=settings)
    if restored:
        report.notes.append(restored)
    name = Path(path).name.split(".")[0] or "deals"
    rejects_name = f"{name}.rejects.csv"
    loaded = int(report.counts["loaded"])
    if loaded == 0 and not allow_empty:
        why = "every row was rejected" if report.counts["rows"] else "the file has no data rows"
        report.outcome = (
            f"nothing saved: {why}; {_previous(target)}. Fix the export and import it again"
            " (or pass --allow-empty to replace the deal data with no deals)."
        )
        if not report.rejected.empty:
            target.parent.mkdir(parents=True, exist_ok=True)
            report.rejects_path = write_csv(report.rejected, target.parent / rejects_name)
        report.seconds = time.perf_counter() - t0
        return report
    had = (target / "opportunities.parquet").is_file()
    extra = {rejects_name: report.rejected} if not report.rejected.empty else {}
    meta = {"source": str(Path(path).resolve()), "preset": report.preset, "counts": report.counts}
    save_deal_data(report.data, target, extra_csv=extra, meta=meta)
    report.saved_to = target
    replaced = "replacing the previous import" if had else "the first import"
    report.outcome = f"saved {loaded:,} deals to {target} ({replaced})"
    if extra:
        report.rejects_path = target / rejects_name
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["import_deals", "load_deal_data"]
