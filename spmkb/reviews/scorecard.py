"""A rep's scorecard against the review standards, and its trend over recent periods.

Every figure comes from the measure registry (:mod:`spmkb.deals.measures`, the same functions
the dashboards and ``spmkb report`` use), so a review never disagrees with them. This module
only picks the rep's row, computes the standard (a target, the team's median / top quartile
of the same measure among reps with enough data, or the top tier's figure for ``top_profile``:
tiers ranked over :func:`~spmkb.deals.tiers.profile_window` of the review period, the figure
measured in the review period, its basis in the ``basis`` column) and gives a verdict: ``above`` / ``met`` /
``below`` the standard in the direction that is better, ``met`` meaning within ``tolerance`` of
it. No verdict is given when the measure's own n (closed deals for the win rate, won deals for
deal size, deals resolved at the stage for a conversion …) is below its minimum: the value is
shown with "not enough data (n = 2)".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.measures import get_measure, per_rep
from spmkb.deals.overview import records
from spmkb.deals.periods import Period
from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData
from spmkb.reviews.standards import Standard, Standards

COLUMNS = ["measure", "stage", "label", "unit", "value", "median", "standard", "standard_kind",
           "direction", "weight", "verdict", "n", "n_of", "min_n", "closed", "warning", "basis"]  # fmt: skip


def coverage_period(data: DealData, period: Period) -> Period:
    """The period whose pipeline coverage a review reports: the review period while it is
    still running at the data's latest date, else the following period."""
    return period if _running(data, period) else period.next()


def _running(data: DealData, period: Period) -> bool:
    """Whether ``period`` has not ended at the data's latest date."""
    from spmkb.deals._frame import data_today
    from spmkb.errors import DealDataError

    try:
        return period.end >= data_today(data)
    except DealDataError:  # no dates at all
        return False


_TEAM_CACHE: dict[Any, tuple[Any, pd.DataFrame]] = {}


def team_values(
    data: DealData, measure: str, team: str | None, period: Period, stage: str | None = None
) -> pd.DataFrame:
    """Per-rep values of one measure for the team and period (index rep; columns value, n, …).

    Results are kept per deal data object, so a kernel generating several reviews of one team
    computes each team figure once.
    """
    key = (id(data), measure, team, period.label, stage)
    hit = _TEAM_CACHE.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    scope = period
    if measure == "pipeline_coverage":
        scope = coverage_period(data, period)
        if not _running(data, scope):  # open pipeline of a finished period is not known any more
            out = pd.DataFrame({"value": pd.Series(dtype=float), "n": pd.Series(dtype=int)})
            _TEAM_CACHE[key] = (data.opportunities, out)
            return out
    out = per_rep(data, measure, team=team, period=scope, stage=stage)
    members = set(roster(data).names(team=team)) if team else None
    if members is not None:
        out = out[out.index.isin(members)]
    if len(_TEAM_CACHE) > 2000:
        _TEAM_CACHE.clear()
    _TEAM_CACHE[key] = (data.opportunities, out)
    return out


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


def min_n_for(std: Standard, standards: Standards) -> int:
    """The n a verdict on ``std`` needs: its own ``min_n``, else the file's default for
    measures resting on deals (``min_closed_deals``), else the measure's own minimum."""
    if std.min_n is not None:
        return std.min_n
    measure = get_measure(std.measure)
    return standards.min_closed_deals if measure.min_n > 1 else measure.min_n


def _part_of(data: DealData, rep: str, p: Period) -> str | None:
    """Why ``rep`` worked only part of ``p`` (started or left inside it), else None."""
    who = roster(data).find(rep)
    if who.start_date is not None and who.start_date > p.start:
        return f"started {who.start_date.isoformat()}"
    if who.end_date is not None and who.end_date < p.end:
        return f"left {who.end_date.isoformat()}"
    return None


def _row(
    data: DealData, rep: str, team: str | None, p: Period, std: Standard, standards: Standards
) -> dict[str, Any]:
    """One scorecard row: the rep's value and n, the standard and the verdict (or why not)."""
    measure = get_measure(std.measure)
    partial = _part_of(data, rep, p) if measure.volume else None
    vals = team_values(data, std.measure, team, p, std.stage)
    need = min_n_for(std, standards)
    has = rep in vals.index
    value = float(vals.at[rep, "value"]) if has else math.nan
    n = int(vals.at[rep, "n"]) if has else 0
    median = float(vals.at[rep, "median"]) if has and "median" in vals else math.nan
    peers = vals.loc[vals["n"] >= need, "value"] if len(vals) else pd.Series(dtype=float)
    if peers.dropna().shape[0] < 3:  # too few peers with enough data: use the whole team
        peers = vals["value"] if len(vals) else peers
    standard, basis, no_target = reference(peers, std), "", ""
    if std.kind == "top_profile":
        standard, basis = _top(data, team, p, std, standards)
        no_target = basis if not np.isfinite(standard) else ""
    v, warning = None, ""
    if not np.isfinite(value):
        if std.measure == "pipeline_coverage":
            warning = "pipeline coverage is known only for a period still running at the data's last date"
        elif measure.per_stage and n > 0:
            warning = "not in this data: no stage history, so this conversion cannot be measured"
        elif std.measure == "quota_attainment" and n > 0:
            warning = "no quota for this period"
        else:
            warning = "no data for this measure in the period"
    elif n < need:
        warning = f"not enough data (n = {n} {measure.n_of}, needs {need}): no verdict"
    elif partial:
        warning = f"active only part of {p.label} ({partial}): no verdict on a volume"
    elif no_target:
        warning = f"{no_target[0].upper()}{no_target[1:]}"
    else:
        v = verdict(value, standard, std.direction, standards.tolerance)
        if v is None:
            warning = "no standard: the team has no data for this measure"
    label = measure.label_for(std.stage)
    if std.measure == "pipeline_coverage" and coverage_period(data, p) != p:
        label += f" (for {coverage_period(data, p).label})"
    return {
        "measure": std.measure, "stage": std.stage, "label": label, "unit": measure.unit,
        "value": value, "median": median, "standard": standard, "standard_kind": std.kind,
        "direction": std.direction, "weight": std.weight, "verdict": v, "n": n,
        "n_of": measure.n_of, "min_n": need, "warning": warning, "basis": basis,
    }  # fmt: skip


def _top(
    data: DealData, team: str | None, p: Period, std: Standard, standards: Standards
) -> tuple[float, str]:
    """A ``top_profile`` standard's value and basis (or NaN and why there is none)."""
    from spmkb.deals.tiers import profile_window, top_figure
    from spmkb.errors import DealDataError

    scope = None if std.scope == "company" else team
    try:
        fig = top_figure(data, std.measure, profile_window(p), team=scope, stage=std.stage,
                         period=p, options=standards.tier_rules)  # fmt: skip
    except DealDataError as err:  # e.g. no closed deals in the window: no target, say why
        return math.nan, f"no top-tier figure: {err.message}"
    return fig.value, fig.basis()


def scorecard(data: DealData, rep: str, period: str | Period, standards: Standards) -> pd.DataFrame:
    """One row per standard: the rep's value, the standard, verdict, its own n and a warning."""
    ros = roster(data)
    rep = ros.find_name(rep)
    p = Period.parse(period)
    team = ros.team_of(rep)
    closed = int(team_values(data, "win_rate", team, p)["n"].get(rep, 0))
    rows = [{**_row(data, rep, team, p, std, standards), "closed": closed} for std in standards.standards]
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("stage", "verdict"):
        out[col] = pd.Series([r[col] for r in rows], dtype=object)
    out.attrs.update(
        {"rep": rep, "team": team, "period": p.label,
         "coverage_period": coverage_period(data, p).label}
    )  # fmt: skip
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

    Each row's ``score`` is :func:`score` of that period's full scorecard (stage conversions
    included), so the current period's row equals the review's header score; the row shows the
    measures without a stage. ``current`` (the scorecard of ``period``) is reused if given.
    """
    from spmkb.deals.periods import last_n

    rep = roster(data).find_name(rep)
    rows = []
    periods = last_n(period, n)
    for p in periods:
        full = (
            current
            if current is not None and p == periods[-1]
            else scorecard(data, rep, p, standards)
        )
        card = full[full["stage"].isna()]
        row: dict[str, Any] = {
            "period": p.label,
            "closed": int(full["closed"].iloc[0]) if len(full) else 0,
        }
        for _, r in card.iterrows():
            row[r["measure"]] = r["value"]
        row["score"] = score(full)
        rows.append(row)
    return pd.DataFrame(rows)


def scorecard_records(card: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows of a scorecard (NaN -> None)."""
    return records(card)


def team_scores(
    data: DealData, team: str | None, period: str | Period, standards: Standards
) -> pd.DataFrame:
    """One row per rep of ``team``: closed deals, scorecard score and verdict counts."""
    rows = []
    for rep in roster(data).names(team=team, with_deals=True):
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
