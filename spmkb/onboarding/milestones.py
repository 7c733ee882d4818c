"""Milestones evaluated on the deal data: met on day N, not yet, or missed, with the evidence.

A measured milestone (``opportunities_created ≥ 5 by day 30``) is met on the first tenure
day (days since the hire's own start date, day 0 = the start date) on which the running
count or amount reached the threshold. The deals or activities that got it there are the
evidence. Free-text milestones are "manual": the manager records them as a note.

Measures: the registry's counts and amounts (``opportunities_created``, ``pipeline_created``,
``won_deals``, ``won_amount``, ``activity_volume``) and three an SDR needs that the registry
does not have: ``opportunities_sourced`` and ``pipeline_sourced`` (``opportunities.sourced_by``)
and ``meetings_booked`` (activities of type ``meeting_booked``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.roster import rep_key
from spmkb.deals.schema import DealData

_CACHE: dict[tuple[int, str, str | None], tuple[Any, pd.DataFrame]] = {}


def event_frame(data: DealData, measure: str, activity_type: str | None = None) -> pd.DataFrame:
    """Rows (rep, when, weight, ref) that count towards ``measure``, sorted by rep and date."""
    key = (id(data), measure, activity_type)
    hit = _CACHE.get(key)
    owner = (
        data.activities if measure in ("activity_volume", "meetings_booked") else data.opportunities
    )
    if hit is not None and hit[0] is owner:
        return hit[1]
    o = data.opportunities
    if measure in ("activity_volume", "meetings_booked"):
        a = data.activities
        kind = "meeting_booked" if measure == "meetings_booked" else activity_type
        if kind:
            a = a[a["type"].astype("string").str.lower() == kind]
        ref = a["opportunity_id"] if "opportunity_id" in a else pd.Series(pd.NA, index=a.index)
        frame = pd.DataFrame({"rep": a["rep"], "when": a["date"], "weight": 1.0, "ref": ref})
    elif measure in ("opportunities_sourced", "pipeline_sourced"):
        src = o["sourced_by"] if "sourced_by" in o else pd.Series(pd.NA, index=o.index)
        w = 1.0 if measure == "opportunities_sourced" else o["amount"]
        frame = pd.DataFrame({"rep": src, "when": o["created"], "weight": w, "ref": o["id"]})
    elif measure in ("opportunities_created", "pipeline_created"):
        w = 1.0 if measure == "opportunities_created" else o["amount"]
        frame = pd.DataFrame({"rep": o["rep"], "when": o["created"], "weight": w, "ref": o["id"]})
    elif measure in ("won_deals", "won_amount"):
        won = o[o["status"] == "won"]
        w = 1.0 if measure == "won_deals" else won["amount"]
        frame = pd.DataFrame(
            {"rep": won["rep"], "when": won["close_date"], "weight": w, "ref": won["id"]}
        )
    else:
        from spmkb.errors import NotFoundError

        raise NotFoundError(f"measure {measure!r} cannot be a milestone")
    frame = frame.dropna(subset=["rep", "when", "weight"])
    frame = frame.assign(
        rep=frame["rep"].astype(str).map(rep_key), weight=frame["weight"].astype(float)
    )
    frame = frame.sort_values(["rep", "when"], kind="stable").reset_index(drop=True)
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = (owner, frame)
    return frame


def first_days(
    data: DealData,
    measure: str,
    threshold: float,
    starts: dict[str, date],
    last_day: int,
    activity_type: str | None = None,
) -> pd.DataFrame:
    """Per rep name in ``starts``: first tenure day the running total reached ``threshold``
    within days 0..``last_day`` (NaN if not), the total by ``last_day`` and the evidence refs."""
    frame = event_frame(data, measure, activity_type)
    names = list(starts)
    start = pd.Series(pd.to_datetime([starts[n] for n in names]), index=names)
    sub = frame[frame["rep"].isin(start.index)]
    tenure = (sub["when"] - sub["rep"].map(start)).dt.days
    sub = sub.assign(day=tenure.to_numpy())
    sub = sub[(sub["day"] >= 0) & (sub["day"] <= last_day)]
    sub = sub.sort_values(["rep", "day"], kind="stable")
    cum = sub.groupby("rep")["weight"].cumsum()
    sub = sub.assign(cum=cum.to_numpy())
    reached = sub[sub["cum"] >= threshold]
    first = reached.groupby("rep")["day"].min()
    total = sub.groupby("rep")["weight"].sum()
    out = pd.DataFrame(index=pd.Index(names, name="rep"))
    out["day"] = first.reindex(names).astype(float)
    out["total"] = total.reindex(names).fillna(0.0)
    return out


@dataclass
class MilestoneResult:
    """One milestone of one hire: status, the day it was met and the evidence."""

    module: str
    text: str
    measure: str | None
    threshold: float | None
    day: int | None
    due: str | None
    status: str  # met | not yet | missed | manual | not started
    met_day: int | None = None
    value: float | None = None  # running total so far (up to the milestone day)
    evidence: list[str] = field(default_factory=list)

    def label(self) -> str:
        """``met on day 23``, ``not yet (3 of 5)``, ``missed (3 of 5 by day 30)``."""
        if self.status == "met":
            return f"met on day {self.met_day}"
        if self.status in ("not yet", "missed") and self.threshold is not None:
            got = f"{self.value:,.0f} of {self.threshold:,.0f}"
            return (
                f"not yet ({got})"
                if self.status == "not yet"
                else f"missed ({got} by day {self.day})"
            )
        return self.status

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (with the label)."""
        return {**asdict(self), "label": self.label()}


def evidence(
    data: DealData, result: MilestoneResult, rep: str, start: date, activity_type=None
) -> list[str]:
    """The deal (or activity) refs that counted towards a met milestone, in order."""
    if result.measure is None or result.met_day is None:
        return []
    frame = event_frame(data, result.measure, activity_type)
    sub = frame[frame["rep"] == rep_key(rep)]
    days = (sub["when"] - pd.Timestamp(start)).dt.days
    sub = sub[(days >= 0) & (days <= result.met_day)]
    refs = [str(r) for r in sub["ref"].tolist() if r is not None and not pd.isna(r)]
    return list(dict.fromkeys(refs))


def evaluate(
    data: DealData | None,
    hires: list[Any],
    modules_by_track: dict[str, list[Any]],
    today: date,
    due_of: Any,
) -> dict[str, list[MilestoneResult]]:
    """Milestone results per hire id (``hires``: objects with id, name, track, start)."""
    out: dict[str, list[MilestoneResult]] = {h.id: [] for h in hires}
    groups: dict[tuple, list[Any]] = {}
    first_day = None
    if data is not None and len(data.opportunities):
        first_day = pd.Timestamp(data.opportunities["created"].min()).date()
    for h in hires:
        for m in modules_by_track.get(h.track, []):
            if m.milestone is None:
                continue
            ms = m.milestone
            if not ms.measured:
                out[h.id].append(MilestoneResult(m.id, ms.text, None, None, None, None, "manual"))
                continue
            groups.setdefault(
                (ms.measure, ms.threshold, ms.day, ms.activity_type, m.id), []
            ).append(h)
    for (measure, threshold, day, atype, mid), members in groups.items():
        starts = {h.name: h.start for h in members}
        table = (
            first_days(data, measure, threshold, starts, day, atype) if data is not None else None
        )
        text = next(m.milestone.text for t in modules_by_track.values() for m in t if m.id == mid)
        for h in members:
            due = due_of(h, day)
            tenure = (today - h.start).days
            res = MilestoneResult(mid, text, measure, threshold, day, due.isoformat(), "not yet")
            if table is None:
                res.status = "no deal data"
            elif tenure < 0:
                res.status = "not started"
            elif first_day is not None and h.start < first_day:
                res.status = "before the data"  # missing, not zero: the data starts later
            else:
                first = table.at[h.name, "day"] if h.name in table.index else np.nan
                res.value = float(table.at[h.name, "total"]) if h.name in table.index else 0.0
                if not np.isnan(first) and first <= tenure:
                    res.status, res.met_day = "met", int(first)
                    res.evidence = evidence(data, res, h.name, h.start, atype)
                elif tenure > day:
                    res.status = "missed"
                else:
                    res.value = _partial(data, measure, h, tenure, atype)
            out[h.id].append(res)
    return out


def _partial(data: DealData, measure: str, hire: Any, tenure: int, atype: str | None) -> float:
    """The running total of ``measure`` for ``hire`` up to tenure day ``tenure``."""
    frame = event_frame(data, measure, atype)
    sub = frame[frame["rep"] == rep_key(hire.name)]
    days = (sub["when"] - pd.Timestamp(hire.start)).dt.days
    return float(sub.loc[(days >= 0) & (days <= tenure), "weight"].sum())


__all__ = ["MilestoneResult", "evaluate", "event_frame", "evidence", "first_days"]
