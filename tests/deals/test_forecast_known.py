"""Forecast without look-ahead, finished periods, far horizons, closed deals without a date.

Hand file ``tests/data/deals/forecast_asof`` (no stage history, like the Maven export; Widget's
open and lost deals carry its list price 100, won deals their actual value)::

    id  rep  status amount created     close       product
    K1  Ann  won      90   2026-01-10  2026-02-20  Widget
    K2  Ann  lost    100   2026-01-15  2026-03-01  Widget
    K3  Ann  won      95   2026-02-01  2026-04-20  Widget   closes after d
    K4  Bob  lost    100   2026-03-01  2026-04-25  Widget   closes after d
    K5  Bob  open    100   2026-03-20  (2026-06-30 expected)   Widget
    K6  Bob  won     300   2026-04-15  2026-05-02  Gadget   created after d
    K7  Ann  lost    250   2026-01-05  2026-02-01  Gadget
    K8  Bob  lost   1000   2026-03-05  (no close date)     Gadget

As known on d = 2026-04-10: K6 is removed; K3 and K4 are re-opened (status open, close date
unknown, amount = Widget's list price 100: K2, K4, K5 are 3 open/lost deals all at 100);
K5's expected close date is unknown; K8 stays lost without a date.

Forecast of 2026-Q2 as of d (9 days in). Learning: the same offset into 2026-Q1 is
2026-01-10; deals then open: K7 (5 days old, quoted 250, lost) and K1 (0 days old, quoted
at list price 100, won 90 on 2026-02-20): cell "0-6 days old" wins 100 / 350 = 0.2857 (by
amount as known while open). 2025-Q4 is not covered (the data starts 2026-01-05). The open
deals at d are 21, 40 and 68 days old: unseen cells, so the rate of all unknown-stage deals, 0.2857; times the level
booked/quoted = 90 / 100 = 0.9 -> q = 0.2571 each. No deal was created after 2026-01-10 and
won in 2026-Q1: no new business. K8 is neither open nor learnt from.
So bookings = 100 x Binomial(3, 0.2571): P(0) = 0.410, P(<=1) = 0.836 -> P10 = 0, P50 = 100,
P90 = 200; expected 3 x 25.71 = 77.14; quota Ann 150 + Bob 100 = 250.
Finished 2026-Q1 for Ann: won K1 = 90 against quota 200 -> 45 %.
The data ends on 2026-05-02 (K6's close) in 2026-Q2: 2026-Q3 can be forecast, 2026-Q4 not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmkb.deals.forecast import as_known_on, forecast
from spmkb.deals.sample import generate_sample
from spmkb.deals.schema import DealData
from spmkb.deals.validate import check_deals
from spmkb.errors import DealDataError

D = "2026-04-10"


@pytest.fixture(scope="module")
def hand(test_data: Path) -> DealData:
    report = check_deals(test_data / "deals" / "forecast_asof")
    assert len(report.data.opportunities) == 8
    return report.data


def test_as_known_on_cuts_back_to_the_date(hand: DealData) -> None:
    """K6 removed; K3/K4 re-opened at list price 100 with no close date; K5's date unknown."""
    opps = as_known_on(hand, D).opportunities.set_index("id")
    assert list(opps.index) == ["K1", "K2", "K3", "K4", "K5", "K7", "K8"]
    assert opps.loc["K3", "status"] == "open" and opps.loc["K3", "amount"] == 100
    assert opps.loc["K4", "status"] == "open" and opps.loc["K4", "amount"] == 100
    assert opps[["close_date"]].loc[["K3", "K4", "K5"]].isna().all().all()
    assert opps.loc["K1", "status"] == "won" and opps.loc["K1", "amount"] == 90
    assert opps.loc["K8", "status"] == "lost" and pd.isna(opps.loc["K8", "close_date"])
    assert opps.loc["K7", "close_date"] == pd.Timestamp("2026-02-01")


def test_hand_forecast_as_of_d(hand: DealData) -> None:
    """P10/P50/P90 = 0/100/200, q = 0.2571 per open deal, K8 left out (see module docstring)."""
    fc = forecast(hand, period="2026-Q2", as_of=D, n_sims=4000)
    assert fc.won_to_date == 0 and fc.open_deals == 3 and fc.open_amount == 300
    assert fc.expected_new == 0
    assert fc.expected_pipeline == pytest.approx(3 * 0.9 * 100 / 350 * 100)
    assert (fc.p10, fc.p50, fc.p90) == (0, 100, 200)
    assert fc.by_stage["probability"].tolist() == pytest.approx([0.9 * 100 / 350] * 3)
    assert fc.quota == 250
    assert any("without a close date are left out" in n for n in fc.notes)
    assert any("placed by age" in n for n in fc.notes)


def test_future_outcomes_do_not_change_the_forecast(hand: DealData) -> None:
    """Flip what happens after d (K3 lost, K4 won at 400, K6 gone): same forecast as of d."""
    opps = hand.opportunities.copy()
    opps.loc[opps["id"] == "K3", ["status", "amount"]] = ["lost", 100.0]
    opps.loc[opps["id"] == "K4", ["status", "amount"]] = ["won", 400.0]
    other = DealData(opportunities=opps[opps["id"] != "K6"].reset_index(drop=True),
                     reps=hand.reps, quotas=hand.quotas)  # fmt: skip
    a = forecast(hand, period="2026-Q2", as_of=D, n_sims=2000, seed=3)
    b = forecast(other, period="2026-Q2", as_of=D, n_sims=2000, seed=3)
    assert a.to_dict() == b.to_dict()
    assert np.array_equal(a.simulations, b.simulations)


@pytest.mark.parametrize("day", [D, "2026-05-02"], ids=["cut", "data end (no cut needed)"])
@pytest.mark.parametrize("scope", [{}, {"rep": "Ann"}, {"team": "South"}], ids=str)
def test_invariant_on_hand_file(hand: DealData, scope: dict[str, str], day: str) -> None:
    """forecast(data, as_of=d) == forecast(as_known_on(data, d), as_of=d), same seed."""
    a = forecast(hand, period="2026-Q2", as_of=day, n_sims=1000, seed=5, **scope)
    b = forecast(as_known_on(hand, day), period="2026-Q2", as_of=day, n_sims=1000, seed=5, **scope)
    assert a.to_dict() == b.to_dict()
    assert np.array_equal(a.simulations, b.simulations)


@pytest.fixture(scope="module")
def sample() -> DealData:
    return generate_sample(7)


@pytest.mark.parametrize(
    ("scope", "day"),
    [({}, "2026-05-15"), ({"team": "East"}, "2026-04-15"), ({"rep": "Maya Chen"}, "2026-06-14"),
     ({"team": "West"}, "2026-08-14")],
    ids=["company", "team", "rep", "team at the data's end"],
)  # fmt: skip
def test_invariant_on_sample(sample: DealData, scope: dict[str, str], day: str) -> None:
    """The same invariant on the sample (which has stage history): nothing after d is used."""
    period = "2026-Q3" if day == "2026-08-14" else "2026-Q2"
    a = forecast(sample, period=period, as_of=day, n_sims=500, seed=1, **scope)
    cut = as_known_on(sample, day)
    assert cut.opportunities["created"].max() <= pd.Timestamp(day)
    assert cut.stage_history["entered_at"].max() <= pd.Timestamp(day)
    b = forecast(cut, period=period, as_of=day, n_sims=500, seed=1, **scope)
    assert a.to_dict() == b.to_dict()
    assert np.array_equal(a.simulations, b.simulations)


def test_finished_period_is_reported_as_actuals(hand: DealData) -> None:
    """2026-Q1 for Ann: won 90 against quota 200 (45 %); no chance, no interval verdict."""
    fc = forecast(hand, rep="Ann", period="2026-Q1")
    assert fc.finished and fc.p_quota is None
    assert fc.summary() == "Ann: 2026-Q1 is over: won 90 against quota 200 (45%)."
    assert (fc.p10, fc.p50, fc.p90) == (90, 90, 90)
    assert fc.to_dict()["finished"] is True


def test_far_future_period_is_refused(hand: DealData) -> None:
    """Data ends 2026-05-02 (2026-Q2): 2026-Q3 is forecast, 2026-Q4 and 2030-Q1 are refused."""
    assert not forecast(hand, period="2026-Q3", n_sims=200).finished
    for period in ("2026-Q4", "2030-Q1"):
        with pytest.raises(DealDataError) as err:
            forecast(hand, period=period)
        assert str(err.value) == (
            f"cannot forecast {period}: the deal data ends on 2026-05-02 (2026-Q2), and a "
            "forecast reaches at most one quarter ahead (2026-Q3) — pick a period up to "
            "2026-Q3, or import newer deals"
        )
    with pytest.raises(DealDataError, match="as of 2026-01-20"):
        forecast(hand, period="2026-Q3", as_of="2026-01-20")


def test_closed_deal_without_close_date_is_not_pipeline(hand: DealData) -> None:
    """K8 (lost, 1000, no close date): the forecast is the same with or without it."""
    without = DealData(
        opportunities=hand.opportunities[hand.opportunities["id"] != "K8"].reset_index(drop=True),
        reps=hand.reps,
        quotas=hand.quotas,
    )
    a = forecast(hand, period="2026-Q2", as_of=D, n_sims=2000)
    b = forecast(without, period="2026-Q2", as_of=D, n_sims=2000)
    assert a.p90 == b.p90 == 200 and a.open_amount == b.open_amount == 300
    assert np.array_equal(a.simulations, b.simulations)
