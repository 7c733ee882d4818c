"""Everything the deal dashboard shows, computed by one call: :func:`overview`.

The dashboard widget and ``bench/bench_metrics.py`` both call it, so the benchmark measures
exactly what a user waits for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import pandas as pd

from spmkb.deals import metrics as m
from spmkb.deals._frame import period_or_latest
from spmkb.deals.forecast import Forecast, forecast
from spmkb.deals.periods import Period
from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData


@dataclass
class Overview:
    """The dashboard's figures for one rep/team/period selection."""

    rep: str | None
    team: str | None
    period: str
    summary: pd.DataFrame
    funnel: pd.DataFrame
    conversion: pd.DataFrame
    winloss: pd.DataFrame
    behaviours: pd.DataFrame
    coaching: pd.DataFrame
    leaderboard: pd.DataFrame
    attainment: pd.DataFrame
    coverage: pd.DataFrame
    forecast: Forecast

    def to_dict(self) -> dict[str, Any]:
        """Return every table as records and the forecast as a dict (JSON-ready)."""
        out: dict[str, Any] = {}
        for fld in fields(self):
            value = getattr(self, fld.name)
            if isinstance(value, pd.DataFrame):
                out[fld.name] = records(value)
            elif hasattr(value, "to_dict"):
                out[fld.name] = value.to_dict()
            else:
                out[fld.name] = value
        return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (NaN -> None, numpy scalars -> Python)."""
    clean = frame.astype(object).where(frame.notna(), None)
    rows = clean.to_dict(orient="records")
    for row in rows:
        for k, v in row.items():
            if hasattr(v, "item"):
                v = v.item()
            elif hasattr(v, "isoformat"):
                v = v.isoformat()
            row[k] = None if isinstance(v, float) and not math.isfinite(v) else v
    return [{str(k): v for k, v in row.items()} for row in rows]


def overview(
    data: DealData,
    *,
    rep: str | None = None,
    team: str | None = None,
    period: str | Period | None = None,
    as_of: date | str | None = None,
    n_sims: int = 2000,
    seed: int = 0,
) -> Overview:
    """Compute the dashboard for a rep (vs their team), a team (vs the company) or the company.

    ``period`` (default: the data's current quarter) filters every table by close date; the
    forecast answers "will this scope make its number in ``period``?".
    """
    p = period_or_latest(data, period, "the dashboard")
    board_team = team
    if rep is not None and team is None:
        board_team = roster(data).team_of(rep)
    kw: dict[str, Any] = {"rep": rep, "team": team if rep is None else None, "period": p}
    return Overview(
        rep=rep,
        team=board_team,
        period=p.label,
        summary=m.rep_summary(data, **kw),
        funnel=m.funnel(data, **kw),
        conversion=m.stage_conversion(data, **kw),
        winloss=m.winloss(data, **kw),
        behaviours=m.behaviours(data, **kw),
        coaching=m.coaching_focus(data, **kw),
        leaderboard=m.leaderboard(data, team=board_team, period=p),
        attainment=m.attainment(data, rep=rep, team=kw["team"], period=p, periods=4),
        coverage=m.pipeline_coverage(data, rep=rep, team=kw["team"], period=p, by=None),
        forecast=forecast(
            data, rep=rep, team=kw["team"], period=p, as_of=as_of, n_sims=n_sims, seed=seed
        ),
    )
