"""Scorecard and review content: figures equal the deals layer's metric functions."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals.schema import DealData
from spmkb.errors import NotFoundError
from spmkb.reviews.scorecard import scorecard, verdict
from spmkb.reviews.sections import build_review
from spmkb.reviews.standards import Standard, Standards, load_standards

REPO = Path(__file__).resolve().parents[2]


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


def _team_quarter() -> DealData:
    """Four reps of team T, six deals each closed in 2026-Q1 (no stage history).

    Ann: 2 won (10 k created 01-01 closed 01-21, 30 k created 01-01 closed 02-10), 4 lost.
    Bob, Cy, Dee: 3 won (20 k each, 10-day cycles), 3 lost. Worked by hand:
    win rates Ann 2/6 = 0.33 (n 6), others 0.5 -> team median 0.5: Ann is "below".
    Ann's deal size (n = 2 won deals) and cycle (n = 2) need 5: no verdict. Conversions
    between earlier stages cannot be seen without stage history: no value, no verdict.
    """
    rows = []
    for rep, won in (("Ann", 2), ("Bob", 3), ("Cy", 3), ("Dee", 3)):
        for i in range(6):
            status = "won" if i < won else "lost"
            if rep == "Ann" and status == "won":
                amount, close = (10_000.0, "2026-01-21") if i == 0 else (30_000.0, "2026-02-10")
            else:
                amount, close = 20_000.0, "2026-01-11"
            rows.append((f"{rep}{i}", rep, "negotiation", status, amount, "2026-01-01", close))
    o = pd.DataFrame(rows, columns=["id", "rep", "stage", "status", "amount", "created", "close_date"])
    o["created"] = pd.to_datetime(o["created"])
    o["close_date"] = pd.to_datetime(o["close_date"])
    reps = pd.DataFrame({"rep": ["Ann", "Bob", "Cy", "Dee"], "team": ["T"] * 4})
    return DealData(o, reps=reps)


def test_each_measure_needs_its_own_n() -> None:
    """See :func:`_team_quarter` for the figures."""
    card = scorecard(_team_quarter(), "Ann", "2026-Q1", load_standards(REPO / "standards.yml"))
    win = _one(card, measure="win_rate")
    assert (win["value"], win["n"], win["n_of"]) == (pytest.approx(1 / 3), 6, "closed deals")
    assert (win["standard"], win["verdict"]) == (0.5, "below")
    size = _one(card, measure="avg_deal_size")
    assert (size["value"], size["median"], size["n"]) == (20_000.0, 20_000.0, 2)
    assert size["verdict"] is None
    assert size["warning"] == "not enough data (n = 2 won deals, needs 5): no verdict"
    cycle = _one(card, measure="sales_cycle")
    assert (cycle["value"], cycle["n"], cycle["verdict"]) == (30.0, 2, None)
    conv = card[card["measure"] == "stage_conversion"].set_index("stage")
    # Every deal's last recorded stage is negotiation, so negotiation -> won is known
    # (won or lost there): Ann 2/6 against the team median 0.5. The steps before it are not.
    last = conv.loc["negotiation"]
    assert (last["value"], last["n"], last["verdict"]) == (pytest.approx(1 / 3), 6, "below")
    earlier = conv.drop(index="negotiation")
    assert earlier["verdict"].isna().all()
    assert earlier["value"].isna().all()


def test_standards_can_set_a_minimum_per_measure() -> None:
    """With ``min_n: 2`` on deal size, Ann's 2 won deals get a verdict (see _team_quarter)."""
    from spmkb.reviews.standards import parse_standards

    stds = parse_standards(
        "measures:\n  avg_deal_size: {standard: team_median, min_n: 2}\n"
        "  sales_cycle: {standard: team_median}\n"
    )
    card = scorecard(_team_quarter(), "Ann", "2026-Q1", stds)
    assert _one(card, measure="avg_deal_size")["verdict"] == "met"  # 20 k = the team median
    assert _one(card, measure="avg_deal_size")["min_n"] == 2
    assert _one(card, measure="sales_cycle")["verdict"] is None


def test_deal_size_shows_the_median_beside_the_mean(sample_deal_data, standards) -> None:
    """Priya Nair, 2026-Q2 (full sample): one large won deal lifts her mean above the median."""
    card = scorecard(sample_deal_data, "Priya Nair", "2026-Q2", standards)
    size = _one(card, measure="avg_deal_size")
    won = sample_deal_data.opportunities
    mine = won[
        (won["rep"] == "Priya Nair")
        & (won["status"] == "won")
        & (won["close_date"].dt.to_period("Q") == "2026Q2")
    ]["amount"]
    assert size["value"] == pytest.approx(mine.mean())
    assert size["median"] == pytest.approx(mine.median())
    from spmkb.reviews.render import render_scorecard

    assert f"(median {size['median']:,.0f})" in render_scorecard(card)


def test_header_score_and_trend_row_are_one_number(sample_data, standards: Standards) -> None:
    """The review's score and its trend row for the same period come from one function."""
    for rep in ("Priya Nair", "Tom Becker", "Maya Chen"):
        review = build_review(sample_data, rep, "2026-Q2", standards)
        row = review.trend[review.trend["period"] == "2026-Q2"].iloc[0]
        assert row["score"] == review.score
        # and recomputing the trend without the cached scorecard gives the same
        from spmkb.reviews.scorecard import trend

        again = trend(sample_data, rep, "2026-Q2", standards)
        pd.testing.assert_series_equal(again["score"], review.trend["score"])
