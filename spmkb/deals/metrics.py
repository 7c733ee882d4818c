"""Sales metrics as plain functions returning tidy DataFrames.

Every function takes a :class:`~spmkb.deals.schema.DealData` and the filters ``rep``,
``team`` and ``period`` (a label such as ``2026-Q3``; it selects deals by their close date:
the actual close date of won/lost deals, the expected close date of open deals). Every row
carries ``n`` (its sample size) and ``warning`` (non-empty when ``n`` is below the
threshold, by default :data:`MIN_CLOSED` = 30). Definitions are in each docstring and in
``docs/metrics.md``. Win/loss breakdowns, behaviours and coaching focus live in
:mod:`spmkb.deals.winloss` and are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmkb.deals._frame import (
    MIN_CLOSED,
    NO_DAY,
    DealFrame,
    data_today,
    day_of,
    days,
    deal_frame,
    latest_period,
    parse_period,
    period_or_latest,
    ratio,
    select,
    warning_for,
)
from spmkb.deals.periods import Period, Window, calendar_period, last_n
from spmkb.deals.roster import NO_TEAM, roster
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.deals.winloss import behaviours, coaching_focus, winloss
from spmkb.errors import DealDataError

__all__ = [
    "MIN_CLOSED",
    "activity_volume",
    "attainment",
    "behaviours",
    "coaching_focus",
    "data_today",
    "deal_size",
    "funnel",
    "latest_period",
    "leaderboard",
    "pipeline_coverage",
    "quota_for",
    "rep_summary",
    "sales_cycle",
    "stage_conversion",
    "win_rate",
    "winloss",
]


def _groups(f: DealFrame, by: str | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Group codes per deal and a frame of group keys (rep+team, team, or one company row)."""
    if by in (None, "company", "all"):
        return np.zeros(f.n, dtype=np.int64), pd.DataFrame({"scope": ["all"]})
    if by == "rep":
        teams = [f.rep_team.get(r, "(no team)") for r in f.rep_names]
        return f.rep, pd.DataFrame({"rep": f.rep_names.astype(str), "team": teams})
    if by == "team":
        return f.team, pd.DataFrame({"team": f.team_names.astype(str)})
    raise DealDataError(f"cannot group by {by!r}", hint="use rep, team or company")


def _count(
    codes: np.ndarray, mask: np.ndarray, size: int, weights: np.ndarray | None = None
) -> np.ndarray:
    w = None if weights is None else weights[mask]
    return np.bincount(codes[mask], weights=w, minlength=size)[:size]


def _present(codes: np.ndarray, mask: np.ndarray, size: int) -> np.ndarray:
    return _count(codes, mask, size) > 0


def win_rate(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Win rate = won / (won + lost) over deals closed in the period; ``n`` = won + lost."""
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period)
    codes, keys = _groups(f, by)
    size = len(keys)
    won, lost = _count(codes, m & f.won, size), _count(codes, m & f.lost, size)
    out = keys.assign(won=won.astype(int), lost=lost.astype(int), n=(won + lost).astype(int))
    out["win_rate"] = ratio(won, won + lost)
    out["warning"] = warning_for(out["n"], min_n)
    return out[_present(codes, m, size)].reset_index(drop=True)


def deal_size(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Average deal size = mean amount of WON deals closed in the period (also median, total)."""
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.won
    codes, keys = _groups(f, by)
    g = pd.Series(f.amount[m]).groupby(codes[m])
    stats = pd.DataFrame(
        {"n": g.size(), "total": g.sum(), "average": g.mean(), "median": g.median()}
    )
    out = keys.join(stats, how="inner").reset_index(drop=True)
    out["n"] = out["n"].astype(int)
    out["warning"] = warning_for(out["n"], min_n, "won deals")
    return out


def sales_cycle(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Sales cycle = days from created to close of WON deals closed in the period (mean, median, P75)."""
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.won & (f.close >= f.created)
    codes, keys = _groups(f, by)
    g = pd.Series((f.close - f.created)[m].astype(float)).groupby(codes[m])
    stats = pd.DataFrame(
        {
            "n": g.size(),
            "mean_days": g.mean(),
            "median_days": g.median(),
            "p75_days": g.quantile(0.75),
        }
    )
    out = keys.join(stats, how="inner").reset_index(drop=True)
    out["n"] = out["n"].astype(int)
    out["warning"] = warning_for(out["n"], min_n, "won deals")
    return out


def _scopes(
    data: DealData, f: DealFrame, rep: str | None, team: str | None, period: str | Period | None
) -> list[tuple[str, str, np.ndarray]]:
    """(scope, name, mask) pairs: a rep and their team, a team and the company, or the company."""
    if rep is not None:
        t = roster(data).team_of(rep) or NO_TEAM
        team_mask = select(f, team=t, period=period) if t != NO_TEAM else select(f, period=period)
        return [("rep", rep, select(f, rep=rep, period=period)), ("team", t, team_mask)]
    if team is not None:
        return [
            ("team", team, select(f, team=team, period=period)),
            ("company", "all", select(f, period=period)),
        ]
    return [("company", "all", select(f, period=period))]


def funnel(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Deals reaching each stage (and won), for a rep vs their team (or a team vs the company).

    ``reached`` counts deals that entered the stage (from stage history, else every stage up
    to the furthest recorded); ``pct_of_first`` = reached / deals reaching the first stage.
    """
    f = deal_frame(data)
    rows = []
    for scope, name, m in _scopes(data, f, rep, team, period):
        reached = f.reached[m].sum(axis=0)
        counts = [*reached.tolist(), int((m & f.won).sum())]
        first = counts[0] or np.nan
        for i, stage in enumerate([*PIPELINE_STAGES, "won"]):
            rows.append((scope, name, i, stage, counts[i], counts[i] / first, counts[i]))
    out = pd.DataFrame(
        rows, columns=["scope", "name", "step", "stage", "reached", "pct_of_first", "n"]
    )
    out["warning"] = warning_for(out["n"], min_n, "deals")
    return out


def stage_conversion(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Stage-to-stage conversion for a rep vs their team (or a team vs the company).

    For stage *s*: ``n`` = deals that reached *s* and are resolved there (moved on, or were
    lost at *s*; deals still open at *s* are excluded), ``advanced`` = those that reached a
    later stage (or won, from the last stage), ``conversion`` = advanced / n.
    """
    f = deal_frame(data)
    nxt = [*PIPELINE_STAGES[1:], "won"]
    rows = []
    for scope, name, m in _scopes(data, f, rep, team, period):
        n = f.resolved[m].sum(axis=0)
        adv = f.passed[m].sum(axis=0)
        for k, stage in enumerate(PIPELINE_STAGES):
            rows.append((scope, name, k, stage, nxt[k], int(adv[k]), int(n[k])))
    out = pd.DataFrame(
        rows, columns=["scope", "name", "step", "stage", "next_stage", "advanced", "n"]
    )
    out["conversion"] = ratio(out["advanced"], out["n"])
    out["warning"] = warning_for(out["n"], min_n, "deals entering the stage")
    return out


_QUOTA_CACHE: dict[
    int, tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
] = {}


def _quota_codes(q: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rep codes, rep names, period-label codes, period labels) of a quotas table, cached."""
    hit = _QUOTA_CACHE.get(id(q))
    if hit is not None and hit[0] is q:
        return hit[1]
    rep_codes, reps = pd.factorize(q["rep"].astype(str))
    label_codes, labels = pd.factorize(q["period"].astype(str).str.strip())
    value = (
        rep_codes,
        np.asarray(reps, dtype=object),
        label_codes,
        np.asarray(labels, dtype=object),
    )
    if len(_QUOTA_CACHE) >= 4:
        _QUOTA_CACHE.pop(next(iter(_QUOTA_CACHE)))
    _QUOTA_CACHE[id(q)] = (q, value)
    return value


def quota_for(data: DealData, period: str | Period) -> pd.Series:
    """Quota per rep for ``period``: the exact period's quota, else quotas prorated by overlap days.

    A quarterly quota counts fully in its year or half, and by share of days in a month.
    """
    p = calendar_period(period, "a quota")
    q = data.quotas
    if not len(q):
        return pd.Series(dtype=float, name="quota")
    rep_codes, reps, label_codes, labels = _quota_codes(q)
    weights = np.zeros(len(labels))
    for i, label in enumerate(labels):
        try:
            qp = Period.parse(label)
        except DealDataError:
            continue
        lo, hi = max(qp.start, p.start), min(qp.end, p.end)
        weights[i] = max(0, (hi - lo).days + 1) / qp.days
    amount = pd.to_numeric(q["amount"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    w = weights[label_codes]
    size = len(reps)
    prorated = np.bincount(rep_codes, weights=amount * w, minlength=size)
    exact_row = (labels[label_codes] == p.label).astype(float)
    exact = np.bincount(rep_codes, weights=amount * exact_row, minlength=size)
    has_exact = np.bincount(rep_codes, weights=exact_row, minlength=size) > 0
    has = np.bincount(rep_codes, weights=(w > 0).astype(float), minlength=size) > 0
    value = np.where(has_exact, exact, prorated)
    return pd.Series(value[has], index=pd.Index(reps[has].astype(str)), name="quota")


def attainment(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, periods: int = 1, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Quota attainment per rep and period = won amount closed in the period / the period's quota.

    ``period`` defaults to the data's current quarter; ``periods`` > 1 adds the preceding
    periods (one row per rep and period). ``n`` = deals closed (won or lost) in the period.
    """
    f = deal_frame(data)
    end = period_or_latest(data, period, "attainment")
    base = select(f, rep=rep, team=team)
    size = len(f.rep_names)
    frames = []
    for p in last_n(end, periods):
        inside = (f.close >= day_of(p.start)) & (f.close <= day_of(p.end))
        won_amt = _count(f.rep, base & f.won & inside, size, f.amount)
        closed = _count(f.rep, base & f.closed & inside, size)
        quota = quota_for(data, p).reindex(f.rep_names.astype(str)).to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "rep": f.rep_names.astype(str),
                "team": [f.rep_team.get(r, "(no team)") for r in f.rep_names],
                "period": p.label,
                "quota": quota,
                "won_amount": won_amt,
                "attainment": ratio(won_amt, quota),
                "n": closed.astype(int),
            }
        )
        in_scope = _present(f.rep, base, size) & ((closed > 0) | ~np.isnan(quota))
        frames.append(frame[in_scope])
    out = pd.concat(frames, ignore_index=True)
    out["warning"] = warning_for(out["n"], min_n)
    return out


def leaderboard(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str = "attainment", top: int | None = None,
    min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Reps ranked by % of quota (``by="attainment"``) or by improvement on the previous period.

    Improvement compares like with like: a finished period against the whole previous
    period, the current (unfinished) period's elapsed days against the same first days of
    the previous one (column ``compared``). ``improvement`` = attainment minus the previous
    attainment (points as a fraction). Without any quota for the period, reps are ranked by
    won amount, and ``improvement`` is the relative change of won amount; column
    ``ranked_by`` says which. Ranks are within ``team`` (or the company); ``rep`` keeps one row.
    """
    if by not in ("attainment", "improvement"):
        raise DealDataError(f"cannot rank by {by!r}", hint="use attainment or improvement")
    p = period_or_latest(data, period, "the leaderboard")
    prev = p.previous()
    f = deal_frame(data)
    att = attainment(data, team=team, period=p, periods=1, min_n=min_n)
    out = att.drop(columns=["warning"]).set_index("rep")
    today = data_today(data)
    elapsed = (min(today, p.end) - p.start).days + 1
    if today >= p.end:
        days_, compared = prev.days, f"full {p.label} vs full {prev.label}"
    elif elapsed > 0:
        days_ = min(elapsed, prev.days)
        compared = f"first {days_} days of {p.label} vs of {prev.label} ({p.label} is not over)"
    else:
        days_, compared = 0, f"{p.label} has not started: no improvement"
    lo = day_of(prev.start)
    won_prev = f.won & (f.close >= lo) & (f.close <= lo + days_ - 1)
    prev_won = np.bincount(f.rep[won_prev], f.amount[won_prev], len(f.rep_names))
    out["prev_won_amount"] = pd.Series(prev_won, index=f.rep_names.astype(str)).reindex(out.index)
    if days_ == 0:
        out["prev_won_amount"] = np.nan
    has_quota = bool(out["quota"].notna().any())
    if has_quota:
        prev_quota = quota_for(data, prev).reindex(out.index).to_numpy(dtype=float)
        out["prev_attainment"] = ratio(out["prev_won_amount"], prev_quota)
        out["improvement"] = out["attainment"] - out["prev_attainment"]
        key = by
        ranked_by = "attainment" if by == "attainment" else "improvement in attainment"
    else:
        out["prev_attainment"] = np.nan
        change = out["won_amount"] - out["prev_won_amount"]
        out["improvement"] = ratio(change.to_numpy(dtype=float), out["prev_won_amount"])
        key = "won_amount" if by == "attainment" else "improvement"
        ranked_by = f"{'won amount' if by == 'attainment' else 'change in won amount'} (no quotas)"
    out = out.sort_values(key, ascending=False, na_position="last", kind="stable").reset_index()
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    out["ranked_by"] = ranked_by
    out["compared"] = compared
    out["warning"] = warning_for(out["n"], min_n)
    if rep is not None:
        out = out[out["rep"].str.lower() == rep.lower()]
        if out.empty:
            select(f, rep=rep)  # raises NotFoundError for unknown reps
    if top is not None:
        out = out.head(top)
    return out.reset_index(drop=True)


def pipeline_coverage(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Pipeline coverage = open pipeline expected to close in the period / remaining quota.

    Remaining quota = quota - won amount closed in the period (not below 0); ``n`` = open
    deals expected to close in the period. Period defaults to the data's current quarter.
    """
    f = deal_frame(data)
    p = period_or_latest(data, period, "pipeline coverage")
    base = select(f, rep=rep, team=team)
    codes, keys = _groups(f, by)
    size = len(keys)
    inside = select(f, period=p)
    pipe_m = base & f.open & inside
    quota_rep = quota_for(data, p).reindex(f.rep_names.astype(str)).to_numpy(dtype=float)
    rep_in = _present(f.rep, base, len(f.rep_names))
    group_of_rep = np.zeros(len(f.rep_names), dtype=np.int64)
    group_of_rep[f.rep] = codes  # each rep's group, through any of its deals
    qsum = np.bincount(
        group_of_rep[rep_in], weights=np.nan_to_num(quota_rep[rep_in]), minlength=size
    )
    won = _count(codes, base & f.won & inside, size, f.amount)
    pipe = _count(codes, pipe_m, size, f.amount)
    remaining = np.maximum(qsum - won, 0.0)
    out = keys.assign(quota=qsum, won_amount=won, remaining=remaining, pipeline=pipe)
    out["coverage"] = ratio(pipe, remaining)
    out["n"] = _count(codes, pipe_m, size).astype(int)
    out["period"] = p.label
    out["warning"] = warning_for(out["n"], min_n, "open deals")
    return out[_present(codes, base, size)].reset_index(drop=True)


def activity_volume(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | Window | None = None, by: str = "rep", types: tuple[str, ...] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Activities logged per rep (by activity date), optionally of some ``types`` only.

    ``activities`` = rows of the activities table dated in the period (or in each rep's tenure
    window), ``deals`` = distinct opportunities they touch, ``n`` = ``activities``. Reps come
    from the activities table, so SDRs without opportunities of their own count too.
    """
    acts = data.activities
    ros = roster(data)
    cols = ["rep", "team", "activities", "deals", "n"]
    if not len(acts):
        return pd.DataFrame(columns=cols)
    names = acts["rep"].astype("string").fillna("(no rep)")
    mask = np.ones(len(acts), dtype=bool)
    if types is not None:
        mask &= (
            acts["type"].astype("string").str.lower().isin([t.lower() for t in types]).to_numpy()
        )
    if rep is not None:
        mask &= (names == ros.find_name(rep)).to_numpy()
    team_map = {r.name: r.team or NO_TEAM for r in ros}
    teams = names.map(team_map).fillna(NO_TEAM)
    if team is not None:
        mask &= (teams == ros.find_team(team)).to_numpy()
    day = days(acts["date"])
    p = parse_period(period)
    if isinstance(p, Window):
        starts = {r.name: day_of(r.start_date) for r in ros if r.start_date is not None}
        start = names.map(starts).to_numpy(dtype=float, na_value=np.nan)
        tenure = day - start
        mask &= (day != NO_DAY) & (tenure >= p.start) & (tenure <= p.end)
    elif p is not None:
        mask &= (day >= day_of(p.start)) & (day <= day_of(p.end))
    sel = pd.DataFrame({"rep": names[mask].to_numpy(), "team": teams[mask].to_numpy()})
    if "opportunity_id" in acts:
        sel["deal"] = acts["opportunity_id"].to_numpy()[mask]
    else:
        sel["deal"] = None
    key = ["rep", "team"] if by == "rep" else ["team"] if by == "team" else []
    if not key:
        sel["scope"] = "all"
        key = ["scope"]
    out = sel.groupby(key, sort=True).agg(activities=("rep", "size"), deals=("deal", "nunique"))
    out = out.reset_index()
    out["n"] = out["activities"].astype(int)
    return out


def rep_summary(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """One row per rep: closed, won, lost, win rate, won amount, average deal, median cycle, open
    pipeline (open deals expected to close in the period), quota and attainment when a period is given."""
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period)
    wr = win_rate(data, rep=rep, team=team, period=period, by="rep", min_n=min_n)
    size = deal_size(data, rep=rep, team=team, period=period).set_index("rep")
    cyc = sales_cycle(data, rep=rep, team=team, period=period).set_index("rep")
    out = wr.drop(columns=["warning"]).set_index("rep")
    out["won_amount"] = size["total"].reindex(out.index).fillna(0.0)
    out["avg_deal_size"] = size["average"].reindex(out.index)
    out["median_cycle_days"] = cyc["median_days"].reindex(out.index)
    pipe = pd.Series(
        _count(f.rep, m & f.open, len(f.rep_names), f.amount), index=f.rep_names.astype(str)
    )
    out["open_pipeline"] = pipe.reindex(out.index).fillna(0.0)
    p = parse_period(period)
    if isinstance(p, Period):
        out["quota"] = quota_for(data, p).reindex(out.index)
        out["attainment"] = ratio(out["won_amount"], out["quota"])
    out = out.reset_index()
    out["warning"] = warning_for(out["n"], min_n)
    return out
