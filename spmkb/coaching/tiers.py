"""Performance tiers over a window: top / middle / bottom by attainment, and "top by circumstance".

Tiers rank reps by quota attainment over the window (won amount closed in it / the window's
quota), or by won amount when nobody in scope has a quota. Only reps who worked the whole
window are ranked (a hire or a leaver is named in a note); reps with a quota of their own are
compared with each other only. Ties at a tier boundary all go to the same tier (the tier then
holds more than its share, and a note says so).

A rep is "top by circumstance" when one deal is more than ``whale_share`` of their bookings,
or when more than ``segment_rep_share`` of their closed deals are in a segment that is under
``segment_team_share`` of their team's. Such reps are flagged and, by default, left out of the
comparison (:attr:`CoachingOptions.exclude_circumstance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmkb.coaching.options import CoachingOptions
from spmkb.deals.measures import per_rep
from spmkb.deals.periods import Period
from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError

TIERS: tuple[str, ...] = ("top", "middle", "bottom")


def parse_window(value: str | Period) -> Period:
    """A calendar period of at least two quarters (``2026-H1``, ``2026``); DealDataError otherwise."""
    p = Period.parse(value)
    if p.months < 6:
        raise DealDataError(
            f"the window {p.label} is shorter than two quarters",
            field="window",
            hint="use a half (2026-H1) or a year (2026): a quarter is too short to tell skill from luck",
        )
    return p


@dataclass
class Tiers:
    """Each ranked rep's score and tier, the reps left out and why, and notes."""

    window: Period
    team: str | None
    basis: str  # "attainment" or "won amount"
    table: pd.DataFrame  # index rep: score, won_amount, quota, won_deals, tier, circumstance
    left_out: dict[str, str] = field(default_factory=dict)  # rep -> reason
    notes: list[str] = field(default_factory=list)

    def members(self, tier: str, *, compared: bool = True) -> list[str]:
        """Reps of ``tier`` (``rest`` = middle + bottom); ``compared`` drops circumstance reps."""
        t = self.table
        sel = t["tier"].isin(("middle", "bottom")) if tier == "rest" else t["tier"] == tier
        if compared:
            sel &= ~t["excluded"]
        return sorted(t.index[sel])

    def tier_of(self, rep: str) -> str | None:
        """The tier of ``rep`` (None when not ranked)."""
        return str(self.table.loc[rep, "tier"]) if rep in self.table.index else None

    def to_dict(self, *, private: bool = False) -> dict[str, Any]:
        """Tier sizes and the flagged reps; ``private`` adds every rep's tier and score."""
        t = self.table
        out: dict[str, Any] = {
            "window": self.window.label,
            "team": self.team,
            "basis": self.basis,
            "sizes": {k: int((t["tier"] == k).sum()) for k in TIERS},
            "top": self.members("top", compared=False),
            "circumstance": {
                r: str(t.loc[r, "circumstance"]) for r in t.index[t["circumstance"] != ""]
            },
            "left_out": dict(self.left_out),
            "notes": list(self.notes),
        }
        if private:
            out["reps"] = {
                r: {"tier": str(row.tier), "score": _num(row.score)} for r, row in t.iterrows()
            }
        return out


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


_CLOSED: dict[Any, tuple[Any, pd.DataFrame]] = {}


def _closed_in(data: DealData, window: Period) -> pd.DataFrame:
    """Closed deals (won or lost) whose close date lies in the window (cached per data object)."""
    key = (id(data), window.label)
    hit = _CLOSED.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    o = data.opportunities
    close = pd.to_datetime(o["close_date"], errors="coerce")
    inside = (
        (close >= pd.Timestamp(window.start)) & (close <= pd.Timestamp(window.end))
    ).to_numpy()
    status = o["status"][inside].astype(str).str.lower().to_numpy()
    m = np.zeros(len(o), dtype=bool)
    m[np.nonzero(inside)[0]] = (status == "won") | (status == "lost")
    cols = [c for c in ("id", "rep", "amount", "segment", "account", "competitor") if c in o]
    out = o.loc[m, cols].copy()
    out["won"] = (o["status"][m].astype(str).str.lower() == "won").to_numpy()
    out["close_date"] = close[m].to_numpy()
    out["rep"] = out["rep"].astype(str).astype("category")
    if "segment" in out:
        out["segment"] = out["segment"].astype("category")
    out["amount"] = pd.to_numeric(out["amount"], errors="coerce")
    if len(_CLOSED) >= 8:
        _CLOSED.pop(next(iter(_CLOSED)))
    _CLOSED[key] = (data.opportunities, out)
    return out


def circumstance(
    data: DealData, window: Period, reps: list[str], options: CoachingOptions
) -> dict[str, str]:
    """Rep -> why they are "top by circumstance" (one whale deal, a segment mix far from the team's)."""
    closed = _closed_in(data, window)
    out: dict[str, str] = {}
    won = closed[closed["won"] & closed["amount"].notna()]
    g = won.groupby("rep", observed=True)["amount"]
    share = (g.max() / g.sum()).reindex(reps)
    for rep, sh in share[share > options.whale_share].items():
        out[str(rep)] = f"one deal is {sh:.0%} of their bookings (> {options.whale_share:.0%})"
    if "segment" not in closed or closed["segment"].isna().all():
        return out
    counts = closed.groupby(["rep", "segment"], observed=True).size().unstack(fill_value=0)
    counts.index = counts.index.astype(str)
    counts.columns = counts.columns.astype(str)
    team_by_name = {r.name: (r.team or "(no team)") for r in roster(data)}
    team_of = pd.Series(
        [team_by_name.get(r, "(no team)") for r in counts.index], index=counts.index
    )
    team_counts = counts.groupby(team_of).sum()
    team_share = team_counts.div(team_counts.sum(axis=1), axis=0)
    n = counts.sum(axis=1)
    rep_share = counts.div(n, axis=0)
    ts = team_share.reindex(team_of.to_numpy()).set_axis(counts.index)
    flag = (rep_share > options.segment_rep_share) & (ts < options.segment_team_share)
    flag = flag[(n >= options.segment_min_deals) & counts.index.isin(reps)]
    for rep, row in flag.iterrows():
        for segment in row.index[row.to_numpy()]:
            why = (
                f"{rep_share.loc[rep, segment]:.0%} of their {int(n[rep])} closed deals are "
                f"{segment}, {ts.loc[rep, segment]:.0%} of the team's"
            )
            out[rep] = f"{out[rep]}; {why}" if rep in out else why
    return out


def tiers(
    data: DealData,
    window: str | Period,
    *,
    team: str | None = None,
    options: CoachingOptions | None = None,
) -> Tiers:
    """Rank the reps who worked the whole window into top / middle / bottom tiers."""
    from spmkb.deals.metrics import quota_for

    opts = options or CoachingOptions()
    p = parse_window(window)
    ros = roster(data)
    team = ros.find_team(team) if team else None
    won = per_rep(data, "won_amount", team=team, period=p)
    quota = quota_for(data, p)
    notes: list[str] = []
    left_out: dict[str, str] = {}
    members = {r.name: r for r in (ros.members(team) if team else ros)}
    candidates = sorted(set(won.index) | (set(quota.index) & set(members)))
    candidates = [r for r in candidates if r in members]
    closed = _closed_in(data, p)
    if not closed["rep"].isin(members).any():
        raise DealDataError(
            f"no closed deals in {p.label}" + (f" for team {team}" if team else ""),
            field="window",
            hint="choose a window the deal data covers",
        )
    ranked = []
    for rep in candidates:
        who = members[rep]
        if who.start_date is not None and who.start_date > p.start:
            left_out[rep] = f"started on {who.start_date.isoformat()}, inside the window"
        elif who.end_date is not None and who.end_date < p.end:
            left_out[rep] = f"left on {who.end_date.isoformat()}, inside the window"
        elif who.role and who.role.upper() == "SDR":
            left_out[rep] = "SDR: sources deals, has no bookings of their own"
        else:
            ranked.append(rep)
    has_quota = [r for r in ranked if r in quota.index and quota[r] > 0]
    basis = "attainment" if has_quota else "won amount"
    if has_quota:
        for r in ranked:
            if r not in has_quota:
                left_out[r] = f"no quota for {p.label}"
        ranked = has_quota
    else:
        notes.append(f"no rep has a quota for {p.label}: tiers by won amount")
    t = pd.DataFrame(index=pd.Index(ranked, name="rep"))
    t["won_amount"] = won["value"].reindex(ranked).fillna(0.0)
    t["won_deals"] = won["n"].reindex(ranked).fillna(0).astype(int)
    t["quota"] = quota.reindex(ranked) if has_quota else np.nan
    t["score"] = t["won_amount"] / t["quota"] if has_quota else t["won_amount"]
    t["tier"] = _cut(t["score"], opts, notes, basis)
    flags = circumstance(data, p, ranked, opts)
    t["circumstance"] = [flags.get(r, "") for r in ranked]
    t["excluded"] = (t["circumstance"] != "") & opts.exclude_circumstance
    if flags:
        what = "left out of the comparison" if opts.exclude_circumstance else "kept in"
        notes.append(
            f"{len(flags)} rep(s) top by circumstance, {what}: " + ", ".join(sorted(flags))
        )
    if left_out:
        notes.append(f"{len(left_out)} rep(s) not ranked (see left_out)")
    return Tiers(p, team, basis, t, left_out, notes)


def _cut(score: pd.Series, opts: CoachingOptions, notes: list[str], basis: str) -> pd.Series:
    """Tier labels: top / middle / bottom by ``score``; ties at a boundary share the tier."""
    n = len(score)
    out = pd.Series("middle", index=score.index, dtype=object)
    if n == 0:
        return out
    desc = np.sort(score.to_numpy(dtype=float))[::-1]
    k_top = max(1, round(opts.top_share * n))
    cut_top = desc[k_top - 1]
    top = score >= cut_top
    k_bot = round(opts.bottom_share * n)
    bottom = pd.Series(False, index=score.index)
    if k_bot:
        cut_bot = desc[::-1][k_bot - 1]
        bottom = (score <= cut_bot) & ~top
    out[top] = "top"
    out[bottom] = "bottom"
    fmt = "{:.0%}" if basis == "attainment" else "{:,.0f}"
    if top.sum() > k_top:
        notes.append(
            f"{int((score == cut_top).sum())} reps tie at the top-tier boundary "
            f"({fmt.format(cut_top)}): all are in the top tier ({int(top.sum())} reps, not {k_top})"
        )
    if k_bot and bottom.sum() > k_bot:
        notes.append(
            f"reps tie at the bottom-tier boundary: {int(bottom.sum())} in it, not {k_bot}"
        )
    return out


__all__ = ["TIERS", "Tiers", "circumstance", "parse_window", "tiers"]
