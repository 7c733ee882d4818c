"""Kaplan–Meier time to first won deal on a five-hire cohort with censoring, by hand.

Hires (all AEs; the data runs to 2026-06-30, the last close date):

| hire | start      | first won deal   | left       | time | event |
| Ann  | 2026-01-01 | day 30           |            | 30   | 1     |
| Bea  | 2026-05-16 | none yet         |            | 45   | 0 (still ramping: 2026-06-30 - start) |
| Cal  | 2026-01-01 | day 60           |            | 60   | 1     |
| Dan  | 2026-01-01 | day 60           |            | 60   | 1     |
| Eve  | 2026-01-01 | none             | day 90     | 90   | 0 (left) |

Kaplan–Meier: S(t) = product over event times of (1 - d / n at risk)

| t  | at risk | events | S(t)                  |
| 30 | 5       | 1      | 4/5 = 0.8             |
| 60 | 3       | 2      | 0.8 x 1/3 = 0.266667  |

(Bea, censored at 45, leaves the risk set before 60.) The median is the first t with
S(t) <= 0.5: 60 days. An average over those who got there would say 50 days.
"""

from __future__ import annotations

import pytest
from onboarding_data import day, make_data

from spmkb.onboarding.ramp import durations, kaplan_meier, ramp_hires
from spmkb.onboarding.settings import OnboardingSettings

START = "2026-01-01"


def cohort():
    """The five hires of the table above."""
    reps = [
        ("Ann", "AE", START),
        ("Bea", "AE", "2026-05-16"),
        ("Cal", "AE", START),
        ("Dan", "AE", START),
        ("Eve", "AE", START, day(START, 90)),
    ]
    deals = [
        ("1", "Ann", "won", 10_000, START, day(START, 30)),
        ("2", "Cal", "won", 10_000, day(START, 5), day(START, 60)),
        ("3", "Dan", "won", 10_000, day(START, 5), day(START, 60)),
        ("4", "Bea", "lost", 5_000, "2026-05-20", "2026-06-30"),
        ("5", "Eve", "lost", 5_000, day(START, 10), day(START, 80)),
    ]
    return make_data(reps, deals)


def test_durations_censor_hires_still_ramping_or_gone() -> None:
    data = cohort()
    hires = ramp_hires(data, OnboardingSettings())
    d = durations(data, hires, OnboardingSettings(), "first_win").set_index("name")
    assert d.loc[["Ann", "Bea", "Cal", "Dan", "Eve"], "time"].tolist() == [30, 45, 60, 60, 90]
    assert d.loc[["Ann", "Bea", "Cal", "Dan", "Eve"], "event"].tolist() == [1, 0, 1, 1, 0]
    assert bool(d.loc["Eve", "left"]) is True


def test_kaplan_meier_matches_the_hand_computed_table() -> None:
    data = cohort()
    hires = ramp_hires(data, OnboardingSettings())
    d = durations(data, hires, OnboardingSettings(), "first_win")
    km = kaplan_meier(d["time"], d["event"])
    table = km.table
    assert table["time"].tolist() == [30, 60]
    assert table["at_risk"].tolist() == [5, 3]
    assert table["events"].tolist() == [1, 2]
    assert table["survival"].tolist() == pytest.approx([0.8, 0.8 / 3])
    assert km.median == 60
    assert (km.n, km.events) == (5, 3)


def test_no_events_gives_no_median() -> None:
    km = kaplan_meier([10, 20], [0, 0])
    assert km.median is None
    assert km.events == 0
