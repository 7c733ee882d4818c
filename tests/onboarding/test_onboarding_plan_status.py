"""Plans, progress and milestones for hand-made hires on the small valid curriculum.

Curriculum (tests/data/onboarding/valid): week-1 (day 5; milestone: an activity by day 7),
week-2 (day 14; certification on discovery and demo, pass level 3), month-1 (day 30, also in
the sdr track; milestone: 5 opportunities created by day 30).

Ann (AE) started Monday 2026-03-02; today is 2026-04-15 (day 44).

| module  | day | calendar due | business-day due |
| week-1  | 5   | 2026-03-07   | 2026-03-09       |
| week-2  | 14  | 2026-03-16   | 2026-03-20       |
| month-1 | 30  | 2026-04-01   | 2026-04-13       |

Ann created opportunities on days 3, 4, 10, 20 and 25: the fifth (A5) on day 25, so the
milestone is met on day 25 with A1-A5 as evidence. She logged no activity by day 7: missed.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from onboarding_data import DATA, day, make_data

from spmkb.config import load_settings
from spmkb.errors import NotFoundError, OnboardingError
from spmkb.onboarding import service
from spmkb.onboarding.plan import due_date

START = "2026-03-02"
TODAY = date(2026, 4, 15)


def hand_data():
    """Ann and Bo with deals, Cy without a start date."""
    reps = [("Ann", "AE", START), ("Bo", "SDR", "2026-04-01"), ("Cy", "AE", None)]
    deals = [(f"A{i + 1}", "Ann", "open", 10_000, day(START, d), "2026-07-30")
             for i, d in enumerate([3, 4, 10, 20, 25])]  # fmt: skip
    deals.append(("C1", "Cy", "open", 1_000, "2026-01-10", "2026-07-30"))
    return make_data(reps, deals)


@pytest.fixture
def ws(tmp_path: Path):
    """A workspace over a copy of the valid curriculum, with a fresh database."""
    root = tmp_path / "playbooks"
    shutil.copytree(DATA / "valid", root)
    settings = load_settings({"playbooks": str(root), "store": str(tmp_path / ".spmkb")},
                             cwd=tmp_path, environ={})  # fmt: skip
    return service.open_workspace(settings, today=TODAY, data=hand_data())


def test_due_dates_in_calendar_and_business_days() -> None:
    start = date(2026, 3, 2)
    assert [due_date(start, d) for d in (5, 14, 30)] == [
        date(2026, 3, 7), date(2026, 3, 16), date(2026, 4, 1)]  # fmt: skip
    assert [due_date(start, d, True) for d in (5, 14, 30)] == [
        date(2026, 3, 9), date(2026, 3, 20), date(2026, 4, 13)]  # fmt: skip


def test_plan_of_a_roster_hire_records_the_curriculum_version(ws) -> None:
    p = service.plan(ws, "ann")
    assert [(i.module, i.due, i.status) for i in p.items] == [
        ("week-1", date(2026, 3, 7), "overdue"),
        ("week-2", date(2026, 3, 16), "overdue"),
        ("month-1", date(2026, 4, 1), "overdue"),
    ]
    assert p.status == "overdue" and p.made_from == p.version
    assert p.items[1].study == [{"id": "week-1", "title": "Week one", "path": "week-1.md"}]
    assert p.items[1].certification["pass_level"] == 3


def test_milestones_met_with_evidence_and_missed(ws) -> None:
    (st,) = service.status(ws, "Ann")
    by = {m.module: m for m in st.milestones}
    assert by["month-1"].status == "met" and by["month-1"].met_day == 25
    assert by["month-1"].evidence == ["A1", "A2", "A3", "A4", "A5"]
    assert by["week-1"].status == "missed" and by["week-1"].label() == "missed (0 of 1 by day 7)"
    assert "milestone missed: First activity (missed (0 of 1 by day 7))" in st.behind


def test_complete_certify_and_status(ws) -> None:
    service.complete(ws, "Ann", "week-1", author="mgr", on=date(2026, 3, 6))
    with pytest.raises(
        OnboardingError, match="week-2 ends in a certification that Ann has not passed"
    ):
        service.complete(ws, "Ann", "week-2", author="mgr")
    _, passed, msg = service.certify(ws, "Ann", "week-2", {"discovery": 2, "demo": 4}, author="mgr")
    assert not passed
    assert msg.startswith("Ann did NOT pass week-2: discovery 2 < 3 (pass level 3)")
    _, passed, _ = service.certify(ws, "Ann", "week-2", {"discovery": 3, "demo": 3}, author="mgr")
    assert passed
    service.complete(ws, "Ann", "week-2", author="mgr")
    p = service.plan(ws, "Ann")
    assert [i.status for i in p.items] == ["done", "done", "overdue"]
    assert p.items[1].certified is True


def test_bad_input_is_refused_with_a_clear_message_and_nothing_lost(ws) -> None:
    service.complete(ws, "Ann", "week-1", author="mgr")
    with pytest.raises(OnboardingError, match="Ann already completed week-1"):
        service.complete(ws, "Ann", "week-1", author="mgr")
    with pytest.raises(NotFoundError, match="did you mean 'Ann'"):
        service.complete(ws, "Anne", "week-1", author="mgr")
    with pytest.raises(NotFoundError, match="no onboarding module 'week-3' in the ae track"):
        service.complete(ws, "Ann", "week-3", author="mgr")
    with pytest.raises(OnboardingError, match="Cy has no start date"):
        service.status(ws, "Cy")
    with pytest.raises(OnboardingError, match="start date 2026-05-01 is in the future"):
        service.enroll(ws, "Dee", "ae", date(2026, 5, 1), author="lead", new=True)
    with pytest.raises(OnboardingError, match="every competency needs a level; missing: demo"):
        service.certify(ws, "Ann", "week-2", {"discovery": 3}, author="mgr")
    assert service.plan(ws, "Ann").items[0].status == "done"


def test_module_of_another_track_is_named(ws) -> None:
    with pytest.raises(OnboardingError, match="module week-1 is not in the sdr track"):
        service.complete(ws, "Bo", "week-1", author="lead")


def test_enrolment_without_deals_and_a_move_keeps_shared_work(ws) -> None:
    service.enroll(ws, "Dee", "sdr", date(2026, 4, 1), author="lead", new=True)
    (p,) = [s.plan for s in service.status(ws, "Dee")]
    assert [i.module for i in p.items] == ["month-1"] and p.hire.source == "enrolment"
    service.complete(ws, "Ann", "week-1", author="mgr")
    service.complete(ws, "Ann", "month-1", author="mgr")
    service.enroll(ws, "Ann", "sdr", date(2026, 3, 2), author="lead")
    p = service.plan(ws, "Ann")
    assert [(i.module, i.status) for i in p.items] == [("month-1", "done")]
    assert p.kept == ["week-1"]


def test_curriculum_change_shows_added_and_removed_and_keeps_done(ws, tmp_path: Path) -> None:
    service.complete(ws, "Ann", "week-1", author="mgr")
    before = service.plan(ws, "Ann").version
    root = tmp_path / "playbooks"
    (root / "month-1.md").unlink()
    text = (root / "week-1.md").read_text().replace('title: "Week one"', 'title: "Week 1b"')
    (root / "week-3.md").write_text(text.replace("day: 5", "day: 21"))
    ws2 = service.open_workspace(ws.settings, today=TODAY, data=ws.data)
    p = service.plan(ws2, "Ann")
    assert p.made_from == before and p.version != before
    assert p.added == ["week-3"] and p.removed == ["month-1"]
    assert p.items[0].status == "done"
    p = service.plan(ws2, "Ann", refresh=True)
    assert p.made_from == p.version and p.added == [] and p.removed == []


def test_status_ahead_then_done(ws) -> None:
    """Eve (enrolled, no deals) starts 2026-04-13, two days before today: week-1 is due
    2026-04-18; finishing it on day 2 puts her ahead; finishing everything makes her done."""
    service.enroll(ws, "Eve", "ae", date(2026, 4, 13), author="lead", new=True)
    assert service.plan(ws, "Eve").status == "due"
    service.complete(ws, "Eve", "week-1", author="mgr")
    assert service.plan(ws, "Eve").status == "ahead"
    service.certify(ws, "Eve", "week-2", {"discovery": 4, "demo": 3}, author="mgr")
    service.complete(ws, "Eve", "week-2", author="mgr")
    service.complete(ws, "Eve", "month-1", author="mgr")
    (st,) = service.status(ws, "Eve")
    assert st.plan.status == "done" and st.behind == []
    assert {m.status for m in st.milestones} == {"not yet"}  # no deals yet: not yet, not missed
