"""Recognition: a board per period earned against goals, never against peers.

Three kinds of award, each with its evidence:

* **levels**: quota attainment at or above each threshold (100 / 125 / 150 % by default,
  ``[coaching] levels``); reps are listed alphabetically within a level, never ranked;
* **beyond their own baseline**: a rep's win rate in the period against their own pooled
  win rate over the ``baseline_periods`` before it, recognised only when the 95 % interval
  of the difference (Newcombe) lies above zero (the interval is shown);
* **notable wins**: the largest deal, the largest new-logo win (an account with no earlier
  won deal) and the largest win against each named competitor, with the deal.

Nothing meant for the team shows a rank list or a bottom. :func:`rep_view` is the only place
a rep's position appears, and it is scoped to that rep. Posts (Markdown and sanitised HTML)
are stored as drafts until a manager approves them (:mod:`spmkb.coaching.store`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spmkb.coaching.options import CoachingOptions
from spmkb.deals.measures import per_rep
from spmkb.deals.periods import Period, calendar_period
from spmkb.deals.roster import roster
from spmkb.deals.schema import DealData
from spmkb.errors import SpmkbError
from spmkb.jsonable import Jsonable

MIN_IMPROVEMENT_N = 10  # closed deals needed in the period and in the baseline


@dataclass
class Award(Jsonable):
    """One award: who, what, why, and the deal or figures behind it."""

    rep: str
    kind: str  # "level" | "improvement" | "notable"
    title: str
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Board:
    """The recognition board of one period (and team): awards and notes, no ranking."""

    period: str
    team: str | None
    awards: list[Award] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Award]:
        """Awards of one kind, in board order."""
        return [a for a in self.awards if a.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """Return the board as a JSON-ready dict."""
        return {
            "period": self.period,
            "team": self.team,
            "awards": [a.to_dict() for a in self.awards],
            "notes": list(self.notes),
        }


def _attainment(data: DealData, p: Period, team: str | None) -> pd.DataFrame:
    """Per rep with a quota for ``p``: won amount, quota and attainment (team members only)."""
    from spmkb.deals.metrics import quota_for

    quota = quota_for(data, p)
    won = per_rep(data, "won_amount", team=team, period=p)
    members = set(roster(data).names(team=team)) if team else None
    reps = [r for r in quota.index if quota[r] > 0 and (members is None or r in members)]
    out = pd.DataFrame(index=pd.Index(sorted(reps), name="rep"))
    out["quota"] = quota.reindex(out.index)
    out["won_amount"] = won["value"].reindex(out.index).fillna(0.0)
    out["attainment"] = out["won_amount"] / out["quota"]
    return out


def _levels(att: pd.DataFrame, levels: tuple[float, ...]) -> list[Award]:
    out = []
    for rep, row in att.iterrows():
        reached = [lv for lv in levels if row["attainment"] >= lv]
        if not reached:
            continue
        lv = max(reached)
        out.append(Award(str(rep), "level", f"{lv:.0%} of quota",
                         f"{row['attainment']:.0%} of quota ({row['won_amount']:,.0f} of {row['quota']:,.0f})",
                         {"level": lv, "attainment": float(row["attainment"])}))  # fmt: skip
    order = {lv: i for i, lv in enumerate(sorted(levels, reverse=True))}
    return sorted(out, key=lambda a: (order[a.evidence["level"]], a.rep))


def _improvements(data: DealData, p: Period, team: str | None, k: int) -> tuple[list[Award], str]:
    from statsmodels.stats.proportion import confint_proportions_2indep

    now = per_rep(data, "win_rate", team=team, period=p)
    base_x: pd.Series = pd.Series(dtype=float)
    base_n: pd.Series = pd.Series(dtype=float)
    for q in (p.previous(i) for i in range(1, k + 1)):
        b = per_rep(data, "win_rate", team=team, period=q)
        base_x = base_x.add((b["value"] * b["n"]).round(), fill_value=0)
        base_n = base_n.add(b["n"].astype(float), fill_value=0)
    out = []
    for rep in sorted(now.index):
        n1, n0 = int(now.loc[rep, "n"]), int(base_n.get(rep, 0))
        if n1 < MIN_IMPROVEMENT_N or n0 < MIN_IMPROVEMENT_N:
            continue
        x1, x0 = round(float(now.loc[rep, "value"]) * n1), int(base_x.get(rep, 0))
        lo, hi = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb")
        if lo > 0:
            d = x1 / n1 - x0 / n0
            out.append(Award(rep, "improvement", "Beyond their own baseline",
                             f"win rate {x1 / n1:.0%} (n = {n1}) against their own {x0 / n0:.0%} "
                             f"over the {k} periods before (n = {n0}): {d * 100:+.0f} pts, "
                             f"95 % CI {lo * 100:+.0f} to {hi * 100:+.0f} pts",
                             {"measure": "win_rate", "now": x1 / n1, "n": n1, "baseline": x0 / n0,
                              "baseline_n": n0, "diff": d, "ci": [float(lo), float(hi)]}))  # fmt: skip
    rule = (f"improvement: win rate against one's own {k} previous periods, only when the 95 % "
            f"interval excludes zero (both with at least {MIN_IMPROVEMENT_N} closed deals)")  # fmt: skip
    return out, rule


def _deal(row: Any) -> dict[str, Any]:
    def val(key: str) -> Any:
        v = row.get(key) if hasattr(row, "get") else None
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v

    close = val("close_date")
    return {"deal": str(val("id")), "account": val("account"), "amount": float(val("amount") or 0),
            "close_date": pd.Timestamp(close).date().isoformat() if close is not None else None,
            "competitor": val("competitor"), "segment": val("segment")}  # fmt: skip


def _notable(data: DealData, p: Period, team: str | None) -> list[Award]:
    o = data.opportunities
    status = o["status"].astype("string").str.lower()
    close = pd.to_datetime(o["close_date"], errors="coerce")
    won_all = o[status.eq("won").to_numpy()].assign(close_date=close[status.eq("won")])
    won_all = won_all.assign(amount=pd.to_numeric(won_all["amount"], errors="coerce"))
    inside = (won_all["close_date"] >= pd.Timestamp(p.start)) & (
        won_all["close_date"] <= pd.Timestamp(p.end)
    )
    won = won_all[inside & won_all["amount"].notna()]
    if team:
        won = won[won["rep"].astype(str).isin(set(roster(data).names(team=team)))]
    if won.empty:
        return []
    out = []
    top = won.loc[won["amount"].idxmax()]
    out.append(Award(str(top["rep"]), "notable", "Largest deal",
                     f"{top.get('account') or top['id']}: {top['amount']:,.0f}", _deal(top)))  # fmt: skip
    if "account" in won and won["account"].notna().any():
        first = won_all.dropna(subset=["account"]).groupby("account")["close_date"].min()
        new = won[won["account"].notna()]
        new = new[new["close_date"].to_numpy() <= first.reindex(new["account"]).to_numpy()]
        if not new.empty:
            best = new.loc[new["amount"].idxmax()]
            count = int((new["rep"].astype(str) == str(best["rep"])).sum())
            out.append(Award(str(best["rep"]), "notable", "Largest new logo",
                             f"first win with {best['account']}: {best['amount']:,.0f}"
                             + (f" (one of their {count} new logos)" if count > 1 else ""),
                             _deal(best)))  # fmt: skip
    if "competitor" in won and won["competitor"].notna().any():
        comp = won[won["competitor"].notna()]
        for name, g in comp.groupby(comp["competitor"].astype(str)):
            best = g.loc[g["amount"].idxmax()]
            out.append(Award(str(best["rep"]), "notable", f"Won against {name}",
                             f"{best.get('account') or best['id']}: {best['amount']:,.0f}", _deal(best)))  # fmt: skip
    return out


def recognition_board(
    data: DealData,
    period: str | Period,
    *,
    team: str | None = None,
    options: CoachingOptions | None = None,
) -> Board:
    """The recognition board for ``period`` (and ``team``): levels, improvement, notable wins."""
    opts = options or CoachingOptions()
    p = calendar_period(period, "recognition")
    team = roster(data).find_team(team) if team else None
    board = Board(p.label, team)
    att = _attainment(data, p, team)
    if att.empty:
        board.notes.append(f"no rep has a quota for {p.label}: no attainment levels")
    board.awards += _levels(att, opts.levels)
    imp, rule = _improvements(data, p, team, opts.baseline_periods)
    board.awards += imp
    board.notes.append(rule)
    board.awards += _notable(data, p, team)
    if not board.awards:
        board.notes.append(f"nothing to recognise in {p.label} yet")
    return board


def rep_view(
    data: DealData, period: str | Period, rep: str, *, options: CoachingOptions | None = None
) -> dict[str, Any]:
    """One rep's own view: their attainment, level, the way to the next level, their position.

    Scoped to the rep: the position is "above N of M reps in the team", with nobody named.
    """
    opts = options or CoachingOptions()
    p = calendar_period(period, "recognition")
    who = roster(data).find(rep)
    att = _attainment(data, p, who.team)
    board = recognition_board(data, p, team=who.team, options=opts)
    mine = [a.to_dict() for a in board.awards if a.rep == who.name]
    out: dict[str, Any] = {"rep": who.name, "period": p.label, "team": who.team, "awards": mine}
    if who.name not in att.index:
        out["message"] = f"{who.name} has no quota for {p.label}: attainment is not judged"
        return out
    a = float(att.loc[who.name, "attainment"])
    quota = float(att.loc[who.name, "quota"])
    above = [lv for lv in opts.levels if lv > a]
    others = att["attainment"].drop(who.name)
    out.update({
        "attainment": a,
        "won_amount": float(att.loc[who.name, "won_amount"]),
        "quota": quota,
        "level": max([lv for lv in opts.levels if a >= lv], default=None),
        "next_level": min(above) if above else None,
        "to_next_level": (min(above) - a) * quota if above else None,
        "position": f"above {int((others < a).sum())} of the {len(others)} other reps with a quota"
        + (f" in {who.team}" if who.team else ""),
    })  # fmt: skip
    return out


def post_markdown(board: Board, *, status: str = "draft") -> str:
    """The recognition post as Markdown: levels, improvement and notable wins; no ranking."""
    scope = f" — {board.team}" if board.team else ""
    lines = [f"# Recognition {board.period}{scope}", ""]
    levels = board.of_kind("level")
    if levels:
        lines += ["## Quota achievement", ""]
        by_level: dict[str, list[str]] = {}
        for a in levels:
            by_level.setdefault(a.title, []).append(a.rep)
        lines += [f"- **{title}**: {', '.join(sorted(reps))}" for title, reps in by_level.items()]
        lines.append("")
    imp = board.of_kind("improvement")
    if imp:
        lines += ["## Beyond their own baseline", ""]
        lines += [f"- **{a.rep}**: {a.detail}" for a in imp]
        lines.append("")
    notable = board.of_kind("notable")
    if notable:
        lines += ["## Notable wins", ""]
        lines += [f"- **{a.title}** — {a.rep}: {a.detail} (deal {a.evidence.get('deal')}, "
                  f"closed {a.evidence.get('close_date')})" for a in notable]  # fmt: skip
        lines.append("")
    if status != "approved":
        lines.append("_Draft: awaiting a manager's approval._")
    return "\n".join(lines).rstrip() + "\n"


def post_html(markdown: str) -> str:
    """The post's Markdown rendered to sanitised HTML."""
    from spmkb.content.render import render_markdown

    return render_markdown(markdown)


def post_id(board: Board) -> str:
    """``post/<period>/<team or all>``."""
    return f"post/{board.period}/{board.team or 'all'}"


def save_post(conn: Any, board: Board, *, author: str, expected_version: int = 0) -> Any:
    """Store the board's post as a draft version (ConflictError on a stale save)."""
    from spmkb.coaching import store

    if not board.awards:
        raise SpmkbError(f"nothing to post for {board.period}", hint="the board has no awards")
    md = post_markdown(board)
    payload = {"board": board.to_dict(), "markdown": md, "html": post_html(md)}
    return store.save(conn, post_id(board), "post", payload, author=author,
                      expected_version=expected_version, status="draft", period=board.period)  # fmt: skip


def approve_post(conn: Any, doc_id: str, *, approver: str, expected_version: int) -> Any:
    """Approve a stored draft: a new version with status ``approved`` and the draft line removed."""
    from spmkb.coaching import store

    saved = store.get(conn, doc_id, "post")
    board = saved.payload["board"]
    b = Board(board["period"], board["team"], [Award(**a) for a in board["awards"]], board["notes"])
    md = post_markdown(b, status="approved")
    payload = {**saved.payload, "markdown": md, "html": post_html(md), "approved_by": approver}
    return store.save(conn, doc_id, "post", payload, author=approver,
                      expected_version=expected_version, status="approved", period=b.period)  # fmt: skip


__all__ = ["Award", "Board", "approve_post", "post_html", "post_id", "post_markdown",
           "recognition_board", "rep_view", "save_post"]  # fmt: skip
