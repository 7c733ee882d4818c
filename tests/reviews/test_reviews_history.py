"""Review history: completion, rating distribution, a rep over time, last period's goals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmkb.reviews import history, store


@pytest.fixture()
def conn(tmp_path: Path):
    """A database with reviews of three reps over two quarters."""
    c = store.open_db(tmp_path / "spmkb.db")
    store.ensure_review(c, "Ann", "2026-Q1", team="East", notebook="reviews/2026-Q1/ann.ipynb")
    store.save_review(c, "Ann", "2026-Q1", {
        "ratings": {"discovery": 4, "closing": 2},
        "goals": [
            {"text": "Win rate to 30%", "due": "2026-06-30", "measure": "win_rate", "target": 0.30},
            {"text": "Shorter cycles", "measure": "sales_cycle", "target": 40},
            {"text": "Mentor the new hire", "met": True},
            {"text": "Run a webinar"},
        ],
    }, author="mgr", expected_version=0, team="East")  # fmt: skip
    store.save_review(c, "Ann", "2026-Q2", {"ratings": {"discovery": 5, "closing": 4}}, author="mgr",
                      expected_version=0, status="submitted", team="East")  # fmt: skip
    store.save_review(c, "Bob", "2026-Q2", {"ratings": {"discovery": 1}}, author="mgr", expected_version=0,
                      team="East")  # fmt: skip
    store.ensure_review(c, "Cy", "2026-Q2", team="East", notebook="reviews/2026-Q2/cy.ipynb")
    return c


def test_team_period_completion_and_distribution(conn) -> None:
    df = history.list_reviews(conn, team="East", period="2026-q2", reps=["Ann", "Bob", "Cy", "Dee"])
    assert list(df["rep"]) == ["Ann", "Bob", "Cy", "Dee"]
    assert list(df["status"]) == ["submitted", "draft", "generated", "not generated"]
    assert list(df["rating"].fillna(-1)) == [4.5, 1.0, -1, -1]
    assert history.completion(df) == {"not generated": 1, "generated": 1, "draft": 1, "submitted": 1,
                                      "acknowledged": 0}  # fmt: skip
    assert history.score_distribution(df) == {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0, "unrated": 2}


def test_rep_history_over_time(conn) -> None:
    df = history.rep_history(conn, "Ann")
    assert list(df["period"]) == ["2026-Q1", "2026-Q2"]
    assert list(df["rating"]) == [3.0, 4.5]


def test_previous_goals_judged_on_this_periods_scorecard(conn) -> None:
    card = pd.DataFrame({
        "measure": ["win_rate", "sales_cycle"], "stage": [None, None], "value": [0.32, 45.0],
        "direction": ["higher", "lower"],
    })  # fmt: skip
    period, goals = history.previous_goals(conn, "Ann", "2026-Q2", card)
    assert period == "2026-Q1"
    by_text = {g["text"]: g for g in goals}
    assert by_text["Win rate to 30%"]["met"] is True
    assert by_text["Win rate to 30%"]["evidence"] == "win_rate = 0.32 (target 0.3)"
    assert by_text["Shorter cycles"]["met"] is False  # 45 days vs a 40-day target, lower is better
    assert by_text["Mentor the new hire"]["met"] is True  # the manager's flag
    assert by_text["Run a webinar"]["met"] is None  # not assessed
    assert history.previous_goals(conn, "Bob", "2026-Q2", card) == ("2026-Q1", [])
