"""The profile feeds the other practices: a review's ``top_profile`` standard shows the same
top-tier figure as the profile (one computation, :func:`spmkb.deals.tiers.tier_values`)."""

from __future__ import annotations

import pytest

from spmkb.coaching import top_figures, top_profile
from spmkb.deals.tiers import top_figure
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
