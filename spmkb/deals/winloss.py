"""Win/loss breakdowns, behaviour effects and each rep's coaching focus (tidy DataFrames).

Filters and the ``n``/``warning`` columns work as in :mod:`spmkb.deals.metrics`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from spmkb.deals._frame import (
    MIN_CLOSED,
    NO_TEAM,
    DealFrame,
    deal_frame,
    ratio,
    select,
    two_proportion_p,
    warning_for,
)
from spmkb.deals.periods import Period
from spmkb.deals.schema import PIPELINE_STAGES, DealData

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


def _band_labels(bands: tuple[float, ...]) -> list[str]:
    def k(x: float) -> str:
        return f"{x / 1000:g}k" if x >= 1000 else f"{x:g}"

    labels = [f"{k(lo)}-{k(hi)}" for lo, hi in itertools.pairwise(bands)]
    return [*labels, f"{k(bands[-1])}+"]


def size_band(amount: np.ndarray, bands: tuple[float, ...] = SIZE_BANDS) -> np.ndarray:
    """Label each amount with its deal-size band (e.g. ``10k-50k``)."""
    labels = np.array(_band_labels(bands), dtype=object)
    idx = np.searchsorted(np.asarray(bands, dtype=float), amount, side="right") - 1
    return labels[np.clip(idx, 0, len(labels) - 1)]


def winloss(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: tuple[str, ...] | str = WINLOSS_DIMENSIONS,
    bands: tuple[float, ...] = SIZE_BANDS, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Win/loss by segment, product, competitor, deal-size band and loss reason.

    One row per (``dimension``, ``value``) over deals closed in the period: ``won``, ``lost``,
    ``n`` = won + lost, ``win_rate`` = won / n, ``share`` = n / all closed deals. For
    ``loss_reason`` only lost deals count: ``n`` = lost with that reason, ``share`` = of all lost.
    Missing values show as ``(none)`` (e.g. deals without a competitor).
    """
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.closed
    dims = (by,) if isinstance(by, str) else tuple(by)
    opps = data.opportunities
    frames = []
    for dim in dims:
        if dim == "size_band":
            labels = np.array(_band_labels(bands), dtype=object)
            codes = np.searchsorted(np.asarray(bands, dtype=float), f.amount[m], side="right") - 1
            codes = np.clip(codes, 0, len(labels) - 1)
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
    return out


def _behaviour_bands(f: DealFrame) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per deal: the band index (-1 = unknown) and the band labels of each behaviour."""
    c = f.contacts
    contacts = np.where(np.isnan(c), -1, np.clip(np.nan_to_num(c), 1, 5) - 1).astype(np.int64)
    d = f.disc_before_demo
    disc = np.where(np.isnan(d), -1, np.where(d > 0.5, 0, 1))
    h = f.first_response
    frh = np.where(
        np.isnan(h), -1, np.searchsorted([1.0, 4.0, 24.0], np.nan_to_num(h), side="right")
    )
    return {
        "contacts_per_deal": (contacts, ["1", "2", "3", "4", "5+"]),
        "discovery_before_demo": (disc, ["yes", "no"]),
        "first_response": (frh, ["< 1 h", "1-4 h", "4-24 h", "> 24 h"]),
    }


def behaviours(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED, alpha: float = 0.05,
) -> pd.DataFrame:  # fmt: skip
    """Win rate by behaviour band, with a significance flag.

    Behaviours (closed deals in the period): ``contacts_per_deal`` = the most buyer contacts
    on any activity of the deal (1, 2, 3, 4, 5+); ``discovery_before_demo`` = a discovery
    activity dated on/before the first demo (deals that had a demo); ``first_response`` =
    ``first_response_hours`` band. Per band: ``win_rate``, ``rest_win_rate`` (all other bands),
    ``lift`` = difference, ``p_value`` of a two-proportion z-test band vs rest, ``significant``
    = p < ``alpha`` and n >= ``min_n``.
    """
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.closed
    rows = []
    for dim, (codes, labels) in _behaviour_bands(f).items():
        sel = m & (codes >= 0)
        n = np.bincount(codes[sel], minlength=len(labels))
        w = np.bincount(codes[sel], weights=f.won[sel], minlength=len(labels)).astype(int)
        for i, value in enumerate(labels):
            rows.append((dim, value, w[i], n[i] - w[i], n[i], w.sum() - w[i], n.sum() - n[i]))
    out = pd.DataFrame(
        rows, columns=["behaviour", "value", "won", "lost", "n", "rest_won", "rest_n"]
    )
    out["win_rate"] = ratio(out["won"], out["n"])
    out["rest_win_rate"] = ratio(out["rest_won"], out["rest_n"])
    out["lift"] = out["win_rate"] - out["rest_win_rate"]
    out["p_value"] = two_proportion_p(out["won"], out["n"], out["rest_won"], out["rest_n"])
    out["significant"] = (out["p_value"] < alpha) & (out["n"] >= min_n) & (out["rest_n"] >= min_n)
    out["warning"] = warning_for(out["n"], min_n)
    return out.drop(columns=["rest_won"])


def coaching_focus(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = 20, alpha: float = 0.05,
    all_stages: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """Each rep's coaching focus: the stage whose conversion falls furthest below the team's.

    Conversion per stage as in :func:`~spmkb.deals.metrics.stage_conversion`. The rep is
    compared with the REST of their team (the company when teams are unknown) on deals
    closing in the period. A stage is ``flagged`` only when the rep had at least ``min_n``
    deals entering it (and the rest of the team too), the gap is negative and a two-proportion
    z-test gives p < ``alpha`` after a Bonferroni correction for the number of stages compared
    (``p_adjusted``). One row per rep (the flagged stage with the largest gap, else
    the largest gap among eligible stages, flagged False); ``all_stages`` returns every stage.
    """
    f = deal_frame(data)
    scope = select(f, rep=rep, team=team)
    per = select(f, period=period)
    n_reps, n_teams = len(f.rep_names), len(f.team_names)
    team_of_rep = np.zeros(n_reps, dtype=np.int64)
    team_of_rep[f.rep] = f.team
    if not f.rep_team:  # no teams: compare with the rest of the company
        team_of_rep[:] = 0
    rr = np.zeros((n_reps, len(PIPELINE_STAGES)))
    rp = np.zeros_like(rr)
    for k in range(len(PIPELINE_STAGES)):
        rr[:, k] = np.bincount(f.rep[per & f.resolved[:, k]], minlength=n_reps)[:n_reps]
        rp[:, k] = np.bincount(f.rep[per & f.passed[:, k]], minlength=n_reps)[:n_reps]
    tr = np.zeros((max(n_teams, 1), len(PIPELINE_STAGES)))
    tp = np.zeros_like(tr)
    np.add.at(tr, team_of_rep, rr)
    np.add.at(tp, team_of_rep, rp)
    rest_n, rest_x = tr[team_of_rep] - rr, tp[team_of_rep] - rp
    rep_conv, rest_conv = ratio(rp, rr), ratio(rest_x, rest_n)
    gap = rep_conv - rest_conv
    p = two_proportion_p(rp, rr, rest_x, rest_n)
    eligible = (rr >= min_n) & (rest_n >= min_n)
    n_tests = np.maximum(eligible.sum(axis=1, keepdims=True), 1)
    p_adj = np.minimum(p * n_tests, 1.0)  # Bonferroni over the stages compared for the rep
    flagged = eligible & (gap < 0) & (p_adj < alpha)
    in_scope = np.bincount(f.rep[scope], minlength=n_reps)[:n_reps] > 0
    nxt = [*PIPELINE_STAGES[1:], "won"]
    teams = [f.rep_team.get(r, NO_TEAM) for r in f.rep_names]
    rows = []
    for i in np.nonzero(in_scope)[0]:
        ks = range(len(PIPELINE_STAGES))
        if not all_stages:
            if flagged[i].any():
                cand = np.where(flagged[i], gap[i], np.inf)
            else:
                cand = np.where(eligible[i] & ~np.isnan(gap[i]), gap[i], np.inf)
            ks = [int(np.argmin(cand))] if np.isfinite(cand).any() else []
        if not ks:
            rows.append(
                (f.rep_names[i], teams[i], None, None, *[np.nan] * 3, 0, 0, np.nan, np.nan, False)
            )
        for k in ks:
            rows.append((f.rep_names[i], teams[i], PIPELINE_STAGES[k], nxt[k], rep_conv[i, k],
                         rest_conv[i, k], gap[i, k], int(rr[i, k]), int(rest_n[i, k]), p[i, k],
                         p_adj[i, k], bool(flagged[i, k])))  # fmt: skip
    cols = ["rep", "team", "stage", "next_stage", "rep_conversion", "team_conversion", "gap", "n",
            "team_n", "p_value", "p_adjusted", "flagged"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["warning"] = warning_for(out["n"], min_n, "deals entering the stage")
    out["reason"] = [_reason(r) for r in out.itertuples()]
    return out


def _reason(r: object) -> str:
    """A one-line explanation of a coaching-focus row."""
    if getattr(r, "stage", None) is None:
        return "not enough deals to compare any stage with the team"
    pv = r.p_adjusted  # type: ignore[attr-defined]
    ptxt = "adjusted p < 0.001" if pv < 0.001 else f"adjusted p = {pv:.3f}"
    text = (
        f"{r.stage} -> {r.next_stage}: {r.rep_conversion:.0%} vs team {r.team_conversion:.0%} "  # type: ignore[attr-defined]
        f"(n = {r.n}, {ptxt})"  # type: ignore[attr-defined]
    )
    return ("focus: " if r.flagged else "no significant gap; largest: ") + text  # type: ignore[attr-defined]
