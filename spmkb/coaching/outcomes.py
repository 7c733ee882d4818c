"""Content and outcomes: per stage, which assets were opened on deals that were won vs lost.

The opens come from two sources, named in the report (:func:`gather_asset_opens`):
``asset_opens.csv`` next to the deal tables (rep, opportunity_id, asset_id, stage, opened_at —
an export, or what the sample writes) and the search log, where the before-the-call and search
panels record every asset opened for a picked deal with the deal's stage at that moment. An
open both sources hold (same deal, asset and stage) counts once; an open dated after its deal
closed is left out (it cannot have helped win it).

For each (stage, asset), the closed deals
that reached the stage are split into those where the asset was opened at that stage and
those where it was not; each side's win rate has a Wilson interval and its n, the difference a
two-proportion test, and Benjamini–Hochberg controls the false discovery rate across every
(stage, asset). This is an **association, not a cause**: reps who open an asset may be the
ones who would win anyway, and deals that live longer have more chances to have it opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmkb.coaching.stats import wilson
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError

NOTE = (
    "association, not cause: reps who open an asset may win more anyway, and deals that live "
    "longer have more chances to have it opened"
)
COLUMNS = ("opportunity_id", "asset_id", "stage")
#: Names of the two sources of opens, as the report shows them.
CSV_SOURCE = "asset_opens.csv"
LOG_SOURCE = "panels"
NO_OPENS_HINT = (
    "open assets for a deal in the before-the-call or search notebooks (pick the deal first), "
    "or put an asset_opens.csv (rep, opportunity_id, asset_id, stage, opened_at) in the deal "
    "folder; `spmkb sample-data` writes one"
)


def load_asset_opens(folder: Path | str) -> pd.DataFrame:
    """Read ``asset_opens.csv`` from a deal folder; DealDataError naming the file and column."""
    path = Path(folder) / "asset_opens.csv"
    if not path.is_file():
        raise DealDataError(
            "no asset opens recorded",
            path=path,
            hint="export which assets were opened on which deals (rep, opportunity_id, asset_id, "
            "stage, opened_at); `spmkb sample-data` writes one",
        )
    frame = pd.read_csv(path, dtype=str)
    for col in COLUMNS:
        if col not in frame:
            raise DealDataError(
                "missing column", path=path, field=col, hint="columns: " + ", ".join(COLUMNS)
            )
    return frame


def logged_asset_opens(settings: Any) -> pd.DataFrame:
    """Opens the panels logged for a deal (search log), as ``asset_opens`` rows."""
    from spmkb.search.log import read_deal_opens

    log = read_deal_opens(settings)
    opened = pd.to_datetime(log["ts"], utc=True, errors="coerce").dt.tz_localize(None)
    return pd.DataFrame(
        {
            "opportunity_id": log["deal_id"].astype(str),
            "asset_id": log["asset_id"].astype(str),
            "stage": log["deal_stage"],
            "opened_at": opened.dt.normalize(),
        }
    )


@dataclass
class AssetOpens:
    """Asset opens from every source, de-duplicated, with what was counted and left out."""

    frame: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    both: int = 0
    after_close: int = 0
    no_stage: int = 0

    def summary(self) -> str:
        """One line: how many opens each source gave, overlaps and what was left out."""
        parts = [f"{n:,} from {src}" for src, n in self.counts.items()]
        text = "Opens: " + (", ".join(parts) if parts else "none")
        if self.both:
            text += f" ({self.both:,} in both, counted once)"
        if self.after_close:
            text += f"; {self.after_close:,} opened after the deal closed, not counted"
        if self.no_stage:
            text += f"; {self.no_stage:,} without a stage, not counted"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict."""
        return {"sources": dict(self.counts), "in_both": self.both,
                "after_close": self.after_close, "no_stage": self.no_stage}  # fmt: skip


def gather_asset_opens(
    data: DealData, *, folder: Path | str | None = None, settings: Any | None = None
) -> AssetOpens:
    """Opens from ``folder``'s asset_opens.csv and from the search log of ``settings``, combined.

    Each row keeps a ``source`` naming where it came from (``asset_opens.csv``, ``panels``, or
    both joined by " + "); the same (deal, asset, stage) counts once. Opens dated after their
    deal's close date, and logged opens without a stage, are left out and counted.
    DealDataError when neither source holds any open.
    """
    parts: list[pd.DataFrame] = []
    counts: dict[str, int] = {}
    if folder is not None and (Path(folder) / "asset_opens.csv").is_file():
        csv = load_asset_opens(folder)
        parts.append(csv.assign(source=CSV_SOURCE))
        counts[CSV_SOURCE] = len(csv)
    if settings is not None:
        logged = logged_asset_opens(settings)
        if len(logged):
            parts.append(logged.assign(source=LOG_SOURCE))
            counts[LOG_SOURCE] = len(logged)
    if not parts:
        raise DealDataError(
            "no asset opens recorded",
            path=Path(folder) / "asset_opens.csv" if folder is not None else None,
            hint=NO_OPENS_HINT,
        )
    cols = [*COLUMNS, "opened_at", "source"]
    frame = pd.concat([p.reindex(columns=cols) for p in parts], ignore_index=True)
    stage = frame["stage"].astype("string").str.strip().str.lower()
    no_stage = stage.isna() | stage.eq("")
    frame = frame.assign(opportunity_id=frame["opportunity_id"].astype(str),
                         asset_id=frame["asset_id"].astype(str), stage=stage)[~no_stage]  # fmt: skip
    opened = pd.to_datetime(frame["opened_at"], errors="coerce")
    o = data.opportunities
    closed = o["status"].astype(str).str.lower().isin(["won", "lost"])
    close = pd.Series(pd.to_datetime(o["close_date"]).where(closed).to_numpy(),
                      index=o["id"].astype(str))  # fmt: skip
    close = close[~close.index.duplicated()]
    deal_close = frame["opportunity_id"].map(close)
    late = (opened.dt.normalize() > deal_close).to_numpy()
    frame = frame[~late]
    key = list(COLUMNS)
    sources = frame.groupby(key, sort=False)["source"].agg(lambda s: " + ".join(sorted(set(s))))
    both = int(sources.str.contains(" + ", regex=False).sum())
    first = frame.drop_duplicates(key).drop(columns="source")
    first = first.merge(sources.rename("source").reset_index(), on=key, how="left")
    return AssetOpens(
        first.reset_index(drop=True), counts, both, int(late.sum()), int(no_stage.sum())
    )


def asset_outcomes(
    data: DealData, opens: pd.DataFrame, *, min_n: int = 20, fdr: float = 0.05
) -> pd.DataFrame:
    """Win rate of closed deals reaching each stage with vs without each asset opened there."""
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportions_ztest

    o = data.opportunities
    status = o["status"].astype(str).str.lower()
    closed = o.loc[status.isin(["won", "lost"]).to_numpy(), ["id"]].assign(
        won=status[status.isin(["won", "lost"])].eq("won").to_numpy()
    )
    closed["id"] = closed["id"].astype(str)
    hist = data.stage_history
    if not len(hist):
        raise DealDataError(
            "asset outcomes need stage history (which deals reached each stage)",
            hint="import the stage history with the deals",
        )
    reached = pd.DataFrame(
        {"id": hist["opportunity_id"].astype(str), "stage": hist["stage"].astype(str).str.lower()}
    )
    reached = reached.drop_duplicates().merge(closed, on="id")
    src = opens["source"] if "source" in opens else pd.Series("given table", index=opens.index)
    op = pd.DataFrame({"id": opens["opportunity_id"].astype(str), "asset": opens["asset_id"].astype(str),
                       "stage": opens["stage"].astype(str).str.lower(), "source": src.astype(str)})  # fmt: skip
    rows = []
    for (stage, asset), g in op.groupby(["stage", "asset"], sort=True):
        base = reached[reached["stage"] == stage]
        if base.empty:
            continue
        opened = base["id"].isin(set(g["id"]))
        x1, n1 = int(base["won"][opened].sum()), int(opened.sum())
        x0, n0 = int(base["won"][~opened].sum()), int((~opened).sum())
        lo1, hi1 = wilson(x1, n1)
        lo0, hi0 = wilson(x0, n0)
        p = np.nan
        if n1 and n0 and 0 < x1 + x0 < n1 + n0:
            p = float(proportions_ztest([x1, x0], [n1, n0])[1])
        named = " + ".join(sorted({p for s in g["source"] for p in s.split(" + ")}))
        rows.append((stage, asset, n1, x1 / n1 if n1 else np.nan, lo1, hi1, n0,
                     x0 / n0 if n0 else np.nan, lo0, hi0, p, named))  # fmt: skip
    cols = ["stage", "asset", "n_opened", "win_rate_opened", "opened_low", "opened_high",
            "n_not_opened", "win_rate_not_opened", "not_opened_low", "not_opened_high", "p_value",
            "source"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["difference"] = out["win_rate_opened"] - out["win_rate_not_opened"]
    ok = out["p_value"].notna() & (out["n_opened"] >= min_n) & (out["n_not_opened"] >= min_n)
    out["q_value"] = np.nan
    out["associated"] = False
    if ok.any():
        reject, q, _, _ = multipletests(out.loc[ok, "p_value"], alpha=fdr, method="fdr_bh")
        out.loc[ok, "q_value"] = q
        out.loc[ok, "associated"] = reject
    out["note"] = np.where(ok, NOTE, f"not enough data (fewer than {min_n} deals on a side)")
    return out


__all__ = [
    "CSV_SOURCE",
    "LOG_SOURCE",
    "NOTE",
    "AssetOpens",
    "asset_outcomes",
    "gather_asset_opens",
    "load_asset_opens",
    "logged_asset_opens",
]
