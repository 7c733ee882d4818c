"""`spmkb sample-data` and `spmkb report ...` through Typer's CliRunner (text, --json, errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the default sample, written by `spmkb sample-data`."""
    store = tmp_path_factory.mktemp("ws") / ".spmkb"
    result = runner.invoke(app, ["sample-data", "--store", str(store), "--seed", "7", "--json"],
                           env={"SPMKB_STORE": "", "SPMKB_DEALS": ""})  # fmt: skip
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["folder"] == str(store / "deals") and info["opportunities"] > 15_000
    return store


def report(store: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["report", *args, "--store", str(store)], env={"SPMKB_DEALS": ""})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["funnel", "--rep", "Priya Nair", "--period", "2026-Q2"], "conversion"),
        (["winloss", "--team", "East"], "winloss"),
        (["behaviours"], "behaviours"),
        (["attainment", "--period", "2026-Q2", "--periods", "2"], "attainment"),
        (["leaderboard", "--period", "2026-Q2", "--top", "5"], "leaderboard"),
        (["coaching", "--team", "Central"], "coaching"),
    ],
    ids=["funnel", "winloss", "behaviours", "attainment", "leaderboard", "coaching"],
)
def test_reports_json(workspace: Path, args: list[str], key: str) -> None:
    code, out = report(workspace, *args, "--json")
    assert code == 0, out
    rows = json.loads(out)[key]
    assert rows and all("n" in r and "warning" in r for r in rows)


def test_coaching_json_flags_the_weak_rep(workspace: Path) -> None:
    code, out = report(workspace, "coaching", "--team", "Central", "--json")
    assert code == 0, out
    rows = {r["rep"]: r for r in json.loads(out)["coaching"]}
    assert rows["Priya Nair"]["flagged"] and rows["Priya Nair"]["stage"] == "demo"


def test_leaderboard_text_and_top(workspace: Path) -> None:
    code, out = report(workspace, "leaderboard", "--period", "2026-Q2", "--top", "3")
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.strip()]
    # header + 3 reps + the note saying what the rank is by and what improvement compares
    assert lines[0].split()[:3] == ["rank", "rep", "team"] and len(lines) == 5
    assert "%" in lines[1]
    assert lines[-1] == "Ranked by attainment; improvement: full 2026-Q2 vs full 2026-Q1."


def test_forecast_text_and_json(workspace: Path) -> None:
    code, out = report(workspace, "forecast", "--rep", "Maya Chen", "--period", "2026-Q3")
    assert code == 0 and out.startswith("Maya Chen, 2026-Q3 (as of 2026-08-14):")
    assert "Open pipeline by stage:" in out
    code, out = report(workspace, "forecast", "--team", "East", "--json", "--sims", "500")
    d = json.loads(out)
    assert d["period"] == "2026-Q3" and d["p10"] <= d["p50"] <= d["p90"] and d["quota"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["funnel", "--rep", "Priya Nar"],
            "Error: no rep named 'Priya Nar' in the deal data — did you mean 'Priya Nair'?",
        ),
        (["winloss", "--period", "2026-Q5"], "Error: field 'period': cannot read period '2026-Q5'"),
        (["leaderboard", "--by", "luck"], "Error: cannot rank by 'luck'"),
    ],
    ids=["unknown-rep", "bad-period", "bad-rank"],
)
def test_errors_are_one_line(workspace: Path, args: list[str], message: str) -> None:
    code, out = report(workspace, *args)
    assert code == 1 and message in out and "Traceback" not in out


def test_no_data_yet(tmp_path: Path) -> None:
    code, out = report(tmp_path / ".spmkb", "funnel")
    assert code == 1 and "Error: " in out and "sample data" in out


def test_every_command_has_help_with_an_example() -> None:
    for cmd in (["sample-data"], *[["report", r] for r in ("funnel", "winloss", "behaviours",
                "attainment", "leaderboard", "coaching", "forecast")]):  # fmt: skip
        result = runner.invoke(app, [*cmd, "--help"])
        assert result.exit_code == 0 and "Example: spmkb" in result.output, cmd
