"""The coaching panels driven headlessly, and the three coaching notebooks executed with
papermill (through spmkb.notebooks.run_notebook)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from coaching_data import make_team

from spmkb.config import load_settings
from spmkb.deals.store import save_deal_data
from spmkb.widgets.coaching_panel import (
    CoachingPanel,
    ProfilePanel,
    RecognitionPanel,
    render_plan,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made team as a deal folder."""
    out = tmp_path_factory.mktemp("nb") / "deals"
    save_deal_data(make_team(), out)
    return out


def test_panel_build_save_and_errors(tmp_path):
    """Build -> not saved; Save without an author -> error in the status line; with one -> v1."""
    settings = load_settings({"store": str(tmp_path / ".spmkb")})
    panel = CoachingPanel(make_team(), settings=settings, window="2026-H1", rep="Rep 03")
    panel.build_button.click()
    assert "Coaching plan — Rep 03 (2026-Q3)" in panel.output.value
    assert "not saved yet" in panel.status.value
    panel.save_button.click()
    assert "Error:" in panel.status.value and "author is required" in panel.status.value
    panel.author.value = "Grace"
    panel.save_button.click()
    assert "Saved version 1." in panel.status.value
    panel.followup_button.click()  # the data ends on 2026-06-22, before the plan starts
    assert "Error:" in panel.status.value
    assert (
        "the follow-up date 2026-06-22 is before the plan's start (2026-07-01)"
        in panel.status.value
    )
    panel.window.value = "2026-Q1"
    panel.build_button.click()
    assert "shorter than two quarters" in panel.status.value


def test_profile_panel_shows_findings_with_n_and_interval_and_refuses_a_quarter():
    """All teams: the planted finding's sentence (n, CI); a quarter: the error in the status."""
    panel = ProfilePanel(make_team(), window="2026-H1")
    panel.show()
    out = panel.output.value
    assert "<h3>Top performers 2026-H1 — all teams</h3>" in out
    assert "8 reps in the top tier, 22 reps in the rest; 1 measure tested" in out
    assert (
        "Top performers: discovery before the demo in 77% of closed deals with a demo against "
        "44% for the rest (difference +33 pts, 95 % CI +18 pts to +47 pts; n = 480 closed deals "
        "with a demo from 8 reps vs 1320 from 22 reps; FDR-adjusted p &lt; 0.001)"  # escaped HTML
    ) in out
    assert "1 finding(s)." in panel.status.value
    panel.window.value = "2026-Q1"
    panel.show_button.click()
    assert "Error:" in panel.status.value and "shorter than two quarters" in panel.status.value


def test_recognition_panel_board_without_ranks_and_rep_view_with_position():
    """The team board shows the levels and no position; Ada's own view shows hers."""
    panel = RecognitionPanel(make_team(), period="2026-Q1", team="South")
    panel.show_button.click()
    board = panel.output.value
    assert "<b>Levels</b>: 100% / 125% / 150% of quota" in board
    assert "Recognition 2026-Q1 — South" in board
    assert "above " not in board and "Position" not in board
    panel.rep.value = "Ada"
    panel.show_button.click()
    view = panel.output.value
    assert "Ada — 2026-Q1 (only you see this)" in view
    assert "Position: above 13 of the 14 other reps with a quota in South." in view
    assert "Attainment <b>190%</b> of quota (190,000 of 100,000)" in view


def test_render_plan_escapes_text():
    """A note with markup is shown as text."""
    from spmkb.coaching.plans import Focus, Plan

    plan = Plan("R1", "<b>Eve</b>", None, "2026-H1", "2026-Q3", "2026-07-01", "2026-09-30",
                Focus("none", reason="no clear gap"), notes=["<script>x</script>"])  # fmt: skip
    html = render_plan(plan)
    assert "<script>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "params", "expect"),
    [
        ("top-performers", {"window": "2026-H1"}, "* Top performers: discovery before the demo"),
        ("coaching", {"window": "2026-H1", "rep": "Rep 03"}, "no clear gap"),
        ("recognition", {"period": "2026-Q1"}, "Recognition 2026-Q1"),
    ],
    ids=["top-performers", "coaching", "recognition"],
)
def test_notebook_executes(
    folder: Path, tmp_path: Path, name: str, params: dict, expect: str
) -> None:
    """Each notebook runs top to bottom on the hand-made team without an error output."""
    from spmkb.notebooks import run_notebook  # papermill, atomic, per-cell timeout

    out = tmp_path / f"{name}.ipynb"
    params = {"data_dir": str(folder), **params}
    if name == "coaching":
        params["store"] = str(tmp_path / ".spmkb")
    run_notebook(REPO / "notebooks" / f"{name}.ipynb", out, params, timeout=300, cwd=tmp_path)
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )  # fmt: skip
    assert expect in text
