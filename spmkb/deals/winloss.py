"""Win/loss breakdowns by segment, product, competitor, deal-size band and loss reason.

Filters and the ``n``/``warning`` columns work as in :mod:`spmkb.deals.metrics`. Behaviour
effects live in :mod:`spmkb.deals.behaviours`, coaching focus in :mod:`spmkb.deals.coaching`
(both re-exported here for older imports).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from spmkb.deals._frame import MIN_CLOSED, deal_frame, ratio, select, warning_for
from spmkb.deals.behaviours import behaviours
from spmkb.deals.coaching import coaching_focus
from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData

__all__ = ["SIZE_BANDS", "behaviours", "coaching_focus", "size_band", "winloss"]

#: Deal-size bands (lower bounds, amount in the workspace currency).
SIZE_BANDS: tuple[float, ...] = (0, 10_000, 50_000, 100_000)
WINLOSS_DIMENSIONS: tuple[str, ...] = (
    "segment",
    "product",
    "competitor",
    "size_band",
    "loss_reason",
)
_NONE = "(none)"
UNKNOWN_BAND = "unknown"
NO_AMOUNT = "amount not in this data"


def _band_labels(bands: tuple[float, ...]) -> list[str]:
    def k(x: float) -> str:
        return f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"

    labels = [f"{k(lo)}-{k(hi)}" for lo, hi in itertools.pairwise(bands)]
    return [*labels, f"{k(bands[-1])}+"]


def _band_codes(amount: np.ndarray, bands: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(code per amount, labels): missing amounts get the last code, labelled ``unknown``."""
    labels = np.array([*_band_labels(bands), UNKNOWN_BAND], dtype=object)
    amount = np.asarray(amount, dtype=float)
    idx = np.searchsorted(np.asarray(bands, dtype=float), np.nan_to_num(amount), side="right")
    codes = np.clip(idx - 1, 0, len(labels) - 2)
    return np.where(np.isnan(amount), len(labels) - 1, codes), labels


def size_band(amount: np.ndarray, bands: tuple[float, ...] = SIZE_BANDS) -> np.ndarray:
    """Label each amount with its deal-size band (e.g. ``10k-50k``; missing -> ``unknown``)."""
    codes, labels = _band_codes(amount, bands)
    return labels[codes]


def winloss(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: tuple[str, ...] | str = WINLOSS_DIMENSIONS,
    bands: tuple[float, ...] = SIZE_BANDS, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Win/loss by segment, product, competitor, deal-size band and loss reason.

    One row per (``dimension``, ``value``) over deals closed in the period: ``won``, ``lost``,
    ``n`` = won + lost, ``win_rate`` = won / n, ``share`` = n / all closed deals. For
    ``loss_reason`` only lost deals count: ``n`` = lost with that reason, ``share`` = of all lost.
    Missing values show as ``(none)`` (e.g. deals without a competitor); deals without an
    amount fall in the ``unknown`` size band (not 0-10k), and when no deal in the data has an
    amount that band's ``warning`` says "amount not in this data".
    """
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.closed
    dims = (by,) if isinstance(by, str) else tuple(by)
    opps = data.opportunities
    frames = []
    for dim in dims:
        if dim == "size_band":
            codes, labels = _band_codes(f.amount[m], bands)
        elif dim in opps.columns:
            codes, uniq = pd.factorize(opps[dim][m])
            labels = np.array([*(str(u) for u in uniq), _NONE], dtype=object)
            codes = np.where(codes < 0, len(labels) - 1, codes)
        else:
            continue
        won = f.won[m]
        if dim == "loss_reason":
            codes, won = codes[~won], won[~won]
        w_ = np.bincount(codes, weights=won, minlength=len(labels))
        a_ = np.bincount(codes, minlength=len(labels))
        keep = a_ > 0
        t = pd.DataFrame({"value": labels[keep], "won": w_[keep], "lost": (a_ - w_)[keep]})
        t["n"] = t["lost"] if dim == "loss_reason" else t["won"] + t["lost"]
        t["win_rate"] = np.nan if dim == "loss_reason" else ratio(t["won"], t["n"])
        t["share"] = ratio(t["n"], t["n"].sum())
        t.insert(0, "dimension", dim)
        frames.append(
            t if dim == "size_band" else t.sort_values("n", ascending=False, kind="stable")
        )
    cols = ["dimension", "value", "won", "lost", "n", "win_rate", "share"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out = out[cols].astype({"won": int, "lost": int, "n": int})
    out["warning"] = warning_for(out["n"], min_n)
    if not f.has_amount:
        out.loc[(out["dimension"] == "size_band").to_numpy(), "warning"] = NO_AMOUNT
    return out
