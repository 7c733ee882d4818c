"""What was known on a date, and the rates a bookings forecast learns from it.

:func:`as_known_on` rebuilds the deal data as the CRM looked on a date: deals created later
are removed, deals closed later are re-opened (status open, close date unknown, and, where
the export gives open deals the product's list price, that amount instead of the won
value), stage history and activities after the date are dropped. The forecast runs on this
cut, so it cannot use what happened after its ``as_of`` date, and a backtest on the full
data equals the forecast on the cut (a test checks it).

:func:`learn` turns the periods before the forecast date into win rates: at the same offset
into each earlier period, the deals then open are placed in a *cell* (their stage from the
stage history, or, without stage history, their age in days) and counted, per cell, as won
inside that period or not. Rates are weighted by each deal's amount *as known while it was
open* (an export can give a won deal's amount away, see :func:`quoted_amounts`), split by
product and by rep and shrunk towards the cell's company-wide rate. It also measures how much a whole period's bookings swing beyond
deal-by-deal luck (overdispersion) for scopes of the forecast's level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals._frame import N_STAGES, NO_DAY, day_of, days, lookup
from spmkb.deals.periods import Period, as_date
from spmkb.deals.schema import LOST, OPEN, PIPELINE_STAGES, WON, DealData

#: Upper bounds (days since created) of the age buckets used for deals of unknown stage.
AGE_EDGES = np.array([7, 14, 30, 60, 90, 120, 150, 180, 365])
N_CELLS = N_STAGES + len(AGE_EDGES) + 1
#: A product's open and lost deals must number at least this many to read a list price.
MIN_PRICE_DEALS = 3
#: Fewer (scope, period) values than this cannot measure a period-wide swing.
MIN_SWING = 3


def cell_label(cell: int) -> str:
    """Readable name of a rate cell: the stage, or the age bucket of a deal of unknown stage."""
    if cell < N_STAGES:
        return PIPELINE_STAGES[cell]
    k = cell - N_STAGES
    lo = 0 if k == 0 else int(AGE_EDGES[k - 1])
    hi = f"{int(AGE_EDGES[k]) - 1}" if k < len(AGE_EDGES) else "+"
    return f"unknown stage, {lo}-{hi} days old" if hi != "+" else f"unknown stage, {lo}+ days old"


def list_prices(opps: pd.DataFrame) -> dict[str, float]:
    """Product -> the one amount all its open and lost deals carry, where they all carry one.

    Some exports (Maven CRM) give open and lost deals the product's list price but won deals
    the actual value; such a deal's amount tells its outcome. Read per product from at least
    :data:`MIN_PRICE_DEALS` open/lost deals; products whose amounts vary have none.
    """
    if "product" not in opps or not len(opps):
        return {}
    status = opps["status"].astype("string").str.strip().str.lower()
    amount = pd.to_numeric(opps["amount"], errors="coerce")
    m = (status != WON).fillna(True) & amount.notna() & opps["product"].notna()
    if not m.any():
        return {}
    stats = amount[m].groupby(opps["product"][m].astype(str)).agg(["nunique", "size", "first"])
    ok = stats[(stats["nunique"] == 1) & (stats["size"] >= MIN_PRICE_DEALS)]
    return {str(k): float(v) for k, v in ok["first"].items()}


def quoted_amounts(opps: pd.DataFrame, amount: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Each deal's amount as known while it was open (a won deal's list price where one exists)."""
    prices = list_prices(opps)
    if not prices:
        return amount
    price = opps["product"].astype("string").map(prices)
    price = pd.to_numeric(price, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(won & ~np.isnan(price), price, amount)


def _positions(column: pd.Series, ids: Any) -> np.ndarray:
    """Row of each value's opportunity in ``ids`` (an Arrow array), -1 when unknown."""
    import pyarrow as pa

    values = pa.array(column.astype("string[pyarrow]").array)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return lookup(values.cast(pa.large_string()), ids)


def _last_stage(hist: pd.DataFrame, hpos: np.ndarray, cut: int, n: int) -> np.ndarray:
    """Per deal, the index of the last stage entered on or before day ``cut`` (-1: none)."""
    entered = days(hist["entered_at"])
    code = lookup(hist["stage"], PIPELINE_STAGES, lower=True)
    ok = (entered != NO_DAY) & (entered <= cut) & (code >= 0) & (hpos >= 0)
    best = np.full(n, -1, dtype=np.int64)
    if ok.any():
        key = (entered[ok] - entered[ok].min()) * N_STAGES + code[ok]  # latest day, then stage
        np.maximum.at(best, hpos[ok], key)
    return np.where(best >= 0, best % N_STAGES, -1)


_CUTS: dict[tuple[int, int], tuple[tuple[Any, ...], DealData]] = {}


def as_known_on(data: DealData, day: date | str) -> DealData:
    """The deal data as the CRM looked on ``day`` (nothing that happened later).

    Deals created after ``day`` are removed (deals without a created date are kept: when they
    were created is unknown). Deals closed after ``day`` are re-opened: status open, close
    date unknown, no loss reason or forecast category, and the product's list price as
    amount where the export gives one to open deals (:func:`list_prices`). Every open deal's
    close date is unknown (the expected close date recorded at the data's end is not what
    was expected then). Stage history is cut to ``entered_at <= day`` and each deal's stage
    set to the last stage entered by then (a re-opened deal without history: the first
    stage, meaning "unknown"); activities after ``day`` are dropped. Reps and quotas stay.
    Cached per data object and day.
    """
    import pyarrow as pa

    cut = day_of(as_date(day))
    tables = (data.opportunities, data.stage_history, data.activities, data.reps, data.quotas)
    hit = _CUTS.get((id(data), cut))
    if hit is not None and all(a is b for a, b in zip(hit[0], tables, strict=True)):
        return hit[1]
    opps = data.opportunities
    n = len(opps)
    created, close = days(opps["created"]), days(opps["close_date"])
    status = lookup(opps["status"], (WON, LOST, OPEN), lower=True)
    closed = (status == 0) | (status == 1)
    keep = (created == NO_DAY) | (created <= cut)
    reopen = closed & (close != NO_DAY) & (close > cut)
    out = opps.copy()
    if reopen.any():
        out.loc[reopen, "status"] = OPEN
        for col in ("loss_reason", "forecast_category"):
            if col in out:
                out.loc[reopen, col] = pd.NA
        prices = list_prices(opps)
        if prices and "product" in out:
            price = pd.to_numeric(out["product"].astype("string").map(prices), errors="coerce")
            change = reopen & price.notna().to_numpy()
            out.loc[change, "amount"] = price[change]
    now_open = ~closed | reopen
    out.loc[now_open & (close != NO_DAY), "close_date"] = pd.NaT
    hist, acts = data.stage_history, data.activities
    ids = pa.array(opps["id"].astype("string[pyarrow]").array)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    ids = ids.cast(pa.large_string())
    hpos = _positions(hist["opportunity_id"], ids) if len(hist) else np.zeros(0, np.int64)
    with_hist = np.zeros(n, dtype=bool)
    with_hist[hpos[hpos >= 0]] = True
    last = _last_stage(hist, hpos, cut, n) if len(hist) else np.full(n, -1)
    current = lookup(opps["stage"], PIPELINE_STAGES, lower=True)
    target = np.where((last < 0) & reopen, 0, last)  # re-opened, no history by then: unknown
    change = (with_hist | reopen) & (target >= 0) & (target != current)
    if change.any():
        out.loc[change, "stage"] = np.array(PIPELINE_STAGES, dtype=object)[target[change]]
    out = out[keep]
    if len(hist):
        entered = days(hist["entered_at"])
        safe = np.where(hpos >= 0, hpos, 0)
        hist = hist[(entered != NO_DAY) & (entered <= cut) & (hpos >= 0) & keep[safe]]
    if len(acts):
        adays = days(acts["date"])
        keep_act = (adays != NO_DAY) & (adays <= cut)
        if "opportunity_id" in acts:
            apos = _positions(acts["opportunity_id"], ids)
            known = (apos >= 0) & keep[np.where(apos >= 0, apos, 0)]
            keep_act &= acts["opportunity_id"].isna().to_numpy(dtype=bool) | known
        acts = acts[keep_act]
    result = DealData(
        opportunities=out.reset_index(drop=True),
        stage_history=hist.reset_index(drop=True),
        activities=acts.reset_index(drop=True),
        reps=data.reps,
        quotas=data.quotas,
    )
    if len(_CUTS) >= 8:
        _CUTS.pop(next(iter(_CUTS)))
    _CUTS[(id(data), cut)] = (tables, result)
    return result


def covered(f: Any, q: Period, snap: int) -> bool:
    """Whether the data covers period ``q`` from day ``snap``: its first deal was created by
    then, and it holds at least one close date inside ``q`` (an export that starts later, or
    whose closed deals begin later, has no such period: missing, not zero sales)."""
    created = f.created[f.created != NO_DAY]
    if not len(created) or int(created.min()) > snap:
        return False
    c = f.close[f.closed]
    return bool(((c >= day_of(q.start)) & (c <= day_of(q.end))).any())


def cell_at(f: Any, idx: np.ndarray, a: int) -> np.ndarray:
    """Each deal's rate cell at day ``a``: its stage from the history, else its age bucket."""
    ent = f.entered[idx]
    known = (ent != NO_DAY) & (ent <= a)
    has = known.any(axis=1)
    stage = N_STAGES - 1 - np.argmax(known[:, ::-1], axis=1)
    age = np.searchsorted(AGE_EDGES, a - f.created[idx], side="right")
    return np.where(has, stage, N_STAGES + age)


@dataclass
class Rates:
    """Win rates learnt from earlier periods (see :func:`learn`)."""

    company: np.ndarray  # (N_CELLS,) pooled rate per cell
    by_product: np.ndarray  # (N_CELLS, n_products) shrunk towards ``company``
    by_rep: np.ndarray  # (n_reps, N_CELLS) shrunk towards ``company``
    seen: np.ndarray  # (n_reps, N_CELLS) past open deals per rep and cell
    snapshots: int  # earlier periods learnt from
    level: float  # booked / quoted amount of past won deals (e.g. discounts off list price)
    swing: float  # sd of a period-wide conversion factor beyond deal-by-deal luck
    swing_n: int  # (scope, snapshot) pairs behind ``swing`` (< 0: the finer level's)

    def rate(self, f: Any, idx: np.ndarray, cell: np.ndarray, prod: np.ndarray, rep: bool) -> Any:
        """Win probability of each deal: product-cell rate, times the rep's lift when ``rep``."""
        q = self.by_product[cell, prod]
        if rep:
            base = self.company[cell]
            lift = np.where(
                base > 0, self.by_rep[f.rep[idx], cell] / np.where(base > 0, base, 1), 1
            )
            q = q * lift
        return np.clip(q, 0.0, 1.0)


def learn(
    f: Any,
    prod: np.ndarray,
    quoted: np.ndarray,
    group: np.ndarray,
    p: Period,
    a: int,
    lookback: int,
    min_history: int,
    finer: np.ndarray | None = None,
) -> Rates:
    """Rates per cell (and product, and rep) from the same point of the previous periods.

    For each of the ``lookback`` periods before ``p`` that ended before day ``a`` and that the
    data covers (:func:`covered`), the deals
    open at the same offset into that period (created by then, not closed by then; closed
    deals without a close date are left out) count, per cell, as won or not won inside it.
    Weighted by ``quoted`` amounts (won quoted amount / open quoted amount); a product's and a
    rep's rates are shrunk towards the cell's company rate with weight ``n / (n + min_history)``
    (``n`` = deals). ``group`` (one code per deal: the forecast
    level's team or rep, or 0) sets the scopes over which the period-wide swing is measured:
    for every scope and snapshot, won amount / expected amount; its variance beyond the
    binomial variance is the swing's (method of moments, weighted by expected amount). With
    fewer than :data:`MIN_SWING` such values, the swing of the ``finer`` grouping is used
    instead (wider: a team swings more than the company) and ``swing_n`` is negative.
    """
    offset = a - day_of(p.start)
    n_reps, n_prod = len(f.rep_names), int(prod.max()) + 1 if len(prod) else 1
    seen_rc, seen_cp = np.zeros((n_reps, N_CELLS)), np.zeros((N_CELLS, n_prod))  # counts
    hits_rc, value_rc = np.zeros((n_reps, N_CELLS)), np.zeros((n_reps, N_CELLS))  # amounts
    hits_cp, value_cp = np.zeros((N_CELLS, n_prod)), np.zeros((N_CELLS, n_prod))
    snaps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    parts: list[list[np.ndarray]] = []
    dated = ~(f.closed & (f.close == NO_DAY))
    for i in range(1, lookback + 1):
        q = p.previous(i)
        q_start, q_end = day_of(q.start), day_of(q.end)
        snap = q_start + offset
        if q_end >= a or not covered(f, q, snap):
            continue
        closed_by = f.closed & (f.close <= snap)
        idx = np.nonzero((f.created <= snap) & (f.created != NO_DAY) & ~closed_by & dated)[0]
        if not len(idx):
            continue
        cell = cell_at(f, idx, snap)
        c = f.close[idx]
        hit = f.won[idx] & (c > snap) & (c >= q_start) & (c <= q_end)
        amt = quoted[idx]
        np.add.at(seen_rc, (f.rep[idx], cell), 1)
        np.add.at(value_rc, (f.rep[idx], cell), amt)
        np.add.at(hits_rc, (f.rep[idx], cell), amt * hit)
        part = [np.zeros((N_CELLS, n_prod)) for _ in range(3)]  # seen, value, hits
        np.add.at(part[0], (cell, prod[idx]), 1)
        np.add.at(part[1], (cell, prod[idx]), amt)
        np.add.at(part[2], (cell, prod[idx]), amt * hit)
        seen_cp, value_cp, hits_cp = seen_cp + part[0], value_cp + part[1], hits_cp + part[2]
        snaps.append((idx, cell, hit))
        parts.append(part)
    m = float(min_history)
    company, by_product = _product_rates(seen_cp, value_cp, hits_cp, m)
    w_rc = seen_rc / (seen_rc + m)
    by_rep = w_rc * _share(hits_rc, value_rc, company[None, :]) + (1 - w_rc) * company[None, :]
    # the swing is measured out of sample: each period against rates learnt from the others
    loo = [
        _product_rates(seen_cp - s_, value_cp - v_, hits_cp - h_, m)[1]
        if len(parts) > 1
        else by_product
        for s_, v_, h_ in parts
    ]
    level, swing, swing_n = _swing(f, snaps, loo, prod, quoted, group)
    if swing_n < MIN_SWING and finer is not None:  # too few values: the finer level's swing
        _, swing, swing_n = _swing(f, snaps, loo, prod, quoted, finer)
        swing_n = -swing_n
    return Rates(company, by_product, by_rep, seen_rc, len(snaps), level, swing, swing_n)


def _product_rates(
    seen: np.ndarray, value: np.ndarray, hits: np.ndarray, m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(company rate per cell, rate per cell and product shrunk towards it) from the sums."""
    value_c, hits_c = value.sum(axis=1), hits.sum(axis=1)
    unknown = slice(N_STAGES, N_CELLS)
    fallback = np.full(N_CELLS, hits_c.sum() / value_c.sum() if value_c.sum() > 0 else 0.0)
    if value_c[unknown].sum() > 0:
        fallback[unknown] = hits_c[unknown].sum() / value_c[unknown].sum()
    company = _share(hits_c, value_c, fallback)
    w = seen / (seen + m)
    return company, w * _share(hits, value, company[:, None]) + (1 - w) * company[:, None]


def _share(won: np.ndarray, value: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """won / value where value > 0, else the fallback (broadcast)."""
    return np.where(value > 0, won / np.where(value > 0, value, 1), fallback)


def _swing(
    f: Any,
    snaps: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    rates: list[np.ndarray],
    prod: np.ndarray,
    quoted: np.ndarray,
    group: np.ndarray,
) -> tuple[float, float, int]:
    """(level, swing sd, n): booked / quoted amount of the won deals, and the spread of
    won / expected amount per (scope, snapshot) beyond the binomial; see :func:`learn`."""
    won_amt, expect, var, booked, quoted_won = [], [], [], 0.0, 0.0
    for (idx, cell, hit), by_product in zip(snaps, rates, strict=True):
        q = by_product[cell, prod[idx]]
        g = group[idx]
        size = int(g.max()) + 1
        won_amt.append(np.bincount(g, f.amount[idx] * hit, size))
        expect.append(np.bincount(g, q * quoted[idx], size))
        var.append(np.bincount(g, q * (1 - q) * quoted[idx] ** 2, size))
        booked += float((f.amount[idx] * hit).sum())
        quoted_won += float((quoted[idx] * hit).sum())
    level = booked / quoted_won if quoted_won > 0 else 1.0
    if not won_amt:
        return level, 0.0, 0
    w, e, v = (np.concatenate(x) for x in (won_amt, expect, var))
    ok = e > 0
    w, e, v = w[ok], e[ok], v[ok]
    if len(e) < 2:
        return level, 0.0, len(e)
    r = w / (level * e)
    excess = (r - 1.0) ** 2 - v / e**2  # observed minus binomial variance
    tau2 = float(np.average(excess, weights=e))
    return level, float(np.sqrt(max(tau2, 0.0))), len(e)


def new_business(
    f: Any, scope_mask: np.ndarray, group: np.ndarray, p: Period, a: int, lookback: int
) -> tuple[float, np.ndarray, float]:
    """(mean count, amount pool, log-sd of the count's rate) of deals won in the period after
    being created after day ``a``, from the previous periods that ended before day ``a``.

    In each such period, the deals created after the same offset into it and won inside it
    are counted. The rate's spread adds the counts' variance beyond Poisson (measured per
    scope of ``group``, pooled) and the uncertainty of a mean over few periods.
    """
    offset = a - day_of(p.start)
    counts, pool, by_group = [], [], []
    size = int(group.max()) + 1 if len(group) else 1
    for i in range(1, lookback + 1):
        q = p.previous(i)
        q_start, q_end = day_of(q.start), day_of(q.end)
        ws = q_start + offset
        if q_end >= a or not covered(f, q, ws):  # only known, covered periods
            continue
        m = f.won & (f.created != NO_DAY) & (f.created > ws) & (f.close >= q_start)
        m &= f.close <= q_end
        counts.append(int((m & scope_mask).sum()))
        pool.append(f.amount[m & scope_mask])
        by_group.append(np.bincount(group[m], minlength=size))
    if not counts:
        return 0.0, np.zeros(0), 0.0
    lam, k = float(np.mean(counts)), len(counts)
    tau2 = 0.0
    if k >= 2:
        c = np.array(by_group, dtype=float)  # (periods, groups)
        mean = c.mean(axis=0)
        excess = c.var(axis=0, ddof=1) - mean
        tau2 = max(float(excess.sum() / (mean**2).sum()), 0.0) if (mean > 0).any() else 0.0
    rel_var = tau2 + ((1 / lam if lam > 0 else 0.0) + tau2) / k
    return lam, np.concatenate(pool), float(np.sqrt(np.log1p(rel_var)))


__all__ = ["Rates", "as_known_on", "cell_at", "covered", "learn", "list_prices", "new_business"]
