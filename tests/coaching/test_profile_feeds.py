"""The profile feeds the other practices: a review's ``top_profile`` standard shows the same
top-tier figure as the profile (one computation, :func:`spmkb.deals.tiers.tier_values`), and an
onboarding milestone can take the top tier's figure by the same tenure day as its threshold."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from spmkb.coaching import top_figures, top_profile
from spmkb.config import load_settings
from spmkb.deals.schema import DealData
from spmkb.deals.tiers import TierRules, top_figure
from spmkb.onboarding.curriculum import Milestone, load_curriculum
from spmkb.onboarding.milestones import MilestoneResult, evaluate
from spmkb.reviews.scorecard import scorecard
from spmkb.reviews.standards import parse_standards


def test_review_figure_equals_the_profile_figure(team) -> None:
    """A review of the window itself shows the profile's own top figure and its rep count."""
    prof = top_profile(team, "2026-H1", team="North")
    s = parse_standards("measures:\n  win_rate:\n    standard: top_profile\n")
    card = scorecard(team, "Rep 03", "2026-H1", s)
    assert card.iloc[0]["standard"] == pytest.approx(prof.get("win_rate").top)
    assert f"of {prof.get('win_rate').reps_top} reps" in card.iloc[0]["basis"]


@pytest.mark.parametrize(
    ("measure", "stage"),
    [("win_rate", None), ("activity_volume", None), ("discovery_before_demo", None)],
)
def test_top_figure_equals_top_figures_of_the_profile(team, measure: str, stage) -> None:
    prof = top_profile(team, "2026-H1")
    fig = top_figure(team, measure, "2026-H1", stage=stage)
    assert fig.value == pytest.approx(top_figures(prof)[(measure, stage)])
    assert fig.reps == prof.get(measure, stage).reps_top


# --- onboarding: milestone threshold top_profile -------------------------------------------
ONBOARDING = Path(__file__).resolve().parents[1] / "data" / "onboarding"


def make_ramp_team() -> DealData:
    """Ten AEs R01..R10 started 2025-01-06, and Nia, hired 2025-12-01, all in North.

    rep   opportunities created on days 0..k-1 of tenure   won in 2025-H2     quota 2025-H2
    Rk    k (lost, closed 2025-03-01)                      3 deals of 10·k    200
    Nia   5 on days 0..4 (open)                            -                  -

    Tiers over 2025-H2 (``top_share = 0.3``): R10, R09, R08 (attainment 150, 135, 120 %).
    Their opportunities by day 30 of their tenure: 10, 9, 8 → mean **9** (their won deals
    were created on day 176). Nia, on 2026-01-15 (tenure 45 days): 5 of 9 by day 30: missed.
    """
    start = pd.Timestamp("2025-01-06")
    opps = []
    for k in range(1, 11):
        rep = f"R{k:02d}"
        opps += [(f"{rep}-O{j}", rep, "lost", 1.0, start + pd.Timedelta(days=j), pd.Timestamp("2025-03-01")) for j in range(k)]  # fmt: skip
        opps += [(f"{rep}-W{j}", rep, "won", 10.0 * k, pd.Timestamp("2025-07-01"), pd.Timestamp(f"2025-{8 + j:02d}-10")) for j in range(3)]  # fmt: skip
    opps += [(f"N-O{j}", "Nia", "open", 5.0, pd.Timestamp("2025-12-01") + pd.Timedelta(days=j), pd.Timestamp("2026-03-01")) for j in range(5)]  # fmt: skip
    o = pd.DataFrame(opps, columns=["id", "rep", "status", "amount", "created", "close_date"])
    o["stage"], o["segment"], o["account"] = "negotiation", "SMB", o["id"]
    for col in ("id", "rep", "stage", "status", "segment", "account"):
        o[col] = o[col].astype("string")
    names = [f"R{k:02d}" for k in range(1, 11)] + ["Nia"]
    reps = pd.DataFrame({
        "rep": pd.array(names, dtype="string"),
        "rep_id": pd.array([f"ID{k}" for k in range(11)], dtype="string"),
        "team": pd.array(["North"] * 11, dtype="string"),
        "role": pd.array(["AE"] * 11, dtype="string"),
        "start_date": pd.to_datetime(["2025-01-06"] * 10 + ["2025-12-01"]),
        "end_date": pd.to_datetime([None] * 11),
    })  # fmt: skip
    q = pd.DataFrame([(r, p, 100.0) for r in names[:10] for p in ("2025-Q3", "2025-Q4")],
                     columns=["rep", "period", "amount"]).astype({"rep": "string", "period": "string"})  # fmt: skip
    return DealData(opportunities=o, reps=reps, quotas=q)


def _evaluate(rules: TierRules) -> MilestoneResult:
    ms = Milestone(
        "opportunities by day 30", "opportunities_created", None, 30, None, "top_profile"
    )
    module = SimpleNamespace(id="month-1", milestone=ms)
    nia = SimpleNamespace(id="nia", name="Nia", track="ae", start=date(2025, 12, 1))
    out = evaluate(make_ramp_team(), [nia], {"ae": [module]}, date(2026, 1, 15),
                   lambda h, day: h.start + timedelta(days=day), rules)  # fmt: skip
    return out["nia"][0]


def test_milestone_threshold_is_the_top_tiers_figure_by_that_day() -> None:
    """See make_ramp_team: threshold 9, Nia has 5 by day 30 → missed."""
    res = _evaluate(TierRules(top_share=0.3))
    assert (res.threshold, res.value, res.status) == (9.0, 5.0, "missed")
    assert res.label() == "missed (5 of 9 by day 30)"
    assert res.note == "target = the top tier of 2025-H2 by day 30 of their tenure: mean of 3 reps"


def test_milestone_without_enough_top_reps_has_no_target() -> None:
    """``min_reps = 4`` but the top tier holds 3 reps: no target, the reason, no verdict."""
    res = _evaluate(TierRules(top_share=0.3, min_reps=4))
    assert res.status == "no target" and res.threshold is None
    assert res.label() == (
        "no target: 3 of the 3 top-tier reps of 2025-H2 have their first 30 days in the deal "
        "data (at least 4 needed)"
    )


def test_top_profile_milestone_parses() -> None:
    root = ONBOARDING / "top-profile-valid"
    cur = load_curriculum(load_settings({"playbooks": str(root)}, cwd=root, environ={}))
    ms = cur.modules["week-1"].milestone
    assert (ms.measure, ms.threshold, ms.target, ms.from_profile) == (
        "activity_volume", None, "top_profile", True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("top-profile-tier-measure", "won_deals defines the tiers"),
        ("top-profile-sdr-measure", "meetings_booked is an SDR measure and SDRs are not ranked"),
    ],
)
def test_top_profile_milestone_on_a_wrong_measure_is_refused(case: str, words: str) -> None:
    from spmkb.content.lint import lint_library
    from spmkb.onboarding.lint import lint_curriculum

    root = ONBOARDING / case
    settings = load_settings({"playbooks": str(root)}, cwd=root, environ={})
    report = lint_library(root, settings)
    found = lint_curriculum(report.assets, settings, report.root)
    assert [(p.path, p.line, p.field) for p in found] == [
        ("week-1.md", 12, "onboarding.milestone.threshold")
    ]
    assert f"threshold top_profile cannot be used here: {words}" in found[0].message
