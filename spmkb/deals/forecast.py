"""Will a rep, team or the company make its number? A probabilistic bookings forecast.

The forecast uses only what was known on its ``as_of`` date: it runs on
:func:`~spmkb.deals.forecast_rates.as_known_on` (deals created later removed, deals closed
later re-opened, stage history cut), so a backtest on the full data is the forecast that
would have been made then. For a period and an ``as_of`` date it adds three parts:

1. **won so far**: deals won with a close date between the period start and ``as_of``;
2. **open pipeline**: every deal open at ``as_of`` is won *inside the period* with the
   rate learnt for its cell (its stage from the stage history, or, without stage history,
   its age) and product, at the same point of each of the previous four periods
   (:func:`~spmkb.deals.forecast_rates.learn`). A rep's own rates are shrunk towards the
   company's, so a rep with little history gets (and is told they get) company-wide rates;
3. **new deals**: deals not yet created that are won inside the period, at the count seen
   over the same remaining window of the previous four periods.

A seeded, vectorised Monte Carlo simulation turns these into a bookings distribution:
P10/P50/P90 and the probability of reaching quota. Each run also draws one period-wide
factor (its spread measured, beyond deal-by-deal luck, over the scopes of the forecast's
level in past periods), so the interval reflects good and bad quarters. A finished period
is reported as what was won; a period more than one period ahead is refused.
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
    period_or_latest,
    select,
)
from spmkb.deals.forecast_rates import (
    MIN_SWING,
    as_known_on,
    cell_at,
    cell_label,
    learn,
    new_business,
    quoted_amounts,
)
from spmkb.deals.periods import Period, as_date, period_of
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError


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
    finished: bool = False
    by_stage: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    simulations: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the forecast as a JSON-ready dict (without the raw simulations)."""
        return {
            "scope": self.scope,
            "name": self.name,
            "period": self.period,
            "as_of": self.as_of.isoformat(),
            "finished": self.finished,
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
        if self.finished:
            if self.quota is None:
                return "the period is over"
            made = self.won_to_date >= self.quota
            return "the period is over: " + ("made the number" if made else "missed the number")
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
        if self.finished:
            text = f"{who}: {self.period} is over: won {money(self.won_to_date)}"
            if self.quota is None:
                return text + " (no quota set)."
            pct = f" ({self.won_to_date / self.quota:.0%})" if self.quota > 0 else ""
            return text + f" against quota {money(self.quota)}{pct}."
        head = f"{who}, {self.period} (as of {self.as_of.isoformat()}): {self.verdict()}"
        body = f"P50 {money(self.p50)}"
        if self.quota is not None:
            body += f" vs quota {money(self.quota)}"
        body += f" (P10 {money(self.p10)}, P90 {money(self.p90)})"
        tail = f"Won so far {money(self.won_to_date)}; {self.open_deals} open deals worth {money(self.open_amount)}."
        if self.p_quota is not None:
            tail = f"{self.p_quota:.0%} chance of reaching quota. " + tail
        return f"{head} — {body}. {tail}"


def _check_horizon(p: Period, a_date: date, today: date) -> None:
    """Refuse a period (or as-of date) more than one period after the data's last date."""
    last = period_of(today, p.kind)
    limit = last.next()
    if p > limit or a_date > limit.end:
        what = f"as of {a_date.isoformat()}" if p <= limit else p.label
        raise DealDataError(
            f"cannot forecast {what}: the deal data ends on {today.isoformat()} ({last.label}), "
            f"and a forecast reaches at most one {p.kind} ahead ({limit.label})",
            hint=f"pick a period up to {limit.label}, or import newer deals",
        )
    ahead = period_of(a_date, p.kind).next()
    if p > ahead:
        raise DealDataError(
            f"cannot forecast {p.label} as of {a_date.isoformat()}: a forecast reaches at most "
            f"one {p.kind} ahead of its date ({ahead.label})",
            hint=f"give an as-of date in {p.previous().label} or later",
        )


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
    (capped at the period end); ``quota`` defaults to the quotas of the scope's reps for the
    period. Only what was known on ``as_of`` is used (:func:`as_known_on`), so
    ``forecast(data, as_of=d)`` equals ``forecast(as_known_on(data, d), as_of=d)``.
    Deterministic for a ``seed``. With more than ``exact_limit`` open deals the pipeline's
    sum of independent wins is drawn from its normal approximation (same mean and variance).
    Raises DealDataError for a period more than one period after the data's last date.
    """
    p = period_or_latest(data, period, "a forecast")
    today = data_today(data)
    a_date = as_date(as_of) if as_of is not None else min(today, p.end)
    _check_horizon(p, a_date, today)
    a, f = day_of(a_date), deal_frame(data)
    entered = f.entered[f.entered != NO_DAY]
    nothing_later = (
        (f.created.max(initial=NO_DAY) <= a)
        and (f.close[f.closed].max(initial=NO_DAY) <= a)
        and (entered.max(initial=NO_DAY) <= a)
    )
    # The cut changes nothing the forecast reads when nothing happened after ``as_of`` (open
    # deals' expected close dates are never read), and a finished period only needs what was
    # won: skip it then (on 1 M deals the cut and its arrays cost seconds).
    known = data if nothing_later or a >= day_of(p.end) else as_known_on(data, a_date)
    return _forecast_known(
        known, rep, team, p, a_date, quota, n_sims, seed, min_history, lookback, exact_limit
    )


def _forecast_known(
    data: DealData,
    rep: str | None,
    team: str | None,
    p: Period,
    a_date: date,
    quota: float | None,
    n_sims: int,
    seed: int,
    min_history: int,
    lookback: int,
    exact_limit: int,
) -> Forecast:
    """The forecast on data already cut to what was known on ``a_date``."""
    f = deal_frame(data)
    a, start, end = day_of(a_date), day_of(p.start), day_of(p.end)
    scope_mask = select(f, rep=rep, team=team)
    scope, name = ("rep", rep) if rep else ("team", team) if team else ("company", "company")
    notes: list[str] = []
    finished = a >= end

    undated = f.closed & (f.close == NO_DAY) & ((f.created == NO_DAY) | (f.created <= a))
    if (undated & scope_mask).any():
        notes.append(
            f"{int((undated & scope_mask).sum())} closed deal(s) without a close date are left "
            "out (neither open pipeline nor won in the period)."
        )
    won_to_date = float(
        f.amount[scope_mask & f.won & (f.close >= start) & (f.close <= min(a, end))].sum()
    )
    if finished:  # the period is over: the answer is what was won
        quota = _quota_or_note(data, f, rep, team, p, quota, notes)
        return _actuals(scope, str(name), p, a_date, quota, n_sims, won_to_date, notes)
    no_created = scope_mask & f.open & (f.created == NO_DAY)
    if no_created.any():
        notes.append(
            f"{int(no_created.sum())} open deal(s) without a created date are left out "
            "(their age is unknown)."
        )
    open_at = scope_mask & f.open & (f.created != NO_DAY) & (f.created <= a)
    idx = np.nonzero(open_at)[0]
    opps = data.opportunities
    prod = (
        pd.factorize(opps["product"].astype("string").fillna("(none)"))[0]
        if "product" in opps
        else np.zeros(f.n, dtype=np.int64)
    )
    group = {"company": np.zeros(f.n, np.int64), "team": f.team, "rep": f.rep}[scope]
    quoted = quoted_amounts(opps, f.amount, f.won)
    finer = {"company": f.team if len(f.team_names) > 1 else f.rep, "team": f.rep, "rep": None}
    rates = learn(f, prod, quoted, group, p, a, lookback, min_history, finer[scope])
    if abs(rates.swing_n) < MIN_SWING and rates.snapshots:
        notes.append(
            "Too few earlier periods to measure how much a whole period swings: the interval "
            "shows deal-by-deal luck only and is likely too narrow."
        )
    elif rates.swing_n < 0:
        notes.append(
            f"Too few earlier periods to measure how much a whole period swings at this level: "
            f"the interval uses the {'team' if finer[scope] is f.team else 'rep'} level's swing."
        )
    cell = cell_at(f, idx, a)
    q = np.clip(rates.level * rates.rate(f, idx, cell, prod[idx], rep=scope != "company"), 0, 1)
    rates_kind = "company"
    if scope != "company":
        thin = sorted(
            {
                str(f.rep_names[r])
                for r in np.unique(f.rep[idx])
                if rates.seen[r].sum() < min_history
            }
        )
        rates_kind = "rep" if not thin else ("company" if scope == "rep" else "mixed")
        if thin and scope == "rep":
            notes.append(
                f"{rep} has little history ({int(rates.seen[f.rep[idx][0]].sum())} past open "
                f"deals < {min_history}): the forecast leans on company-wide rates."
            )
        elif thin:
            notes.append(f"Company-wide rates carry {len(thin)} rep(s) with little history.")
    if rates.snapshots == 0:
        notes.append("No earlier period to learn from: win rates are 0; only won deals count.")
    else:
        notes.append(
            f"Win rates learnt from {rates.snapshots} earlier period(s) "
            f"({int(rates.seen.sum()):,} deals open at the same point); period-wide swing "
            f"±{rates.swing:.0%} from {abs(rates.swing_n)} past (scope, period) value(s)."
        )
    if len(idx) and (cell >= N_STAGES).any():
        notes.append(
            "Deals without stage history are placed by age (days since created) and product, "
            "not by stage."
        )
    amounts = f.amount[idx]

    lam, pool, nb_sd = new_business(f, scope_mask, group, p, a, lookback)
    rng = np.random.default_rng(seed)
    sims = np.full(n_sims, won_to_date)
    z = rng.standard_normal(n_sims)  # one period-wide draw: good or bad quarter for all parts
    tau = rates.swing
    factor = np.exp(tau * z - tau**2 / 2)
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
        counts = rng.poisson(lam * np.exp(nb_sd * z - nb_sd**2 / 2))
        draws = pool[rng.integers(0, len(pool), counts.sum())]
        sims += np.bincount(np.repeat(np.arange(n_sims), counts), weights=draws, minlength=n_sims)

    quota = _quota_or_note(data, f, rep, team, p, quota, notes)
    p10, p50, p90 = (float(x) for x in np.percentile(sims, [10, 50, 90]))
    by_stage = _by_stage(cell, amounts, q)
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


def _actuals(
    scope: str,
    name: str,
    p: Period,
    a_date: date,
    quota: float | None,
    n_sims: int,
    won: float,
    notes: list[str],
) -> Forecast:
    """A finished period: what was won, against the quota (no forecast, no chance)."""
    return Forecast(
        scope=scope, name=name, period=p.label, as_of=a_date,
        quota=None if quota is None else float(quota), won_to_date=won, open_deals=0,
        open_amount=0.0, expected_pipeline=0.0, expected_new=0.0, expected=won, p10=won,
        p50=won, p90=won, p_quota=None, rates="actuals", notes=notes, finished=True,
        by_stage=pd.DataFrame(columns=["stage", "deals", "amount", "probability", "expected"]),
        simulations=np.full(n_sims, won),
    )  # fmt: skip


def _by_stage(cell: np.ndarray, amounts: np.ndarray, q: np.ndarray) -> pd.DataFrame:
    """Open pipeline per cell (stage, or age bucket of deals of unknown stage)."""
    frame = pd.DataFrame(
        {"cell": cell, "amount": amounts, "probability": q, "expected": q * amounts}
    )
    out = (
        frame.groupby("cell", sort=True)
        .agg(
            deals=("amount", "size"),
            amount=("amount", "sum"),
            probability=("probability", "mean"),
            expected=("expected", "sum"),
        )
        .reset_index()
    )
    out.insert(0, "stage", [cell_label(int(c)) for c in out["cell"]])
    return out.drop(columns=["cell"])


def _quota_or_note(
    data: DealData,
    f: Any,
    rep: str | None,
    team: str | None,
    p: Period,
    quota: float | None,
    notes: list[str],
) -> float | None:
    """``quota`` if given, else the scope's (a note in ``notes`` when there is none)."""
    if quota is None:
        quota = _scope_quota(data, f, rep, team, p)
        if quota is None:
            notes.append("No quota found for this scope and period: pass quota= to compare.")
    return quota


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


__all__ = ["Forecast", "as_known_on", "forecast", "money"]
