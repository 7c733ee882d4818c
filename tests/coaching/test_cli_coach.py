"""`spmkb report profile|recognition`, `spmkb coach plan|show|followup`, `spmkb profile suggest-standards`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coaching_data import make_team
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.deals.store import save_deal_data

runner = CliRunner()
ENV = {"SPMKB_STORE": "", "SPMKB_DEALS": ""}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The hand-made team written as a deal folder, and an empty store."""
    root = tmp_path_factory.mktemp("coach")
    save_deal_data(make_team(), root / "deals")
    return root / "deals", root / ".spmkb"


def run(ws: tuple[Path, Path], *args: str) -> tuple[int, str]:
    """Run one command against the workspace; (exit code, output)."""
    deals, store = ws
    result = runner.invoke(app, [*args, "--data", str(deals), "--store", str(store)], env=ENV)
    return result.exit_code, result.output


def test_report_profile_text_and_json(ws):
    """The finding is printed first; --json carries the findings and no rep-level ranking."""
    code, out = run(ws, "report", "profile", "--window", "2026-H1")
    assert code == 0, out
    assert "* Top performers: discovery before the demo in " in out
    code, out = run(ws, "report", "profile", "--window", "2026-H1", "--json")
    d = json.loads(out)
    assert d["findings"] == ["discovery_before_demo"]
    assert "reps" not in d["tiers"]


def test_report_profile_bad_window(ws):
    """A quarter: Error line, exit 1, no traceback."""
    code, out = run(ws, "report", "profile", "--window", "2026-Q1")
    assert code == 1
    assert out.startswith("Error: field 'window': the window 2026-Q1 is shorter than two quarters")


def test_coach_plan_save_show_followup(ws):
    """Plan saved twice (v1, v2), shown with its versions, followed up: not enough data yet."""
    args = ("coach", "plan", "--rep", "Rep 03", "--window", "2026-H1", "--company")
    code, out = run(ws, *args, "--save", "--author", "Grace", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["focus"]["measure"] == "discovery_before_demo" and plan["saved"]["version"] == 1
    code, out = run(ws, *args, "--save", "--author", "Grace")
    assert code == 0 and out.rstrip().endswith("Saved R009/2026-Q3 version 2 (draft)")
    code, out = run(ws, "coach", "show", "--rep", "rep 03", "--json")
    assert [v["version"] for v in json.loads(out)["versions"]] == [1, 2]
    code, out = run(ws, "coach", "followup", "--rep", "Rep 03", "--on", "2026-07-02", "--json")
    assert code == 0, out
    assert json.loads(out)["message"].startswith("not enough data yet: 0 of 10 deals in 2026-Q3")


def test_coach_errors(ws):
    """Unknown rep, unknown stage, follow-up before the start, no plan saved."""
    code, out = run(ws, "coach", "plan", "--rep", "Rep 3x", "--window", "2026-H1")
    assert code == 1 and out.startswith("Error: no rep named 'Rep 3x'")
    code, out = run(ws, "coach", "plan", "--rep", "Rep 03", "--window", "2026-H1", "--stage", "dmo")
    assert code == 1 and "unknown stage 'dmo' — did you mean 'demo'?" in out
    code, out = run(ws, "coach", "show", "--rep", "Rep 07")
    assert code == 1 and out.startswith("Error: no coaching plan saved for Rep 07")


def test_followup_before_start(ws):
    """A plan for Rep 05, then a follow-up dated before 2026-07-01."""
    run(ws, "coach", "plan", "--rep", "Rep 05", "--window", "2026-H1", "--save", "--author", "G")
    code, out = run(ws, "coach", "followup", "--rep", "Rep 05", "--on", "2026-06-01")
    assert code == 1 and "before the plan's start (2026-07-01)" in out


def test_recognition_post_and_approve(ws):
    """Draft then approved; the rep view shows a position, the board does not."""
    code, out = run(ws, "report", "recognition", "--period", "2026-Q1", "--post", "--author", "G")
    assert code == 0, out
    assert "_Draft: awaiting a manager's approval._" in out and "version 1 (draft)" in out
    code, out = run(
        ws, "report", "recognition", "--period", "2026-Q1", "--approve", "--author", "G"
    )
    assert code == 0 and "version 2 (approved)" in out and "Draft" not in out
    assert "position" not in out
    code, out = run(ws, "report", "recognition", "--period", "2026-Q1", "--rep", "Ada", "--json")
    assert json.loads(out)["position"].startswith("above ")


def test_suggest_standards_prints_a_diff(ws, tmp_path):
    """The finding becomes an absolute target in a unified diff; the file is not written."""
    std = tmp_path / "standards.yml"
    std.write_text("min_closed_deals: 5\nmeasures:\n  win_rate:\n    standard: team_median\n")
    code, out = run(
        ws, "profile", "suggest-standards", "--window", "2026-H1", "--standards", str(std)
    )
    assert code == 0, out
    assert out.startswith("--- a/standards.yml\n+++ b/standards.yml")
    assert "+  discovery_before_demo:" in out and "+    standard: absolute" in out
    assert std.read_text().count("discovery") == 0


def test_suggest_top_profile_standards_parse(ws, tmp_path):
    """--top-profile: the finding becomes 'standard: top_profile' (company-wide profile: scope
    company), and the suggested file is valid review standards."""
    from spmkb.coaching import top_profile
    from spmkb.coaching.standards import suggest_lines
    from spmkb.reviews.standards import parse_standards

    std = tmp_path / "standards.yml"
    std.write_text("measures:\n  win_rate:\n    standard: team_median\n")
    code, out = run(ws, "profile", "suggest-standards", "--window", "2026-H1", "--standards",
                    str(std), "--top-profile")  # fmt: skip
    assert code == 0, out
    assert "+    standard: top_profile   # suggested: a finding of the profile of 2026-H1" in out
    assert "+    scope: company" in out
    lines = suggest_lines(top_profile(make_team(), "2026-H1"), std.read_text(), "top_profile")
    parsed = parse_standards("\n".join(lines))
    assert parsed.get("discovery_before_demo").kind == "top_profile"
    assert parsed.get("discovery_before_demo").scope == "company"
