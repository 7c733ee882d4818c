"""Coaching plans: focus, goals, versions (with real processes), follow-up by difference in differences."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest
from coaching_data import make_team

from spmkb.coaching import store
from spmkb.coaching.followup import did, follow_up
from spmkb.coaching.plans import build_plan, load_plan, open_plan, save_plan
from spmkb.coaching.profile import top_profile
from spmkb.errors import ConflictError, NotFoundError, SpmkbError


@pytest.fixture(scope="module")
def big():
    """The hand-made team and its company-wide profile (six planted reps)."""
    data = make_team()
    return data, top_profile(data, "2026-H1")


def test_behaviour_focus_when_the_rep_trails_the_top_tier(big):
    """Rep 03 holds discovery first in ~40 % of 60 deals against ~80 % for the top tier."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", profile=prof)
    assert plan.focus.kind == "behaviour"
    assert plan.focus.measure == "discovery_before_demo"
    assert plan.focus.gap < 0 and plan.focus.q_value < 0.05
    assert plan.skills == ["Running discovery before the demo"]
    goal = plan.goals[0]
    assert goal["target"] == pytest.approx(prof.get("discovery_before_demo").top)
    assert goal["due"] == plan.followup == "2026-09-30"
    assert plan.plan_id == "R009/2026-Q3"
    assert "no search index" in plan.notes[0]


def test_no_clear_gap_for_a_planted_top_performer(big):
    """Ada runs discovery first in 95 % of deals: nothing to coach."""
    data, prof = big
    plan = build_plan(data, "Ada", window="2026-H1", profile=prof)
    assert plan.focus.kind == "none"
    assert plan.focus.reason.startswith("no clear gap")
    assert plan.goals == [] and plan.skills == []


def test_unknown_rep_and_unknown_stage(big):
    """Clear messages with suggestions."""
    data, prof = big
    with pytest.raises(NotFoundError, match="no rep named 'Rep 3x'"):
        build_plan(data, "Rep 3x", window="2026-H1", profile=prof)
    with pytest.raises(NotFoundError, match="unknown stage 'dmo'") as err:
        build_plan(data, "Rep 03", window="2026-H1", stage="dmo", profile=prof)
    assert "demo" in str(err.value)


def test_forced_stage_focus(big):
    """--stage negotiation: the manager's choice is kept, with the rep's conversion."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", stage="negotiation", profile=prof)
    assert plan.focus.kind == "stage" and plan.focus.stage == "negotiation"
    assert plan.skills[0] == "Negotiating on value, not discount"


def test_versions_and_conflict(tmp_path, big):
    """Two saves make versions 1 and 2; a stale save raises ConflictError and loses nothing."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", profile=prof)
    conn = store.open_db(tmp_path / "spmkb.db")
    assert save_plan(conn, plan, author="Grace").version == 1
    plan.skills.append("Agreeing next steps at the demo")
    assert save_plan(conn, plan, author="Grace", expected_version=1, status="active").version == 2
    with pytest.raises(ConflictError, match="changed since you opened it"):
        save_plan(conn, plan, author="Henrik", expected_version=1)
    loaded, saved = load_plan(conn, data, "rep 03")
    assert saved.version == 2 and saved.status == "active"
    assert loaded.skills[-1] == "Agreeing next steps at the demo"
    assert [v.version for v in store.versions(conn, plan.plan_id)] == [1, 2]
    assert open_plan(conn, data, "Rep 03", __import__("datetime").date(2026, 8, 1))["version"] == 2
    with pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM coaching_versions")


def _save_in_process(db: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Open the database, wait for the other process, save expecting version 1."""
    from spmkb.coaching import store as s

    conn = s.open_db(db)
    barrier.wait()
    try:
        s.save(conn, "R009/2026-Q3", "plan", {"x": 1}, author="p", expected_version=1)
        results.put("saved")
    except ConflictError:
        results.put("conflict")


def test_two_processes_saving_one_conflict(tmp_path):
    """Two real processes save from version 1 at the same moment: one wins, one ConflictError."""
    db = str(tmp_path / "spmkb.db")
    conn = store.open_db(db)
    store.save(conn, "R009/2026-Q3", "plan", {"x": 0}, author="a", expected_version=0)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_save_in_process, args=(db, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)  # spawn + imports can take a while on a loaded machine
    assert [p.exitcode for p in procs] == [0, 0]
    assert sorted(results.get(timeout=30) for _ in range(2)) == ["conflict", "saved"]
    assert [v.version for v in store.versions(conn, "R009/2026-Q3")] == [1, 2]


def test_did_on_a_hand_made_panel():
    """Coached 20/50 -> 35/50 (+0.30); five controls 0.50 -> 0.60 (+0.10): DiD = +0.20.

    Controls do not vary, so the interval comes from the coached rep's binomial draws:
    sd = sqrt(0.4*0.6/50 + 0.7*0.3/50) = 0.095, 95 % about 0.20 +- 0.19.
    """
    r = did((20, 50, 35, 50), np.full(5, 0.5), np.full(5, 0.6), resamples=4000)
    assert r.estimate == pytest.approx(0.20)
    assert r.control_change == pytest.approx(0.10)
    assert 0.0 < r.ci_low < 0.06 and 0.34 < r.ci_high < 0.40


def test_followup_before_the_start_is_refused(big):
    """The plan starts on 2026-07-01."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", profile=prof)
    with pytest.raises(SpmkbError, match=r"before the plan's start \(2026-07-01\)"):
        follow_up(data, plan, on="2026-06-01")


def test_followup_not_enough_data_yet_says_by_when(big):
    """The hand-made data ends in June 2026: the coached period 2026-Q3 has no deals yet."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", profile=prof)
    fu = follow_up(data, plan, on="2026-07-02")
    assert not fu.enough and fu.result is None
    assert fu.message == (
        "not enough data yet: 0 of 10 deals in 2026-Q3: the coached period starts on 2026-07-01"
    )


def test_followup_with_data_compares_with_uncoached_reps(big):
    """Coached period 2026-Q1 vs 2025-Q4 on data with no change: the interval holds 0."""
    data, prof = big
    plan = build_plan(data, "Rep 03", window="2026-H1", period="2026-Q1", profile=prof)
    fu = follow_up(data, plan, on="2026-03-31")
    assert fu.enough and fu.result.controls == 14  # the rest of team North (15 reps)
    assert fu.result.ci_low < 0 < fu.result.ci_high
    assert fu.message.endswith("no difference from the uncoached reps that chance cannot explain")


def test_followup_finds_a_real_improvement(big):
    """Rep 03 runs discovery first on every deal closed in 2026-Q1 (about 40 % before): the
    difference in differences is about +0.6 with an interval above zero."""
    import pandas as pd

    from spmkb.deals.schema import DealData

    data, prof = big
    o, a = data.opportunities, data.activities.copy()
    q1 = o[(o["rep"] == "Rep 03") & (o["close_date"] >= pd.Timestamp("2026-01-01"))
           & (o["close_date"] <= pd.Timestamp("2026-03-31"))]["id"]  # fmt: skip
    demo = a[(a["type"] == "demo") & a["opportunity_id"].isin(q1)].set_index("opportunity_id")[
        "date"
    ]
    disc = (a["type"] == "discovery") & a["opportunity_id"].isin(q1)
    a.loc[disc, "date"] = a.loc[disc, "opportunity_id"].map(demo).to_numpy() - pd.Timedelta(days=2)
    changed = DealData(opportunities=o, activities=a, reps=data.reps, quotas=data.quotas)
    plan = build_plan(data, "Rep 03", window="2026-H1", period="2026-Q1", profile=prof)
    fu = follow_up(changed, plan, on="2026-03-31")  # the plan was made before the change
    assert fu.result.coached_after == pytest.approx(1.0)
    assert fu.result.estimate > 0.4 and fu.result.ci_low > 0
    assert fu.message.endswith("improved beyond the uncoached reps")
    assert " pts against " in fu.message


@pytest.mark.slow
def test_plan_assets_come_from_a_real_index(built_index, big):
    """With the small corpus indexed (real model, real Chroma): a demo-stage plan lists
    playbook sections tagged demo, and a search error becomes a note, not a failure."""
    from spmkb.search.query import Searcher

    data, prof = big
    searcher = Searcher.open(built_index.settings)
    plan = build_plan(
        data, "Rep 03", window="2026-H1", stage="demo", profile=prof, searcher=searcher
    )
    playbooks = [a for a in plan.assets if a["slot"] == "playbook"]
    assert playbooks and all(a["type"] != "onboarding-module" for a in playbooks)
    assert not any("no search index" in n for n in plan.notes)
