"""``standard: top_profile``: validated with clear messages, resolved at review time to the top
tier's figure (:func:`spmkb.deals.tiers.top_figure`), shown with its window, reps and n.

The hand-made team (built below), ten AEs R01..R10 in North, all started 2024-01-01:

    rep   won deals in 2026-H1       quota H1   attainment   activities in 2026-Q2
    Rk    3 deals of 10·k each       200        30·k / 200   2·k

Tiers with ``top_share = 0.3``: top = round(0.3 × 10) = 3 reps: R10, R09, R08 (150 %,
135 %, 120 %); bottom = round(0.2 × 10) = 2 reps: R01, R02; rest = 7 reps. No deal is above
40 % of a rep's bookings (3 equal deals: 33 %), one segment: nobody is top by circumstance.

Top tier's activities in 2026-Q2: mean of 20, 18, 16 = **18** (n = 54 activities, 3 reps).
Review of R05 in 2026-Q2: 10 activities against 18 → below. A review of 2026-Q2 ranks over
``profile_window(2026-Q2)`` = 2026-H1 and measures the figure in 2026-Q2.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spmkb.deals.schema import DealData
from spmkb.deals.tiers import TierRules, profile_window, top_figure
from spmkb.errors import ReviewError
from spmkb.reviews.render import render_scorecard
from spmkb.reviews.scorecard import scorecard
from spmkb.reviews.standards import parse_standards

RULES = TierRules(top_share=0.3)


def make_small_team(n_reps: int = 10) -> DealData:
    """The table in the module docstring (``n_reps`` reps R01..)."""
    opps, acts = [], []
    for k in range(1, n_reps + 1):
        rep = f"R{k:02d}"
        for j in range(3):
            oid = f"{rep}-W{j}"
            opps.append((oid, rep, "negotiation", "won", 10.0 * k, "2026-01-05", f"2026-0{2 + j}-10", "SMB", f"A{k}{j}"))  # fmt: skip
        for j in range(2 * k):
            acts.append((rep, f"{rep}-W0", "call", pd.Timestamp("2026-04-01") + pd.Timedelta(days=j), 1))  # fmt: skip
    o = pd.DataFrame(opps, columns=["id", "rep", "stage", "status", "amount", "created", "close_date", "segment", "account"])  # fmt: skip
    o["created"] = pd.to_datetime(o["created"])
    o["close_date"] = pd.to_datetime(o["close_date"])
    for col in ("id", "rep", "stage", "status", "segment", "account"):
        o[col] = o[col].astype("string")
    a = pd.DataFrame(acts, columns=["rep", "opportunity_id", "type", "date", "contacts"])
    for col in ("rep", "opportunity_id", "type"):
        a[col] = a[col].astype("string")
    names = [f"R{k:02d}" for k in range(1, n_reps + 1)]
    reps = pd.DataFrame({
        "rep": pd.array(names, dtype="string"),
        "rep_id": pd.array([f"ID{k}" for k in range(n_reps)], dtype="string"),
        "team": pd.array(["North"] * n_reps, dtype="string"),
        "role": pd.array(["AE"] * n_reps, dtype="string"),
        "start_date": pd.to_datetime(["2024-01-01"] * n_reps),
        "end_date": pd.to_datetime([None] * n_reps),
    })  # fmt: skip
    q = pd.DataFrame([(r, p, 100.0) for r in names for p in ("2026-Q1", "2026-Q2")],
                     columns=["rep", "period", "amount"]).astype({"rep": "string", "period": "string"})  # fmt: skip
    return DealData(opportunities=o, activities=a, reps=reps, quotas=q)


TEXT = """\
min_closed_deals: 1
measures:
  activity_volume:
    standard: top_profile
"""


def _standards(text: str = TEXT):
    s = parse_standards(text, "standards.yml")
    s.tier_rules = RULES
    return s


@pytest.mark.parametrize(
    ("period", "window"),
    [("2026-Q2", "2026-H1"), ("2026-05", "2025-H2"), ("2026-06", "2026-H1"), ("2026-Q1", "2025-H2"),
     ("2026-Q3", "2026-H1"), ("2026-Q4", "2026-H2"), ("2026-H1", "2026-H1"), ("2026", "2026")],
)  # fmt: skip
def test_profile_window_never_reaches_past_the_review(period: str, window: str) -> None:
    assert profile_window(period).label == window


def test_parse_top_profile_defaults_to_the_team() -> None:
    s = parse_standards(TEXT + "  win_rate:\n    standard: top_profile\n    scope: company\n")
    assert s.get("activity_volume").kind == "top_profile"
    assert s.get("activity_volume").scope == "team"
    assert s.get("win_rate").scope == "company"


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("measures:\n  win_rate:\n    standard: top_profile\n    target: 0.3\n", 4,
         "measures.win_rate.target", "takes its target from the top tier"),
        ("measures:\n  quota_attainment:\n    standard: top_profile\n", 3,
         "measures.quota_attainment.standard", "cannot be compared with the top tier"),
        ("measures:\n  win_rate:\n    standard: top_profile\n    scope: region\n", 4,
         "measures.win_rate.scope", "scope must be one of team, company, got 'region'"),
        ("measures:\n  win_rate:\n    standard: team_median\n    scope: company\n", 4,
         "measures.win_rate.scope", "scope applies to 'standard: top_profile' only"),
        ("measures:\n  win_rate:\n    standard: top_profle\n", 3,
         "measures.win_rate.standard", "top_profile, got 'top_profle'"),
    ],
    ids=["with-target", "tier-measure", "bad-scope", "scope-without-top-profile", "misspelt"],
)  # fmt: skip
def test_bad_top_profile_standards_name_line_and_field(
    text: str, line: int, field: str, words: str
) -> None:
    with pytest.raises(ReviewError) as info:
        parse_standards(text, "standards.yml")
    err = info.value
    assert (err.path, err.line, err.field) == ("standards.yml", line, field)
    assert words in str(err)


def test_top_figure_is_the_mean_of_the_top_tier_in_the_review_period() -> None:
    """See the module docstring: 18 activities, 3 reps, n = 54."""
    fig = top_figure(make_small_team(), "activity_volume", "2026-H1", team="North",
                     period="2026-Q2", options=RULES)  # fmt: skip
    assert fig.message is None
    assert (fig.value, fig.reps, fig.n) == (18.0, 3, 54)
    assert fig.basis() == (
        "top tier of North, ranked over 2026-H1, measured in 2026-Q2: mean of 3 reps, "
        "n = 54 activities"
    )


def test_scorecard_compares_with_the_top_tier_and_shows_the_basis() -> None:
    card = scorecard(make_small_team(), "R05", "2026-Q2", _standards())
    row = card.iloc[0]
    assert (row["value"], row["standard"], row["verdict"]) == (10.0, 18.0, "below")
    assert row["standard_kind"] == "top_profile"
    assert "ranked over 2026-H1" in row["basis"] and "n = 54 activities" in row["basis"]
    html = render_scorecard(card)
    assert "18.0 (top profile)" in html or "18 (top profile)" in html
    assert "mean of 3 reps, n = 54 activities" in html


def test_too_few_top_reps_gives_no_target_and_says_so() -> None:
    """Five reps: top = round(0.3 × 5) = 2 (R05, R04) < min_reps 3: no target, no verdict."""
    card = scorecard(make_small_team(5), "R03", "2026-Q2", _standards())
    row = card.iloc[0]
    assert math.isnan(row["standard"]) and row["verdict"] is None
    assert row["warning"] == (
        "Too few reps to profile the top tier in 2026-H1 (North): 2 top and 3 other reps "
        "compared (at least 3 each needed): no target"
    )


def test_window_without_closed_deals_gives_no_target() -> None:
    """A review of 2026-Q1 ranks over 2025-H2, where nothing closed: no target, the reason.

    (R05 has no activity in 2026-Q1 either, so the warning is about the rep's own data.)"""
    card = scorecard(make_small_team(), "R05", "2026-Q1", _standards())
    row = card.iloc[0]
    assert row["verdict"] is None and math.isnan(row["standard"])
    assert row["basis"] == ("no top-tier figure: no closed deals in 2025-H2 for team North")
