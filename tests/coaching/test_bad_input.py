"""The issue's "Bad input" list, each with its exact message and nothing stored lost.

Covered elsewhere: a window shorter than two quarters and no closed deals in the profile
(test_profile.py), no quotas at all, ties at the top boundary and a rep who left mid-window
(test_profile.py), unknown rep / stage for a plan (test_plans.py, test_cli_coach.py), two
people saving one plan (test_plans.py). Here: the rest, through the faces a manager uses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from coaching_data import make_team
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.coaching import build_plan, rep_view
from spmkb.coaching.tiers import tiers
from spmkb.deals.schema import DealData
from spmkb.deals.store import save_deal_data
from spmkb.errors import DealDataError, NotFoundError, SpmkbError

ENV = {"SPMKB_STORE": "", "SPMKB_DEALS": ""}


def _team(scores: dict[str, int], quota: dict[str, float | None] | None = None,
          **dates: tuple[str, str]) -> DealData:  # fmt: skip
    """Three equal won deals per rep closed 2026-03-01 (total = score); quota 10,000 for
    2026-H1 unless ``quota`` says otherwise (None: no quota row); ``dates``: rep -> (column,
    date) for start_date / end_date (everyone else started 2020-01-01)."""
    reps = list(scores)
    opps = pd.DataFrame({
        "id": [f"X{i}" for i in range(3 * len(reps))], "rep": reps * 3, "stage": "negotiation",
        "status": "won", "amount": [scores[r] / 3 for r in reps] * 3,
        "created": pd.Timestamp("2026-01-10"), "close_date": pd.Timestamp("2026-03-01"),
        "segment": "SMB",
    })  # fmt: skip
    table = pd.DataFrame({"rep": reps, "team": "T", "role": "AE",
                          "start_date": pd.Timestamp("2020-01-01"), "end_date": pd.NaT})  # fmt: skip
    for rep, (col, value) in dates.items():
        table.loc[table["rep"] == rep, col] = pd.Timestamp(value)
    q = {r: 10_000.0 for r in reps} | (quota or {})
    quotas = pd.DataFrame([(r, "2026-H1", v) for r, v in q.items() if v is not None],
                          columns=["rep", "period", "amount"])  # fmt: skip
    return DealData(opportunities=opps, reps=table, quotas=quotas)


SCORES = dict(zip("ABCDEFGHIJ", [15000, 14000, 13000, 9000, 8000, 7000, 6000, 5000, 5000, 5000],
                  strict=True))  # fmt: skip


def test_reps_without_a_quota_are_left_out_and_named() -> None:
    """B and D have no quota while the others do: not ranked, named; 8 reps ranked, top 2."""
    t = tiers(_team(SCORES, {"B": None, "D": None}), "2026-H1")
    assert t.basis == "attainment"
    assert t.left_out == {"B": "no quota for 2026-H1", "D": "no quota for 2026-H1"}
    assert t.members("top") == ["A", "C"]  # 150 %, 130 %


def test_ties_at_the_bottom_boundary_share_the_tier() -> None:
    """10 reps, bottom 20 % = 2; H, I and J tie at 50 %: all three are bottom, a note says so."""
    t = tiers(_team(SCORES), "2026-H1")
    assert t.members("bottom") == ["H", "I", "J"]
    assert "reps tie at the bottom-tier boundary: 3 in it, not 2" in t.notes


def test_hire_and_leaver_inside_the_window_are_not_ranked() -> None:
    """A started 2026-02-01, C left 2026-05-15: both named with the date, neither is top."""
    t = tiers(
        _team(SCORES, A=("start_date", "2026-02-01"), C=("end_date", "2026-05-15")), "2026-H1"
    )
    assert t.left_out == {
        "A": "started on 2026-02-01, inside the window",
        "C": "left on 2026-05-15, inside the window",
    }
    assert t.members("top") == ["B", "D"]  # 140 %, 90 % of the 8 ranked


def test_plan_for_a_window_without_closed_deals_is_refused() -> None:
    with pytest.raises(DealDataError) as err:
        build_plan(make_team(), "Rep 03", window="2024-H1")
    assert str(err.value) == (
        "field 'window': no closed deals in 2024-H1 for team North — choose a window the deal "
        "data covers"
    )


def test_plan_for_a_rep_who_left_before_it_starts_is_refused() -> None:
    """Rep 04 left on 2026-05-15 (inside the window): no plan for 2026-Q3, which starts later."""
    data = make_team()
    data.reps.loc[data.reps["rep"] == "Rep 04", "end_date"] = pd.Timestamp("2026-05-15")
    with pytest.raises(SpmkbError) as err:
        build_plan(data, "Rep 04", window="2026-H1")
    assert str(err.value) == (
        "field 'rep': Rep 04 left on 2026-05-15, before the plan would start (2026-07-01) — "
        "coach a rep who is still on the team"
    )


def test_rep_view_of_an_unknown_rep_suggests_the_name() -> None:
    with pytest.raises(NotFoundError) as err:
        rep_view(make_team(), "2026-Q1", "Adda")
    assert str(err.value) == "no rep named 'Adda' in the deal data — did you mean 'Ada'?"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-made team as a deal folder, and an empty store."""
    root = tmp_path_factory.mktemp("bad")
    save_deal_data(make_team(), root / "deals")
    return root / "deals", root / ".spmkb"


def run(ws: tuple[Path, Path], *args: str) -> tuple[int, str]:
    """(exit code, output) of one command against the workspace."""
    deals, store = ws
    result = CliRunner().invoke(app, [*args, "--data", str(deals), "--store", str(store)], env=ENV)
    return result.exit_code, result.output


def test_cli_window_without_closed_deals_is_one_error_line(ws) -> None:
    code, out = run(ws, "report", "profile", "--window", "2020-H1")
    assert code == 1 and "Traceback" not in out
    assert out.strip() == (
        "Error: field 'window': no closed deals in 2020-H1 — choose a window the deal data covers"
    )


def test_cli_refused_followup_and_unknown_stage_lose_nothing(ws) -> None:
    """A saved plan (v1); a follow-up before its start and a plan with an unknown stage are
    refused; the saved plan is still version 1 with the same focus."""
    code, out = run(
        ws, "coach", "plan", "--rep", "Rep 05", "--window", "2026-H1", "--save", "--author", "G"
    )
    assert code == 0, out
    before = json.loads(run(ws, "coach", "show", "--rep", "Rep 05", "--json")[1])
    code, out = run(ws, "coach", "followup", "--rep", "Rep 05", "--on", "2026-06-01")
    assert code == 1
    assert out.strip() == (
        "Error: field 'on': the follow-up date 2026-06-01 is before the plan's start "
        "(2026-07-01) — follow up on or after the start date"
    )
    code, out = run(ws, "coach", "plan", "--rep", "Rep 05", "--window", "2026-H1", "--stage", "dmo", "--save", "--author", "G")  # fmt: skip
    assert code == 1 and "unknown stage 'dmo' — did you mean 'demo'?" in out
    after = json.loads(run(ws, "coach", "show", "--rep", "Rep 05", "--json")[1])
    assert [v["version"] for v in after["versions"]] == [1]
    assert after == before


def test_cli_recognition_for_an_unknown_rep(ws) -> None:
    code, out = run(ws, "report", "recognition", "--period", "2026-Q1", "--rep", "Adda")
    assert code == 1
    assert out.strip() == "Error: no rep named 'Adda' in the deal data — did you mean 'Ada'?"
