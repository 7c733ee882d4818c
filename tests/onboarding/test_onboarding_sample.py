"""The sample data's planted hires (spmkb.deals.sample, docs/metrics.md "Sample data"): the
ramp analysis recovers "at least 5 opportunities created by day 30" as predicting time to
ramp, and not "first activity logged by day 7", using the shipped AE curriculum."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.config import load_settings
from spmkb.deals.sample import generate_sample
from spmkb.onboarding.curriculum import load_curriculum
from spmkb.onboarding.ramp import milestone_analysis, ramp_hires

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analysis() -> dict:
    """Milestone comparisons of the sample's AE hires, by module id."""
    data = generate_sample()
    cur = load_curriculum(load_settings({"playbooks": str(REPO / "playbooks")}, cwd=REPO,
                                        environ={}))  # fmt: skip
    hires = ramp_hires(data, cur.settings)
    aes = hires[hires["track"] == "ae"]
    comps = milestone_analysis(data, aes, cur.track("ae"), cur.settings)
    return {c.extra["module"]: c for c in comps}


def test_early_pipeline_milestone_predicts_time_to_ramp(analysis: dict) -> None:
    c = analysis["onboarding/03-prospecting-and-pipeline"]
    assert c.verdict == "predicts time to ramp"
    assert c.q < 0.05 and c.hazard_ratio > 1 and c.hr_ci[0] > 1
    assert c.curves[0].n >= 10 and c.curves[1].n >= 10  # both groups carry the verdict
    assert c.curves[0].median < c.curves[1].median


def test_first_activity_milestone_does_not(analysis: dict) -> None:
    c = analysis["onboarding/01-week-one-foundations"]
    assert c.verdict == "no evidence it predicts"
    assert c.p > 0.2 and c.hr_ci[0] < 1 < c.hr_ci[1]
