"""Milestones evaluated on the deal data: met on day N, not yet, or missed, with the evidence.

A measured milestone (``opportunities_created ≥ 5 by day 30``) is met on the first tenure
day (days since the hire's own start date, day 0 = the start date) on which the running
count or amount reached the threshold. The deals or activities that got it there are the
evidence. Free-text milestones are "manual": the manager records them as a note.

``threshold: top_profile`` takes the threshold from the top tier (:mod:`spmkb.deals.tiers`,
all teams, ranked over the latest half-year ended by the evaluation date): the mean (median
for amounts) of what its reps had by the same day of their own tenure, counting only top reps
whose first days lie inside the deal data. Fewer than ``min_reps`` such reps: "no target",
with the reason, never an invented threshold.

Measures: the registry's counts and amounts (``opportunities_created``, ``pipeline_created``,
``won_deals``, ``won_amount``, ``activity_volume``) and three an SDR needs that the registry
does not have: ``opportunities_sourced`` and ``pipeline_sourced`` (``opportunities.sourced_by``)
and ``meetings_booked`` (activities of type ``meeting_booked``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.periods import Period
from spmkb.deals.roster import rep_key
from spmkb.deals.schema import DealData

_CACHE: dict[tuple[int, str, str | None], tuple[Any, Events]] = {}


@dataclass
class Events:
    """What counts towards one measure, as arrays: rep code, day (days since 1970), weight, ref."""

    names: np.ndarray  # rep name of each code
    code: np.ndarray
    day: np.ndarray
    weight: np.ndarray
    source: pd.Series  # the ref column (deal ids), read only for evidence
    rows: np.ndarray  # position in ``source`` of each event

    def refs(self, idx: np.ndarray) -> list[Any]:
        """The refs of events ``idx`` (converted only when asked: 1 M strings cost ~0.7 s)."""
        return self.source.iloc[self.rows[idx]].tolist()

    def positions(self, reps: list[str]) -> np.ndarray:
        """Per event: the index of its rep in ``reps`` (-1 when not listed)."""
        lut = np.full(len(self.names) + 1, -1, dtype=np.int64)
        where = {n: i for i, n in enumerate(self.names)}
        for k, name in enumerate(reps):
            if name in where:
                lut[where[name]] = k
        return lut[self.code]


def _columns(data: DealData, measure: str, activity_type: str | None) -> tuple:
    o = data.opportunities
    if measure in ("activity_volume", "meetings_booked"):
        a = data.activities
        kind = "meeting_booked" if measure == "meetings_booked" else activity_type
        if kind:
            a = a[a["type"].astype("string").str.lower() == kind]
        ref = a["opportunity_id"] if "opportunity_id" in a else pd.Series(pd.NA, index=a.index)
        return a["rep"], a["date"], pd.Series(1.0, index=a.index), ref
    if measure in ("opportunities_sourced", "pipeline_sourced"):
        src = o["sourced_by"] if "sourced_by" in o else pd.Series(pd.NA, index=o.index)
        w = pd.Series(1.0, index=o.index) if measure == "opportunities_sourced" else o["amount"]
        return src, o["created"], w, o["id"]
    if measure in ("opportunities_created", "pipeline_created"):
        w = pd.Series(1.0, index=o.index) if measure == "opportunities_created" else o["amount"]
        return o["rep"], o["created"], w, o["id"]
    if measure in ("won_deals", "won_amount"):
        won = o[o["status"] == "won"]
        w = pd.Series(1.0, index=won.index) if measure == "won_deals" else won["amount"]
        return won["rep"], won["close_date"], w, won["id"]
    from spmkb.errors import NotFoundError

    raise NotFoundError(f"measure {measure!r} cannot be a milestone")


def events(data: DealData, measure: str, activity_type: str | None = None) -> Events:
    """The events that count towards ``measure`` (cached while the table is the same object)."""
    key = (id(data), measure, activity_type)
    owner = (
        data.activities if measure in ("activity_volume", "meetings_booked") else data.opportunities
    )
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is owner:
        return hit[1]
    rep, when, weight, ref = _columns(data, measure, activity_type)
    codes, uniques = pd.factorize(rep, use_na_sentinel=True)
    day = when.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    w = weight.to_numpy(dtype=float, na_value=np.nan)
    ok = (codes >= 0) & ~np.isnat(day) & np.isfinite(w)
    names = np.array([rep_key(str(u)) for u in uniques], dtype=object)
    # two spellings of one rep (extra spaces) share a code
    canon, fixed = np.unique(names, return_inverse=True) if len(names) else (names, codes[:0])
    ev = Events(canon, fixed[codes[ok]] if len(names) else codes[ok], day[ok].astype(np.int64),
                w[ok], ref, np.nonzero(ok)[0])  # fmt: skip
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = (owner, ev)
    return ev


def _days(d: date) -> int:
    return int(np.datetime64(d, "D").astype(np.int64))


def first_days(
    data: DealData,
    measure: str,
    threshold: float,
    starts: dict[str, date],
    last_day: int | dict[str, int],
    activity_type: str | None = None,
    *,
    evidence: bool = True,
) -> pd.DataFrame:
    """Per rep name in ``starts``: first tenure day the running total reached ``threshold``
    within days 0..``last_day`` (one number, or one per rep; NaN if not), the total by then
    and the evidence (refs that counted, up to the day it was reached)."""
    ev = events(data, measure, activity_type)
    names = list(starts)
    n = len(names)
    start = np.array([_days(starts[x]) for x in names], dtype=np.int64)
    caps = last_day if isinstance(last_day, dict) else dict.fromkeys(names, last_day)
    cap = np.array([caps[x] for x in names], dtype=np.int64)
    pos = ev.positions(names)
    sel = np.nonzero(pos >= 0)[0]
    pos, day, w = pos[sel], ev.day[sel], ev.weight[sel]
    ten = day - start[pos]
    keep = (ten >= 0) & (ten <= cap[pos])
    pos, ten, w, sel = pos[keep], ten[keep], w[keep], sel[keep]
    order = np.lexsort((ten, pos))
    pos, ten, w, sel = pos[order], ten[order], w[order], sel[order]
    cum = np.cumsum(w)
    head = np.r_[True, pos[1:] != pos[:-1]] if len(pos) else np.zeros(0, dtype=bool)
    first_row = np.maximum.accumulate(np.where(head, np.arange(len(pos)), 0))
    running = cum - (cum - w)[first_row] if len(pos) else cum
    hit = running >= threshold
    first = np.full(n, np.nan)
    hp, idx = np.unique(pos[hit], return_index=True)
    first[hp] = ten[hit][idx]
    total = np.bincount(pos, weights=w, minlength=n)[:n] if n else np.zeros(0)
    refs: list[list[str] | None] = [None] * n
    if evidence:
        used = np.nonzero(ten <= np.nan_to_num(first[pos], nan=-1))[0]
        for r, value in zip(used, ev.refs(sel[used]), strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            lst = refs[pos[r]] or []
            if str(value) not in lst:
                lst.append(str(value))
            refs[pos[r]] = lst
    out = pd.DataFrame({"day": first, "total": total}, index=pd.Index(names, name="rep"))
    out["evidence"] = pd.Series(refs, index=out.index, dtype=object)
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
    note: str = ""  # where a top_profile threshold came from, or why there is none

    def label(self) -> str:
        """``met on day 23``, ``not yet (3 of 5)``, ``missed (3 of 5 by day 30)``."""
        if self.status == "no target":
            return f"no target: {self.note}"
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


def latest_half(today: date) -> Period:
    """The latest half-year that ended on or before ``today``."""
    half = Period("half", today.year, 1 if today.month <= 6 else 2)
    return half if half.end <= today else half.previous()


def top_threshold(
    data: DealData,
    measure: str,
    day: int,
    today: date,
    activity_type: str | None = None,
    rules: Any = None,
) -> tuple[float | None, str]:
    """A ``top_profile`` threshold: what the top tier had of ``measure`` by tenure ``day``
    (mean; median for amounts) and where it came from, or (None, why there is none)."""
    from spmkb.deals.measures import get_measure
    from spmkb.deals.roster import roster
    from spmkb.deals.tiers import TierRules, cached_tiers
    from spmkb.errors import DealDataError

    rules = rules or TierRules()
    window = latest_half(today)
    try:
        top = cached_tiers(data, window, options=rules).members("top")
    except DealDataError as err:
        return None, f"no top-tier figure: {err.message}"
    first = pd.Timestamp(data.opportunities["created"].min()).date()
    ros = roster(data)
    starts = {}
    for rep in top:
        start = ros.find(rep).start_date
        if start is not None and start >= first and (today - start).days >= day:
            starts[rep] = start
    need = getattr(rules, "min_reps", 3)
    if len(starts) < need:
        return None, (
            f"{len(starts)} of the {len(top)} top-tier reps of {window.label} have their first "
            f"{day} days in the deal data (at least {need} needed)"
        )
    totals = first_days(data, measure, math.inf, starts, day, activity_type, evidence=False)
    how = "median" if get_measure(measure).unit == "money" else "mean"
    values = totals["total"].to_numpy(dtype=float)
    value = float(np.median(values) if how == "median" else np.mean(values))
    return value, (
        f"target = the top tier of {window.label} by day {day} of their tenure: "
        f"{how} of {len(starts)} reps"
    )


def evaluate(
    data: DealData | None,
    hires: list[Any],
    modules_by_track: dict[str, list[Any]],
    today: date,
    due_of: Any,
    tier_rules: Any = None,
) -> dict[str, list[MilestoneResult]]:
    """Milestone results per hire id (``hires``: objects with id, name, track, start);
    ``tier_rules`` (a :class:`~spmkb.deals.tiers.TierRules`) for ``top_profile`` thresholds."""
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
            if not ms.measured and not ms.from_profile:
                out[h.id].append(MilestoneResult(m.id, ms.text, None, None, None, None, "manual"))
                continue
            groups.setdefault(
                (ms.measure, ms.threshold, ms.day, ms.activity_type, m.id), []
            ).append(h)
    targets: dict[tuple, tuple[float | None, str]] = {}
    for (measure, threshold, day, atype, mid), members in groups.items():
        note = ""
        if threshold is None and data is not None:  # threshold: top_profile
            key = (measure, day, atype)
            if key not in targets:
                targets[key] = top_threshold(data, measure, day, today, atype, tier_rules)
            threshold, note = targets[key]
        starts = {h.name: h.start for h in members}
        caps = {h.name: min(day, (today - h.start).days) for h in members}
        table = (
            first_days(data, measure, threshold, starts, caps, atype)
            if data is not None and threshold is not None
            else None
        )
        rows = table.to_dict("index") if table is not None else {}
        text = next(m.milestone.text for t in modules_by_track.values() for m in t if m.id == mid)
        for h in members:
            due = due_of(h, day)
            tenure = (today - h.start).days
            res = MilestoneResult(mid, text, measure, threshold, day, due.isoformat(), "not yet",
                                  note=note)  # fmt: skip
            if data is None:
                res.status = "no deal data"
            elif table is None:
                res.status = "no target"
            elif tenure < 0:
                res.status = "not started"
            elif first_day is not None and h.start < first_day:
                res.status = "before the data"  # missing, not zero: the data starts later
            else:
                row = rows[h.name]
                first = row["day"]
                res.value = float(row["total"])
                if not np.isnan(first):
                    res.status, res.met_day = "met", int(first)
                    ev = row["evidence"]
                    res.evidence = list(ev) if isinstance(ev, list) else []
                elif tenure > day:
                    res.status = "missed"
            out[h.id].append(res)
    return out


__all__ = [
    "Events",
    "MilestoneResult",
    "evaluate",
    "events",
    "first_days",
    "latest_half",
    "top_threshold",
]
