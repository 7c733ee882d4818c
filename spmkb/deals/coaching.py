"""Rep-vs-rest comparisons and each rep's coaching focus (stage conversion gaps, FDR-controlled).

One comparison everywhere: a rep is compared with the REST of their team (the rest of the
company when teams are unknown or the rep has none), never counting deals without a rep
(pseudo-reps such as ``(no rep)``). :func:`~spmkb.deals.metrics.stage_conversion` and
:func:`coaching_focus` share :func:`comparison_scopes` / :func:`_rest_counts`, so the team
figure a review shows in the funnel is the one the focus was tested against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmkb.deals._frame import (
    N_STAGES,
    NO_TEAM,
    DealFrame,
    deal_frame,
    ratio,
    select,
    two_proportion_p,
    warning_for,
)
from spmkb.deals.periods import Period
from spmkb.deals.schema import PIPELINE_STAGES, DealData

#: The rep name given to deals without a rep; never a comparison group member.
NO_REP = "(no rep)"
NO_HISTORY_NOTE = "no stage history: conversion between intermediate stages is not in this data"
NO_LAST_NOTE = (
    "no stage history: every lost deal carries one recorded stage before the last (a "
    "placeholder), so where deals were lost is not in this data"
)
_NEXT = [*PIPELINE_STAGES[1:], "won"]


def _no_rep_code(f: DealFrame) -> int:
    """The rep code of deals without a rep (-1 when every deal has one)."""
    hit = np.nonzero(f.rep_names == NO_REP)[0]
    return int(hit[0]) if len(hit) else -1


def _has_team(f: DealFrame, rep_name: str) -> bool:
    """Whether ``rep_name`` belongs to a known team (else it is compared with the company)."""
    return bool(f.rep_team) and f.rep_team.get(rep_name, NO_TEAM) != NO_TEAM


def comparison_scopes(
    f: DealFrame, *, rep: str | None, team: str | None, period: str | Period | None
) -> list[tuple[str, str, np.ndarray]]:
    """(scope, name, mask) pairs: a rep and the rest of their team, a team and the rest of the
    company, or the company alone. "The rest" leaves out deals without a rep."""
    per = select(f, period=period)
    has_rep = f.rep != _no_rep_code(f)
    if rep is not None:
        from spmkb.deals.roster import match_name

        name = match_name(rep, f.rep_names, "rep")
        mine = select(f, rep=name, period=period)
        if _has_team(f, name):
            t = f.rep_team[name]
            group = select(f, team=t, period=period)
        else:
            t, group = "all", per
        return [("rep", name, mine), ("team", t, group & ~mine & has_rep)]
    if team is not None:
        mine = select(f, team=team, period=period)
        return [("team", team, mine), ("company", "all", per & ~mine & has_rep)]
    return [("company", "all", per)]


def stage_notes(f: DealFrame, m: np.ndarray) -> list[str]:
    """Per stage: why its conversion is not in the data for the deals in ``m`` (else empty)."""
    if (m & f.hist_deal).any() or not (m & ~f.hist_deal).any():
        return [""] * N_STAGES
    last = "" if f.last_stage_known else NO_LAST_NOTE
    return [NO_HISTORY_NOTE] * (N_STAGES - 1) + [last]


def _rest_counts(f: DealFrame, per: np.ndarray) -> tuple[np.ndarray, ...]:
    """(rep resolved, rep passed, rest resolved, rest passed), each (n_reps, N_STAGES).

    The rest of rep *i* = the other reps of its team (of the company when the data has no
    teams or the rep none); deals without a rep count for nobody.
    """
    n_reps = len(f.rep_names)
    rr = np.zeros((n_reps, N_STAGES))
    rp = np.zeros_like(rr)
    for k in range(N_STAGES):
        rr[:, k] = np.bincount(f.rep[per & f.resolved[:, k]], minlength=n_reps)[:n_reps]
        rp[:, k] = np.bincount(f.rep[per & f.passed[:, k]], minlength=n_reps)[:n_reps]
    no_rep = _no_rep_code(f)
    if no_rep >= 0:
        rr[no_rep] = rp[no_rep] = 0
    teamed = np.array([_has_team(f, str(r)) for r in f.rep_names], dtype=bool)
    team_of_rep = np.zeros(n_reps, dtype=np.int64)
    team_of_rep[f.rep] = f.team
    n_teams = max(len(f.team_names), 1)
    tr, tp = np.zeros((n_teams, N_STAGES)), np.zeros((n_teams, N_STAGES))
    np.add.at(tr, team_of_rep, rr)
    np.add.at(tp, team_of_rep, rp)
    group_n = np.where(teamed[:, None], tr[team_of_rep], rr.sum(axis=0))
    group_x = np.where(teamed[:, None], tp[team_of_rep], rp.sum(axis=0))
    return rr, rp, group_n - rr, group_x - rp


def coaching_focus(
    data: DealData, *, rep: str | None = None, team: str | None = None,
    period: str | Period | None = None, min_n: int = 20, alpha: float = 0.05,
    all_stages: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """Each rep's coaching focus: the stage whose conversion falls furthest below the rest of the team.

    Conversion per stage as in :func:`~spmkb.deals.metrics.stage_conversion`, on deals closing
    in the period, against the same "rest of team". Every rep x stage with at least ``min_n``
    deals resolved at the stage (and the rest too) is tested (two-proportion z-test) and the
    false discovery rate is controlled over that whole family - every rep of the company, not
    just those shown - with Benjamini-Hochberg (``p_adjusted``). A stage is ``flagged`` when
    the gap is negative and ``p_adjusted`` < ``alpha``. Stages whose conversion is not in the
    data (no stage history) are never compared. Deals without a rep are no rep's. One row per
    rep (the flagged stage with the largest gap, else the largest gap among eligible stages,
    else no stage and ``n`` = the largest n of any stage); ``all_stages`` returns every stage.
    """
    from statsmodels.stats.multitest import multipletests

    f = deal_frame(data)
    per = select(f, period=period)
    rr, rp, rest_n, rest_x = _rest_counts(f, per)
    rep_conv, rest_conv = ratio(rp, rr), ratio(rest_x, rest_n)
    gap = rep_conv - rest_conv
    p = two_proportion_p(rp, rr, rest_x, rest_n)
    eligible = (rr >= min_n) & (rest_n >= min_n) & np.isfinite(p)
    q = np.full_like(p, np.nan)
    if eligible.any():
        q[eligible] = multipletests(p[eligible], method="fdr_bh")[1]
    flagged = eligible & (gap < 0) & (q < alpha)
    scope = select(f, rep=rep, team=team)
    n_reps = len(f.rep_names)
    in_scope = np.bincount(f.rep[scope], minlength=n_reps)[:n_reps] > 0
    no_rep = _no_rep_code(f)
    if no_rep >= 0:
        in_scope[no_rep] = False
    notes = stage_notes(f, per)
    teams = [f.rep_team.get(r, NO_TEAM) for r in f.rep_names]
    rows = []
    for i in np.nonzero(in_scope)[0]:
        ks: list[int] = list(range(N_STAGES))
        if not all_stages:
            pool = flagged[i] if flagged[i].any() else eligible[i]
            cand = np.where(pool, gap[i], np.inf)
            ks = [int(np.argmin(cand))] if np.isfinite(cand).any() else []
        if not ks:
            k = int(np.argmax(rr[i]))
            why = _why_none(rr[i], rest_n[i], min_n, notes)
            rows.append((f.rep_names[i], teams[i], None, None, np.nan, np.nan, np.nan,
                         int(rr[i, k]), int(rest_n[i, k]), np.nan, np.nan, False, why))  # fmt: skip
        for k in ks:
            rows.append((f.rep_names[i], teams[i], PIPELINE_STAGES[k], _NEXT[k], rep_conv[i, k],
                         rest_conv[i, k], gap[i, k], int(rr[i, k]), int(rest_n[i, k]), p[i, k],
                         q[i, k], bool(flagged[i, k]), notes[k]))  # fmt: skip
    cols = ["rep", "team", "stage", "next_stage", "rep_conversion", "team_conversion", "gap", "n",
            "team_n", "p_value", "p_adjusted", "flagged", "note"]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols)
    out["warning"] = warning_for(out["n"], min_n, "deals entering the stage")
    out["reason"] = [_reason(r, min_n) for r in out.itertuples()]
    return out.drop(columns=["note"])


def _why_none(rr: np.ndarray, rest: np.ndarray, min_n: int, notes: list[str]) -> str:
    """Why no stage of a rep could be compared (``rr``/``rest``: n per stage, rep and rest)."""
    k = int(np.argmax(rr))
    if rr[k] == 0:
        if notes[-1]:
            return "no stage history: no stage conversion in this data can be compared"
        if any(notes):
            return (
                "no stage history: only negotiation -> won can be compared, and no deal of "
                "this rep was decided there in the period"
            )
        return "no deals resolved at any stage in the period"
    if rr[k] >= min_n and rest.max() < min_n:
        return (
            f"too few deals in the rest of the team to compare with (largest n = "
            f"{int(rest.max())}; needs {min_n})"
        )
    return (
        f"not enough deals at any stage to compare with the team (largest n = {int(rr[k])} "
        f"at {PIPELINE_STAGES[k]}; needs {min_n})"
    )


def _reason(r: object, min_n: int) -> str:
    """A one-line explanation of a coaching-focus row."""
    if getattr(r, "stage", None) is None:
        return str(r.note)  # type: ignore[attr-defined]
    if not np.isfinite(r.gap):  # type: ignore[attr-defined]
        why = r.note or f"not enough deals (n = {r.n}, team n = {r.team_n}; needs {min_n})"  # type: ignore[attr-defined]
        return f"{r.stage} -> {r.next_stage}: {why}"  # type: ignore[attr-defined]
    pv = r.p_adjusted  # type: ignore[attr-defined]
    if not np.isfinite(pv):
        ptxt = f"not tested: needs n >= {min_n} for the rep and the team"
    else:
        ptxt = "FDR-adjusted p < 0.001" if pv < 0.001 else f"FDR-adjusted p = {pv:.3f}"
    text = (
        f"{r.stage} -> {r.next_stage}: {r.rep_conversion:.0%} vs rest of team "  # type: ignore[attr-defined]
        f"{r.team_conversion:.0%} (n = {r.n} vs {r.team_n}, {ptxt})"  # type: ignore[attr-defined]
    )
    return ("focus: " if r.flagged else "no significant gap; largest: ") + text  # type: ignore[attr-defined]
