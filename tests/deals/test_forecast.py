"""Forecast: a fixture whose answer is computable by hand, determinism, and the summary.

Hand fixture (rep Ann, period 2026-Q2, as of 2026-05-15 = 44 days in):
- history, 2026-Q1 (snapshot 44 days in = 2026-02-14) and 2025-Q4 (2025-11-14): at each
  snapshot one deal sat in negotiation and was won before the quarter ended (rate 1), one
  sat in prospecting and was lost (rate 0); no deal was created after a snapshot and won
  inside its quarter (so no "new deal" bookings);
- 2026-Q2: won 30 so far; open: 100 in negotiation (p = 1), 50 in prospecting (p = 0).
So every simulation books 30 + 100 = 130.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from spmkb.deals.forecast import forecast, money
from spmkb.deals.sample import generate_sample
from spmkb.deals.schema import DealData

DEALS = [  # id, status, amount, created, close, [(stage, entered)]
    ("H1", "won", 10, "2026-01-05", "2026-03-10", [("prospecting", "2026-01-05"), ("negotiation", "2026-02-01")]),
    ("H2", "lost", 20, "2026-02-01", "2026-03-01", [("prospecting", "2026-02-01")]),
    ("H3", "won", 10, "2025-10-05", "2025-12-10", [("prospecting", "2025-10-05"), ("negotiation", "2025-11-01")]),
    ("H4", "lost", 20, "2025-11-01", "2025-12-01", [("prospecting", "2025-11-01")]),
    ("C1", "open", 100, "2026-04-02", "2026-06-15", [("prospecting", "2026-04-02"), ("negotiation", "2026-05-01")]),
    ("C2", "open", 50, "2026-05-01", "2026-06-20", [("prospecting", "2026-05-01")]),
    ("C3", "won", 30, "2026-04-01", "2026-05-01", [("prospecting", "2026-04-01"), ("negotiation", "2026-04-10")]),
]  # fmt: skip


def hand_data() -> DealData:
    """The fixture described in the module docstring."""
    opps = pd.DataFrame(
        {
            "id": [d[0] for d in DEALS],
            "rep": "Ann",
            "stage": [d[5][-1][0] for d in DEALS],
            "status": [d[1] for d in DEALS],
            "amount": [float(d[2]) for d in DEALS],
            "created": pd.to_datetime([d[3] for d in DEALS]),
            "close_date": pd.to_datetime([d[4] for d in DEALS]),
        }
    )
    hist = pd.DataFrame(
        [(d[0], s, pd.Timestamp(t)) for d in DEALS for s, t in d[5]],
        columns=["opportunity_id", "stage", "entered_at"],
    )
    reps = pd.DataFrame({"rep": ["Ann"], "team": ["A"]})
    quotas = pd.DataFrame({"rep": ["Ann"], "period": ["2026-Q2"], "amount": [120.0]})
    return DealData(opportunities=opps, stage_history=hist, reps=reps, quotas=quotas)


def test_hand_computed_forecast() -> None:
    fc = forecast(hand_data(), rep="Ann", period="2026-Q2", as_of=date(2026, 5, 15), n_sims=500)
    assert fc.won_to_date == 30 and fc.open_deals == 2 and fc.open_amount == 150
    assert fc.expected_new == 0
    assert fc.expected_pipeline == pytest.approx(100)
    assert (fc.p10, fc.p50, fc.p90) == (130, 130, 130)
    assert np.all(fc.simulations == 130)
    assert fc.quota == 120 and fc.p_quota == 1.0
    by_stage = fc.by_stage.set_index("stage")
    assert by_stage.loc["negotiation", "probability"] == pytest.approx(1.0)
    assert by_stage.loc["prospecting", "probability"] == pytest.approx(0.0)
    assert "on track" in fc.summary() and "Ann" in fc.summary()
    assert any("little history" in n for n in fc.notes)  # 4 past open deals < 30


def test_quota_override_and_missing_quota() -> None:
    data = hand_data()
    fc = forecast(data, rep="Ann", period="2026-Q2", as_of="2026-05-15", quota=150, n_sims=200)
    assert fc.p_quota == 0.0 and "unlikely" in fc.summary()
    fc = forecast(data, rep="Ann", period="2026-Q3", as_of="2026-05-15", n_sims=200)
    assert fc.quota is None and fc.p_quota is None and "no quota set" in fc.summary()


def test_finished_period_is_what_was_won() -> None:
    fc = forecast(hand_data(), period="2026-Q1", as_of="2026-06-01", n_sims=100)
    assert fc.open_deals == 0 and fc.p50 == fc.won_to_date == 10


@pytest.fixture(scope="module")
def sample() -> DealData:
    return generate_sample(7)


def test_seeded_determinism(sample: DealData) -> None:
    a = forecast(sample, team="East", period="2026-Q3", seed=1, n_sims=1000)
    b = forecast(sample, team="East", period="2026-Q3", seed=1, n_sims=1000)
    c = forecast(sample, team="East", period="2026-Q3", seed=2, n_sims=1000)
    assert a.to_dict() == b.to_dict()
    assert np.array_equal(a.simulations, b.simulations)
    assert not np.array_equal(a.simulations, c.simulations)
    assert a.p10 <= a.p50 <= a.p90


def test_new_hire_falls_back_to_company_rates(sample: DealData) -> None:
    fc = forecast(sample, rep="Chloe Dubois", period="2026-Q3", n_sims=500)
    assert fc.rates == "company" and fc.notes
    d = fc.to_dict()
    assert d["summary"] == fc.summary() and "simulations" not in d


def test_normal_approximation_matches_exact_simulation(sample: DealData) -> None:
    exact = forecast(sample, period="2026-Q3", n_sims=4000, exact_limit=10**9)
    approx = forecast(sample, period="2026-Q3", n_sims=4000, exact_limit=10)
    assert approx.p50 == pytest.approx(exact.p50, rel=0.01)
    assert approx.p90 - approx.p10 == pytest.approx(exact.p90 - exact.p10, rel=0.1)
    assert any("normal approximation" in n for n in approx.notes)


@pytest.mark.parametrize(
    ("x", "text"), [(1_234_567, "1.23M"), (45_600, "46k"), (1_500, "1.5k"), (950, "950")]
)
def test_money(x: float, text: str) -> None:
    assert money(x) == text
