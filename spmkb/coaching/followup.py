"""Did the coaching work? The plan's measure before and after, against reps not coached.

Before = the period before the coached one (same length), after = the coached period. The
coached rep's change is compared with the mean change of the reps of the same team who had
no plan in that period and enough deals in both periods (difference in differences). The
interval is a bootstrap over reps: control reps are resampled with replacement, and the
coached rep's two rates are redrawn from their own deals (binomial). Until the rep has
``plan_min_n`` deals in each period the answer is "not enough data yet", with the date by
which there will be, at the rep's pace so far.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from spmkb.coaching.options import CoachingOptions
from spmkb.coaching.plans import Plan
from spmkb.deals.measures import get_measure, per_rep
from spmkb.deals.periods import Period, as_date
from spmkb.deals.schema import DealData
from spmkb.errors import SpmkbError


@dataclass
class DiD:
    """A difference in differences with its bootstrap interval."""

    coached_before: float
    coached_after: float
    control_change: float
    estimate: float
    ci_low: float
    ci_high: float
    controls: int

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as a JSON-ready dict (NaN as None)."""
        return {
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in asdict(self).items()
        }


def did(
    coached: tuple[float, float, float, float],
    controls_before: np.ndarray,
    controls_after: np.ndarray,
    *,
    resamples: int = 2000,
    seed: int = 0,
    rate: bool = True,
) -> DiD:
    """Difference in differences: (after - before) of the coached rep minus the controls' mean.

    ``coached`` = (x before, n before, x after, n after) for a rate (x = successes), or
    (value before, n, value after, n) when ``rate`` is False (then only the controls are
    resampled). Worked example (a test): coached 20/50 -> 35/50 (+0.30), controls each
    25/50 -> 30/50 (+0.10): estimate = 0.30 - 0.10 = 0.20.
    """
    x0, n0, x1, n1 = (float(v) for v in coached)
    b0 = x0 / n0 if rate else x0
    a1 = x1 / n1 if rate else x1
    cb, ca = np.asarray(controls_before, dtype=float), np.asarray(controls_after, dtype=float)
    change = ca - cb
    est = (a1 - b0) - float(change.mean()) if len(change) else math.nan
    lo = hi = math.nan
    if len(change) >= 2:
        rng = np.random.default_rng(seed)
        ctrl = change[rng.integers(0, len(change), (resamples, len(change)))].mean(axis=1)
        if rate:
            own = (
                rng.binomial(int(n1), a1, resamples) / n1
                - rng.binomial(int(n0), b0, resamples) / n0
            )
        else:
            own = np.full(resamples, a1 - b0)
        lo, hi = (float(v) for v in np.percentile(own - ctrl, [2.5, 97.5]))
    return DiD(b0, a1, float(change.mean()) if len(change) else math.nan, est, lo, hi, len(change))


@dataclass
class FollowUp:
    """The follow-up of one plan: enough data or not, and the difference in differences."""

    plan_id: str
    rep: str
    measure: str
    stage: str | None
    before: str
    after: str
    on: str
    n_before: int
    n_after: int
    enough: bool
    result: DiD | None = None
    message: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the follow-up as a JSON-ready dict."""
        out = asdict(self)
        out["result"] = self.result.to_dict() if self.result else None
        return out


def _values(
    data: DealData, measure: str, stage: str | None, team: str | None, p: Period
) -> pd.DataFrame:
    out = per_rep(data, measure, team=team, period=p, stage=stage)
    unit = get_measure(measure).unit
    out = out.assign(x=np.round(out["value"] * out["n"]) if unit == "ratio" else out["value"])
    return out


def follow_up(
    data: DealData,
    plan: Plan,
    *,
    on: Any = None,
    coached: set[str] | None = None,
    options: CoachingOptions | None = None,
) -> FollowUp:
    """Compare the plan's measure before and after with uncoached reps of the same team.

    ``on`` is the follow-up date (default the data's latest date); ``coached`` names the reps
    with a plan in the same period (left out of the controls; the rep is always left out).
    """
    from spmkb.deals.metrics import data_today

    opts = options or CoachingOptions()
    after = Period.parse(plan.period)
    before = after.previous()
    today = data_today(data)
    when = as_date(on) if on is not None else today
    start = as_date(plan.start)
    if when < start:
        raise SpmkbError(
            f"the follow-up date {when.isoformat()} is before the plan's start ({start.isoformat()})",
            field="on",
            hint="follow up on or after the start date",
        )
    goal = next((g for g in plan.goals if g.get("measure")), None)
    if goal is None:
        raise SpmkbError(
            f"plan {plan.plan_id} has no goal with a measure to follow up",
            hint="the plan found no clear gap; set a stage with --stage to coach one",
        )
    measure, stage = goal["measure"], goal.get("stage")
    unit = get_measure(measure).unit
    vb = _values(data, measure, stage, plan.team, before)
    va = _values(data, measure, stage, plan.team, after)
    rep = plan.rep
    nb = int(vb.loc[rep, "n"]) if rep in vb.index else 0
    na = int(va.loc[rep, "n"]) if rep in va.index else 0
    fu = FollowUp(plan.plan_id, rep, measure, stage, before.label, after.label, when.isoformat(),
                  nb, na, enough=nb >= opts.plan_min_n and na >= opts.plan_min_n)  # fmt: skip
    if not fu.enough:
        fu.message = "not enough data yet: " + _by_when(
            nb, na, opts.plan_min_n, after, min(when, today)
        )
        return fu
    skip = set(coached or ()) | {rep}
    both = vb.join(va, lsuffix="_b", rsuffix="_a", how="inner")
    both = both[(both["n_b"] >= opts.plan_min_n) & (both["n_a"] >= opts.plan_min_n)]
    both = both[~both.index.isin(skip)]
    if unit == "ratio":
        cb, ca = both["x_b"] / both["n_b"], both["x_a"] / both["n_a"]
        own = (vb.loc[rep, "x"], nb, va.loc[rep, "x"], na)
    else:
        cb, ca = both["value_b"], both["value_a"]
        own = (vb.loc[rep, "value"], nb, va.loc[rep, "value"], na)
        fu.notes.append("interval from resampling control reps only (not a rate)")
    fu.result = did(own, cb.to_numpy(), ca.to_numpy(), resamples=opts.resamples, seed=opts.seed,
                    rate=unit == "ratio")  # fmt: skip
    if fu.result.controls < 2:
        fu.message = (
            "not enough data yet: fewer than two uncoached reps with enough deals to compare"
        )
        fu.enough = False
        return fu
    r = fu.result
    if when < after.end or today < after.end:
        fu.notes.append(f"interim: {after.label} runs until {after.end.isoformat()}")

    def fmt_(v: float) -> str:
        return f"{v * 100:+.0f} pts" if unit == "ratio" else f"{v:+.2f}"

    verdict = (
        "improved beyond the uncoached reps" if r.ci_low > 0
        else "fell behind the uncoached reps" if r.ci_high < 0
        else "no difference from the uncoached reps that chance cannot explain"
    )  # fmt: skip
    fu.message = (
        f"{rep}: {fmt_(r.coached_after - r.coached_before)} against {fmt_(r.control_change)} "
        f"for {r.controls} uncoached reps; difference in differences {fmt_(r.estimate)} "
        f"(95 % CI {fmt_(r.ci_low)} to {fmt_(r.ci_high)}; n = {nb} before, {na} after): "
        f"{verdict}"
    )
    return fu


def _by_when(nb: int, na: int, need: int, after: Period, today: date) -> str:
    """ "n = 4 of 10 deals after the start; at the rep's pace, enough by 2026-09-12"."""
    parts = []
    if nb < need:
        parts.append(f"{nb} of {need} deals in the period before")
    elapsed = max((min(today, after.end) - after.start).days + 1, 0)
    if na >= need:
        return "; ".join(parts) + " (the period before cannot grow)"
    text = f"{na} of {need} deals in {after.label}"
    if today < after.start:
        return "; ".join(
            [*parts, text + f": the coached period starts on {after.start.isoformat()}"]
        )
    if na == 0 or elapsed == 0:
        return "; ".join([*parts, text + ": no deals yet, so no date can be given"])
    pace = na / elapsed
    ready = after.start + timedelta(days=math.ceil(need / pace) - 1)
    tail = f"at the rep's pace, enough by {ready.isoformat()}"
    if ready > after.end:
        tail += f", after {after.label} ends: extend the plan or lower plan_min_n"
    if nb < need:
        tail += "; the period before will not grow"
    return "; ".join([*parts, f"{text}; {tail}"])


__all__ = ["DiD", "FollowUp", "did", "follow_up"]
