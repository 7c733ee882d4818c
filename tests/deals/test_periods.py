"""Periods: parsing (good and bad labels), bounds, neighbours, containment."""

from __future__ import annotations

from datetime import date

import pytest

from spmkb.deals.periods import Period, last_n, normalise_kind, period_of
from spmkb.errors import DealDataError


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026-Q3", "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (" 2026-07 ", "2026-07", date(2026, 7, 1), date(2026, 7, 31)),
        ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-H2", "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-h1", "2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026", "2026", date(2026, 1, 1), date(2026, 12, 31)),
        (2025, "2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
    ids=[
        "quarter",
        "quarter-lower",
        "month-spaces",
        "leap-feb",
        "half",
        "half-lower",
        "year",
        "year-int",
    ],
)
def test_parse_bounds(text: str | int, label: str, start: date, end: date) -> None:
    p = Period.parse(text)
    assert (p.label, p.start, p.end) == (label, start, end)
    assert str(Period.parse(p.label)) == label  # labels round-trip
    assert p.days == (end - start).days + 1


@pytest.mark.parametrize(
    "bad",
    ["2026-Q5", "2026-13", "2026-00", "Q3 2026", "", "2026-H3", "26-Q1", "next quarter"],
    ids=["q5", "month13", "month0", "reversed", "empty", "h3", "short-year", "words"],
)
def test_parse_rejects_bad_labels_with_a_hint(bad: str) -> None:
    with pytest.raises(DealDataError) as err:
        Period.parse(bad)
    assert "2026-Q3" in str(err.value)  # the hint shows the accepted forms


def test_previous_and_next_cross_year_boundaries() -> None:
    assert Period.parse("2026-Q1").previous().label == "2025-Q4"
    assert Period.parse("2026-01").previous(2).label == "2025-11"
    assert Period.parse("2026-H1").previous().label == "2025-H2"
    assert Period.parse("2026").previous(3).label == "2023"
    assert Period.parse("2025-Q4").next().label == "2026-Q1"


def test_contains_dates_and_smaller_periods() -> None:
    q3 = Period.parse("2026-Q3")
    assert q3.contains(date(2026, 7, 1)) and q3.contains("2026-09-30")
    assert not q3.contains(date(2026, 10, 1))
    assert q3.contains(Period.parse("2026-08"))
    assert not q3.contains(Period.parse("2026-H2"))
    with pytest.raises(DealDataError):
        q3.contains("not a date")


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("quarter", "2026-Q3"),
        ("q", "2026-Q3"),
        ("month", "2026-08"),
        ("half", "2026-H2"),
        ("year", "2026"),
    ],
)
def test_period_of(kind: str, label: str) -> None:
    assert period_of(date(2026, 8, 14), kind).label == label


def test_period_of_unknown_kind() -> None:
    with pytest.raises(DealDataError, match="unknown period kind"):
        period_of(date(2026, 1, 1), "week")
    assert normalise_kind("Quarterly") == "quarter"


def test_last_n_oldest_first() -> None:
    assert [p.label for p in last_n("2026-Q1", 3)] == ["2025-Q3", "2025-Q4", "2026-Q1"]
    with pytest.raises(DealDataError):
        last_n("2026-Q1", 0)
