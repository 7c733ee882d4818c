"""Ramp analytics on hand-made data with a planted effect.

60 AE hires start between 2025-01-01 and 2025-12-27 (one every 6 days); the data runs to
2026-06-30. Full quarterly quota 100,000 and ramp_share 0.5: a hire is ramped on the first day
their trailing-90-day bookings reach 50,000.

* Hires with an even index create 6 opportunities in their first 30 days and win a 60,000
  deal on day 100 + (index mod 7) * 15 (100-190); odd ones create 2 and win it on day
  150 + (index mod 7) * 25 (150-300), or are censored when the data ends first.
* Every third hire logs an activity in week one, unrelated to anything else.

"At least 5 opportunities created by day 30" must come out as predicting time to ramp (met:
median 130-160 days, not met: 200+); "an activity by day 7" must not.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from onboarding_data import make_data

from spmkb.onboarding.curriculum import Milestone, Module
from spmkb.onboarding.ramp import cohort_curves, milestone_analysis, ramp_hires, versus_past
from spmkb.onboarding.settings import OnboardingSettings

SETTINGS = OnboardingSettings(full_quota={"ae": 100_000.0})
END = date(2026, 6, 30)


def planted():
    """The 60 hires described in the module doc."""
    reps, deals, acts = [], [], []
    for i in range(60):
        name, start = f"Hire {i:02d}", date(2025, 1, 1) + timedelta(days=6 * i)
        reps.append((name, "AE", start.isoformat()))
        for k in range(6 if i % 2 == 0 else 2):
            d = start + timedelta(days=2 + 4 * k)
            deals.append((f"O{i}-{k}", name, "open", 1_000, d.isoformat(), "2026-09-30"))
        win = start + timedelta(days=100 + (i % 7) * 15 if i % 2 == 0 else 150 + (i % 7) * 25)
        if win <= END:
            deals.append((f"W{i}", name, "won", 60_000, start.isoformat(), win.isoformat()))
        if i % 3 == 0:
            acts.append((name, "call", (start + timedelta(days=3)).isoformat()))
    deals.append(("END", "Hire 00", "lost", 1_000, "2026-06-01", END.isoformat()))
    return make_data(reps, deals, acts)


MODULES = [
    Module("m-opps", "Pipeline", "m.md", "ae", ("ae",), 30,
           milestone=Milestone("5 opportunities by day 30", "opportunities_created", 5, 30)),
    Module("m-act", "Activity", "a.md", "ae", ("ae",), 7,
           milestone=Milestone("An activity by day 7", "activity_volume", 1, 7)),
]  # fmt: skip


def test_milestone_that_predicts_is_recovered_and_the_other_is_not() -> None:
    data = planted()
    hires = ramp_hires(data, SETTINGS)
    assert len(hires) == 60
    opps, act = milestone_analysis(data, hires, MODULES, SETTINGS)
    assert opps.verdict == "predicts time to ramp"
    assert opps.q < 0.05 and opps.hazard_ratio > 1 and opps.hr_ci[0] > 1
    assert opps.curves[0].n == 30 and opps.curves[1].n == 30
    assert 130 <= opps.curves[0].median <= 160 and opps.curves[1].median >= 200
    assert act.verdict == "no evidence it predicts"
    assert act.q >= 0.05 and act.curves[0].n == 20 and act.curves[1].n == 40


def test_cohort_curve_counts_only_hires_observed_that_month() -> None:
    data = planted()
    hires = ramp_hires(data, SETTINGS)
    curves = cohort_curves(data, hires, SETTINGS)
    q1 = curves[curves["cohort"] == "2025-Q1"].set_index("month")
    assert q1.loc[0, "n"] == 15  # hires 0-14 start in Q1 (days 0-84)
    last = curves[curves["cohort"] == "2025-Q4"]
    assert last["n"].max() <= 16 and last["month"].max() <= 11


def test_attainment_is_missing_when_the_ramped_quota_is_zero() -> None:
    data = planted()
    hires = ramp_hires(data, SETTINGS)
    curves = cohort_curves(data, hires, SETTINGS, value="attainment")
    first_quarter = curves[curves["month"] < 3]
    assert first_quarter["median"].isna().all()  # 0 % quota in quarter 1: not 0, not infinity
    assert (first_quarter["n"] == 0).all() and (first_quarter["n_hires"] > 0).all()
    assert curves[curves["month"] >= 3]["median"].notna().any()


def test_a_hire_against_past_hires_at_the_same_tenure() -> None:
    data = planted()
    hires = ramp_hires(data, SETTINGS)
    """At day 200 the 41 earlier hires: the 21 even ones won (day <= 190), and odd ones with
    index mod 7 in 0-2 (day <= 200): 1, 7, 9, 15, 21, 23, 29, 35, 37 -> 30 of 41 have 60,000."""
    data = planted()
    hires = ramp_hires(data, SETTINGS)
    odd = versus_past(data, hires, "Hire 41", on_day=200)  # 41 mod 7 = 6: wins on day 300
    assert odd["n_past"] == 41 and odd["bookings"] == 0
    assert odd["percentile"] == 0 and odd["median"] == 60_000
    assert odd["p25"] == 0 and odd["behind"] is False  # 11 of 41 had nothing: p25 is 0
    even = versus_past(data, hires, "Hire 40", on_day=200)
    assert even["bookings"] == 60_000 and even["behind"] is False


def test_null_shuffle_rarely_finds_a_predictor() -> None:
    """Shuffle who met the opportunities milestone among the hires: at most 1 of 10 shuffles
    may come out as 'predicts' (a sound rule flags about 5 %)."""
    import numpy as np

    data = planted()
    hires = ramp_hires(data, SETTINGS)
    rng = np.random.default_rng(3)
    flagged = 0
    for _ in range(10):
        shuffled = hires.assign(name=rng.permutation(hires["name"].to_numpy()))
        # relabel the deals' owners the same way: a random hire's behaviour with another's ramp
        mapping = dict(zip(hires["name"], shuffled["name"], strict=True))
        o = data.opportunities.copy()
        opened = o["status"] == "open"
        o.loc[opened, "rep"] = o.loc[opened, "rep"].map(mapping)
        from spmkb.deals.schema import DealData

        d2 = DealData(opportunities=o, reps=data.reps, activities=data.activities)
        (c,) = milestone_analysis(d2, hires, MODULES[:1], SETTINGS)
        flagged += c.verdict == "predicts time to ramp"
    assert flagged <= 1
    assert isinstance(pd.Timestamp(END), pd.Timestamp)
