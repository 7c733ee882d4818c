"""The deal dashboard in daily use: readable selectors, a mismatch said, labels, the ranking note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.deals.measures import MEASURES
from spmkb.deals.sample import generate_sample
from spmkb.deals.schema import DealData
from spmkb.widgets import dashboard as dash

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small() -> DealData:
    """A 12-rep sample (seed 7), the one tests/deals/test_dashboard.py uses."""
    return generate_sample(7, n_reps=12)


@pytest.fixture(scope="module")
def panel(small: DealData) -> dash.DashboardPanel:
    """A dashboard over the sample, few simulations."""
    return dash.DashboardPanel(small, n_sims=200)


def test_selectors_show_all_reps_and_all_teams(panel) -> None:
    """The first view: the dropdowns' shown labels are "all reps" / "all teams", not blank."""
    assert panel.rep.label == "all reps" and panel.rep.index == 0
    assert panel.team.label == "all teams" and panel.team.index == 0
    assert text_of(panel.status.value) == "the company, 2026-Q3"


def test_a_rep_outside_the_chosen_team_is_said(panel) -> None:
    """Pick a rep, then a team they are not in: the status line names both and their real team."""
    rep = "Diego Alvarez"
    their = panel.rep_team[rep]
    other = next(t for t in sorted(set(panel.rep_team.values())) if t != their)
    panel.rep.value = rep
    panel.team.value = other
    status = text_of(panel.status.value)
    assert status.startswith(f"{rep} is not in team {other} (their team: {their})")
    panel.team.value = their
    assert text_of(panel.status.value) == f"{rep}, 2026-Q3"
    panel.rep.value = ""
    panel.team.value = ""
    assert text_of(panel.status.value) == "the company, 2026-Q3"


def test_tables_use_labels_not_column_names(panel) -> None:
    """Headers read "Quota attainment", "Won amount"; behaviours read their measure label."""
    board = panel.leaderboard.value
    assert "<th>Quota attainment</th>" in board and "<th>Won amount</th>" in board
    assert "<th>won_amount</th>" not in board and "<th>attainment</th>" not in board
    behaviours = panel.behaviours.value
    names = set(panel.overview.behaviours["behaviour"])
    assert names & set(MEASURES)
    for name in names & set(MEASURES):
        assert f">{MEASURES[name].label}</td>" in behaviours
        assert f">{name}</td>" not in behaviours  # only as the cell's tooltip
    assert "<th>Win rate</th>" in behaviours


def test_leaderboard_shows_what_it_is_ranked_by_and_compares(panel) -> None:
    """The note under the leaderboard repeats the frame's ranked_by and compared values."""
    board = panel.overview.leaderboard
    text = text_of(panel.leaderboard.value)
    assert f"Ranked by {board['ranked_by'].iloc[0]}" in text
    assert f"Change: {board['compared'].iloc[0]}" in text


def test_dashboard_notebook_python_cells_follow_the_selection() -> None:
    """The "same figures from Python" cell reads panel.overview, not the notebook parameters."""
    nb = json.loads((REPO / "notebooks" / "dashboard.ipynb").read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    python_cell = next(c for c in code if "ov = " in c)
    assert python_cell.startswith("ov = panel.overview  #")
    assert "overview(data, rep=rep" not in python_cell
