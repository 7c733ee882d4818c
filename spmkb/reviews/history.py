"""Review history: who has been reviewed (completion and score distribution for a team and
period), a rep's reviews over time, and last period's goals with whether they were met."""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd

from spmkb.deals.periods import Period
from spmkb.reviews import store

HISTORY_COLUMNS = ["rep", "team", "period", "status", "version", "author", "saved_at", "rating",
                   "notebook"]  # fmt: skip
#: Order of completion, from nothing done to finished.
COMPLETION = ("not generated", "generated", "draft", "submitted", "acknowledged")


def overall_rating(payload: dict[str, Any] | None) -> float | None:
    """Mean competency rating of a saved review (None when nothing is rated)."""
    ratings = list((payload or {}).get("ratings", {}).values())
    return round(sum(ratings) / len(ratings), 2) if ratings else None


def _row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "rep": r["rep"],
        "team": r["team"],
        "period": r["period"],
        "status": r["status"] or "generated",
        "version": r["version"],
        "author": r["author"],
        "saved_at": r["saved_at"],
        "rating": overall_rating(r["payload"]),
        "notebook": r["notebook"],
    }


def list_reviews(
    conn: sqlite3.Connection,
    *,
    team: str | None = None,
    period: str | None = None,
    rep: str | None = None,
    reps: list[str] | None = None,
) -> pd.DataFrame:
    """Reviews matching the filters; ``reps`` adds a ``not generated`` row for each rep missing."""
    period = str(Period.parse(period)) if period else None
    rows = [_row(r) for r in store.review_rows(conn, team=team, period=period, rep=rep)]
    if reps is not None and period:
        have = {r["rep"] for r in rows}
        rows += [{"rep": r, "team": team, "period": period, "status": "not generated", "version": 0,
                  "author": None, "saved_at": None, "rating": None, "notebook": None}
                 for r in reps if r not in have]  # fmt: skip
    out = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    return out.sort_values(["period", "rep"], kind="stable").reset_index(drop=True)


def completion(reviews: pd.DataFrame) -> dict[str, int]:
    """How many reviews are at each status (every status listed, zeros included)."""
    counts = reviews["status"].value_counts() if len(reviews) else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in COMPLETION}


def score_distribution(reviews: pd.DataFrame) -> dict[str, int]:
    """Count of reviews per overall rating rounded to 1-5 (plus ``unrated``)."""
    out = {str(k): 0 for k in range(1, 6)} | {"unrated": 0}
    for v in reviews["rating"] if len(reviews) else []:
        if v is None or pd.isna(v):
            out["unrated"] += 1
        else:
            out[str(int(min(5, max(1, round(float(v))))))] += 1
    return out


#: Payload fields in the order the form shows them, with the words the history uses.
FIELD_NAMES = {"ratings": "ratings", "strengths": "strengths",
               "development_areas": "development areas", "self_assessment": "self-assessment",
               "goals": "goals", "action_items": "action items"}  # fmt: skip


def version_history(saved: list[Any]) -> list[dict[str, Any]]:
    """Each saved version (oldest first) with what it changed since the one before.

    ``changed`` lists the payload fields that differ (``status`` when only the status did);
    the first version lists the fields it filled in.
    """
    out = []
    before: dict[str, Any] = {}
    before_status = None
    for v in saved:
        p = v.payload
        changed = [name for key, name in FIELD_NAMES.items() if p.get(key) != before.get(key)
                   and (p.get(key) or before.get(key))]  # fmt: skip
        if v.status != before_status and before_status is not None:
            changed.append(f"status {before_status} → {v.status}")
        out.append({"version": v.version, "status": v.status, "author": v.author,
                    "saved_at": v.saved_at, "changed": changed})  # fmt: skip
        before, before_status = p, v.status
    return out


def rep_history(conn: sqlite3.Connection, rep: str) -> pd.DataFrame:
    """A rep's reviews over time, oldest period first."""
    return list_reviews(conn, rep=rep)


def previous_goals(
    conn: sqlite3.Connection, rep: str, period: str | Period, card: pd.DataFrame | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Goals saved in the rep's review of the previous period, each with ``met`` and evidence.

    A goal with ``measure`` and ``target`` is judged on this period's scorecard value
    (direction-aware); other goals keep the ``met`` flag the manager set (None = not assessed).
    """
    prev = Period.parse(period).previous()
    latest = store.latest(conn, rep, prev.label)
    if latest is None:
        return prev.label, []
    goals = []
    for g in latest.payload.get("goals", []):
        item = dict(g)
        measure, target = g.get("measure"), g.get("target")
        if card is not None and measure and target is not None:
            row = card[(card["measure"] == measure) & card["stage"].isna()]
            if len(row) and pd.notna(row["value"].iloc[0]):
                value = float(row["value"].iloc[0])
                lower = row["direction"].iloc[0] == "lower"
                item["met"] = value <= float(target) if lower else value >= float(target)
                item["evidence"] = f"{measure} = {value:.3g} (target {float(target):.3g})"
            else:
                item["met"] = None
                item["evidence"] = f"no {measure} figure this period"
        else:
            item.setdefault("met", None)
        goals.append(item)
    return prev.label, goals
