"""Missing is not zero: amounts and dates that are absent stay absent (NaN), counted and named.

Fixture ``tests/data/deals/honest/missing_amounts.csv`` (reps table: Ann, Bob in team A):

| id | rep | status | amount | created | close | cycle (days) |
| 1 | Ann | won | 100 | 2026-01-01 | 2026-01-11 | 10 |
| 2 | Ann | won | (none) | 2026-01-01 | 2026-01-21 | 20 |
| 3 | Ann | won | 300.10 | (none) | 2026-02-01 | unknown |
| 4 | Ann | lost | 50 | 2026-01-05 | 2026-02-10 | (lost) |
| 5 | Bob | won | (none) | 2026-01-01 | 2026-01-31 | 30 |
| 6 | Bob | won | (none) | 2026-01-01 | 2026-02-15 | 45 |
| 7 | Bob | lost | (none) | 2026-01-02 | 2026-01-20 | (lost) |

By hand: Ann's deal size is over deals 1 and 3 (n = 2, one won deal missing): total 400.10,
average = median = 200.05. Bob's two won deals have no amount: n = 0, figures NaN (not 0).
Company: n = 2, 3 missing, total 400.10. Sales cycle: Ann 10 and 20 days (deal 3 has no
created date: left out, n_missing_dates = 1), mean 15; Bob 30 and 45, mean 37.5. Size bands
(0, 100, 200): deal 4 (50) in 0-100, deal 1 (100) in 100-200, deal 3 in 200+, and deals
2, 5, 6, 7 in ``unknown`` (3 won, 1 lost) - none in the lowest band.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spmkb.deals import metrics as m
from spmkb.deals.sample import generate_sample
from spmkb.deals.schema import DealData

HERE = Path(__file__).resolve().parents[1] / "data" / "deals" / "honest"


def load(name: str, *, drop_amounts: bool = False) -> DealData:
    """A DealData from one of the hand-made CSVs (dates parsed; amounts optionally emptied)."""
    o = pd.read_csv(HERE / name, dtype={"id": str})
    for col in ("created", "close_date"):
        o[col] = pd.to_datetime(o[col])
    o["amount"] = np.nan if drop_amounts else o["amount"].astype(float)
    reps = pd.read_csv(HERE / "reps.csv")
    return DealData(opportunities=o, reps=reps)


def test_deal_size_leaves_missing_amounts_out_and_counts_them() -> None:
    ds = m.deal_size(load("missing_amounts.csv")).set_index("rep")
    assert ds.loc["Ann", ["n", "n_missing_amount"]].tolist() == [2, 1]
    assert ds.loc["Ann", "total"] == pytest.approx(400.10, abs=0.005)
    assert ds.loc["Ann", "average"] == pytest.approx(200.05) == ds.loc["Ann", "median"]
    assert "1 of 3 won deals have no amount" in ds.loc["Ann", "warning"]
    assert ds.loc["Bob", ["n", "n_missing_amount"]].tolist() == [0, 2]
    assert np.isnan(ds.loc["Bob", "total"]) and np.isnan(ds.loc["Bob", "average"])
    company = m.deal_size(load("missing_amounts.csv"), by=None).iloc[0]
    assert (company["n"], company["n_missing_amount"]) == (2, 3)
    assert company["total"] == pytest.approx(400.10, abs=0.005)


def test_sales_cycle_has_no_zero_day_cycles_from_missing_dates() -> None:
    sc = m.sales_cycle(load("missing_amounts.csv")).set_index("rep")
    assert sc.loc["Ann", ["n", "n_missing_dates"]].tolist() == [2, 1]
    assert sc.loc["Ann", "mean_days"] == 15 and sc.loc["Bob", "mean_days"] == 37.5
    assert "no created or close date" in sc.loc["Ann", "warning"]


def test_winloss_unknown_size_band() -> None:
    wl = m.winloss(load("missing_amounts.csv"), by="size_band", bands=(0, 100, 200))
    band = wl.set_index("value")
    assert band["n"].to_dict() == {"0-100": 1, "100-200": 1, "200+": 1, "unknown": 4}
    assert band.loc["unknown", ["won", "lost"]].tolist() == [3, 1]


def test_whole_amount_column_absent_says_so() -> None:
    data = load("missing_amounts.csv", drop_amounts=True)
    ds = m.deal_size(data, by=None).iloc[0]
    assert ds["n"] == 0 and ds["n_missing_amount"] == 5 and np.isnan(ds["average"])
    assert ds["warning"].startswith("amount not in this data")
    wl = m.winloss(data, by="size_band")
    assert wl["value"].tolist() == ["unknown"] and wl["n"].tolist() == [7]
    assert wl["warning"].tolist() == ["amount not in this data"]
    rs = m.rep_summary(data).set_index("rep")
    assert rs["won_amount"].isna().all() and rs["open_pipeline"].isna().all()
    assert (rs["warning"].str.startswith("amount not in this data")).all()


def test_sums_of_known_amounts_match_pandas_to_the_cent() -> None:
    """Blank every 7th amount of the sample; totals = pandas' sum of the known won amounts."""
    data = generate_sample(7, n_reps=8)
    o = data.opportunities.copy()
    o.loc[o.index % 7 == 0, "amount"] = np.nan
    data = DealData(opportunities=o, reps=data.reps)
    ds = m.deal_size(data).set_index("rep")
    won = o[o["status"] == "won"]
    expected = won.groupby(won["rep"].astype(str))["amount"]
    ds = ds.reindex(expected.sum().index)
    assert (ds["total"] - expected.sum()).abs().max() < 0.005
    assert ds["n"].tolist() == expected.count().tolist()
    assert ds["n_missing_amount"].tolist() == (expected.size() - expected.count()).tolist()
    assert (ds["average"] - expected.mean()).abs().max() < 0.005


@pytest.mark.shared
def test_salvirt_has_no_amounts_and_no_dates(shared_data: Path) -> None:
    """Salvirt (448 closed deals, no amounts, no dates): no average 0, no 0-day cycle."""
    from spmkb.deals.validate import check_deals

    data = check_deals(shared_data / "deals-salvirt-b2b" / "Salvirt_B2B_ML_dataset.csv").data
    ds = m.deal_size(data, by=None).iloc[0]
    assert np.isnan(ds["average"]) and ds["warning"].startswith("amount not in this data")
    sc = m.sales_cycle(data, by=None).iloc[0]
    assert (
        sc["n"] == 0
        and np.isnan(sc["mean_days"])
        and sc["n_missing_dates"] == ds["n_missing_amount"]
    )
    wl = m.winloss(data, by="size_band")
    assert wl["value"].tolist() == ["unknown"]
    conv = m.stage_conversion(data).set_index("stage")
    # every deal is recorded at negotiation: negotiation -> won = 227 won of 448 closed; the
    # conversions before it are not in data without stage history (not "100 %")
    assert conv.loc["negotiation", ["advanced", "n"]].tolist() == [227, 448]
    assert conv.drop(index="negotiation")["conversion"].isna().all()
    assert conv.loc["demo", "note"].startswith("no stage history")


@pytest.mark.shared
def test_olist_placeholder_stage_makes_no_conversion(shared_data: Path) -> None:
    """Olist: every lost MQL is recorded at qualification (a placeholder), every won deal at
    negotiation: negotiation -> won would be 100 % by construction, so it is unknown too."""
    from spmkb.deals.validate import check_deals

    data = check_deals(shared_data / "deals-olist-marketing-funnel").data
    conv = m.stage_conversion(data).set_index("stage")
    assert conv["conversion"].isna().all()
    assert "placeholder" in conv.loc["negotiation", "note"]
    cf = m.coaching_focus(data)
    assert "(no rep)" not in set(cf["rep"]) and not cf["flagged"].any()
