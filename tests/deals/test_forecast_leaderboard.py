"""Leaderboard: like-with-like improvement and, without quotas, ranking by won amount.

Hand file ``tests/data/deals/forecast_leaderboard`` (team A; no quotas in the file)::

    id  rep  status amount close
    L1  Ann  won     100   2026-04-10
    L2  Ann  won     400   2026-05-20
    L3  Ann  won      50   2026-07-10
    L4  Bob  won      60   2026-04-05
    L5  Bob  won      20   2026-06-15
    L6  Bob  won      90   2026-07-15
    L7  Cy   won      10   2026-07-20
    L8  Cy   lost     80   2026-08-14   <- the data's last date

2026-Q3 has run 45 days (2026-07-01..08-14), so improvement compares them with the first 45
days of 2026-Q2 (04-01..05-15): Ann 50 vs 100 (L2 closed 05-20, after day 45) -> -50 %
(a full-Q2 comparison would say 50 vs 500 = -90 %); Bob 90 vs 60 -> +50 %; Cy 10 vs 0 ->
no baseline (NaN). No quotas: rank by won amount Bob 90, Ann 50, Cy 10.
With quotas Ann 1000 and Bob 100 in both quarters: attainment Bob 0.9, Ann 0.05, Cy none;
previous (first 45 days) Bob 0.6, Ann 0.1 -> improvement Bob +0.3, Ann -0.05.
2026-Q2 is over: it is compared in full with 2026-Q1 (no wins -> Ann 500 vs 0, NaN).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.deals.metrics import leaderboard
from spmkb.deals.schema import DealData
from spmkb.deals.store import save_deal_data
from spmkb.deals.validate import check_deals

SAME_DAYS = "first 45 days of 2026-Q3 vs of 2026-Q2 (2026-Q3 is not over)"


@pytest.fixture(scope="module")
def board_data(test_data: Path) -> DealData:
    return check_deals(test_data / "deals" / "forecast_leaderboard").data


def test_no_quotas_ranks_by_won_amount(board_data: DealData) -> None:
    """Bob 90, Ann 50, Cy 10; ranked_by says so."""
    lb = leaderboard(board_data)
    assert lb["rep"].tolist() == ["Bob", "Ann", "Cy"] and lb["rank"].tolist() == [1, 2, 3]
    assert lb["won_amount"].tolist() == [90, 50, 10]
    assert set(lb["ranked_by"]) == {"won amount (no quotas)"}
    assert lb["attainment"].isna().all()


def test_improvement_compares_the_same_elapsed_days(board_data: DealData) -> None:
    """Ann -50 % (not -90 %), Bob +50 %, Cy no baseline; compared = first 45 days."""
    lb = leaderboard(board_data, by="improvement").set_index("rep")
    assert lb.loc["Ann", "prev_won_amount"] == 100 and lb.loc["Ann", "improvement"] == -0.5
    assert lb.loc["Bob", "improvement"] == pytest.approx(0.5)
    assert math.isnan(lb.loc["Cy", "improvement"])
    assert list(lb.index) == ["Bob", "Ann", "Cy"]
    assert set(lb["compared"]) == {SAME_DAYS}
    assert set(lb["ranked_by"]) == {"change in won amount (no quotas)"}


def test_with_quotas_attainment_over_same_days(board_data: DealData) -> None:
    """Bob 0.9 (prev 0.6, +0.3), Ann 0.05 (prev 0.1, -0.05), Cy without quota last."""
    quotas = pd.DataFrame(
        {"rep": ["Ann", "Ann", "Bob", "Bob"], "period": ["2026-Q2", "2026-Q3"] * 2,
         "amount": [1000.0, 1000.0, 100.0, 100.0]}
    )  # fmt: skip
    data = DealData(opportunities=board_data.opportunities, reps=board_data.reps, quotas=quotas)
    lb = leaderboard(data, by="improvement")
    assert lb["rep"].tolist() == ["Bob", "Ann", "Cy"]
    assert lb["improvement"].tolist()[:2] == pytest.approx([0.3, -0.05])
    assert lb["prev_attainment"].tolist()[:2] == pytest.approx([0.6, 0.1])
    assert set(lb["ranked_by"]) == {"improvement in attainment"}
    assert leaderboard(data)["rep"].tolist() == ["Bob", "Ann", "Cy"]  # 0.9, 0.05, none


def test_finished_period_compares_full_periods(board_data: DealData) -> None:
    """2026-Q2 is over: full 2026-Q2 vs full 2026-Q1."""
    lb = leaderboard(board_data, period="2026-Q2")
    assert set(lb["compared"]) == {"full 2026-Q2 vs full 2026-Q1"}
    assert lb.set_index("rep").loc["Ann", "won_amount"] == 500


def test_cli_leaderboard_note_and_forecast_errors(board_data: DealData, tmp_path: Path) -> None:
    """The CLI says what the rank is by; a far-future forecast is an Error line, exit 1."""
    folder = save_deal_data(board_data, tmp_path / "deals")
    runner = CliRunner()
    env = {"SPMKB_DEALS": "", "SPMKB_STORE": str(tmp_path / ".spmkb")}
    res = runner.invoke(app, ["report", "leaderboard", "--data", str(folder)], env=env)
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1] == (
        f"Ranked by won amount (no quotas); improvement: {SAME_DAYS}."
    )
    res = runner.invoke(
        app, ["report", "forecast", "--data", str(folder), "--period", "2030-Q1"], env=env
    )
    assert res.exit_code == 1
    assert res.output.startswith(
        "Error: cannot forecast 2030-Q1: the deal data ends on 2026-08-14 (2026-Q3)"
    )
    res = runner.invoke(
        app, ["report", "forecast", "--data", str(folder), "--rep", "Ann", "--period", "2026-Q2"],
        env=env,
    )  # fmt: skip
    assert res.exit_code == 0
    assert res.output.startswith("Ann: 2026-Q2 is over: won 500 (no quota set).")
