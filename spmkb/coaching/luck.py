"""What luck alone would put in the top tier: the null for volume measures.

Bookings grow with volume: a rep who closes more deals books more even when every outcome is a
coin flip, so the top tier has more opportunities, pipeline and activities *by construction*.
A volume measure is therefore tested against the tiers luck would give: won/lost is shuffled
among the window's closed deals of the ranked reps (each rep keeps their deals and amounts),
the reps are re-ranked, and the top-minus-rest difference of the measure is recomputed. The
p-value is the share of those luck tiers whose difference is at least the observed one (one
sided, in the observed direction; ``(1 + hits) / (1 + draws)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmkb.coaching.stats import group_stat
from spmkb.coaching.tiers import Tiers, _closed_in
from spmkb.deals.schema import DealData


def luck_tops(data: DealData, t: Tiers, draws: int = 200, seed: int = 0) -> list[np.ndarray]:
    """Top-tier masks (over ``t.table.index``) from ``draws`` shuffles of won/lost."""
    ranked = t.table.index
    closed = _closed_in(data, t.window)
    sel = closed[closed["rep"].astype(str).isin(set(ranked)) & closed["amount"].notna()]
    codes = pd.Index(ranked).get_indexer(sel["rep"].astype(str))
    amount = sel["amount"].to_numpy(dtype=float)
    won = sel["won"].to_numpy(dtype=bool)
    quota = (
        t.table["quota"].to_numpy(dtype=float) if t.basis == "attainment" else np.ones(len(ranked))
    )
    k = int((t.table["tier"] == "top").sum())
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(draws):
        booked = np.bincount(codes, weights=amount * rng.permutation(won), minlength=len(ranked))
        score = booked / quota
        mask = np.zeros(len(ranked), dtype=bool)
        mask[np.argsort(-score, kind="stable")[:k]] = True
        out.append(mask)
    return out


def luck_p(values: pd.Series, t: Tiers, tops: list[np.ndarray], observed: float, how: str) -> float:
    """One-sided p-value of ``observed`` (top - rest of ``values``) against the luck tiers."""
    if not tops or not np.isfinite(observed) or observed == 0:
        return float("nan")
    v = values.reindex(t.table.index).to_numpy(dtype=float)
    compared = ~t.table["excluded"].to_numpy(dtype=bool)
    null = np.array(
        [group_stat(v[m & compared], how) - group_stat(v[~m & compared], how) for m in tops]
    )
    null = null[np.isfinite(null)]
    hits = (null >= observed).sum() if observed > 0 else (null <= observed).sum()
    return float((1 + hits) / (1 + len(null)))


__all__ = ["luck_p", "luck_tops"]
