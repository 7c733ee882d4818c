"""The top-performer profile: what the top tier does differently from the rest of the team.

For every measure of the registry (:mod:`spmkb.deals.measures`) over the window, the top tier
(:mod:`spmkb.coaching.tiers`) is compared with the rest (middle + bottom): rates shrunk towards
the team (:func:`~spmkb.coaching.stats.shrink_rates`), each tier's figure (mean over reps;
median for money and days), a bootstrap interval of the difference resampling reps, Hedges'
g, and the difference adjusted for segment mix (least squares on each rep's share of closed
deals per segment, HC3 p-value). The measures are one family: Benjamini–Hochberg controls the
false discovery rate across them; a *finding* survives it, and its raw and adjusted
differences agree in sign with a bootstrap interval that excludes zero.

Measures that rest on deal outcomes (win rate, stage conversions, won deal size, cycle of won
deals) are shown but not tested: tiers are chosen by bookings, which are made of those
outcomes, so the top tier's luck alone makes them look better (shuffling won/lost shows it).
The measures that define the tiers (attainment, won amount, won deals) and the point-in-time
coverage are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spmkb.coaching.options import CoachingOptions
from spmkb.coaching.stats import adjusted_diff, bootstrap_diff, group_stat, hedges_g
from spmkb.coaching.tiers import Tiers, _closed_in, tiers
from spmkb.deals.measures import MEASURES, Measure
from spmkb.deals.periods import Period
from spmkb.deals.schema import PIPELINE_STAGES, DealData
from spmkb.deals.tiers import NOT_COMPARED, tier_values
from spmkb.fmt import PROSE, difference, figure, p_value

#: Measures made of deal outcomes: shown, not tested (tiers are chosen by outcomes).
OUTCOME_MEASURES: frozenset[str] = frozenset(
    {"win_rate", "stage_conversion", "avg_deal_size", "sales_cycle"}
)


@dataclass
class Comparison:
    """The top tier against the rest on one measure (and stage)."""

    measure: str
    stage: str | None
    label: str
    unit: str
    direction: str
    n_of: str
    top: float  # tier figure (shrunk for rates)
    rest: float
    diff: float
    ci_low: float
    ci_high: float
    effect: float  # Hedges' g
    adjusted: float  # difference adjusted for segment mix
    adj_low: float
    adj_high: float
    p_value: float  # of the adjusted difference
    q_value: float = math.nan  # BH-adjusted p-value (tested measures only)
    reps_top: int = 0
    reps_rest: int = 0
    n_top: int = 0  # the n the measure rests on (deals, activities …), summed over the tier
    n_rest: int = 0
    tested: bool = False
    finding: bool = False
    note: str = ""
    raw_top: float = math.nan  # pooled raw rate for rates
    raw_rest: float = math.nan

    @property
    def key(self) -> str:
        """``measure`` or ``measure[stage]``."""
        return f"{self.measure}[{self.stage}]" if self.stage else self.measure

    def sentence(self) -> str:
        """A plain-language line with the figures, the interval and the n."""
        return describe(self)

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as a JSON-ready dict (NaN as None)."""
        out: dict[str, Any] = {"key": self.key, "sentence": self.sentence()}
        for k, v in self.__dict__.items():
            if not k.startswith("_"):
                out[k] = None if isinstance(v, float) and math.isnan(v) else v
        return out


@dataclass
class Profile:
    """The tiers, one comparison per measure, findings and notes."""

    window: Period
    team: str | None
    tiers: Tiers
    comparisons: list[Comparison] = field(default_factory=list)
    message: str | None = None  # set instead of a profile when a tier is too small
    notes: list[str] = field(default_factory=list)
    options: CoachingOptions = field(default_factory=CoachingOptions)

    @property
    def findings(self) -> list[Comparison]:
        """Tested comparisons that survive false-discovery control."""
        return [c for c in self.comparisons if c.finding]

    def get(self, measure: str, stage: str | None = None) -> Comparison | None:
        """The comparison of ``measure`` (and ``stage``), or None."""
        for c in self.comparisons:
            if c.measure == measure and c.stage == stage:
                return c
        return None

    def summary(self) -> list[str]:
        """Plain-language lines: the message, or each finding, or that nothing stood out."""
        if self.message:
            return [self.message]
        if not self.findings:
            tested = sum(c.tested for c in self.comparisons)
            return [
                f"No measure separates the top tier from the rest after false-discovery "
                f"control ({tested} measures tested, FDR {self.options.fdr:.0%})."
            ]
        return [c.sentence() for c in self.findings]

    def to_dict(self) -> dict[str, Any]:
        """Return the profile as a JSON-ready dict (no rep-level ranking)."""
        return {
            "window": self.window.label,
            "team": self.team,
            "message": self.message,
            "summary": self.summary(),
            "tiers": self.tiers.to_dict(),
            "findings": [c.key for c in self.findings],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "notes": list(self.notes),
        }


def _fmt(value: float, unit: str) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return figure(value, unit, PROSE)


def _fmt_diff(value: float, unit: str) -> str:
    if not np.isfinite(value):
        return "n/a"
    return difference(value, unit)


def describe(c: Comparison) -> str:
    """ "Top performers …: X against Y for the rest (difference, 95 % CI …, n = …)"."""
    what = c.label[0].lower() + c.label[1:]
    ci = f"{_fmt_diff(c.ci_low, c.unit)} to {_fmt_diff(c.ci_high, c.unit)}"
    if c.unit == "ratio":
        head = f"Top performers: {what} in {_fmt(c.top, c.unit)} of {c.n_of}"
    else:
        head = f"Top performers: {what} {_fmt(c.top, c.unit)}"
    text = (
        f"{head} against {_fmt(c.rest, c.unit)} for the rest "
        f"(difference {_fmt_diff(c.diff, c.unit)}, 95 % CI {ci}; "
        f"n = {c.n_top} {c.n_of} from {c.reps_top} reps vs {c.n_rest} from {c.reps_rest} reps"
    )
    if np.isfinite(c.q_value):
        text += f"; {p_value(c.q_value, 'FDR-adjusted p')}"
    return text + ")"


def _segment_shares(data: DealData, window: Period, reps: list[str]) -> np.ndarray | None:
    """Per rep: share of closed deals in each segment but the first (None without segments)."""
    closed = _closed_in(data, window)
    if "segment" not in closed or closed["segment"].notna().sum() == 0:
        return None
    counts = closed.groupby(["rep", "segment"], observed=True).size().unstack(fill_value=0)
    counts.index = counts.index.astype(str)
    table = counts.div(counts.sum(axis=1), axis=0).reindex(reps)
    if table.shape[1] < 2:
        return None
    return table.iloc[:, 1:].to_numpy(dtype=float)


def _items() -> list[tuple[Measure, str | None]]:
    out: list[tuple[Measure, str | None]] = []
    for m in MEASURES.values():
        if m.name in NOT_COMPARED or m.calendar_only:
            continue
        out += [(m, s) for s in PIPELINE_STAGES] if m.per_stage else [(m, None)]
    return out


def compare(
    data: DealData,
    tiers_: Tiers,
    measure: Measure,
    stage: str | None,
    options: CoachingOptions,
    shares: np.ndarray | None,
) -> Comparison:
    """The top tier against the rest on one measure."""
    tv = tier_values(data, tiers_, measure, stage)
    reps, value, n, how, is_top = tv.reps, tv.value, tv.n, tv.how, tv.is_top
    raw_top, raw_rest = tv.raw_top, tv.raw_rest
    a, b = value[is_top], value[~is_top]
    fa, fb = a[np.isfinite(a)], b[np.isfinite(b)]
    diff = group_stat(a, how) - group_stat(b, how)
    lo, hi = bootstrap_diff(a, b, how=how, resamples=options.resamples, seed=options.seed)
    adj = adjusted_diff(value, is_top.astype(float), shares)
    c = Comparison(
        measure.name, stage, measure.label_for(stage), measure.unit, measure.direction,
        measure.n_of, group_stat(a, how), group_stat(b, how), diff, lo, hi, hedges_g(a, b),
        *adj, reps_top=len(fa), reps_rest=len(fb),
        n_top=int(n[is_top & np.isfinite(value)].sum()),
        n_rest=int(n[~is_top & np.isfinite(value)].sum()), raw_top=raw_top, raw_rest=raw_rest,
    )  # fmt: skip
    c._values = pd.Series(value, index=reps)  # rep-level figures (for the luck null)
    c._how = how
    if len(fa) < options.min_reps or len(fb) < options.min_reps:
        c.note = f"not enough data: {len(fa)} top and {len(fb)} other reps with data"
    elif measure.name in OUTCOME_MEASURES:
        c.note = "outcome measure: tiers are chosen by bookings, so it is shown, not tested"
    elif not np.isfinite(c.p_value):
        c.note = "cannot be tested (no spread between reps)"
    else:
        c.tested = True
    if how == "median":
        c.note = (c.note + "; " if c.note else "") + "tier figure = median of reps"
    return c


def top_profile(
    data: DealData,
    window: str | Period,
    *,
    team: str | None = None,
    options: CoachingOptions | None = None,
) -> Profile:
    """Tiers over ``window`` and the top tier against the rest on every measure (FDR-controlled).

    Profiles are kept per deal data object (while its opportunities table is the same object),
    window, team and options: a second plan for the same team reuses the first's profile.
    """
    opts = options or CoachingOptions()
    key = (id(data), str(window), team, opts)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    prof = _profile(data, window, team, opts)
    if len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (data.opportunities, prof)
    return prof


_CACHE: dict[Any, tuple[Any, Profile]] = {}


def _profile(
    data: DealData, window: str | Period, team: str | None, opts: CoachingOptions
) -> Profile:
    """Compute a profile (see :func:`top_profile`; this one is not cached)."""
    from statsmodels.stats.multitest import multipletests

    t = tiers(data, window, team=team, options=opts)
    prof = Profile(t.window, t.team, t, options=opts, notes=list(t.notes))
    n_top, n_rest = len(t.members("top")), len(t.members("rest"))
    if n_top < opts.min_reps or n_rest < opts.min_reps:
        prof.message = (
            f"Too few reps to profile the top tier in {t.window.label}"
            + (f" ({t.team})" if t.team else "")
            + f": {n_top} top and {n_rest} other reps compared (at least {opts.min_reps} each needed)."
        )
        return prof
    reps = t.members("top") + t.members("rest")
    shares = _segment_shares(data, t.window, reps)
    if shares is None:
        prof.notes.append("no segment column: differences are not adjusted for segment mix")
    prof.comparisons = [compare(data, t, m, s, opts, shares) for m, s in _items()]
    tested = [c for c in prof.comparisons if c.tested]
    volume = [c for c in tested if MEASURES[c.measure].volume]
    if volume:  # bookings grow with volume: test volume against the tiers luck would give
        from spmkb.coaching.luck import luck_p, luck_tops

        tops = luck_tops(data, t, draws=max(opts.resamples // 10, 20), seed=opts.seed)
        for c in volume:
            c.p_value = luck_p(c._values, t, tops, c.diff, c._how)
            c.note = (c.note + "; " if c.note else "") + "p against the tiers luck alone gives"
    if tested:
        reject, q, _, _ = multipletests(
            [c.p_value for c in tested], alpha=opts.fdr, method="fdr_bh"
        )
        for c, r, qv in zip(tested, reject, q, strict=True):
            c.q_value = float(qv)
            # a finding: survives FDR, the raw and adjusted differences agree in sign, and the
            # bootstrap interval of the shown difference excludes zero
            same = np.sign(c.adjusted) == np.sign(c.diff) != 0
            c.finding = bool(r) and bool(same) and (c.ci_low > 0 or c.ci_high < 0)
    no_data = [c.key for c in prof.comparisons if c.reps_top == 0 and c.reps_rest == 0]
    if no_data:
        prof.notes.append("the data cannot show: " + ", ".join(no_data))
    return prof


def top_figures(profile: Profile) -> dict[tuple[str, str | None], float]:
    """The top tier's figure per (measure, stage): what ``standard: top_profile`` compares with."""
    if profile.message:
        return {}
    return {
        (c.measure, c.stage): c.top
        for c in profile.comparisons
        if np.isfinite(c.top) and c.reps_top >= profile.options.min_reps
    }


__all__ = [
    "NOT_COMPARED",
    "OUTCOME_MEASURES",
    "Comparison",
    "Profile",
    "compare",
    "describe",
    "top_figures",
    "top_profile",
]
