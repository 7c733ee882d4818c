"""Behaviour effects on winning, with confidence intervals from a logistic regression.

Each behaviour is cut into bands in their natural order; the first band is the reference.
For every other band the effect is estimated from ``won ~ band + segment + rep`` (logistic
regression, rep fixed effects, standard errors clustered by rep), so a behaviour that top
reps or big segments happen to show is not credited with their wins. p-values are corrected
for the number of bands tested (Benjamini-Hochberg over every band of every behaviour).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd

from spmkb.deals._frame import MIN_CLOSED, DealFrame, deal_frame, ratio, select, warning_for
from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData

Z95 = 1.959963984540054
#: What each behaviour counts (shown in the ``counted`` column).
COUNTED: dict[str, str] = {
    "contacts_per_deal": "most buyer contacts on one activity dated on or before the close date",
    "discovery_before_demo": "a discovery activity on or before the first demo (deals with a demo)",
    "first_response": "first_response_hours of the deal",
}
_COLUMNS = [
    "behaviour", "value", "reference", "won", "lost", "n", "win_rate", "lift", "ci_low",
    "ci_high", "odds_ratio", "or_ci_low", "or_ci_high", "p_value", "p_adjusted", "significant",
    "counted", "note",
]  # fmt: skip


def behaviour_bands(f: DealFrame) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per deal: the band index (-1 = unknown) and the band labels (reference first) of each behaviour."""
    c = f.contacts
    contacts = np.where(np.isnan(c), -1, np.clip(np.nan_to_num(c), 1, 5) - 1).astype(np.int64)
    d = f.disc_before_demo
    disc = np.where(np.isnan(d), -1, np.where(d > 0.5, 1, 0))
    h = f.first_response
    frh = np.where(
        np.isnan(h), -1, np.searchsorted([1.0, 4.0, 24.0], np.nan_to_num(h), side="right")
    )
    return {
        "contacts_per_deal": (contacts, ["1", "2", "3", "4", "5+"]),
        "discovery_before_demo": (disc, ["no", "yes"]),
        "first_response": (frh, ["< 1 h", "1-4 h", "4-24 h", "> 24 h"]),
    }


def _dummies(codes: np.ndarray, size: int) -> np.ndarray:
    """Indicator columns for codes 1..size-1 (code 0 is the reference)."""
    return (codes[:, None] == np.arange(1, size)[None, :]).astype(float)


#: Above this many reps the model uses team terms instead of one term per rep.
MAX_REP_TERMS = 300


def _fit(
    y: np.ndarray, band: np.ndarray, n_bands: int, segment: np.ndarray, rep: np.ndarray,
    team: np.ndarray,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], str] | str:  # fmt: skip
    """Fit the model: ((coef, se, ame, ame_se) of the band dummies, note), or why it could not.

    Deals are aggregated into cells of equal covariates (band, segment, rep) and a binomial GLM
    is fitted on (won, lost) per cell - the same maximum-likelihood fit as a per-deal logit, on
    a few thousand rows instead of a million. Standard errors are clustered by rep (10+ reps).
    """
    import statsmodels.api as sm

    seg_codes, k_seg = _codes(segment, y)
    term_codes, k_term = _codes(rep, y)
    note = ""
    if k_term > MAX_REP_TERMS:
        term_codes, k_term = _codes(team, y)
        note = f"more than {MAX_REP_TERMS} reps: team terms instead of rep terms, SEs by rep"
    rep_codes = np.asarray(rep, dtype=np.int64)
    n_rep = int(rep_codes.max()) + 1 if len(rep_codes) else 1
    key = ((band * k_seg + seg_codes) * k_term + term_codes) * n_rep + rep_codes
    cells, inv = np.unique(key, return_inverse=True)
    won = np.bincount(inv, weights=y, minlength=len(cells))
    n = np.bincount(inv, minlength=len(cells)).astype(float)
    first = np.zeros(len(cells), dtype=np.int64)
    first[inv] = np.arange(len(inv))  # one deal per cell, for its covariates
    x = np.column_stack([np.ones(len(cells)), _dummies(band[first], n_bands),
                         _dummies(seg_codes[first], k_seg), _dummies(term_codes[first], k_term)])  # fmt: skip
    keep = np.r_[True, np.ones(n_bands - 1, dtype=bool), x[:, n_bands:].std(axis=0) > 0]
    x = x[:, keep]
    groups = rep_codes[first]
    n_groups = len(np.unique(groups))
    cov = {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if n_groups >= 10 else {}
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")
        try:
            model = sm.GLM(np.column_stack([won, n - won]), x, family=sm.families.Binomial())
            res = model.fit(maxiter=100, **cov)
        except Exception as exc:  # singular design, perfect separation
            return f"model could not be fitted ({type(exc).__name__}): too few deals per band"
    params, vcov = np.asarray(res.params), np.asarray(res.cov_params())
    if not res.converged or not np.all(np.isfinite(params)) or np.abs(params).max() > 15:
        return "model did not converge (a band is all won or all lost): too few deals"
    cols = slice(1, n_bands)
    se = np.sqrt(np.clip(np.diag(vcov)[cols], 0, None))
    # Average marginal effect of each band vs the reference over the deals (g-computation),
    # its standard error by the delta method.
    x_ref = x.copy()
    x_ref[:, cols] = 0.0
    p_ref = 1 / (1 + np.exp(-(x_ref @ params)))
    wts = n / n.sum()
    ame, ame_se = np.zeros(n_bands - 1), np.zeros(n_bands - 1)
    for j in range(n_bands - 1):
        x_b = x_ref.copy()
        x_b[:, 1 + j] = 1.0
        p_b = 1 / (1 + np.exp(-(x_b @ params)))
        ame[j] = float(wts @ (p_b - p_ref))
        grad = wts @ ((p_b * (1 - p_b))[:, None] * x_b - (p_ref * (1 - p_ref))[:, None] * x_ref)
        ame_se[j] = float(np.sqrt(max(grad @ vcov @ grad, 0.0)))
    return (params[cols], se, ame, ame_se), note


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Limit BLAS to one thread for the small fits (threads thrash on a shared 2-core box)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only speed depends on it
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _codes(values: np.ndarray, y: np.ndarray, min_level: int = 20) -> tuple[np.ndarray, int]:
    """(codes, number of levels) for the model of non-negative integer level codes.

    Levels with fewer than ``min_level`` deals, or all won / all lost (whose effect would be
    infinite), join the largest level (the reference), so a rep with three deals cannot break
    the fit.
    """
    codes = np.asarray(values, dtype=np.int64)
    size = max(int(codes.max()) + 1 if len(codes) else 0, 1)
    n = np.bincount(codes, minlength=size)
    w = np.bincount(codes, weights=y, minlength=size)
    ok = (n >= min_level) & (w > 0) & (w < n)
    ref = int(np.argmax(n))
    ok[ref] = True
    kept = np.nonzero(ok)[0]
    kept = np.r_[ref, kept[kept != ref]]  # the reference becomes code 0
    new = np.zeros(size, dtype=np.int64)
    new[kept] = np.arange(len(kept))
    return new[codes], len(kept)


def behaviours(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED, alpha: float = 0.05,
) -> pd.DataFrame:  # fmt: skip
    """Win rate and adjusted effect of each behaviour band, with 95 % confidence intervals.

    Closed deals in the period; behaviours: ``contacts_per_deal`` (most buyer contacts on one
    activity dated on or before the close date: 1, 2, 3, 4, 5+), ``discovery_before_demo``
    (no / yes; deals that had a demo) and ``first_response`` (``< 1 h``, ``1-4 h``,
    ``4-24 h``, ``> 24 h``); the first band is the ``reference``. Per band: raw ``win_rate``;
    ``lift`` = the difference in win probability vs the reference adjusted for segment and rep
    (average marginal effect of ``won ~ band + C(segment) + C(rep)``) with ``ci_low``/``ci_high``;
    ``odds_ratio`` with its interval; ``p_value`` (Wald, clustered by rep) and ``p_adjusted``
    (Benjamini-Hochberg over all bands here); ``significant`` = p_adjusted < ``alpha`` and the
    band and the reference each have ``min_n`` deals. ``counted`` says what is counted.
    """
    from statsmodels.stats.multitest import multipletests

    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.closed
    opps = data.opportunities
    segment = np.zeros(f.n, dtype=np.int64)
    if "segment" in opps:
        segment, uniq = pd.factorize(opps["segment"])
        segment = np.where(segment < 0, len(uniq), segment)  # missing is a level of its own
    rows = []
    for dim, (codes, labels) in behaviour_bands(f).items():
        sel = m & (codes >= 0)
        k = len(labels)
        n = np.bincount(codes[sel], minlength=k)
        w = np.bincount(codes[sel], weights=f.won[sel], minlength=k).astype(int)
        fit: tuple[tuple[np.ndarray, ...], str] | str = "no deals in the reference band"
        if sel.sum() == 0:
            fit = "not in this data: no closed deal in the selection has it recorded"
        elif n[0] and (n > 0).sum() >= 2:
            present = np.cumsum(n > 0) - 1  # drop empty bands from the model
            fit = _fit(f.won[sel].astype(float), present[codes[sel]], int((n > 0).sum()),
                       segment[sel], f.rep[sel], f.team[sel])  # fmt: skip
        est, note = (None, fit) if isinstance(fit, str) else fit
        j = 0
        for i, value in enumerate(labels):
            vals = [np.nan] * 7
            if i > 0 and n[i] > 0 and est is not None:
                j += 1
                coef, se, ame, ame_se = (a[j - 1] for a in est)
                p = float(2 * _norm_sf(abs(coef / se))) if se > 0 else np.nan
                vals = [ame, ame - Z95 * ame_se, ame + Z95 * ame_se, np.exp(coef),
                        np.exp(coef - Z95 * se), np.exp(coef + Z95 * se), p]  # fmt: skip
            elif i == 0 and n[0]:
                vals[0] = 0.0
            rows.append((dim, value, labels[0], w[i], n[i] - w[i], n[i], *vals, n[0],
                         COUNTED[dim], note if i or not n[0] else ""))  # fmt: skip
    cols = [*_COLUMNS[:7], *_COLUMNS[7:14], "ref_n", "counted", "note"]
    out = pd.DataFrame(rows, columns=[c for c in cols if c != "win_rate"])
    out.insert(6, "win_rate", ratio(out["won"], out["n"]))
    out["p_adjusted"] = np.nan
    tested = out["p_value"].notna().to_numpy()
    if tested.any():
        q = multipletests(out.loc[tested, "p_value"], method="fdr_bh")[1]
        out.loc[tested, "p_adjusted"] = q
    out["significant"] = (
        (out["p_adjusted"] < alpha) & (out["n"] >= min_n) & (out["ref_n"] >= min_n)
    ).astype(bool)
    out["warning"] = warning_for(out["n"], min_n)
    return out[[*_COLUMNS, "warning"]]


def ci_text(frame: pd.DataFrame) -> list[str]:
    """The 95 % interval of each row's lift in percentage points ("+2.6 to +5.7 pts"; "–" if none)."""
    out = []
    for lo, hi in zip(frame["ci_low"], frame["ci_high"], strict=True):
        ok = pd.notna(lo) and pd.notna(hi)
        out.append(f"{lo * 100:+.1f} to {hi * 100:+.1f} pts" if ok else "–")
    return out


def _norm_sf(z: float) -> float:
    """Upper tail of the standard normal."""
    import math

    return 0.5 * math.erfc(z / math.sqrt(2))
