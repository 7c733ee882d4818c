"""``spmkb onboarding …`` and ``spmkb report ramp`` on the sample data and library: output,
``--json``, and bad input as ``Error: …`` with exit code 1 and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.deals.sample import write_sample

REPO = Path(__file__).resolve().parents[2]
TODAY = "2026-08-14"  # the sample's last day


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Common flags: the shipped playbooks, sample deals (12 reps, the six new hires)."""
    root = tmp_path_factory.mktemp("ws")
    write_sample(root / "deals", n_reps=12, csv=False)
    return ["--playbooks", str(REPO / "playbooks"), "--store", str(root / ".spmkb"),
            "--deals", str(root / "deals")]  # fmt: skip


def run(*args: str) -> tuple[int, str]:
    """Exit code and combined output of one command."""
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_status_lists_current_hires_as_json(workspace: list[str]) -> None:
    code, out = run("onboarding", "status", *workspace, "--today", TODAY, "--json")
    assert code == 0
    rows = json.loads(out)
    names = {r["hire"]["name"] for r in rows}
    assert names == {"Zoe Martin", "Ethan Brooks", "Chloe Dubois"}  # within 180 (+30) days
    chloe = next(r for r in rows if r["hire"]["name"] == "Chloe Dubois")
    assert chloe["status"] in ("overdue", "due", "ahead", "done")
    assert {m["status"] for m in chloe["milestones"]} <= {"met", "not yet", "missed", "manual"}


def test_enroll_complete_certify_flow(workspace: list[str]) -> None:
    t = ["--today", TODAY]
    code, out = run("onboarding", "enroll", *workspace, *t, "--rep", "Pat Lee", "--track", "sdr",
                    "--start", "2026-08-03", "--new", "--author", "lead")  # fmt: skip
    assert code == 0 and "Enrolled Pat Lee in sdr from 2026-08-03" in out
    code, out = run("onboarding", "complete", *workspace, *t, "--rep", "pat lee", "--module",
                    "01-week-one-foundations", "--author", "lead")  # fmt: skip
    assert code == 0 and "Completed onboarding/01-week-one-foundations" in out
    code, out = run("onboarding", "complete", *workspace, *t, "--rep", "Pat Lee", "--module",
                    "01-week-one-foundations")  # fmt: skip
    assert code == 1 and "Error: " in out and "already completed" in out
    code, out = run("onboarding", "certify", *workspace, *t, "--rep", "Pat Lee", "--module",
                    "03-cold-call-and-email", "--level", "prospecting=2")  # fmt: skip
    assert code == 0 and "did NOT pass" in out and "prospecting 2 < 3" in out
    code, out = run("onboarding", "plan", *workspace, *t, "--rep", "Pat Lee", "--json")
    plan = json.loads(out)
    assert plan["items"][0]["status"] == "done"
    assert plan["items"][2]["certified"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "--rep", "Chloe Dubios"], "did you mean 'Chloe Dubois'?"),
        (["complete", "--rep", "Chloe Dubois", "--module", "week-99"], "no onboarding module"),
        (
            ["enroll", "--rep", "Chloe Dubois", "--track", "sde", "--start", "2026-06-01"],
            "unknown track 'sde'",
        ),
        (
            ["enroll", "--rep", "Chloe Dubois", "--track", "ae", "--start", "2026-09-01"],
            "is in the future",
        ),
        (
            [
                "certify",
                "--rep",
                "Chloe Dubois",
                "--module",
                "02-discovery-and-qualification",
                "--level",
                "discovery",
            ],
            "cannot read --level 'discovery'",
        ),
    ],
    ids=["unknown-rep", "unknown-module", "unknown-track", "future-start", "bad-level"],
)
def test_bad_input_is_an_error_line(workspace: list[str], args: list[str], message: str) -> None:
    code, out = run("onboarding", *args, *workspace, "--today", TODAY)
    assert code == 1
    assert out.startswith("Error: ") and message in out


def test_report_ramp(workspace: list[str]) -> None:
    code, out = run("report", "ramp", *workspace, "--json")
    assert code == 0
    rep = json.loads(out)
    ae = rep["tracks"]["ae"]
    assert ae["n_hires"] == ae["first_win"]["n"] and ae["n_hires"] > 0
    assert all("verdict" in m for m in ae["milestones"])
    code, out = run("report", "ramp", *workspace, "--track", "ae")
    assert code == 0 and "Track ae (n = " in out and "Time to first won deal: median" in out
