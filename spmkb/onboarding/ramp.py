"""Ramp analytics: cohort curves, Kaplan–Meier time to first win and to ramp, milestones that
predict, and each hire against the team's past hires.

Definitions (also in docs/onboarding.md):

* **Ramp hires**: reps with a start date on or after the first day of the deal data (earlier
  starts have no observed ramp) whose role maps to a track. Tenure day 0 = start date; month
  m = days ``[m·30.44, (m+1)·30.44)``.
* **Observed until**: the earlier of the hire's end date and the data's last day (``as_of``).
  A hire still ramping or who left before the event is **censored** there (Kaplan–Meier via
  ``statsmodels.duration.survfunc``; lifelines is not installed: it pins pandas < 3).
* **Time to first win**: tenure day of the first won deal's close date.
* **Time to ramp**: first tenure day on which won bookings over the trailing 90 days reach
  ``ramp_share`` (default 0.5) × the track's full quarterly quota.
* **Full quota**: median quarterly quota of the track's reps with a year or more of tenure at
  the quarter's start (quotas table); else ``[onboarding] full_quota``.
* **Ramped quota** for month m: the hire's own quota for that month's quarter / 3 when the
  quotas table has it, else the track's schedule (default 0/25/50/100 % by quarter) × full
  quota / 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData
from spmkb.errors import OnboardingError
from spmkb.onboarding.milestones import events
from spmkb.onboarding.settings import OnboardingSettings

MONTH = 30.4375
MIN_N = 5  # hires per group below which no verdict is given


def as_of(data: DealData) -> date:
    """The last day the deal data covers (latest created or closed date)."""
    o = data.opportunities
    closed = o.loc[o["status"] != "open", "close_date"].max()
    last = max(x for x in (o["created"].max(), closed) if not pd.isna(x))
    return pd.Timestamp(last).date()


def ramp_hires(
    data: DealData, osettings: OnboardingSettings, *, on: date | None = None
) -> pd.DataFrame:
    """One row per ramp hire: id, name, team, track, start, observed (days), left (bool)."""
    on = on or as_of(data)
    first = pd.Timestamp(data.opportunities["created"].min()).date()
    rows = []
    for r in roster(data):
        track = osettings.track_for_role(r.role)
        if r.start_date is None or track is None or r.start_date < first or r.start_date > on:
            continue
        stop = min(on, r.end_date) if r.end_date else on
        rows.append((r.id, r.name, r.team, track, r.start_date, (stop - r.start_date).days,
                     bool(r.end_date and r.end_date <= on)))  # fmt: skip
    cols = ["id", "name", "team", "track", "start", "observed", "left"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["cohort"] = [f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in frame["start"]]
    return frame


def _won(data: DealData, hires: pd.DataFrame) -> pd.DataFrame:
    """Won deals of the hires while observed: rep (name), day (tenure), weight (amount), pos."""
    ev = events(data, "won_amount")
    names = list(hires["name"])
    pos = ev.positions(names)
    m = pos >= 0
    pos = pos[m]
    start = np.array(
        [np.datetime64(d, "D").astype(np.int64) for d in hires["start"]], dtype=np.int64
    )
    day = ev.day[m] - start[pos]
    keep = (day >= 0) & (day <= hires["observed"].to_numpy(dtype=np.int64)[pos])
    rep = np.array(names, dtype=object)[pos[keep]]
    return pd.DataFrame({"rep": rep, "day": day[keep], "weight": ev.weight[m][keep],
                         "pos": pos[keep]})  # fmt: skip


_FULL: dict[int, tuple[Any, Any, dict[str, float]]] = {}


def full_quotas(data: DealData, osettings: OnboardingSettings) -> dict[str, float]:
    """Per track: the median quarterly quota of reps with a year or more of tenure at the
    quarter's start (quotas table), else ``[onboarding] full_quota`` (cached per table)."""
    hit = _FULL.get(id(data))
    if hit is not None and hit[0] is data.quotas and hit[1] == osettings:
        return dict(hit[2])
    out = _full_quotas(data, osettings)
    if len(_FULL) > 8:
        _FULL.clear()
    _FULL[id(data)] = (data.quotas, osettings, out)
    return dict(out)


def _full_quotas(data: DealData, osettings: OnboardingSettings) -> dict[str, float]:
    out = dict(osettings.full_quota)
    q = data.quotas
    if not len(q):
        return out
    reps = {r.name: r for r in roster(data)}
    period = q["period"].astype(str)
    quarterly = period.str.match(r"^\d{4}-Q[1-4]$").to_numpy()
    q, period = q[quarterly], period[quarterly]
    qstart = pd.to_datetime(period.str[:4] + "-" + ((period.str[-1].astype(int) - 1) * 3 + 1)
                            .astype(str).str.zfill(2) + "-01")  # fmt: skip
    names = q["rep"].astype(str)
    start = pd.to_datetime(names.map(lambda n: reps[n].start_date if n in reps else None))
    track = names.map(lambda n: osettings.track_for_role(reps[n].role) if n in reps else None)
    tenured = ((qstart.to_numpy() - start.to_numpy()).astype("timedelta64[D]").astype(float)
               >= 365)  # fmt: skip
    frame = pd.DataFrame({"track": track.to_numpy(), "amount": q["amount"].to_numpy(dtype=float)})
    frame = frame[tenured & frame["track"].notna().to_numpy()]
    out.update({str(k): float(v) for k, v in frame.groupby("track")["amount"].median().items()})
    return out


def full_quota(data: DealData, osettings: OnboardingSettings, track: str) -> float | None:
    """The track's full quarterly quota (see the module doc); None when nothing tells."""
    return full_quotas(data, osettings).get(track)


def _quota_lookup(data: DealData) -> dict[tuple[str, str], float]:
    q = data.quotas
    return {
        (str(r), str(p)): float(a)
        for r, p, a in zip(q["rep"], q["period"], q["amount"], strict=True)
    }


def ramped_quota(
    hire: Any, month: int, osettings: OnboardingSettings, full: float | None, table: dict
) -> float | None:
    """The hire's quota for tenure month ``month``: own quota table, else schedule × full."""
    mid = pd.Timestamp(hire.start) + pd.Timedelta(days=(month + 0.5) * MONTH)
    label = f"{mid.year}-Q{(mid.month - 1) // 3 + 1}"
    if (hire.name, label) in table:
        return table[(hire.name, label)] / 3
    month_label = f"{mid.year}-{mid.month:02d}"
    if (hire.name, month_label) in table:
        return table[(hire.name, month_label)]
    if full is None:
        return None
    return osettings.ramp_share_at(hire.track, month) * full / 3


def cohort_curves(
    data: DealData, hires: pd.DataFrame, osettings: OnboardingSettings, *, value: str = "bookings",
    months: int = 12,
) -> pd.DataFrame:  # fmt: skip
    """Per start cohort and month since start: hires observed (``n_hires``), those with a value
    (``n``), median and mean of ``value``
    (``bookings`` or ``attainment`` = bookings / ramped quota; missing quota stays missing)."""
    won = _won(data, hires)
    index = {n: k for k, n in enumerate(hires["name"])}
    n = len(index)
    month = (won["day"].to_numpy() // MONTH).astype(np.int64)
    inside = month < months
    pos = won["pos"].to_numpy(dtype=np.int64)[inside]
    grid = np.zeros((n, months))
    np.add.at(grid, (pos, month[inside]), won["weight"].to_numpy()[inside])
    seen = np.minimum(months, (hires["observed"].to_numpy() // MONTH).astype(np.int64))
    table = _quota_lookup(data) if value == "attainment" else {}
    all_fulls = full_quotas(data, osettings)
    rows = []
    for k, h in enumerate(hires.itertuples(index=False)):
        for m in range(int(seen[k])):
            b = grid[k, m]
            if value == "attainment":
                quota = ramped_quota(h, m, osettings, all_fulls.get(h.track), table)
                v = b / quota if quota else np.nan
            else:
                v = b
            rows.append((h.cohort, h.name, m, v))
    frame = pd.DataFrame(rows, columns=["cohort", "rep", "month", "value"])
    g = frame.groupby(["cohort", "month"])["value"]
    out = pd.DataFrame(
        {"n_hires": g.size(), "n": g.count(), "median": g.median(), "mean": g.mean()}
    ).reset_index()  # n: hires with a value (attainment needs a ramped quota above 0)
    return out


def durations(
    data: DealData, hires: pd.DataFrame, osettings: OnboardingSettings, event: str = "ramp"
) -> pd.DataFrame:
    """Per hire: ``time`` (days) and ``event`` (1 = happened, 0 = censored at ``observed``).

    ``event``: ``first_win`` or ``ramp`` (see the module doc)."""
    won = _won(data, hires)
    out = hires[["id", "name", "track", "cohort", "start", "observed", "left"]].copy()
    if event == "first_win":
        first = won.groupby("rep")["day"].min()
        days = out["name"].map(first).to_numpy(dtype=float)
    elif event == "ramp":
        fulls = full_quotas(data, osettings)
        for track in out["track"].unique():
            if track not in fulls:
                raise OnboardingError(
                    f"no full quota for track {track}: the quotas table has no tenured {track} rep",
                    field="full_quota",
                    hint=f"set [onboarding] full_quota = {{{track} = 150000}} in spmkb.toml",
                )
        targets = out["track"].map(fulls).to_numpy(dtype=float) * osettings.ramp_share
        days = _first_trailing(won, list(out["name"]), targets)
    else:
        raise OnboardingError(f"unknown event {event!r}", hint="use first_win or ramp")
    hit = ~np.isnan(days)
    out["event"] = hit.astype(int)
    out["time"] = np.where(hit, days, out["observed"].to_numpy(dtype=float))
    return out


def _first_trailing(
    won: pd.DataFrame, names: list[str], targets: np.ndarray, span: int = 90
) -> np.ndarray:
    """Per name: first day on which the sum of the last ``span`` days' amounts >= its target."""
    pos = won["pos"].to_numpy(dtype=np.int64)  # _won's positions follow ``names``
    day, w = won["day"].to_numpy(dtype=np.int64), won["weight"].to_numpy(dtype=float)
    order = np.lexsort((day, pos))
    pos, day, w = pos[order], day[order], w[order]
    big = int(day.max()) + 2 * span + 1 if len(day) else 1
    key = pos * big + day
    cum = np.concatenate([[0.0], np.cumsum(w)])
    k = np.searchsorted(key, key - (span - 1), side="left")
    trailing = cum[1:] - cum[k]
    hit = trailing >= targets[pos]
    out = np.full(len(names), np.nan)
    hp, first = np.unique(pos[hit], return_index=True)
    out[hp] = day[hit][first]
    return out


@dataclass
class KaplanMeier:
    """A Kaplan–Meier curve: the table, the median with its 95 % interval, n and events."""

    table: pd.DataFrame  # time, at_risk, events, survival, low, high
    n: int
    events: int
    median: float | None
    median_ci: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"n": self.n, "events": self.events, "median": self.median,
                "median_ci": list(self.median_ci),
                "table": self.table.to_dict(orient="records")}  # fmt: skip


def _finite(x: Any) -> float | None:
    return float(x) if x is not None and np.isfinite(x) else None


def kaplan_meier(time: Any, event: Any) -> KaplanMeier:
    """Kaplan–Meier estimate of ``time`` with ``event`` (1) or censoring (0)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    if len(t) == 0:
        return KaplanMeier(pd.DataFrame(columns=["time", "at_risk", "events", "survival"]), 0, 0,
                           None, (None, None))  # fmt: skip
    if e.sum() == 0:
        table = pd.DataFrame(columns=["time", "at_risk", "events", "survival", "low", "high"])
        return KaplanMeier(table, len(t), 0, None, (None, None))
    sf = SurvfuncRight(t, e)
    se = np.nan_to_num(sf.surv_prob_se)
    table = pd.DataFrame({"time": sf.surv_times, "at_risk": sf.n_risk.astype(int),
                          "events": sf.n_events.astype(int), "survival": sf.surv_prob,
                          "low": np.clip(sf.surv_prob - 1.96 * se, 0, 1),
                          "high": np.clip(sf.surv_prob + 1.96 * se, 0, 1)})  # fmt: skip
    median = sf.quantile(0.5)
    import warnings

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = sf.quantile_ci(0.5)
    except (ValueError, ZeroDivisionError, IndexError):
        lo, hi = None, None
    return KaplanMeier(table, len(t), int(e.sum()), _finite(median), (_finite(lo), _finite(hi)))


@dataclass
class Comparison:
    """Two groups' time to an event: medians, hazard ratio (first vs second), log-rank p."""

    label: str
    groups: tuple[str, str]
    curves: tuple[KaplanMeier, KaplanMeier]
    hazard_ratio: float | None = None
    hr_ci: tuple[float | None, float | None] = (None, None)
    p: float | None = None
    q: float | None = None  # Benjamini–Hochberg across the family reported
    verdict: str = "not enough data"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        a, b = self.curves
        return {"label": self.label, "groups": list(self.groups),
                "n": [a.n, b.n], "events": [a.events, b.events],
                "median": [a.median, b.median], "median_ci": [list(a.median_ci), list(b.median_ci)],
                "hazard_ratio": self.hazard_ratio, "hr_ci": list(self.hr_ci), "p": self.p,
                "q": self.q, "verdict": self.verdict, **self.extra}  # fmt: skip


def compare(label: str, time: Any, event: Any, group: Any, names=("yes", "no")) -> Comparison:
    """Compare group True vs False: KM each, log-rank p, Cox hazard ratio with a 95 % CI."""
    t, e, g = (np.asarray(x) for x in (time, event, group))
    g = g.astype(bool)
    comp = Comparison(label, names, (kaplan_meier(t[g], e[g]), kaplan_meier(t[~g], e[~g])))
    if g.sum() < MIN_N or (~g).sum() < MIN_N or e[g].sum() + e[~g].sum() < MIN_N:
        comp.verdict = f"not enough data (n = {int(g.sum())} vs {int((~g).sum())})"
        return comp
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import survdiff

    _, p = survdiff(t.astype(float), e.astype(int), g.astype(int))
    comp.p = float(p)
    import warnings

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fit = PHReg(t.astype(float), g.astype(float)[:, None], status=e.astype(int)).fit()
            lo, hi = np.exp(fit.conf_int()[0])
            hr = float(np.exp(fit.params[0]))
        if np.isfinite([hr, lo, hi]).all() and hi / lo < 1e6:
            comp.hazard_ratio, comp.hr_ci = hr, (float(lo), float(hi))
        else:  # complete separation: the log-rank test and the medians still stand
            comp.extra["hazard_ratio_note"] = "no finite hazard ratio (the groups do not overlap)"
    except (np.linalg.LinAlgError, ValueError):
        pass
    return comp


def milestone_analysis(
    data: DealData, hires: pd.DataFrame, modules: list[Any], osettings: OnboardingSettings
) -> list[Comparison]:
    """For each measured milestone: do hires who met it reach ramp sooner?

    Landmark analysis: only hires observed past the milestone day and not ramped by it; time
    counted from the milestone day. Benjamini–Hochberg q across the milestones reported."""
    from spmkb.onboarding.milestones import first_days

    out: list[Comparison] = []
    all_dur = durations(data, hires, osettings, "ramp") if len(hires) else None
    for m in modules:
        ms = m.milestone
        if ms is None or not ms.measured:
            continue
        if all_dur is None:
            continue
        dur = all_dur[all_dur["track"].isin(m.tracks)]
        if dur.empty:
            continue
        at_risk = (dur["observed"] >= ms.day) & ~((dur["event"] == 1) & (dur["time"] <= ms.day))
        dur = dur[at_risk]
        starts = dict(zip(dur["name"], dur["start"], strict=True))
        fd = first_days(data, ms.measure, ms.threshold, starts, ms.day, ms.activity_type,
                        evidence=False)  # fmt: skip
        met = dur["name"].map(fd["day"]).notna().to_numpy()
        c = compare(ms.text, dur["time"] - ms.day, dur["event"], met, ("met", "not met"))
        c.extra = {"module": m.id, "measure": ms.measure, "threshold": ms.threshold, "day": ms.day}
        for curve in c.curves:  # report medians in days since start
            curve.median = None if curve.median is None else curve.median + ms.day
        out.append(c)
    tested = [c for c in out if c.p is not None]
    if tested:
        from statsmodels.stats.multitest import multipletests

        q = multipletests([c.p for c in tested], method="fdr_bh")[1]
        for c, qq in zip(tested, q, strict=True):
            c.q = float(qq)
            c.verdict = "predicts time to ramp" if qq < 0.05 else "no evidence it predicts"
    return out


def versus_past_many(
    data: DealData, hires: pd.DataFrame, days: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """For each hire name -> tenure day in ``days``: their bookings up to that day against the
    bookings of the track's earlier hires (observed at least that long) up to the same day."""
    names = hires["name"].to_numpy()
    index = {n: k for k, n in enumerate(names)}
    won = _won(data, hires)
    rep_idx = won["pos"].to_numpy(dtype=np.int64)
    won_day, weight = won["day"].to_numpy(), won["weight"].to_numpy()
    starts = pd.to_datetime(hires["start"]).to_numpy()
    observed, track = hires["observed"].to_numpy(), hires["track"].to_numpy()
    totals: dict[int, np.ndarray] = {}
    out: dict[str, dict[str, Any]] = {}
    for name, day in days.items():
        if name not in index:
            raise OnboardingError(f"{name} is not a ramp hire (start date inside the deal data)")
        k, day = index[name], int(day)
        if day not in totals:
            m = won_day <= day
            totals[day] = np.bincount(rep_idx[m], weights=weight[m], minlength=len(names))
        booked = totals[day]
        past = (starts < starts[k]) & (observed >= day) & (track == track[k])
        others, mine = booked[past], float(booked[k])
        res: dict[str, Any] = {"rep": name, "day": day, "bookings": mine, "n_past": int(past.sum())}
        if len(others) >= MIN_N:
            p25, p50 = np.percentile(others, [25, 50])
            res.update(p25=float(p25), median=float(p50),
                       percentile=float((others < mine).mean() * 100),
                       behind=bool(mine < p25))  # fmt: skip
        else:
            res.update(p25=None, median=None, percentile=None, behind=None,
                       note=f"not enough past hires (n = {len(others)}, needs {MIN_N})")  # fmt: skip
        out[name] = res
    return out


def versus_past(
    data: DealData, hires: pd.DataFrame, name: str, on_day: int | None = None
) -> dict[str, Any]:
    """The hire's bookings to date against past hires' bookings at the same tenure (n, quartiles)."""
    row = hires[hires["name"] == name]
    if row.empty:
        raise OnboardingError(f"{name} is not a ramp hire (start date inside the deal data)")
    day = int(row.iloc[0]["observed"] if on_day is None else on_day)
    return versus_past_many(data, hires, {name: day})[name]


def ramp_report(
    data: DealData, curriculum: Any, osettings: OnboardingSettings, *, track: str | None = None,
    value: str = "bookings",
) -> dict[str, Any]:  # fmt: skip
    """Everything ``spmkb report ramp`` shows, per track: KM curves, cohort curves, milestones.

    Tracks are analysed apart (an SDR owns no deals: their bookings say nothing). A track
    without a full quota gets time to first win and cohort curves, and a note instead of time
    to ramp and the milestone analysis."""
    hires = ramp_hires(data, osettings)
    tracks = [track] if track else sorted(hires["track"].unique().tolist())
    out: dict[str, Any] = {"as_of": as_of(data).isoformat(), "n_hires": 0, "tracks": {}}
    for t in tracks:
        sub = hires[hires["track"] == t]
        out["n_hires"] += len(sub)
        rep: dict[str, Any] = {"n_hires": len(sub)}
        fw = durations(data, sub, osettings, "first_win")
        rep["first_win"] = kaplan_meier(fw["time"], fw["event"]).to_dict()
        try:
            rp = durations(data, sub, osettings, "ramp")
            rep["ramp"] = kaplan_meier(rp["time"], rp["event"]).to_dict()
            rep["ramp"]["definition"] = (
                f"trailing-90-day bookings >= {osettings.ramp_share:g} x full quarterly quota"
            )
        except OnboardingError as err:
            rep["ramp"] = {"error": str(err)}
        cohorts = cohort_curves(data, sub, osettings, value=value)
        rep["cohorts"] = cohorts.to_dict(orient="records")
        comps = []
        if "error" not in rep["ramp"] and curriculum is not None:
            comps = milestone_analysis(data, sub, curriculum.track(t), osettings)
        rep["milestones"] = [c.to_dict() for c in comps]
        out["tracks"][t] = rep
    return out


__all__ = [
    "Comparison",
    "KaplanMeier",
    "as_of",
    "cohort_curves",
    "compare",
    "durations",
    "full_quota",
    "full_quotas",
    "kaplan_meier",
    "milestone_analysis",
    "ramp_hires",
    "ramp_report",
    "ramped_quota",
    "versus_past",
    "versus_past_many",
]
