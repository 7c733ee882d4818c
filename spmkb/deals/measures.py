"""The registry of per-rep measures: each measure is declared once, here.

A :class:`Measure` has a name (``win_rate``), the label a manager reads ("Win rate"), a unit
(``ratio``, ``money``, ``days``, ``count``, ``times``), a direction (``higher`` or ``lower`` is
better), what its sample size counts (``n_of``: "closed deals", "won deals", …), a default
minimum n below which no verdict is given, and a per-rep function. Scorecards, the
``standards.yml`` checks, dashboards, profiles and onboarding milestones all read this table;
a new measure is one entry in :data:`MEASURES`.

:func:`per_rep` returns one row per rep in scope with ``value`` and ``n`` (the n that value
rests on). Measures that only need a start and an end date accept a calendar period
(``2026-Q3``) or a tenure window (``days 0-90`` of each rep's own start); those that need a
calendar period (quota, coverage) say so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals._frame import NO_DAY, deal_frame, ratio, select
from spmkb.deals.periods import Period, Window, calendar_period, parse_scope
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.errors import NotFoundError, suggest

Scope = Period | Window
#: per-rep function: (data, team, scope, stage) -> DataFrame indexed by rep with value, n (+ extras)
PerRep = Callable[[DealData, str | None, Scope | None, str | None], pd.DataFrame]


@dataclass(frozen=True)
class Measure:
    """One measure: name, label, unit, direction, what n counts, and its per-rep function."""

    name: str
    label: str
    unit: str
    direction: str
    description: str
    n_of: str
    compute: PerRep
    min_n: int = 5
    per_stage: bool = False
    calendar_only: bool = False
    volume: bool = False  # grows with time on the job: no verdict for part of a period

    def label_for(self, stage: str | None = None) -> str:
        """The label, with the stage for per-stage measures ("Conversion demo → proposal")."""
        if not self.per_stage or stage is None:
            return self.label
        nxt = [*PIPELINE_STAGES[1:], "won"][PIPELINE_STAGES.index(stage)]
        return f"{self.label} {stage} → {nxt}"

    def to_dict(self) -> dict[str, Any]:
        """Return the declaration as a JSON-ready dict (without the function)."""
        return {k: v for k, v in asdict(self).items() if k != "compute"}


def _by_rep(f: Any, mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Per rep code: count (or weighted sum) of the deals in ``mask``."""
    size = len(f.rep_names)
    w = None if weights is None else weights[mask]
    return np.bincount(f.rep[mask], weights=w, minlength=size)[:size]


def _frame(f: Any, scope_mask: np.ndarray, value: Any, n: Any, **extra: Any) -> pd.DataFrame:
    """Rows of the reps with any deal in scope (``scope_mask``): value, n and extras."""
    present = _by_rep(f, scope_mask) > 0
    out = pd.DataFrame(
        {"value": np.asarray(value, dtype=float), "n": np.asarray(n, dtype=int), **extra},
        index=pd.Index(f.rep_names.astype(str), name="rep"),
    )
    return out[present]


def _scope_mask(data: DealData, team: str | None, scope: Scope | None, by: str = "close") -> Any:
    f = deal_frame(data)
    return f, select(f, team=team, period=scope, by=by)


def _win_rate(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    won, closed = _by_rep(f, m & f.won), _by_rep(f, m & f.closed)
    return _frame(f, m, ratio(won, closed), closed)


def _won_amounts(f: Any, m: np.ndarray) -> tuple[pd.core.groupby.SeriesGroupBy, np.ndarray]:
    sel = m & f.won & np.isfinite(f.amount)
    return pd.Series(f.amount[sel]).groupby(f.rep[sel]), sel


def _deal_size(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    g, sel = _won_amounts(f, m)
    size = len(f.rep_names)
    mean = g.mean().reindex(range(size)).to_numpy()
    median = g.median().reindex(range(size)).to_numpy()
    missing = _by_rep(f, m & f.won & ~np.isfinite(f.amount))
    return _frame(f, m, mean, _by_rep(f, sel), median=median, missing=missing.astype(int))


def _won_amount(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    sel = m & f.won & np.isfinite(f.amount)
    return _frame(f, m, _by_rep(f, sel, f.amount), _by_rep(f, m & f.won))


def _won_deals(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    return _frame(f, m, _by_rep(f, m & f.won), _by_rep(f, m & f.closed))


def _cycle(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    sel = m & f.won & (f.close != NO_DAY) & (f.created != NO_DAY) & (f.close >= f.created)
    g = pd.Series((f.close - f.created)[sel].astype(float)).groupby(f.rep[sel])
    median = g.median().reindex(range(len(f.rep_names))).to_numpy()
    return _frame(f, m, median, _by_rep(f, sel))


def _created(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope, by="created")
    count = _by_rep(f, m)
    return _frame(f, m, count, count)


def _pipeline_created(
    data: DealData, team: str | None, scope: Scope | None, _stage: Any
) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope, by="created")
    known = m & np.isfinite(f.amount)
    return _frame(f, m, _by_rep(f, known, f.amount), _by_rep(f, known))


def _conversion(data: DealData, team: str | None, scope: Scope | None, stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    k = PIPELINE_STAGES.index(stage)
    n = _by_rep(f, m & f.resolved[:, k])
    value = ratio(_by_rep(f, m & f.passed[:, k]), n)
    if not f.has_history and k < len(PIPELINE_STAGES) - 1:
        value = np.full(len(n), np.nan)  # without stage history the data cannot show it
    return _frame(f, m, value, n)


def _activities(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    from spmkb.deals.metrics import activity_volume

    out = activity_volume(data, team=team, period=scope, by="rep").set_index("rep")
    return pd.DataFrame({"value": out["activities"].astype(float), "n": out["n"].astype(int)})


def _attainment(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    from spmkb.deals.metrics import attainment

    p = calendar_period(scope, "quota attainment") if scope is not None else None
    out = attainment(data, team=team, period=p).set_index("rep")
    return pd.DataFrame({"value": out["attainment"].astype(float), "n": out["n"].astype(int)})


def _coverage(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    from spmkb.deals.metrics import pipeline_coverage

    p = calendar_period(scope, "pipeline coverage") if scope is not None else None
    out = pipeline_coverage(data, team=team, period=p, by="rep").set_index("rep")
    return pd.DataFrame({"value": out["coverage"].astype(float), "n": out["n"].astype(int)})


def _disc_before_demo(
    data: DealData, team: str | None, scope: Scope | None, _stage: Any
) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    sel = m & f.closed & np.isfinite(f.disc_before_demo)
    yes = _by_rep(f, sel, np.nan_to_num(f.disc_before_demo))
    n = _by_rep(f, sel)
    return _frame(f, m, ratio(yes, n), n)


def _contacts(data: DealData, team: str | None, scope: Scope | None, _stage: Any) -> pd.DataFrame:
    f, m = _scope_mask(data, team, scope)
    sel = m & f.closed & np.isfinite(f.contacts)
    n = _by_rep(f, sel)
    return _frame(f, m, ratio(_by_rep(f, sel, np.nan_to_num(f.contacts)), n), n)


def _M(*args: Any, **kw: Any) -> tuple[str, Measure]:
    m = Measure(*args, **kw)
    return m.name, m


#: Every measure, by name.
MEASURES: dict[str, Measure] = dict([
    _M("win_rate", "Win rate", "ratio", "higher", "Won deals / closed deals.", "closed deals",
       _win_rate),
    _M("quota_attainment", "Quota attainment", "ratio", "higher",
       "Won amount / quota for the period.", "closed deals", _attainment, calendar_only=True),
    _M("pipeline_coverage", "Pipeline coverage", "times", "higher",
       "Open pipeline expected to close in the period / remaining quota.", "open deals",
       _coverage, calendar_only=True),
    _M("avg_deal_size", "Average deal size", "money", "higher",
       "Mean amount of won deals (median shown beside it).", "won deals", _deal_size),
    _M("won_amount", "Won amount", "money", "higher", "Sum of the amounts of won deals.",
       "won deals", _won_amount, min_n=1, volume=True),
    _M("won_deals", "Won deals", "count", "higher", "Number of won deals.", "closed deals",
       _won_deals, min_n=1, volume=True),
    _M("sales_cycle", "Sales cycle (median days)", "days", "lower",
       "Median days from created to close of won deals.", "won deals", _cycle),
    _M("activity_volume", "Activities", "count", "higher", "Activities logged.", "activities",
       _activities, min_n=1, volume=True),
    _M("opportunities_created", "Opportunities created", "count", "higher",
       "Opportunities created (by created date).", "opportunities created", _created, min_n=1,
       volume=True),
    _M("pipeline_created", "Pipeline created", "money", "higher",
       "Amount of the opportunities created (by created date).", "opportunities with an amount",
       _pipeline_created, min_n=1, volume=True),
    _M("stage_conversion", "Conversion", "ratio", "higher",
       "Share of deals resolved at a stage that moved past it.", "deals resolved at the stage",
       _conversion, per_stage=True),
    _M("discovery_before_demo", "Discovery before the demo", "ratio", "higher",
       "Share of closed deals with a demo that had a discovery meeting first.",
       "closed deals with a demo", _disc_before_demo),
    _M("contacts_per_deal", "Buyer contacts per deal", "count", "higher",
       "Mean of the most buyer contacts on any activity of a closed deal.",
       "closed deals with activities", _contacts),
])  # fmt: skip


def get_measure(name: str) -> Measure:
    """The measure called ``name``; NotFoundError suggesting close names."""
    try:
        return MEASURES[name]
    except KeyError:
        raise NotFoundError(
            f"unknown measure {name!r}", suggestions=suggest(name, list(MEASURES))
        ) from None


def per_rep(
    data: DealData,
    name: str,
    *,
    team: str | None = None,
    period: str | Period | Window | None = None,
    stage: str | None = None,
) -> pd.DataFrame:
    """One row per rep in scope (index ``rep``): ``value`` of measure ``name`` and its ``n``."""
    measure = get_measure(name)
    scope = parse_scope(period) if period is not None else None
    if measure.calendar_only and scope is not None:
        calendar_period(scope, measure.label.lower())
    if measure.per_stage and stage not in PIPELINE_STAGES:
        raise NotFoundError(
            f"{name} needs a stage", suggestions=suggest(str(stage), list(PIPELINE_STAGES))
        )
    return measure.compute(data, team, scope, stage)


def first_day(data: DealData, name: str, threshold: float, window: Window) -> pd.DataFrame:
    """Per rep: the first tenure day on which ``name`` over days ``window.start``..day reached
    ``threshold`` (NaN when it did not within the window). Counts and sums only."""
    measure = get_measure(name)
    if measure.unit not in ("count", "money") or measure.per_stage:
        raise NotFoundError(f"{name} is not a count or an amount: no first day to find")
    by = "created" if name in ("opportunities_created", "pipeline_created") else "close"
    f = deal_frame(data)
    start = f.rep_start[f.rep] if f.n else np.zeros(0, dtype=np.int64)
    day = f.created if by == "created" else f.close
    tenure = np.where((start != NO_DAY) & (day != NO_DAY), day - start, -1)
    m = (tenure >= window.start) & (tenure <= window.end)
    if name == "won_deals":
        m &= f.won
    weights = f.amount if measure.unit == "money" else np.ones(f.n)
    if name == "won_amount":
        m &= f.won
    m &= np.isfinite(weights)
    frame = pd.DataFrame({"rep": f.rep[m], "day": tenure[m], "w": weights[m]})
    frame = frame.sort_values(["rep", "day"], kind="stable")
    frame["cum"] = frame.groupby("rep")["w"].cumsum()
    hit = frame[frame["cum"] >= threshold].groupby("rep")["day"].min()
    out = pd.DataFrame(index=pd.Index(f.rep_names.astype(str), name="rep"))
    out["day"] = hit.reindex(range(len(f.rep_names))).to_numpy(dtype=float)
    return out


__all__ = ["MEASURES", "Measure", "first_day", "get_measure", "per_rep"]
