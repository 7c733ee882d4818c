"""The sample's people: hires over three years, leavers, SDRs, ramp curves, onboarding milestones.

Figures are computed with pandas from the generated tables (seed 7); the planted values are in
``spmkb.deals.sample_people`` and stated in docs/metrics.md ("Sample data").
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from spmkb.deals.sample import SAMPLE_END, generate_asset_opens, generate_sample
from spmkb.deals.sample_people import HIRES, RAMP_CURVES, TENURED_SDRS
from spmkb.deals.schema import TABLES, DealData

#: Hires with at least a year of data before SAMPLE_END: the onboarding comparisons use them.
EVALUABLE_BY = date(2025, 8, 14)


@pytest.fixture(scope="module")
def sample(sample_deal_data: DealData) -> DealData:
    """The default sample (seed 7), shared by the session (read-only)."""
    return sample_deal_data


def months_to_quota(data: DealData) -> pd.DataFrame:
    """Per evaluable AE hire: months from start to the end of the first quarter at 100 %.

    Attainment of a quarter = won amount closing in it / that quarter's (ramped) quota row.
    Hires who never got there (slow, or left) get ``inf`` (censored after >= 12 months).
    """
    o, q = data.opportunities, data.quotas
    won = o[o["status"] == "won"]
    label = won["close_date"].dt.year.astype(str) + "-Q" + won["close_date"].dt.quarter.astype(str)
    per = won.groupby([won["rep"], label])["amount"].sum()
    q = q.assign(
        won=[float(per.get((r, p), 0.0)) for r, p in zip(q["rep"], q["period"], strict=True)]
    )
    q["end"] = pd.PeriodIndex(q["period"].str.replace("-", ""), freq="Q").end_time.normalize()
    rows = []
    for name, h in HIRES.items():
        if h.role != "AE" or h.start > EVALUABLE_BY:
            continue
        hit = q[(q["rep"] == name) & (q["won"] >= q["amount"])]
        months = (hit["end"].min() - pd.Timestamp(h.start)).days / 30.44 if len(hit) else np.inf
        early = ((o["rep"] == name) & ((o["created"] - pd.Timestamp(h.start)).dt.days <= 30)).sum()
        first = data.activities.loc[data.activities["rep"] == name, "date"].min()
        rows.append((name, h.ramp, early, (first - pd.Timestamp(h.start)).days, months))
    return pd.DataFrame(rows, columns=["rep", "ramp", "opps_by_day_30", "first_activity_day", "t"])


def test_full_sample_is_deterministic(sample: DealData) -> None:
    """Same seed, same tables: the whole roster (SDRs, hires, leavers) and the asset opens."""
    again = generate_sample(7)
    for table in TABLES:
        pd.testing.assert_frame_equal(sample.table(table), again.table(table))
    pd.testing.assert_frame_equal(generate_asset_opens(sample, 7), generate_asset_opens(again, 7))


def test_hires_over_three_years_with_roles_and_ids(sample: DealData) -> None:
    """42 hires (32 AEs, 10 SDRs) start inside the window, in each of its three years."""
    r = sample.reps.set_index("rep")
    hires = r.loc[list(HIRES)]
    assert len(hires) == 42 and hires["role"].value_counts().to_dict() == {"AE": 32, "SDR": 10}
    starts = hires["start_date"]
    assert starts.min() > pd.Timestamp("2023-08-14") and starts.max() <= pd.Timestamp(SAMPLE_END)
    years = pd.cut(starts, pd.to_datetime(["2023-08-15", "2024-08-15", "2025-08-15", "2026-08-15"]))
    assert (years.value_counts() >= 8).all()
    assert r["rep_id"].is_unique and r["rep_id"].str.fullmatch(r"R\d{4}").all()
    assert (r.loc[list(TENURED_SDRS), "start_date"] < pd.Timestamp("2023-08-15")).all()


def test_leavers_keep_their_history_and_create_nothing_after(sample: DealData) -> None:
    """14 people left (6 tenured AEs, 6 AE hires, 2 SDRs): nothing of theirs after end_date.

    Deals still running on a leaver's last day are closed lost that day ("Rep left"), so no
    leaver owns an open deal and no quota row starts after they left.
    """
    o, a, q, r = sample.opportunities, sample.activities, sample.quotas, sample.reps
    gone = r[r["end_date"].notna()].set_index("rep")
    assert len(gone) == 14 and (gone["role"] == "SDR").sum() == 2
    left = o["rep"].map(gone["end_date"])
    assert not (o["created"] > left).any()
    assert not (a["date"] > a["rep"].map(gone["end_date"])).any()
    assert not ((o["status"] == "open") & left.notna()).any()
    orphaned = o[o["loss_reason"] == "Rep left"]
    assert (
        len(orphaned) > 0
        and (orphaned["close_date"] == orphaned["rep"].map(gone["end_date"])).all()
    )
    for rep, row in gone.iterrows():
        mine = o[o["rep"] == rep] if row["role"] == "AE" else a[a["rep"] == rep]
        assert len(mine) > 0, rep  # they keep their history
    q_start = pd.PeriodIndex(q["period"].str.replace("-", ""), freq="Q").start_time
    assert not (q_start > q["rep"].map(gone["end_date"])).any()


def test_sdrs_prospect_book_meetings_and_source_outbound_deals(sample: DealData) -> None:
    """SDRs own no deals; they source 80 % of outbound AE deals when one is working that day.

    Outbound is 35 % of deals, so about 0.35 x 0.8 = 28 % of AE deals carry ``sourced_by``
    (a little less: there is no SDR yet on some early days in some teams).
    """
    o, a, r = sample.opportunities, sample.activities, sample.reps
    sdrs = r[r["role"] == "SDR"].set_index("rep")
    assert not o["rep"].isin(sdrs.index).any()
    sourced = o[o["sourced_by"].notna()]
    assert set(sourced["sourced_by"]) <= set(sdrs.index) and len(set(sourced["sourced_by"])) == 14
    assert (sourced["source"] == "outbound").all()
    assert 0.24 <= len(sourced) / len(o) <= 0.30
    assert (sourced["created"] >= sourced["sourced_by"].map(sdrs["start_date"])).all()
    same_team = sourced["rep"].map(r.set_index("rep")["team"]) == sourced["sourced_by"].map(
        sdrs["team"]
    )
    assert same_team.mean() > 0.9
    mine = a[a["rep"].isin(sdrs.index)]
    assert set(mine["type"]) == {"call", "email", "meeting_booked"}
    booked = mine[mine["type"] == "meeting_booked"]
    pairs = set(zip(booked["opportunity_id"], booked["rep"], booked["date"], strict=True))
    assert len(booked) == len(pairs) == len(sourced)
    assert pairs == set(zip(sourced["id"], sourced["sourced_by"], sourced["created"], strict=True))
    assert mine.loc[mine["type"] != "meeting_booked", "opportunity_id"].isna().all()


@pytest.mark.parametrize(("ramp", "expected"), [("fast", 0.47), ("slow", 0.24), ("none", 0.15)])
def test_ramp_curves(sample: DealData, ramp: str, expected: float) -> None:
    """Deals created per day in tenure days 31-120, averaged over the class's AE hires.

    Rate = 0.5 x (0.3 + 0.7 r(t)), r(t) = min(t / days, ceiling) (RAMP_CURVES):
    fast (60 days): r reaches 1 at day 60 -> mean factor over days 31-120 = (30 x 0.83 + 60 x 1)
    / 90 = 0.94 -> 0.47; slow (300 days): mean r = 0.25 -> 0.3 + 0.175 -> 0.24; none
    (ceiling 0): 0.3 -> 0.15.
    """
    o = sample.opportunities
    names = [n for n, h in HIRES.items() if h.role == "AE" and h.ramp == ramp]
    names = [n for n in names if HIRES[n].start <= date(2026, 4, 1)]
    rates = []
    for n in names:
        day = (o.loc[o["rep"] == n, "created"] - pd.Timestamp(HIRES[n].start)).dt.days
        rates.append(((day >= 31) & (day <= 120)).sum() / 90)
    assert RAMP_CURVES[ramp][0] in (60, 300)
    assert np.mean(rates) == pytest.approx(expected, rel=0.25), rates


def test_early_pipeline_milestone_predicts_time_to_quota(sample: DealData) -> None:
    """At least 5 opportunities created by day 30 -> 100 % of ramped quota much sooner.

    Planted: 13 evaluable hires met it (planted 6-9 deals in days 1-29; 10 ramp fast), 14 did
    not (1-3 deals; 2 fast, 8 slow, 4 never ramp). Fast hires make their (20-40 %) ramped quota
    in their first full quarter, slow ones about a year in. Seed 7: median 6.9 vs 14.1 months;
    reached within 7.5 months: 9 of 13 vs 2 of 14.
    """
    t = months_to_quota(sample)
    met = t["opps_by_day_30"] >= 5
    assert met.sum() == 13 and (~met).sum() == 14
    yes, no = t.loc[met, "t"], t.loc[~met, "t"]
    assert yes.median() <= 7.5 and no.median() >= 12
    assert (yes <= 7.5).mean() - (no <= 7.5).mean() >= 0.4
    assert mannwhitneyu(yes, no, alternative="less").pvalue < 0.01


def test_first_activity_milestone_does_not_predict(sample: DealData) -> None:
    """First activity logged by day 7: met by about half, balanced across ramp classes.

    Planted on days 1-5 (met) or 9-14 (not met) whatever the ramp, so time to quota is the same
    in distribution: no material effect (share within 7.5 months differs by <= 0.2, rank test
    p > 0.3). Seed 7: 13 of 27 met it.
    """
    t = months_to_quota(sample)
    met = t["first_activity_day"] <= 7
    assert set(t.loc[met, "first_activity_day"]) <= set(range(1, 6))
    assert (t.loc[~met, "first_activity_day"] >= 9).all()
    assert 0.4 <= met.mean() <= 0.6
    assert pd.crosstab(met, t["ramp"]).diff().abs().iloc[-1].max() <= 1  # balanced by design
    yes, no = t.loc[met, "t"], t.loc[~met, "t"]
    assert abs((yes <= 7.5).mean() - (no <= 7.5).mean()) <= 0.2
    assert mannwhitneyu(yes, no).pvalue > 0.3
