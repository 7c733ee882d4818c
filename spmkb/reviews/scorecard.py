"""A rep's scorecard against the review standards, and its trend over recent periods.

Every figure comes from :mod:`spmkb.deals.metrics` (the same functions the dashboards and
``spmkb report`` use), so a review never disagrees with them. This module only picks the
rep's row, computes the standard (a target, or the team's median / top quartile of the same
metric) and gives a verdict: ``above`` / ``met`` / ``below`` the standard in the direction
that is better, ``met`` meaning within ``tolerance`` of it. No verdict is given when the rep
closed fewer than ``min_closed_deals`` deals in the period or the figure is missing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData
from spmkb.errors import NotFoundError, suggest
from spmkb.reviews.standards import Standard, Standards

#: Measure -> human label and unit ("ratio", "money", "days", "count").
LABELS: dict[str, tuple[str, str]] = {
    "win_rate": ("Win rate", "ratio"),
    "quota_attainment": ("Quota attainment", "ratio"),
    "pipeline_coverage": ("Pipeline coverage", "times"),
    "avg_deal_size": ("Average deal size", "money"),
    "sales_cycle": ("Sales cycle (median days)", "days"),
    "activity_volume": ("Activities", "count"),
    "stage_conversion": ("Conversion", "ratio"),
}
COLUMNS = ["measure", "stage", "label", "value", "standard", "standard_kind", "direction", "weight",
           "verdict", "n", "closed", "warning"]  # fmt: skip


def find_rep(data: DealData, rep: str) -> str:
    """The canonical name of ``rep`` (case-insensitive); NotFoundError suggesting close names."""
    names = {str(x) for x in data.opportunities["rep"].dropna().unique()}
    if len(data.reps):
        names |= {str(x) for x in data.reps["rep"].dropna().unique()}
    if rep in names:
        return rep
    lowered = {n.lower(): n for n in names}
    if str(rep).lower() in lowered:
        return lowered[str(rep).lower()]
    raise NotFoundError(
        f"no rep named {rep!r} in the deal data",
        field="rep",
        suggestions=suggest(str(rep), sorted(names)),
    )


def team_of(data: DealData, rep: str) -> str | None:
    """The rep's team from the reps table (None when the data has no teams)."""
    if not len(data.reps):
        return None
    match = data.reps[data.reps["rep"].astype(str) == rep]
    return str(match["team"].iloc[0]) if len(match) else None


def team_reps(data: DealData, team: str | None) -> list[str]:
    """Reps of ``team`` (every rep with deals when ``team`` is None), sorted."""
    if team is None or not len(data.reps):
        return sorted(set(data.opportunities["rep"].dropna().astype(str)))
    return sorted(set(data.reps.loc[data.reps["team"].astype(str) == team, "rep"].astype(str)))


def coverage_period(data: DealData, period: Period) -> Period:
    """The period whose pipeline coverage a review reports: the review period while it is
    still running at the data's latest date, else the following period."""
    from spmkb.deals._frame import data_today

    try:
        today = data_today(data)
    except Exception:  # no dates at all: keep the review period
        return period
    return period if period.end >= today else period.next()


def _running(data: DealData, period: Period) -> bool:
    """Whether ``period`` has not ended at the data's latest date."""
    from spmkb.deals._frame import data_today

    try:
        return period.end >= data_today(data)
    except Exception:  # no dates at all
        return False


def _frame(df: pd.DataFrame, value: str, reps: list[str]) -> pd.DataFrame:
    """Index a per-rep metric frame by rep: columns value, n (reps of the team only)."""
    if df is None or not len(df):
        return pd.DataFrame({"value": pd.Series(dtype=float), "n": pd.Series(dtype=int)})
    out = pd.DataFrame(
        {"value": df[value].astype(float).to_numpy(), "n": df["n"].astype(int).to_numpy()},
        index=df["rep"].astype(str).to_numpy(),
    )
    return out[out.index.isin(reps)]


_TEAM_CACHE: dict[Any, tuple[Any, pd.DataFrame]] = {}


def team_values(
    data: DealData,
    measure: str,
    team: str | None,
    period: Period,
    stage: str | None = None,
    cache: dict[Any, Any] | None = None,
) -> pd.DataFrame:
    """Per-rep values of one measure for the team and period (index rep; columns value, n).

    Results are kept per deal data object, so a kernel generating several reviews of one team
    computes each team figure once.
    """
    key = (id(data), measure, team, period.label, stage)
    hit = _TEAM_CACHE.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    out = _team_values(data, measure, team, period, stage, cache)
    if len(_TEAM_CACHE) > 2000:
        _TEAM_CACHE.clear()
    _TEAM_CACHE[key] = (data.opportunities, out)
    return out


def _team_values(
    data: DealData,
    measure: str,
    team: str | None,
    period: Period,
    stage: str | None,
    cache: dict[Any, Any] | None,
) -> pd.DataFrame:
    from spmkb.deals import metrics as m

    reps = team_reps(data, team)
    p = period.label
    if measure == "win_rate":
        return _frame(m.win_rate(data, team=team, period=p, by="rep"), "win_rate", reps)
    if measure == "quota_attainment":
        return _frame(m.attainment(data, team=team, period=p), "attainment", reps)
    if measure == "pipeline_coverage":
        cp = coverage_period(data, period)
        if not _running(data, cp):  # open pipeline of a finished period is not known any more
            return _frame(pd.DataFrame(), "coverage", reps)
        return _frame(
            m.pipeline_coverage(data, team=team, period=cp.label, by="rep"), "coverage", reps
        )
    if measure == "avg_deal_size":
        return _frame(m.deal_size(data, team=team, period=p, by="rep"), "average", reps)
    if measure == "sales_cycle":
        return _frame(m.sales_cycle(data, team=team, period=p, by="rep"), "median_days", reps)
    if measure == "activity_volume":
        return _frame(_activity(data, team, p), "activities", reps)
    if measure == "stage_conversion":
        cache = {} if cache is None else cache
        key = ("stage_conversion", team, p)
        if key not in cache:  # one metrics call per rep, reused for every stage
            frames = []
            for r in reps:
                try:
                    sc = m.stage_conversion(data, rep=r, period=p)
                except NotFoundError:  # listed in the reps table but without deals
                    continue
                frames.append(sc[sc["scope"] == "rep"].assign(rep=r))
            cache[key] = (
                pd.concat(frames, ignore_index=True)
                if frames
                else pd.DataFrame(columns=["rep", "stage", "conversion", "n"])
            )
        table = cache[key]
        return _frame(table[table["stage"] == stage], "conversion", reps)
    raise ValueError(f"unknown measure {measure!r}")


def _activity(data: DealData, team: str | None, period: str) -> pd.DataFrame:
    """Activities per rep in the period, from the deals layer's activity metric."""
    from spmkb.deals import metrics as m

    fn = getattr(m, "activity_volume", None)
    if fn is not None:
        out = fn(data, team=team, period=period, by="rep")
        col = "activities" if "activities" in out.columns else "count"
        return out.rename(columns={col: "activities"})
    # Fallback while the deals layer has no activity metric: count rows of the activities table.
    acts = data.activities
    p = Period.parse(period)
    if not len(acts):
        return pd.DataFrame({"rep": [], "activities": [], "n": []})
    when = pd.to_datetime(acts["date"], errors="coerce")
    inside = acts[(when >= pd.Timestamp(p.start)) & (when <= pd.Timestamp(p.end))]
    counts = inside.groupby(inside["rep"].astype(str)).size()
    return pd.DataFrame(
        {
            "rep": counts.index,
            "activities": counts.to_numpy(dtype=float),
            "n": counts.to_numpy(dtype=int),
        }
    )


def reference(values: pd.Series, std: Standard) -> float:
    """The standard's value: its target, or the team's median / top quartile of ``values``."""
    if std.kind == "absolute":
        return float(std.target) if std.target is not None else math.nan
    vals = values.dropna().astype(float)
    if not len(vals):
        return math.nan
    if std.kind == "team_median":
        return float(vals.median())
    return float(vals.quantile(0.75 if std.direction == "higher" else 0.25))


def verdict(value: float, standard: float, direction: str, tolerance: float) -> str | None:
    """``above`` / ``met`` / ``below`` the standard in the better direction (None if missing)."""
    if value is None or standard is None or not np.isfinite(value) or not np.isfinite(standard):
        return None
    diff = value - standard
    rel = diff / abs(standard) if standard else diff
    if direction == "lower":
        rel = -rel
    if rel > tolerance:
        return "above"
    if rel < -tolerance:
        return "below"
    return "met"


def _closed(data: DealData, team: str | None, period: Period) -> pd.Series:
    from spmkb.deals import metrics as m

    wr = m.win_rate(data, team=team, period=period.label, by="rep")
    return wr.set_index(wr["rep"].astype(str))["n"].astype(int)


def scorecard(data: DealData, rep: str, period: str | Period, standards: Standards) -> pd.DataFrame:
    """One row per standard: the rep's value, the standard, verdict, sample size and warning."""
    rep = find_rep(data, rep)
    p = Period.parse(period)
    team = team_of(data, rep)
    closed_by_rep = _closed(data, team, p)
    closed = int(closed_by_rep.get(rep, 0))
    eligible = closed_by_rep[closed_by_rep >= standards.min_closed_deals].index
    rows = []
    cache: dict[Any, Any] = {}
    for std in standards.standards:
        vals = team_values(data, std.measure, team, p, std.stage, cache)
        value = float(vals["value"].get(rep, math.nan)) if len(vals) else math.nan
        n = int(vals["n"].get(rep, 0)) if len(vals) else 0
        ref_vals = vals.loc[vals.index.isin(eligible), "value"]
        if ref_vals.dropna().shape[0] < 3:  # too few experienced peers: use the whole team
            ref_vals = vals["value"]
        standard = reference(ref_vals, std)
        warnings = []
        if closed < standards.min_closed_deals:
            warnings.append(
                f"too few closed deals ({closed} < {standards.min_closed_deals}): no verdict"
            )
            v = None
        elif not np.isfinite(value):
            warnings.append(
                "pipeline coverage is known only for a period still running at the data's last date"
                if std.measure == "pipeline_coverage"
                else "no data for this measure in the period"
            )
            v = None
        else:
            v = verdict(value, standard, std.direction, standards.tolerance)
            if v is None:
                warnings.append("no standard: the team has no data for this measure")
        label = LABELS[std.measure][0] + (f" {std.stage} → next" if std.stage else "")
        if std.measure == "pipeline_coverage" and coverage_period(data, p) != p:
            label += f" (for {coverage_period(data, p).label})"
        rows.append({
            "measure": std.measure, "stage": std.stage, "label": label, "value": value,
            "standard": standard, "standard_kind": std.kind, "direction": std.direction,
            "weight": std.weight, "verdict": v, "n": n, "closed": closed, "warning": "; ".join(warnings),
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["stage"] = pd.Series([r["stage"] for r in rows], dtype=object)
    out["verdict"] = pd.Series([r["verdict"] for r in rows], dtype=object)
    out.attrs.update(
        {
            "rep": rep,
            "team": team,
            "period": p.label,
            "coverage_period": coverage_period(data, p).label,
        }
    )
    return out


def score(card: pd.DataFrame) -> float | None:
    """Weighted share of measures met or above (0-1) among those with a verdict; None if none."""
    rated = card[card["verdict"].notna()]
    total = float(rated["weight"].sum())
    if not len(rated) or total <= 0:
        return None
    good = float(rated.loc[rated["verdict"].isin(["met", "above"]), "weight"].sum())
    return good / total


def trend(
    data: DealData,
    rep: str,
    period: str | Period,
    standards: Standards,
    n: int = 4,
    current: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The rep's figures for the ``n`` periods ending with ``period`` (oldest first), one row each.

    Stage conversions are left out; ``current`` (the scorecard of ``period``) is reused if given.
    """
    from spmkb.deals.periods import last_n

    rep = find_rep(data, rep)
    measures = [s for s in standards.standards if s.stage is None]
    only = Standards(measures, standards.min_closed_deals, standards.tolerance)
    rows = []
    periods = last_n(period, n)
    for p in periods:
        if current is not None and p == periods[-1]:
            card = current[current["stage"].isna()]
        else:
            card = scorecard(data, rep, p, only)
        row: dict[str, Any] = {
            "period": p.label,
            "closed": int(card["closed"].iloc[0]) if len(card) else 0,
        }
        for _, r in card.iterrows():
            row[r["measure"]] = r["value"]
        row["score"] = score(card)
        rows.append(row)
    return pd.DataFrame(rows)


def scorecard_records(card: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a scorecard (NaN -> None)."""
    return _records(card)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean = {}
        for k, v in rec.items():
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            if v is pd.NA or v is pd.NaT:
                v = None
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            clean[str(k)] = v
        out.append(clean)
    return out


def team_scores(
    data: DealData, team: str | None, period: str | Period, standards: Standards
) -> pd.DataFrame:
    """One row per rep of ``team``: closed deals, scorecard score and verdict counts."""
    from spmkb.reviews.generate import reps_for

    rows = []
    for rep in reps_for(data, team=team):
        card = scorecard(data, rep, period, standards)
        counts = card["verdict"].value_counts()
        rows.append(
            {
                "rep": rep,
                "closed": int(card["closed"].iloc[0]) if len(card) else 0,
                "score": score(card),
                "above": int(counts.get("above", 0)),
                "met": int(counts.get("met", 0)),
                "below": int(counts.get("below", 0)),
                "no_verdict": int(card["verdict"].isna().sum()),
            }
        )
    return pd.DataFrame(
        rows, columns=["rep", "closed", "score", "above", "met", "below", "no_verdict"]
    )
