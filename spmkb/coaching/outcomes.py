"""Content and outcomes: per stage, which assets were opened on deals that were won vs lost.

For each (stage, asset) in an ``asset_opens`` table (rep, opportunity_id, asset_id, stage,
opened_at — the sample writes ``asset_opens.csv`` next to the deal tables), the closed deals
that reached the stage are split into those where the asset was opened at that stage and
those where it was not; each side's win rate has a Wilson interval and its n, the difference a
two-proportion test, and Benjamini–Hochberg controls the false discovery rate across every
(stage, asset). This is an **association, not a cause**: reps who open an asset may be the
ones who would win anyway, and deals that live longer have more chances to have it opened.
"""

from __future__ import annotations

from pathlib import Path

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
    op = pd.DataFrame({"id": opens["opportunity_id"].astype(str), "asset": opens["asset_id"].astype(str),
                       "stage": opens["stage"].astype(str).str.lower()}).drop_duplicates()  # fmt: skip
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
        rows.append((stage, asset, n1, x1 / n1 if n1 else np.nan, lo1, hi1, n0,
                     x0 / n0 if n0 else np.nan, lo0, hi0, p))  # fmt: skip
    cols = ["stage", "asset", "n_opened", "win_rate_opened", "opened_low", "opened_high",
            "n_not_opened", "win_rate_not_opened", "not_opened_low", "not_opened_high", "p_value"]  # fmt: skip
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


__all__ = ["NOTE", "asset_outcomes", "load_asset_opens"]
