"""Performance tiers over a window: top / middle / bottom by attainment, and the top tier's figures.

Tiers rank reps by quota attainment over the window (won amount closed in it / the window's
quota), or by won amount when nobody in scope has a quota. Only reps who worked the whole
window are ranked (a hire or a leaver is named in a note); reps with a quota of their own are
compared with each other only. Ties at a tier boundary all go to the same tier (the tier then
holds more than its share, and a note says so).

A rep is "top by circumstance" when one deal is more than ``whale_share`` of their bookings,
or when more than ``segment_rep_share`` of their closed deals are in a segment that is under
``segment_team_share`` of their team's. Such reps are flagged and, by default, left out of the
comparison (:attr:`TierRules.exclude_circumstance`).

The tiers live in the deals engine because every practice reads them: the coaching profile
compares the top tier with the rest, a review standard ``top_profile`` and an onboarding
milestone take their targets from the top tier's figure (:func:`top_figure`). Rules come from
the ``[coaching]`` table of ``spmkb.toml`` (:meth:`TierRules.from_table`);
:class:`spmkb.coaching.options.CoachingOptions` carries the same fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.measures import Measure, get_measure, per_rep
from spmkb.deals.periods import Period
from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData
from spmkb.deals.shrink import fit_prior, group_stat, shrink_rates
from spmkb.errors import DealDataError

TIERS: tuple[str, ...] = ("top", "middle", "bottom")
#: Measures that define the tiers or describe one day: never compared with the top tier.
NOT_COMPARED: frozenset[str] = frozenset(
    {"quota_attainment", "won_amount", "won_deals", "pipeline_coverage"}
)


@dataclass(frozen=True)
class TierRules:
    """Tier shares, the "top by circumstance" rules and the reps a compared tier needs."""

    top_share: float = 0.20
    bottom_share: float = 0.20
    whale_share: float = 0.40
    segment_rep_share: float = 0.50
    segment_team_share: float = 0.20
    segment_min_deals: int = 10
    exclude_circumstance: bool = True
    min_reps: int = 3

    @classmethod
    def from_table(cls, table: dict[str, Any] | None) -> TierRules:
        """The tier keys of a ``[coaching]`` table (other keys are the coaching practice's)."""
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in (table or {}).items() if k in names})


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


def closed_in(data: DealData, window: Period) -> pd.DataFrame:
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


def circumstance(data: DealData, window: Period, reps: list[str], options: Any) -> dict[str, str]:
    """Rep -> why they are "top by circumstance" (one whale deal, a segment mix far from the team's)."""
    closed = closed_in(data, window)
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
    options: Any = None,
) -> Tiers:
    """Rank the reps who worked the whole window into top / middle / bottom tiers.

    ``options``: a :class:`TierRules` or anything with its fields (``CoachingOptions``).
    """
    from spmkb.deals.metrics import quota_for

    opts = options or TierRules()
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
    closed = closed_in(data, p)
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


def _cut(score: pd.Series, opts: Any, notes: list[str], basis: str) -> pd.Series:
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


_TIERS: dict[Any, tuple[Any, Tiers]] = {}


def cached_tiers(
    data: DealData, window: str | Period, *, team: str | None = None, options: Any = None
) -> Tiers:
    """:func:`tiers`, kept per deal data object, window, team and rules (a review asks often)."""
    opts = options or TierRules()
    key = (id(data), str(window), team, opts)
    hit = _TIERS.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    out = tiers(data, window, team=team, options=opts)
    if len(_TIERS) >= 16:
        _TIERS.pop(next(iter(_TIERS)))
    _TIERS[key] = (data.opportunities, out)
    return out


def comparable(measure: str) -> bool:
    """Whether a measure can be compared with the top tier (not one that defines the tiers)."""
    m = get_measure(measure)
    return m.name not in NOT_COMPARED and not m.calendar_only


@dataclass
class TierValues:
    """One measure for the compared reps (top, then rest): rep-level figures and their n."""

    reps: list[str]
    is_top: np.ndarray
    value: np.ndarray  # shrunk towards the compared reps for rates; NaN below the measure's min n
    n: np.ndarray
    how: str  # "mean" or "median" (money and days)
    raw_top: float = math.nan  # pooled raw rate of the tier (rates only)
    raw_rest: float = math.nan

    def figure(self, top: bool = True) -> float:
        """The tier's figure: mean (median for money and days) of its reps' finite values."""
        return group_stat(self.value[self.is_top if top else ~self.is_top], self.how)


def tier_values(
    data: DealData,
    t: Tiers,
    measure: Measure,
    stage: str | None = None,
    period: Period | None = None,
) -> TierValues:
    """The compared reps' figures of ``measure`` over ``period`` (default: the tiers' window).

    Rates are shrunk towards all compared reps (beta-binomial prior fitted over top and rest);
    other measures count only reps with at least the measure's ``min_n``.
    """
    top, rest = t.members("top"), t.members("rest")
    reps = top + rest
    vals = per_rep(data, measure.name, team=t.team, period=period or t.window, stage=stage)
    vals = vals.reindex(reps)
    raw = vals["value"].to_numpy(dtype=float)
    n = vals["n"].fillna(0).to_numpy(dtype=float)
    how = "median" if measure.unit in ("money", "days") else "mean"
    top_set = set(top)
    is_top = np.array([r in top_set for r in reps], dtype=bool)
    out = TierValues(reps, is_top, raw, n, how)
    if measure.unit == "ratio":
        ok = n > 0
        x = np.where(ok, np.round(np.nan_to_num(raw) * n), 0.0)
        fit = ok & np.isfinite(raw)
        value = shrink_rates(x, n, fit_prior(x[fit], n[fit]))
        value[~np.isfinite(raw)] = np.nan
        out.value = value
        with np.errstate(invalid="ignore"):
            nt, nr = n[is_top].sum(), n[~is_top].sum()
            out.raw_top = float(x[is_top].sum() / nt) if nt else math.nan
            out.raw_rest = float(x[~is_top].sum() / nr) if nr else math.nan
    else:
        out.value = np.where(n >= measure.min_n, raw, np.nan)
    return out


def profile_window(period: str | Period) -> Period:
    """The window a review of ``period`` ranks reps over: the period itself when it spans two
    quarters or more, else the latest half-year that ends by the period's end (``2026-Q2`` and
    ``2026-05`` -> ``2026-H1``; ``2026-Q1`` -> ``2025-H2``): never a day after the review."""
    p = Period.parse(period)
    if p.months >= 6:
        return p
    half = Period("half", p.year, 1 if p.start.month <= 6 else 2)
    return half if half.end <= p.end else half.previous()


@dataclass
class TopFigure:
    """The top tier's figure for one measure, with what it rests on, or why there is none."""

    measure: str
    stage: str | None
    window: str  # the window the tiers are ranked over
    period: str  # the period the figure is measured over
    team: str | None
    value: float = math.nan
    reps: int = 0  # top-tier reps with data for the measure
    n: int = 0  # the measure's n summed over those reps
    n_of: str = ""
    how: str = "mean"
    shrunk: bool = False  # rates: each rep's rate shrunk towards the compared reps first
    message: str | None = None  # set instead of a value when the top tier is too small

    def basis(self) -> str:
        """ "top tier of East, ranked over 2026-H1: 3 reps, n = 412 closed deals" (or the message)."""
        if self.message:
            return self.message
        who = f"top tier of {self.team}" if self.team else "top tier of all teams"
        when = f"ranked over {self.window}"
        if self.period != self.window:
            when += f", measured in {self.period}"
        how = f"{self.how} of {self.reps} reps" + (
            " (rates shrunk towards the team)" if self.shrunk else ""
        )
        return f"{who}, {when}: {how}, n = {self.n} {self.n_of}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None) with the basis sentence."""
        d = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in self.__dict__.items()
        }
        return {**d, "basis": self.basis()}


def top_figure(
    data: DealData,
    measure: str,
    window: str | Period,
    *,
    team: str | None = None,
    stage: str | None = None,
    period: str | Period | None = None,
    options: Any = None,
) -> TopFigure:
    """The top tier's figure for ``measure`` (ranked over ``window``, measured over ``period``,
    default the window), or a :class:`TopFigure` with a message when fewer than ``min_reps``
    compared reps are in a tier or have data. Equals the coaching profile's ``top`` figure
    when ``period`` is the window. Kept per deal data object: a team's reviews ask the same
    question once per rep (the 21 scorecards of a sample team with four top_profile standards:
    6.5 s without the cache, 2.5 s with it, about what default standards take; load ~16)."""
    opts = options or TierRules()
    key = (id(data), measure, str(window), team, stage, str(period), opts)
    hit = _FIGURES.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    fig = _top_figure(data, measure, window, team, stage, period, opts)
    if len(_FIGURES) >= 256:
        _FIGURES.pop(next(iter(_FIGURES)))
    _FIGURES[key] = (data.opportunities, fig)
    return fig


_FIGURES: dict[Any, tuple[Any, TopFigure]] = {}


def _top_figure(
    data: DealData,
    measure: str,
    window: str | Period,
    team: str | None,
    stage: str | None,
    period: str | Period | None,
    opts: Any,
) -> TopFigure:
    """:func:`top_figure` without the cache (a review asks once per rep and standard)."""
    m = get_measure(measure)
    w = parse_window(window)
    p = Period.parse(period) if period is not None else w
    t = cached_tiers(data, w, team=team, options=opts)
    fig = TopFigure(m.name, stage, w.label, p.label, t.team, n_of=m.n_of, shrunk=m.unit == "ratio")
    where = f"{w.label}" + (f" ({t.team})" if t.team else "")
    if not comparable(m.name):
        fig.message = f"{m.label} defines the tiers: it is not compared with the top tier"
        return fig
    n_top, n_rest = len(t.members("top")), len(t.members("rest"))
    need = getattr(opts, "min_reps", 3)
    if n_top < need or n_rest < need:
        fig.message = (
            f"too few reps to profile the top tier in {where}: {n_top} top and {n_rest} other "
            f"reps compared (at least {need} each needed): no target"
        )
        return fig
    tv = tier_values(data, t, m, stage, p)
    have = tv.is_top & np.isfinite(tv.value)
    fig.how, fig.reps, fig.n = tv.how, int(have.sum()), int(tv.n[have].sum())
    if fig.reps < need:
        fig.message = (
            f"only {fig.reps} top-tier rep(s) in {where} have enough data for "
            f"{m.label_for(stage).lower()} in {p.label} (at least {need} needed): no target"
        )
        return fig
    fig.value = tv.figure(top=True)
    return fig


__all__ = [
    "NOT_COMPARED",
    "TIERS",
    "TierRules",
    "TierValues",
    "Tiers",
    "TopFigure",
    "cached_tiers",
    "circumstance",
    "closed_in",
    "comparable",
    "parse_window",
    "profile_window",
    "tier_values",
    "tiers",
    "top_figure",
]
