"""Everything a review shows, assembled by :func:`build_review` into one :class:`Review`.

Sections: scorecard against standards, trend over the last four periods, funnel vs team with
the coaching focus, win/loss summary with the largest won and lost deals, next-period
forecast, and recommended assets for the focus stage. Figures come from the deals layer's
metric functions; recommendations come from the search layer (computed by the caller, once
per batch, and passed in — so the review notebook itself never loads the embedding model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spmkb.deals.periods import Period
from spmkb.deals.schema import DealData
from spmkb.deals.overview import records as _records
from spmkb.deals.roster import roster
from spmkb.errors import DealDataError, NotFoundError
from spmkb.reviews.scorecard import score, scorecard, trend
from spmkb.reviews.standards import Standards


@dataclass
class Review:
    """The computed content of one rep's review for one period."""

    rep: str
    team: str | None
    period: str
    scorecard: pd.DataFrame
    score: float | None
    trend: pd.DataFrame
    funnel: pd.DataFrame
    focus: dict[str, Any]
    winloss: pd.DataFrame
    largest: pd.DataFrame
    forecast: dict[str, Any] | None
    recommendations: dict[str, Any]
    closed: int = 0
    deals: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        """Whether the rep has any deal closing in the period."""
        return self.deals > 0

    def to_dict(self) -> dict[str, Any]:
        """Return the review as JSON-ready data (what the notebook's ``review-data`` cell shows)."""
        return {
            "rep": self.rep, "team": self.team, "period": self.period, "score": self.score,
            "closed": self.closed, "deals": self.deals, "notes": list(self.notes),
            "scorecard": _records(self.scorecard), "trend": _records(self.trend),
            "funnel": _records(self.funnel), "focus": self.focus, "winloss": _records(self.winloss),
            "largest": _records(self.largest), "forecast": self.forecast,
            "recommendations": self.recommendations,
        }  # fmt: skip


def funnel_vs_team(data: DealData, rep: str, period: str | Period) -> pd.DataFrame:
    """Stage conversion of the rep next to the team's (from ``metrics.stage_conversion``)."""
    from spmkb.deals import metrics as m

    sc = m.stage_conversion(data, rep=rep, period=str(Period.parse(period)))
    mine = sc[sc["scope"] == "rep"].set_index("stage")
    team = sc[sc["scope"] == "team"].set_index("stage")
    out = pd.DataFrame({
        "stage": mine.index, "next_stage": mine["next_stage"].to_numpy(),
        "rep_conversion": mine["conversion"].to_numpy(),
        "team_conversion": team["conversion"].reindex(mine.index).to_numpy(),
        "n": mine["n"].to_numpy(), "team_n": team["n"].reindex(mine.index).to_numpy(),
        "warning": mine["warning"].to_numpy(),
    })  # fmt: skip
    out["gap"] = out["rep_conversion"] - out["team_conversion"]
    return out[
        [
            "stage",
            "next_stage",
            "rep_conversion",
            "team_conversion",
            "gap",
            "n",
            "team_n",
            "warning",
        ]
    ]


def focus_of(data: DealData, rep: str, period: str | Period) -> dict[str, Any]:
    """The rep's coaching focus (``metrics.coaching_focus``): stage, gap, flagged, reason."""
    from spmkb.deals import metrics as m

    cf = m.coaching_focus(data, rep=rep, period=str(Period.parse(period)))
    cf = cf[cf["rep"].astype(str) == rep]
    if not len(cf) or cf["stage"].iloc[0] is None or pd.isna(cf["stage"].iloc[0]):
        return {
            "stage": None,
            "flagged": False,
            "reason": "not enough deals to compare any stage with the team",
        }
    return _records(cf.head(1))[0]


def _closing_in(data: DealData, rep: str, period: str | Period) -> Any:
    """Mask of the rep's deals whose close date lies in ``period`` (rows of opportunities)."""
    from spmkb.deals._frame import deal_frame, select

    return select(deal_frame(data), rep=rep, period=Period.parse(period))


def largest_deals(data: DealData, rep: str, period: str | Period, k: int = 3) -> pd.DataFrame:
    """The ``k`` largest won and ``k`` largest lost deals of the rep closed in the period."""
    o = data.opportunities
    m = _closing_in(data, rep, period)
    cols = [c for c in ("id", "account", "status", "amount", "stage", "close_date", "competitor", "loss_reason")
            if c in o.columns]  # fmt: skip
    frames = []
    for status in ("won", "lost"):
        sub = o.loc[m & (o["status"].astype(str) == status), cols]
        frames.append(sub.sort_values("amount", ascending=False, kind="stable").head(k))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    if "close_date" in out.columns:
        out["close_date"] = pd.to_datetime(out["close_date"]).dt.date
    return out


def next_forecast(data: DealData, rep: str, period: str | Period) -> dict[str, Any] | None:
    """The rep's forecast for the period after ``period`` (``forecast.forecast``), as a dict."""
    try:
        from spmkb.deals.forecast import forecast
    except ImportError:
        return None
    from spmkb.deals._frame import data_today

    nxt = Period.parse(period).next()
    # As if reviewed when the period closed: as of the next period's start (or the data's end).
    as_of = min(nxt.start, data_today(data))
    try:
        fc = forecast(data, rep=rep, period=nxt.label, as_of=as_of)
    except DealDataError:  # the next period lies beyond what the data can forecast
        return None
    except NotFoundError:  # the rep has no deal known on ``as_of`` (not started yet)
        return None
    d = fc.to_dict() if hasattr(fc, "to_dict") else dict(vars(fc))
    d.setdefault("period", nxt.label)
    d.pop("by_stage", None)
    return _clean(d)


def _clean(obj: Any) -> Any:
    """JSON-ready copy: DataFrames to records, NaN to None, numpy scalars to Python."""
    if isinstance(obj, pd.DataFrame):
        return _records(obj)
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        try:
            obj = obj.item()
        except (ValueError, AttributeError):
            return str(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def recommend_for_stage(searcher: Any, stage: str | None) -> dict[str, Any]:
    """Assets to study for the focus ``stage`` via ``spmkb.search.recommend`` (a note on failure)."""
    if not stage:
        return {"stage": None, "items": [], "note": "no focus stage: nothing to recommend"}
    if searcher is None:
        return {
            "stage": stage,
            "items": [],
            "note": "no search index: run `spmkb index` to get recommended assets",
        }
    from spmkb.errors import SpmkbError
    from spmkb.search.recommend import recommend

    try:
        pack = recommend(searcher, stage=stage)
    except SpmkbError as err:
        return {"stage": stage, "items": [], "note": f"recommendations unavailable: {err}"}
    items = []
    for it in pack.items:
        if it.hit is None or it.slot not in ("stage playbook", "objection handling"):
            continue
        items.append(
            {
                "slot": it.slot,
                "id": it.hit.id,
                "title": it.hit.title,
                "type": it.hit.type,
                "path": it.hit.path,
                "section": it.hit.section,
                "reason": it.reason,
            }
        )
    note = (
        "" if items else f"no asset in the knowledge base covers the {stage} stage — a content gap"
    )
    return {"stage": stage, "items": items, "note": note}


def open_searcher(settings: Any) -> tuple[Any, str]:
    """A Searcher when an index exists (else None) and a note saying why not."""
    if not settings.chroma_url and not settings.chroma_path.exists():
        return None, "no search index: run `spmkb index` to get recommended assets"
    from spmkb.errors import SpmkbError
    from spmkb.search.query import Searcher

    try:
        return Searcher.open(settings), ""
    except SpmkbError as err:
        return None, f"search index unavailable: {err}"


def build_review(
    data: DealData,
    rep: str,
    period: str | Period,
    standards: Standards,
    *,
    recommendations: dict[str, Any] | None = None,
) -> Review:
    """Compute every section of a rep's review for ``period``."""
    from spmkb.deals import metrics as m

    ros = roster(data)
    rep = ros.find_name(rep)
    p = Period.parse(period)
    team = ros.team_of(rep)
    card = scorecard(data, rep, p, standards)
    deals = int(_closing_in(data, rep, p).sum())
    closed = int(card["closed"].iloc[0]) if len(card) else 0
    notes = []
    if not deals:
        notes.append(f"{rep} has no deals closing in {p.label}: the sections below have no data")
    elif closed < standards.min_closed_deals:
        notes.append(
            f"{rep} closed {closed} deal(s) in {p.label}, fewer than {standards.min_closed_deals}: "
            "figures are shown with their sample size, without verdicts where a measure's n is too small"
        )
    focus = (
        focus_of(data, rep, p) if deals else {"stage": None, "flagged": False, "reason": "no data"}
    )
    if recommendations is None:
        recommendations = {
            "stage": focus.get("stage"),
            "items": [],
            "note": "recommendations were not requested for this review",
        }
    return Review(
        rep=rep, team=team, period=p.label, scorecard=card, score=score(card),
        trend=trend(data, rep, p, standards, current=card), funnel=funnel_vs_team(data, rep, p), focus=focus,
        winloss=m.winloss(data, rep=rep, period=p.label), largest=largest_deals(data, rep, p),
        forecast=next_forecast(data, rep, p), recommendations=recommendations,
        closed=closed, deals=deals, notes=notes,
    )  # fmt: skip
