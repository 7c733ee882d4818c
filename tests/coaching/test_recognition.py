"""Recognition: levels against quota, improvement beyond luck, notable wins, drafts and approval."""

from __future__ import annotations

import pandas as pd
import pytest

from spmkb.coaching import store
from spmkb.coaching.options import CoachingOptions
from spmkb.coaching.recognition import (
    approve_post,
    post_html,
    post_markdown,
    recognition_board,
    rep_view,
    save_post,
)
from spmkb.deals.schema import DealData
from spmkb.errors import ConflictError, DealDataError


def _deal(i, rep, status, amount, close, account, competitor=None):  # type: ignore[no-untyped-def]
    return (f"D{i}", rep, "negotiation", status, amount, pd.Timestamp(close) - pd.Timedelta(days=20),
            pd.Timestamp(close), account, competitor)  # fmt: skip


def quarter_team() -> DealData:
    """Four reps, quota 100,000 each for 2026-Q2.

    Won in 2026-Q2: Ann 160,000 (160 % -> the 150 % level), Bo 130,000 (125 %), Cy 100,000
    (100 %), Di 40,000 (no level). Cy's largest deal (90,000, Acme, vs Spendwise) is the
    largest deal and the only win against a named competitor; Acme was never won before, so
    it is also the largest new logo. Di: 2 of 40 won over 2025-Q2..2026-Q1 (5 %), then 12 of
    20 lost/won in 2026-Q2 -> +55 pts, an improvement far beyond chance.
    """
    rows, i = [], 0
    won_q2 = {"Ann": [80_000, 80_000], "Bo": [65_000, 65_000], "Cy": [90_000, 10_000]}
    for rep, amounts in won_q2.items():
        for a in amounts:
            i += 1
            acct = "Acme" if a == 90_000 else f"Old {i}"
            rows.append(_deal(i, rep, "won", float(a), "2026-05-10", acct,
                              "Spendwise" if a == 90_000 else None))  # fmt: skip
    for _ in range(12):  # Di: 12 won in Q2 (40,000 in total) and 8 lost
        i += 1
        rows.append(_deal(i, "Di", "won", 40_000 / 12, "2026-04-20", "Old 1"))
    for _ in range(8):
        i += 1
        rows.append(_deal(i, "Di", "lost", 5_000.0, "2026-04-21", "Old 1"))
    for k in range(40):  # Di's baseline: 2 of 40 won over the four quarters before
        i += 1
        close = ["2025-05-01", "2025-08-01", "2025-11-01", "2026-02-01"][k % 4]
        rows.append(_deal(i, "Di", "won" if k < 2 else "lost", 1_000.0, close, "Old 1"))
    for k in range(3):  # the "Old" accounts were won before
        i += 1
        rows.append(_deal(i, "Bo", "won", 1_000.0, "2025-01-10", f"Old {k + 1}"))
    opps = pd.DataFrame(rows, columns=["id", "rep", "stage", "status", "amount", "created",
                                       "close_date", "account", "competitor"])  # fmt: skip
    reps = pd.DataFrame({"rep": ["Ann", "Bo", "Cy", "Di"], "team": "T", "role": "AE"})
    quotas = pd.DataFrame(
        {"rep": ["Ann", "Bo", "Cy", "Di"], "period": "2026-Q2", "amount": 100_000.0}
    )
    return DealData(opportunities=opps, reps=reps, quotas=quotas)


@pytest.fixture(scope="module")
def board():
    """The 2026-Q2 board of the hand-made team."""
    return recognition_board(quarter_team(), "2026-Q2")


def test_levels_against_goal_not_peers(board):
    """Ann 160 % -> 150 %, Bo 130 % -> 125 %, Cy 100 % -> 100 %, Di 40 % -> none."""
    levels = {a.rep: a.title for a in board.of_kind("level")}
    assert levels == {"Ann": "150% of quota", "Bo": "125% of quota", "Cy": "100% of quota"}


def test_improvement_beyond_luck_with_its_interval(board):
    """Di: 12/20 = 60 % against 2/40 = 5 %: +55 pts, Newcombe interval above zero."""
    (imp,) = board.of_kind("improvement")
    assert imp.rep == "Di"
    assert imp.evidence["diff"] == pytest.approx(0.55)
    assert imp.evidence["ci"][0] > 0.25
    assert "95 % CI" in imp.detail and "n = 20" in imp.detail and "n = 40" in imp.detail


def test_notable_wins_carry_the_deal(board):
    """Cy's 90,000 Acme deal: largest deal, largest new logo, won against Spendwise."""
    notable = {a.title: a for a in board.of_kind("notable")}
    assert set(notable) == {"Largest deal", "Largest new logo", "Won against Spendwise"}
    assert {a.rep for a in notable.values()} == {"Cy"}
    assert (
        notable["Largest deal"].evidence["deal"]
        == notable["Won against Spendwise"].evidence["deal"]
    )
    assert notable["Largest new logo"].evidence["account"] == "Acme"


def test_post_has_no_ranking_and_no_bottom(board):
    """Di (40 %, the lowest) appears only for the improvement; no 'rank' or '#1' anywhere."""
    md = post_markdown(board)
    assert "Di" not in md.split("## Beyond their own baseline")[0]
    for word in ("rank", "#1", "bottom", "lowest"):
        assert word not in md.lower()
    assert md.rstrip().endswith("_Draft: awaiting a manager's approval._")
    assert "- **150% of quota**: Ann" in md


def test_post_html_is_sanitised():
    """A rep name with a script tag is escaped or dropped."""
    html = post_html("# Post\n\n- **<script>alert(1)</script>Eve**: 100%")
    assert "<script>" not in html and "<strong>" in html


def test_rep_view_is_the_only_place_with_a_position():
    """Di's own view: 40 % of quota, next level 100 % needs 60,000 more, above 0 of 3 others."""
    view = rep_view(quarter_team(), "2026-Q2", "di")
    assert view["attainment"] == pytest.approx(0.4)
    assert view["level"] is None and view["next_level"] == 1.0
    assert view["to_next_level"] == pytest.approx(60_000)
    assert view["position"] == "above 0 of the 3 other reps with a quota in T"
    assert [a["kind"] for a in view["awards"]] == ["improvement"]


def test_draft_until_approved(tmp_path, board):
    """Saved as a draft; approval makes version 2 'approved' without the draft line."""
    conn = store.open_db(tmp_path / "spmkb.db")
    saved = save_post(conn, board, author="Grace")
    assert saved.status == "draft" and saved.version == 1
    approved = approve_post(conn, saved.doc_id, approver="Grace", expected_version=1)
    assert approved.status == "approved" and approved.version == 2
    assert "Draft" not in approved.payload["markdown"]
    with pytest.raises(ConflictError):
        approve_post(conn, saved.doc_id, approver="Henrik", expected_version=1)
    assert [v.status for v in store.versions(conn, saved.doc_id)] == ["draft", "approved"]


def test_configurable_levels():
    """Levels 0.9 and 1.5: Cy (100 %) earns 90 %, Bo (130 %) too, Ann 150 %."""
    b = recognition_board(quarter_team(), "2026-Q2", options=CoachingOptions(levels=(0.9, 1.5)))
    assert {a.rep: a.title for a in b.of_kind("level")} == {
        "Ann": "150% of quota", "Bo": "90% of quota", "Cy": "90% of quota"}  # fmt: skip


def test_tenure_window_is_refused():
    """Recognition is per calendar period."""
    with pytest.raises(DealDataError, match="recognition needs a calendar period"):
        recognition_board(quarter_team(), "days 0-90")
