"""Review standards: parsing, defaults and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.errors import ReviewError
from spmkb.reviews.standards import (
    DEFAULT_MEASURES,
    check_standards,
    default_standards,
    load_standards,
    parse_standards,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "reviews"


def test_good_file_loads_every_measure() -> None:
    s = load_standards(DATA / "standards-good.yml")
    assert s.min_closed_deals == 4
    assert s.get("win_rate").weight == 2
    assert s.get("quota_attainment").kind == "absolute"
    assert s.get("quota_attainment").target == 1.0
    assert s.get("sales_cycle").direction == "lower"
    # stage_conversion inherits team_median except where a stage overrides it
    assert s.get("stage_conversion", "demo").kind == "absolute"
    assert s.get("stage_conversion", "demo").target == 0.6
    assert s.get("stage_conversion", "proposal").kind == "team_median"
    assert {st.measure for st in s.standards} == set(DEFAULT_MEASURES)


def test_repo_default_standards_file_is_valid(repo_root: Path) -> None:
    s = load_standards(repo_root / "standards.yml")
    assert {st.measure for st in s.standards} == set(DEFAULT_MEASURES)


@pytest.mark.parametrize(
    ("name", "line", "field", "words"),
    [
        ("standards-bad-kind.yml", 3, "measures.win_rate.standard", "team_average"),
        ("standards-missing-target.yml", 5, "measures.quota_attainment.target", "needs a target"),
        (
            "standards-unknown-measure.yml",
            3,
            "measures.quota_attainmnt",
            "did you mean 'quota_attainment'",
        ),
        ("standards-bad-yaml.yml", 3, None, "invalid YAML"),
        ("standards-bad-weight.yml", 4, "measures.sales_cycle.direction", "sideways"),
    ],
    ids=["bad-kind", "missing-target", "unknown-measure", "bad-yaml", "bad-direction"],
)
def test_bad_standards_name_file_line_field(
    name: str, line: int, field: str | None, words: str
) -> None:
    path = DATA / name
    with pytest.raises(ReviewError) as info:
        load_standards(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    assert words in str(err)
    assert f"{path}:{line}" in str(err)


def test_every_problem_is_reported() -> None:
    _, problems = check_standards((DATA / "standards-bad-weight.yml").read_text(), "s.yml")
    fields = {p.field for p in problems}
    assert fields == {"measures.sales_cycle.direction", "measures.sales_cycle.weight"}
    assert [p.line for p in problems] == [4, 5]


def test_parse_literal_text_and_defaults() -> None:
    s = parse_standards("measures:\n  win_rate: {standard: absolute, target: 0.3}\n", "t.yml")
    assert s.get("win_rate").target == 0.3
    assert s.get("sales_cycle") is None
    d = default_standards()
    assert d.get("sales_cycle").direction == "lower"
    assert d.get("stage_conversion", "demo").kind == "team_median"


def test_missing_file_is_an_error_unless_from_settings(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="standards file not found"):
        load_standards(tmp_path / "nope.yml")
