"""Curriculum lint on a set of broken curricula (tests/data/onboarding/<case>/), one error each.

Each case is the valid three-module curriculum (week-1 day 5, week-2 day 14 with a
certification, month-1 day 30 shared with sdr) with one file changed. The expected line is
the line of the offending key in that file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from onboarding_data import DATA
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.config import load_settings
from spmkb.content.lint import lint_library
from spmkb.onboarding.curriculum import load_curriculum
from spmkb.onboarding.lint import lint_curriculum

REPO = Path(__file__).resolve().parents[2]


def problems(case: str) -> list:
    """The onboarding problems of tests/data/onboarding/<case>."""
    root = DATA / case
    settings = load_settings({"playbooks": str(root)}, cwd=root, environ={})
    report = lint_library(root, settings)
    return lint_curriculum(report.assets, settings, report.root)


CASES = [
    ("unknown-track", "week-1.md", 6, "unknown track 'xe'"),
    ("unknown-measure", "week-1.md", 10, "unknown measure 'opportunities_creatd'"),
    ("ratio-measure", "week-1.md", 10, "measure 'win_rate' is not a count or an amount"),
    ("day-outside", "month-1.md", 7, "day 200 is outside 0-180"),
    ("duplicate-order", "week-2.md", 8, "order 1 on day 14 of track ae is also used by month-1"),
    ("missing-prereq", "month-1.md", 9, "prerequisite 'week-3' is not an onboarding module"),
    (
        "circular",
        "month-1.md",
        10,
        "circular prerequisites: month-1 -> week-2 -> week-1 -> month-1",
    ),
    (
        "due-before-prereq",
        "week-2.md",
        9,
        "module is due on day 14, before its prerequisite month-1",
    ),
    ("study-link", "week-2.md", 10, "study link 'guides/missing' does not resolve to an asset"),
    ("bad-certification", "week-2.md", 12, "pass_level 9 is not a level of rubric rubric"),
]


@pytest.mark.parametrize(("case", "path", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_curriculum_is_reported_with_file_and_line(
    case: str, path: str, line: int, message: str
) -> None:
    found = [p for p in problems(case) if p.severity == "error" and message in p.message]
    assert len(found) == 1, [str(p) for p in problems(case)]
    assert (found[0].path, found[0].line) == (path, line)


def test_valid_curriculum_has_no_problem() -> None:
    assert problems("valid") == []


def test_valid_curriculum_modules_and_version() -> None:
    root = DATA / "valid"
    cur = load_curriculum(load_settings({"playbooks": str(root)}, cwd=root, environ={}))
    assert [m.id for m in cur.track("ae")] == ["week-1", "week-2", "month-1"]
    assert [m.id for m in cur.track("sdr")] == ["month-1"]
    assert cur.modules["week-2"].certification.pass_level == 3
    assert cur.modules["month-1"].milestone.measure == "opportunities_created"
    assert len(cur.version("ae")) == 12 and cur.version("ae") != cur.version("sdr")


def test_cli_lint_fails_on_a_broken_curriculum_without_traceback() -> None:
    result = CliRunner().invoke(app, ["lint", "--playbooks", str(DATA / "circular")])
    assert result.exit_code == 1
    assert "month-1.md:10: error: circular prerequisites" in result.output
    assert "Traceback" not in result.output


def test_sample_library_curriculum_lints_clean() -> None:
    """The shipped AE (180 days) and SDR (90 days) programmes: no curriculum problem at all."""
    root = REPO / "playbooks"
    settings = load_settings({"playbooks": str(root)}, cwd=REPO, environ={})
    report = lint_library(root, settings)
    assert lint_curriculum(report.assets, settings, report.root) == []
    cur = load_curriculum(settings)
    ae, sdr = cur.track("ae"), cur.track("sdr")
    assert max(m.day for m in ae) == 180 and max(m.day for m in sdr) == 90
    assert any(m.certification for m in ae) and any(m.certification for m in sdr)
    assert {m.milestone.measure for m in sdr if m.milestone and m.milestone.measured} >= {
        "meetings_booked",
        "opportunities_sourced",
    }
