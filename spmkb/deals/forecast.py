"""Will a rep, team or the company make its number? A probabilistic bookings forecast.

For a period and an ``as_of`` date the forecast adds three parts:

1. **won so far**: deals won with a close date between the period start and ``as_of``;
2. **open pipeline**: every deal open at ``as_of`` (created, not yet closed) is won *inside
   the period* with the probability learnt for its stage from history: at the same point
   of each of the previous four periods, the share of deals then open at that stage that
   were won before that period ended (only deals closed before ``as_of`` count, so there
   is no look-ahead). A rep's own rates are shrunk towards the company's, so a rep with
   little history gets (and is told they get) the company-wide rates;
3. **new deals**: deals not yet created that are won inside the period, at the rate seen
   over the same remaining window of the previous four periods.

A seeded, vectorised Monte Carlo simulation turns these into a bookings distribution:
P10/P50/P90 and the probability of reaching quota. Each run also draws one period-wide
conversion factor (spread learnt from how much past periods' conversion swung), so the
interval reflects good and bad quarters, not only deal-by-deal luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals._frame import (
    N_STAGES,
    NO_DAY,
    data_today,
    day_of,
    deal_frame,
    latest_period,
    select,
)
from spmkb.deals.periods import Period, as_date
from spmkb.deals.schema import PIPELINE_STAGES, DealData


def money(x: float | None) -> str:
    """Compact amount: ``1.2M``, ``412k``, ``950``."""
    if x is None or not np.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.2f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if ax >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


@dataclass
class Forecast:
    """A bookings forecast for one scope (rep, team or company) and period."""

    scope: str
    name: str
    period: str
    as_of: date
    quota: float | None
    won_to_date: float
    open_deals: int
    open_amount: float
    expected_pipeline: float
    expected_new: float
    expected: float
    p10: float
    p50: float
    p90: float
    p_quota: float | None
    rates: str
    notes: list[str] = field(default_factory=list)
    by_stage: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    simulations: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the forecast as a JSON-ready dict (without the raw simulations)."""
        return {
            "scope": self.scope,
            "name": self.name,
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "quota": self.quota,
            "won_to_date": self.won_to_date,
            "open_deals": self.open_deals,
            "open_amount": self.open_amount,
            "expected_pipeline": self.expected_pipeline,
            "expected_new": self.expected_new,
            "expected": self.expected,
            "p10": self.p10,
            "p50": self.p50,
            "p90": self.p90,
            "p_quota": self.p_quota,
            "rates": self.rates,
            "notes": list(self.notes),
            "by_stage": self.by_stage.to_dict(orient="records"),
            "summary": self.summary(),
        }

    def verdict(self) -> str:
        """One phrase answering "am I going to make my number?"."""
        if self.p_quota is None:
            return "no quota set"
        if self.p_quota >= 0.8:
            return "on track to make the number"
        if self.p_quota >= 0.5:
            return "more likely than not to make the number"
        if self.p_quota >= 0.2:
            return "at risk of missing the number"
        return "unlikely to make the number"

    def summary(self) -> str:
        """A sentence answering "am I going to make my number?" with the key figures."""
        who = "The company" if self.scope == "company" else self.name
        head = f"{who}, {self.period} (as of {self.as_of.isoformat()}): {self.verdict()}"
        body = f"P50 {money(self.p50)}"
        if self.quota is not None:
            body += f" vs quota {money(self.quota)}"
        body += f" (P10 {money(self.p10)}, P90 {money(self.p90)})"
        tail = f"Won so far {money(self.won_to_date)}; {self.open_deals} open deals worth {money(self.open_amount)}."
        if self.p_quota is not None:
            tail = f"{self.p_quota:.0%} chance of reaching quota. " + tail
        return f"{head} — {body}. {tail}"


def _stage_at(f: Any, idx: np.ndarray, a: int) -> np.ndarray:
    """Each deal's stage index at day ``a`` (stage history; else current stage, or first if closed later)."""
    ent = f.entered[idx]
    known = (ent != NO_DAY) & (ent <= a)
    has_hist = (f.entered[idx] != NO_DAY).any(axis=1)
    from_hist = np.where(known.any(axis=1), N_STAGES - 1 - np.argmax(known[:, ::-1], axis=1), 0)
    still_open = f.open[idx]
    fallback = np.where(still_open, f.furthest[idx], 0)
    return np.where(has_hist, from_hist, fallback)


def _snapshot_rates(
    f: Any, p: Period, a: int, lookback: int, min_history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, float]:
    """Stage -> P(won inside the period) learnt at the same point of the previous periods.

    For each of the ``lookback`` previous periods (ended before ``a``), take the deals open
    at the same offset into that period and count, per rep and stage, how many were won
    before that period ended. Rates are amount-weighted (won amount / open amount), since
    big deals close less often and later. Returns the company rates per stage, per-rep
    rates shrunk towards the company's (weight ``n / (n + min_history)`` on the rep's own),
    the per-rep deal counts, the number of snapshots used, and the spread (standard
    deviation) across snapshots of won / expected-at-pooled-rates, i.e. how much a whole
    period's conversion swings: the simulation draws one such factor per run.
    """
    offset = a - day_of(p.start)
    n_reps = len(f.rep_names)
    won = np.zeros((n_reps, N_STAGES))
    value = np.zeros((n_reps, N_STAGES))
    seen = np.zeros((n_reps, N_STAGES))
    used = 0
    per_snap: list[tuple[np.ndarray, np.ndarray]] = []
    for i in range(1, lookback + 1):
        q = p.previous(i)
        q_start, q_end = day_of(q.start), day_of(q.end)
        if q_end >= a:
            continue
        snap = q_start + offset
        closed_by = f.closed & (f.close <= snap) & (f.close != NO_DAY)
        idx = np.nonzero((f.created <= snap) & (f.created != NO_DAY) & ~closed_by)[0]
        if not len(idx):
            continue
        used += 1
        stage = _stage_at(f, idx, snap)
        hit = f.won[idx] & (f.close[idx] > snap) & (f.close[idx] <= q_end)
        np.add.at(seen, (f.rep[idx], stage), 1)
        np.add.at(value, (f.rep[idx], stage), f.amount[idx])
        np.add.at(won, (f.rep[idx], stage), f.amount[idx] * hit)
        per_snap.append(
            (np.bincount(stage, f.amount[idx], N_STAGES), float((f.amount[idx] * hit).sum()))
        )
    tot_won, tot_value = won.sum(axis=0), value.sum(axis=0)
    pooled = tot_won.sum() / tot_value.sum() if tot_value.sum() > 0 else 0.0
    company = np.where(tot_value > 0, tot_won / np.where(tot_value > 0, tot_value, 1), pooled)
    own = np.where(value > 0, won / np.where(value > 0, value, 1), company[None, :])
    weight = seen / (seen + min_history)
    rep_rates = weight * own + (1 - weight) * company[None, :]
    ratios = [w / (v @ company) for v, w in per_snap if v @ company > 0]
    spread = float(np.std(ratios, ddof=1)) if len(ratios) >= 2 else 0.0
    return company, rep_rates, seen, used, spread


def forecast(
    data: DealData,
    *,
    rep: str | None = None,
    team: str | None = None,
    period: str | Period | None = None,
    as_of: date | str | None = None,
    quota: float | None = None,
    n_sims: int = 5000,
    seed: int = 0,
    min_history: int = 30,
    lookback: int = 4,
    exact_limit: int = 5000,
) -> Forecast:
    """Forecast bookings of a rep, team or the company for ``period`` as of a date.

    ``period`` defaults to the data's current quarter; ``as_of`` to the data's latest date
    (capped at the period end); ``quota``
    defaults to the quotas of the scope's reps for the period. Deterministic for a ``seed``.
    With more than ``exact_limit`` open deals the pipeline's sum of independent wins is
    drawn from its normal approximation (same mean and variance) instead of deal by deal.
    """
    f = deal_frame(data)
    p = Period.parse(period) if period is not None else latest_period(data)
    a_date = as_date(as_of) if as_of is not None else min(data_today(data), p.end)
    a, start, end = day_of(a_date), day_of(p.start), day_of(p.end)
    scope_mask = select(f, rep=rep, team=team)
    scope, name = ("rep", rep) if rep else ("team", team) if team else ("company", "company")
    notes: list[str] = []

    closed_by = f.closed & (f.close <= a) & (f.close != NO_DAY)
    in_period = (f.close >= start) & (f.close <= end)
    won_to_date = float(f.amount[scope_mask & f.won & closed_by & in_period].sum())
    open_at = scope_mask & (f.created <= a) & ~closed_by & (f.created != NO_DAY)
    if a >= end:
        open_at &= False  # the period is over: the answer is what was won
    idx = np.nonzero(open_at)[0]
    stage = _stage_at(f, idx, a)
    company, rep_rates, seen, used, spread = _snapshot_rates(f, p, a, lookback, min_history)
    if scope == "company":
        q = company[stage]
        rates_kind = "company"
    else:
        q = rep_rates[f.rep[idx], stage]
        thin = sorted(
            {str(f.rep_names[r]) for r in np.unique(f.rep[idx]) if seen[r].sum() < min_history}
        )
        rates_kind = "rep" if not thin else ("company" if scope == "rep" else "mixed")
        if thin and scope == "rep":
            notes.append(
                f"{rep} has little history ({int(seen[f.rep[idx][0]].sum())} past open deals "
                f"< {min_history}): the forecast leans on company-wide stage rates."
            )
        elif thin:
            notes.append(f"Company-wide stage rates carry {len(thin)} rep(s) with little history.")
    if used == 0:
        notes.append("No earlier period to learn from: stage rates are 0; only won deals count.")
    if not f.has_history:
        notes.append("No stage history: open deals are placed at their current stage.")
    q = np.clip(q, 0.0, 1.0)
    amounts = f.amount[idx]

    lam, pool = _new_business(f, scope_mask, p, a, lookback) if a < end else (0.0, np.zeros(0))
    rng = np.random.default_rng(seed)
    sims = np.full(n_sims, won_to_date)
    factor = np.maximum(1.0 + spread * rng.standard_normal(n_sims), 0.0)  # period-wide swing
    if len(idx) > exact_limit:  # many independent deals: their sum is normal (CLT)
        mean, sd = (q * amounts).sum(), np.sqrt((q * (1 - q) * amounts**2).sum())
        sims += np.maximum(factor * mean + sd * rng.standard_normal(n_sims), 0.0)
        notes.append(
            f"{len(idx):,} open deals: the pipeline sum is simulated with a normal approximation."
        )
    else:
        chunk = max(1, 4_000_000 // max(len(idx), 1))
        for s0 in range(0, n_sims, chunk):
            s1 = min(n_sims, s0 + chunk)
            if len(idx):
                p_run = np.clip(q[None, :] * factor[s0:s1, None], 0.0, 1.0)
                sims[s0:s1] += (rng.random((s1 - s0, len(idx))) < p_run) @ amounts
    if lam > 0 and len(pool):
        counts = rng.poisson(lam, n_sims)
        draws = pool[rng.integers(0, len(pool), counts.sum())]
        sims += np.bincount(np.repeat(np.arange(n_sims), counts), weights=draws, minlength=n_sims)

    if quota is None:
        quota = _scope_quota(data, f, rep, team, p)
        if quota is None:
            notes.append("No quota found for this scope and period: pass quota= to compare.")
    p10, p50, p90 = (float(x) for x in np.percentile(sims, [10, 50, 90]))
    by_stage = (
        pd.DataFrame(
            {
                "stage": np.array(PIPELINE_STAGES)[stage],
                "amount": amounts,
                "probability": q,
                "expected": q * amounts,
            }
        )
        .groupby("stage", sort=False)
        .agg(
            deals=("amount", "size"),
            amount=("amount", "sum"),
            probability=("probability", "mean"),
            expected=("expected", "sum"),
        )
        .reindex([s for s in PIPELINE_STAGES if s in set(np.array(PIPELINE_STAGES)[stage])])
        .reset_index()
    )
    expected_pipe = float((q * amounts).sum())
    expected_new = float(lam * pool.mean()) if len(pool) else 0.0
    return Forecast(
        scope=scope,
        name=str(name),
        period=p.label,
        as_of=a_date,
        quota=None if quota is None else float(quota),
        won_to_date=won_to_date,
        open_deals=len(idx),
        open_amount=float(amounts.sum()),
        expected_pipeline=expected_pipe,
        expected_new=expected_new,
        expected=won_to_date + expected_pipe + expected_new,
        p10=p10,
        p50=p50,
        p90=p90,
        p_quota=None if quota is None else float((sims >= quota).mean()),
        rates=rates_kind,
        notes=notes,
        by_stage=by_stage,
        simulations=sims,
    )


def _new_business(
    f: Any, scope_mask: np.ndarray, p: Period, a: int, lookback: int
) -> tuple[float, np.ndarray]:
    """Mean count and amount pool of deals created after the same offset and won in past periods."""
    offset = a - day_of(p.start)
    counts, pool = [], []
    for i in range(1, lookback + 1):
        q = p.previous(i)
        q_start, q_end = day_of(q.start), day_of(q.end)
        if q_end >= a:
            continue
        ws = q_start + offset
        m = (
            scope_mask
            & f.won
            & (f.created > ws)
            & (f.close > max(ws, q_start - 1))
            & (f.close <= q_end)
        )
        counts.append(int(m.sum()))
        pool.append(f.amount[m])
    if not counts:
        return 0.0, np.zeros(0)
    return float(np.mean(counts)), np.concatenate(pool)


def _scope_quota(
    data: DealData, f: Any, rep: str | None, team: str | None, p: Period
) -> float | None:
    """The quota of the scope: the rep's, the sum over the team's reps, or over all reps."""
    from spmkb.deals.metrics import quota_for

    q = quota_for(data, p)
    if q.empty:
        return None
    if rep is not None:
        names = [r for r in q.index if r.lower() == rep.lower()]
        return float(q[names].sum()) if names else None
    if team is not None:
        members = [r for r, t in f.rep_team.items() if t == team]
        hit = q.reindex(members).dropna()
        return float(hit.sum()) if len(hit) else None
    return float(q.sum())


__all__ = ["Forecast", "forecast", "money"]
