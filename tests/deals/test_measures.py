"""The measure registry over calendar periods and tenure windows, on five hand-made deals.

| id | rep | status | amount | created    | close      |
| 1  | Ann | won    | 100    | 2026-01-10 | 2026-02-01 |
| 2  | Ann | lost   | 50     | 2026-01-20 | 2026-03-15 |
| 3  | Ann | won    | (none) | 2026-02-01 | 2026-04-10 |
| 4  | Bob | won    | 40     | 2026-03-05 | 2026-03-20 |
| 5  | Bob | open   | 30     | 2026-03-10 | 2026-06-30 |

Ann started 2026-01-01, Bob 2026-03-01 (team T). Worked by hand:

- 2026-Q1 win rate: Ann 1 won of 2 closed (deals 1, 2) = 0.5, n = 2; Bob 1/1 = 1.0, n = 1.
- First 60 days (days 0-59; Ann 01-01..03-01, Bob 03-01..04-29), by close date: Ann closed
  deal 1 only (won) -> 1.0, n = 1; Bob deal 4 -> 1.0, n = 1.
- Opportunities created in days 0-59: Ann 3 (01-10, 01-20, 02-01), Bob 2 (03-05, 03-10).
- Pipeline created in days 0-59: Ann 100 + 50 = 150 on n = 2 (deal 3 has no amount: not
  counted, not zero); Bob 40 + 30 = 70, n = 2.
- Sales cycle 2026-Q1 (won deals): Ann deal 1, 22 days; Bob deal 4, 15 days.
- Average deal size 2026-Q2: Ann's one won deal has no amount: mean missing, n = 0, 1 missing.
- First tenure day with >= 2 opportunities created: Ann day 19 (01-20), Bob day 9 (03-10).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from spmkb.deals import measures as M
from spmkb.deals.periods import Window
from spmkb.deals.schema import DealData
from spmkb.errors import DealDataError, NotFoundError

ROWS = [
    ("1", "Ann", "won", 100.0, "2026-01-10", "2026-02-01"),
    ("2", "Ann", "lost", 50.0, "2026-01-20", "2026-03-15"),
    ("3", "Ann", "won", math.nan, "2026-02-01", "2026-04-10"),
    ("4", "Bob", "won", 40.0, "2026-03-05", "2026-03-20"),
    ("5", "Bob", "open", 30.0, "2026-03-10", "2026-06-30"),
]


@pytest.fixture(scope="module")
def data() -> DealData:
    """The five deals of the module docstring."""
    o = pd.DataFrame(ROWS, columns=["id", "rep", "status", "amount", "created", "close_date"])
    o["stage"] = ["negotiation", "demo", "negotiation", "negotiation", "demo"]
    o["created"] = pd.to_datetime(o["created"])
    o["close_date"] = pd.to_datetime(o["close_date"])
    reps = pd.DataFrame(
        {
            "rep": ["Ann", "Bob"],
            "team": ["T", "T"],
            "start_date": pd.to_datetime(["2026-01-01", "2026-03-01"]),
        }
    )
    return DealData(o, reps=reps)


def _values(frame: pd.DataFrame) -> dict[str, tuple[float, int]]:
    return {rep: (row.value, row.n) for rep, row in frame.iterrows()}


def test_calendar_period(data: DealData) -> None:
    assert _values(M.per_rep(data, "win_rate", period="2026-Q1")) == {
        "Ann": (0.5, 2),
        "Bob": (1.0, 1),
    }
    assert _values(M.per_rep(data, "sales_cycle", period="2026-Q1")) == {
        "Ann": (22.0, 1),
        "Bob": (15.0, 1),
    }


def test_tenure_window_is_relative_to_each_reps_start(data: DealData) -> None:
    first60 = "days 0-59"
    assert _values(M.per_rep(data, "win_rate", period=first60)) == {
        "Ann": (1.0, 1),
        "Bob": (1.0, 1),
    }
    assert _values(M.per_rep(data, "opportunities_created", period=first60)) == {
        "Ann": (3.0, 3),
        "Bob": (2.0, 2),
    }
    assert _values(M.per_rep(data, "pipeline_created", period=Window(0, 59))) == {
        "Ann": (150.0, 2),
        "Bob": (70.0, 2),
    }


def test_missing_amount_is_missing_not_zero(data: DealData) -> None:
    size = M.per_rep(data, "avg_deal_size", period="2026-Q2")
    assert math.isnan(size.at["Ann", "value"])
    assert size.at["Ann", "n"] == 0
    assert size.at["Ann", "missing"] == 1


def test_first_day_a_count_is_reached(data: DealData) -> None:
    got = M.first_day(data, "opportunities_created", 2, Window(0, 180))
    assert got["day"].to_dict() == {"Ann": 19.0, "Bob": 9.0}
    none = M.first_day(data, "opportunities_created", 4, Window(0, 180))
    assert none["day"].isna().all()


def test_calendar_measures_refuse_a_tenure_window(data: DealData) -> None:
    with pytest.raises(DealDataError) as err:
        M.per_rep(data, "quota_attainment", period="days 0-90")
    assert str(err.value) == (
        "field 'period': quota attainment needs a calendar period (e.g. 2026-Q3), not a tenure "
        "window (days 0-90) — quotas and forecasts are set per calendar period"
    )


def test_unknown_measure_suggests() -> None:
    with pytest.raises(NotFoundError) as err:
        M.get_measure("win_rat")
    assert str(err.value) == "unknown measure 'win_rat' — did you mean 'win_rate'?"


def test_registry_declarations_are_complete() -> None:
    for name, m in M.MEASURES.items():
        assert m.name == name
        assert m.unit in {"ratio", "money", "days", "count", "times"}, name
        assert m.direction in {"higher", "lower"}, name
        assert m.label and m.label[0].isupper() and "_" not in m.label, name
        assert m.n_of and m.description, name
    assert M.get_measure("stage_conversion").label_for("demo") == "Conversion demo → proposal"
    assert M.get_measure("sales_cycle").direction == "lower"
