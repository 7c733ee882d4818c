"""Scorecard and review content: figures equal the deals layer's metric functions."""

from __future__ import annotations

import math

import pytest

from spmkb.deals import metrics as m
from spmkb.errors import NotFoundError
from spmkb.reviews.scorecard import scorecard, verdict
from spmkb.reviews.sections import build_review
from spmkb.reviews.standards import Standard, Standards, load_standards


@pytest.fixture(scope="module")
def standards(repo_root) -> Standards:
    """The repository's default standards."""
    return load_standards(repo_root / "standards.yml")


def _one(df, **match):  # the single row matching column values
    for k, v in match.items():
        df = df[df[k] == v]
    assert len(df) == 1, match
    return df.iloc[0]


def test_scorecard_values_equal_metrics(sample_data, standards: Standards) -> None:
    card = scorecard(sample_data, "priya nair", "2026-Q2", standards)
    assert card.attrs["rep"] == "Priya Nair"
    got = {(r.measure, r.stage): r for r in card.itertuples()}
    wr = _one(m.win_rate(sample_data, rep="Priya Nair", period="2026-Q2"), rep="Priya Nair")
    assert got[("win_rate", None)].value == wr["win_rate"]
    assert got[("win_rate", None)].n == wr["n"]
    att = _one(m.attainment(sample_data, rep="Priya Nair", period="2026-Q2"), rep="Priya Nair")
    assert got[("quota_attainment", None)].value == att["attainment"]
    size = _one(m.deal_size(sample_data, rep="Priya Nair", period="2026-Q2"), rep="Priya Nair")
    assert got[("avg_deal_size", None)].value == size["average"]
    cyc = _one(m.sales_cycle(sample_data, rep="Priya Nair", period="2026-Q2"), rep="Priya Nair")
    assert got[("sales_cycle", None)].value == cyc["median_days"]
    sc = m.stage_conversion(sample_data, rep="Priya Nair", period="2026-Q2")
    for row in sc[sc["scope"] == "rep"].itertuples():
        assert got[("stage_conversion", row.stage)].value == row.conversion
        assert got[("stage_conversion", row.stage)].n == row.n
    # team median standard = median over the team's reps of the same metric
    team = m.win_rate(sample_data, team="Central", period="2026-Q2")
    assert got[("win_rate", None)].standard == pytest.approx(team["win_rate"].median())
    assert set(card["verdict"].dropna()) <= {"above", "met", "below"}


@pytest.mark.parametrize(
    ("value", "standard", "direction", "expected"),
    [
        (0.30, 0.25, "higher", "above"),
        (0.25, 0.25, "higher", "met"),
        (0.20, 0.25, "higher", "below"),
        (40.0, 50.0, "lower", "above"),
        (60.0, 50.0, "lower", "below"),
        (math.nan, 1.0, "higher", None),
    ],
    ids=[
        "higher-above",
        "equal-met",
        "higher-below",
        "lower-shorter-is-above",
        "lower-longer-is-below",
        "nan",
    ],
)
def test_verdict(value: float, standard: float, direction: str, expected: str | None) -> None:
    assert verdict(value, standard, direction, 0.05) == expected


def test_too_few_closed_deals_shows_figures_without_verdict(
    sample_data, standards: Standards
) -> None:
    wr = _one(m.win_rate(sample_data, rep="Chloe Dubois", period="2026-Q2"), rep="Chloe Dubois")
    assert 0 < wr["n"] < standards.min_closed_deals  # precondition of this test
    review = build_review(sample_data, "Chloe Dubois", "2026-Q2", standards)
    card = review.scorecard
    # Each measure is gated on its own n. Pipeline coverage is for 2026-Q3 (the quarter after
    # the review period), which rests on her 10 open deals: the one measure that is judged.
    judged = card[card["verdict"].notna()]
    assert list(judged["measure"]) == ["pipeline_coverage"]
    win = _one(card, measure="win_rate")
    assert win["value"] == wr["win_rate"]
    assert win["warning"] == f"not enough data (n = {wr['n']} closed deals, needs 5): no verdict"
    assert review.score == (1.0 if judged["verdict"].iloc[0] in ("met", "above") else 0.0)
    assert "without verdicts" in review.notes[0]


def test_period_without_deals_still_builds(sample_data, standards: Standards) -> None:
    review = build_review(sample_data, "Maya Chen", "2030-Q1", standards)
    assert review.deals == 0
    assert "no deals closing in 2030-Q1" in review.notes[0]
    assert review.scorecard["verdict"].isna().all()
    assert not len(review.largest)
    assert review.focus["stage"] is None


def test_unknown_rep_suggests_close_names(sample_data, standards: Standards) -> None:
    with pytest.raises(NotFoundError) as info:
        scorecard(sample_data, "Priya Nayr", "2026-Q2", standards)
    assert (
        str(info.value)
        == "no rep named 'Priya Nayr' in the deal data — did you mean 'Priya Nair'?"
    )


def test_absolute_standard_and_weights(sample_data) -> None:
    stds = Standards(
        [
            Standard("win_rate", "absolute", 0.99, "higher", 2.0),
            Standard("sales_cycle", "absolute", 10_000.0, "lower", 1.0),
        ],
        min_closed_deals=1,
    )
    card = scorecard(sample_data, "Maya Chen", "2026-Q2", stds)
    assert list(card["verdict"]) == ["below", "above"]
    assert list(card["standard"]) == [0.99, 10_000.0]
    from spmkb.reviews.scorecard import score

    assert score(card) == pytest.approx(1 / 3)


def test_review_to_dict_is_json_ready(sample_data, standards: Standards) -> None:
    import json

    review = build_review(sample_data, "Tom Becker", "2026-Q2", standards)
    d = json.loads(json.dumps(review.to_dict()))
    assert (
        d["focus"]["stage"]
        == _one(
            m.coaching_focus(sample_data, rep="Tom Becker", period="2026-Q2"), rep="Tom Becker"
        )["stage"]
    )
    assert [r["period"] for r in d["trend"]] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert d["recommendations"]["note"] == "recommendations were not requested for this review"
