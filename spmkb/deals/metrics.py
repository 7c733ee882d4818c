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
from spmkb.deals.behaviours import behaviours
from spmkb.deals.coaching import NO_HISTORY_NOTE, coaching_focus, comparison_scopes, stage_notes
from spmkb.deals.periods import Period, Window, calendar_period, last_n
from spmkb.deals.roster import NO_TEAM, roster
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.deals.winloss import winloss
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
    w = None if weights is None else np.nan_to_num(weights[mask])  # sums of known amounts
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


def _missing_note(n_missing: np.ndarray, total: np.ndarray, what: str) -> np.ndarray:
    """Text per row where some of ``total`` deals lack ``what`` (they are left out), else empty."""
    out = np.full(len(n_missing), "", dtype=object)
    some = np.asarray(n_missing) > 0
    out[some] = [
        f"{int(k)} of {int(t)} won deals have no {what}: left out"
        for k, t in zip(np.asarray(n_missing)[some], np.asarray(total)[some], strict=True)
    ]
    return out


def _join_warnings(*cols: np.ndarray) -> list[str]:
    """Join non-empty warning texts per row with '; '."""
    return ["; ".join(t for t in parts if t) for parts in zip(*cols, strict=True)]


def deal_size(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Average deal size = mean amount of WON deals closed in the period (also median, total).

    Missing amounts stay missing: ``n`` = won deals with an amount (what the figures are
    computed on), ``n_missing_amount`` = won deals without one (left out of total, mean and
    median, and named in ``warning``). A group whose won deals all lack an amount has NaN
    figures; when no deal in the data has an amount, ``warning`` says "amount not in this data".
    """
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period) & f.won
    codes, keys = _groups(f, by)
    amt = f.amount[m]
    g = pd.Series(amt).groupby(codes[m])
    stats = pd.DataFrame(
        {
            "n": g.count(),
            "n_missing_amount": g.size() - g.count(),
            "total": g.sum(min_count=1),
            "average": g.mean(),
            "median": g.median(),
        }
    )
    out = keys.join(stats, how="inner").reset_index(drop=True)
    out[["n", "n_missing_amount"]] = out[["n", "n_missing_amount"]].astype(int)
    small = warning_for(out["n"], min_n, "won deals with an amount")
    if not f.has_amount:
        missing = np.full(len(out), "amount not in this data", dtype=object)
        small[:] = ""
    else:
        won_total = out["n"] + out["n_missing_amount"]
        missing = _missing_note(out["n_missing_amount"].to_numpy(), won_total.to_numpy(), "amount")
    out["warning"] = _join_warnings(missing, small)
    return out


def sales_cycle(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, by: str | None = "rep", min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Sales cycle = days from created to close of WON deals closed in the period (mean, median, P75).

    ``n`` = won deals with both dates (close not before created); ``n_missing_dates`` = won
    deals without a created or close date (left out; a missing date is not a 0-day cycle).
    """
    f = deal_frame(data)
    sel = select(f, rep=rep, team=team, period=period) & f.won
    dated = (f.created != NO_DAY) & (f.close != NO_DAY)
    m = sel & dated & (f.close >= f.created)
    codes, keys = _groups(f, by)
    g = pd.Series((f.close - f.created)[m].astype(float)).groupby(codes[m])
    size = len(keys)
    stats = pd.DataFrame(
        {
            "n": g.size(),
            "mean_days": g.mean(),
            "median_days": g.median(),
            "p75_days": g.quantile(0.75),
        }
    ).reindex(range(size))
    stats["n"] = stats["n"].fillna(0)
    stats["n_missing_dates"] = _count(codes, sel & ~dated, size)
    out = keys.join(stats, how="inner")[_present(codes, sel, size)].reset_index(drop=True)
    out[["n", "n_missing_dates"]] = out[["n", "n_missing_dates"]].astype(int)
    small = warning_for(out["n"], min_n, "won deals with dates")
    missing = _missing_note(
        out["n_missing_dates"].to_numpy(), (out["n"] + out["n_missing_dates"]).to_numpy(),
        "created or close date",
    )  # fmt: skip
    out["warning"] = _join_warnings(missing, small)
    return out


def funnel(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Deals reaching each stage (and won), for a rep vs the rest of their team.

    (A team is shown next to the rest of the company.) ``reached`` counts deals that entered
    the stage according to their stage history. Deals without history count at the first
    stage (every deal enters the pipeline) and, if won, at "won"; at the stages in between
    their path is not in the data: ``n_unknown`` counts them, and a scope where no deal has
    history shows NaN there (``note``). ``pct_of_first`` = reached / deals reaching the first
    stage (among deals with history at the stages in between).
    """
    f = deal_frame(data)
    rows = []
    for scope, name, m in comparison_scopes(f, rep=rep, team=team, period=period):
        h = m & f.hist_deal
        n_hist, n_unknown = int(h.sum()), int((m & ~f.hist_deal).sum())
        reached = f.reached[h].sum(axis=0).astype(float)
        first = float(m.sum())
        for i, stage in enumerate([*PIPELINE_STAGES, "won"]):
            note = ""
            if i == 0:
                count, base, unknown = first, first, 0
            elif stage == "won":
                count, base, unknown = float((m & f.won).sum()), first, 0
            else:
                count, base, unknown = reached[i], float(reached[0]), n_unknown
                if n_hist == 0 and n_unknown:
                    count, note = np.nan, NO_HISTORY_NOTE
                elif n_unknown:
                    note = f"{n_unknown} deals without stage history not counted"
            pct = count / base if base else np.nan
            n = 0 if np.isnan(count) else int(count)
            rows.append((scope, name, i, stage, count, pct, n, unknown, note))
    out = pd.DataFrame(
        rows,
        columns=["scope", "name", "step", "stage", "reached", "pct_of_first", "n", "n_unknown",
                 "note"],
    )  # fmt: skip
    out["warning"] = warning_for(out["n"], min_n, "deals")
    return out


def stage_conversion(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """Stage-to-stage conversion for a rep vs the rest of their team (a team vs the rest).

    The comparison is the one :func:`coaching_focus` tests: the rest of the rep's team (the
    rest of the company when teams are unknown), without deals that have no rep. For stage
    *s*: ``n`` = deals known to have reached *s* and been resolved there (moved on, or were
    lost at *s*; deals still open at *s* are excluded), ``advanced`` = those that reached a
    later stage (or won, from the last stage), ``conversion`` = advanced / n. Without stage
    history only the last stage -> won can be known (docs/metrics.md); other stages are NaN
    with ``note``.
    """
    f = deal_frame(data)
    nxt = [*PIPELINE_STAGES[1:], "won"]
    rows = []
    for scope, name, m in comparison_scopes(f, rep=rep, team=team, period=period):
        n = f.resolved[m].sum(axis=0)
        adv = f.passed[m].sum(axis=0)
        notes = stage_notes(f, m)
        for k, stage in enumerate(PIPELINE_STAGES):
            rows.append((scope, name, k, stage, nxt[k], int(adv[k]), int(n[k]), notes[k]))
    out = pd.DataFrame(
        rows, columns=["scope", "name", "step", "stage", "next_stage", "advanced", "n", "note"]
    )
    out["conversion"] = ratio(out["advanced"], out["n"])
    unknown = out["note"].str.startswith("no stage history").to_numpy()
    out.loc[unknown, "conversion"] = np.nan
    out["warning"] = warning_for(out["n"], min_n, "deals entering the stage")
    out.loc[unknown, "warning"] = ""
    return out[["scope", "name", "step", "stage", "next_stage", "advanced", "n", "conversion",
                "note", "warning"]]  # fmt: skip


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
    # Per distinct rep name once (5 M activity rows, a few hundred names): codes, teams, starts.
    codes, names = pd.factorize(acts["rep"].astype("string").fillna("(no rep)"))
    names = np.asarray(names, dtype=object)
    team_by = {r.name: r.team or NO_TEAM for r in ros}
    teams = np.array([team_by.get(str(n), NO_TEAM) for n in names], dtype=object)
    mask = np.ones(len(acts), dtype=bool)
    if types is not None:
        tcodes, tnames = pd.factorize(acts["type"].astype("string"))
        wanted = {t.lower() for t in types}
        keep = np.array([str(t).lower() in wanted for t in tnames] + [False], dtype=bool)
        mask &= keep[tcodes]  # code -1 (no type) picks the trailing False
    if rep is not None:
        mask &= (names == ros.find_name(rep))[codes]
    if team is not None:
        mask &= (teams == ros.find_team(team))[codes]
    day = days(acts["date"])
    p = parse_period(period)
    if isinstance(p, Window):
        start_by = {r.name: day_of(r.start_date) for r in ros if r.start_date is not None}
        start = np.array([start_by.get(str(n), np.nan) for n in names], dtype=float)[codes]
        tenure = day - start
        mask &= (day != NO_DAY) & (tenure >= p.start) & (tenure <= p.end)
    elif p is not None:
        mask &= (day >= day_of(p.start)) & (day <= day_of(p.end))
    sel = pd.DataFrame({"code": codes[mask]})
    if "opportunity_id" in acts:
        sel["deal"] = acts["opportunity_id"].to_numpy()[mask]
    else:
        sel["deal"] = None
    if by == "rep":
        g = sel.groupby("code", sort=False)
        out = pd.DataFrame({"activities": g.size(), "deals": g["deal"].nunique()})
        out.insert(0, "team", teams[out.index])
        out.insert(0, "rep", names[out.index].astype(str))
    else:
        sel["key"] = teams[sel["code"].to_numpy()] if by == "team" else "all"
        g = sel.groupby("key", sort=False)
        out = pd.DataFrame({"activities": g.size(), "deals": g["deal"].nunique()})
        out.insert(0, "team" if by == "team" else "scope", out.index.astype(str))
    out = out.sort_values(["rep", "team"] if by == "rep" else [out.columns[0]]).reset_index(
        drop=True
    )
    out["activities"] = out["activities"].astype(int)
    out["n"] = out["activities"]
    return out


def rep_summary(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = MIN_CLOSED,
) -> pd.DataFrame:  # fmt: skip
    """One row per rep: closed, won, lost, win rate, won amount, average deal, median cycle, open
    pipeline (open deals expected to close in the period), quota and attainment when a period is given.

    Amounts are sums of known amounts; ``n_missing_amount`` counts won deals without one. When
    the data holds no amounts at all, the amount columns are NaN (not 0).
    """
    f = deal_frame(data)
    m = select(f, rep=rep, team=team, period=period)
    wr = win_rate(data, rep=rep, team=team, period=period, by="rep", min_n=min_n)
    size = deal_size(data, rep=rep, team=team, period=period).set_index("rep")
    cyc = sales_cycle(data, rep=rep, team=team, period=period).set_index("rep")
    out = wr.drop(columns=["warning"]).set_index("rep")
    no_amount = np.nan if not f.has_amount else 0.0
    out["won_amount"] = size["total"].reindex(out.index).fillna(no_amount)
    out["n_missing_amount"] = size["n_missing_amount"].reindex(out.index).fillna(0).astype(int)
    out["avg_deal_size"] = size["average"].reindex(out.index)
    out["median_cycle_days"] = cyc["median_days"].reindex(out.index)
    pipe = pd.Series(
        _count(f.rep, m & f.open, len(f.rep_names), f.amount), index=f.rep_names.astype(str)
    )
    out["open_pipeline"] = pipe.reindex(out.index).fillna(0.0) if f.has_amount else np.nan
    p = parse_period(period)
    if isinstance(p, Period):
        out["quota"] = quota_for(data, p).reindex(out.index)
        out["attainment"] = ratio(out["won_amount"], out["quota"])
    out = out.reset_index()
    missing = np.where(
        out["n_missing_amount"] > 0,
        [f"{k} won deals have no amount: left out of the amounts" for k in out["n_missing_amount"]],
        "",
    )
    if not f.has_amount:
        missing = np.full(len(out), "amount not in this data", dtype=object)
    out["warning"] = _join_warnings(missing, warning_for(out["n"], min_n))
    return out
