"""Pure functions turning review sections into sanitised HTML (used by the notebook and export).

Every value is escaped and the result passes through
:func:`spmkb.content.render.sanitize_html`; free text written by people (strengths, goals,
...) is rendered as Markdown with :func:`spmkb.content.render.render_markdown`.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from spmkb.deals.measures import MEASURES
from spmkb.fmt import CELL, figure

VERDICT = {"above": "▲ above", "met": "● met", "below": "▼ below", None: "— no verdict"}


def _safe(text: str) -> str:
    from spmkb.content.render import sanitize_html

    return sanitize_html(text)


def _md(text: str) -> str:
    """Markdown written by people; HTML they type (``<script>``) stays visible as text."""
    from spmkb.content.render import render_markdown

    # escape "&" and "<" only: no raw HTML reaches Markdown, "> quote" still works
    return render_markdown((text or "").replace("&", "&amp;").replace("<", "&lt;"))


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v))


def fmt(value: Any, unit: str = "") -> str:
    """Format a figure for display: ratios as %, money with separators, days with 'd'."""
    if _missing(value):
        return "—"
    if unit in CELL:
        return figure(value, unit)
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]], cls: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def no_data(what: str) -> str:
    """The message a section shows when it has nothing to show."""
    return f"<p class='spmkb-nodata'><em>No data: {html.escape(what)}.</em></p>"


def render_header(review: Any) -> str:
    """Title, team, score and notes of a review."""
    card = review.scorecard
    judged = int(card["verdict"].notna().sum()) if len(card) else 0
    s = (
        "— (no standard could be judged)"
        if review.score is None
        else f"{review.score:.0%} of weighted standards met ({judged} of {len(card)} judged)"
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in review.notes)
    return _safe(
        f"<h2>{html.escape(review.rep)} — {html.escape(review.period)}</h2>"
        f"<p>Team: {html.escape(review.team or '(none)')} · closed deals: {review.closed} · "
        f"scorecard: <b>{s}</b></p>" + (f"<ul>{notes}</ul>" if notes else "")
    )


def render_scorecard(card: pd.DataFrame) -> str:
    """The scorecard table: measure, value, standard, verdict, n, warning."""
    if not len(card):
        return no_data("no standards defined")
    if card["value"].isna().all():
        return no_data(
            "no deals closed or open in this period, so no figure to compare with the standards"
        )
    rows = []
    for r in card.itertuples():
        unit = MEASURES[r.measure].unit
        kind = r.standard_kind.replace("_", " ")
        value = fmt(r.value, unit)
        if r.measure == "avg_deal_size" and not _missing(r.median):
            value += f" (median {fmt(r.median, unit)})"
        rows.append(
            [
                html.escape(r.label),
                value,
                f"{fmt(r.standard, unit)} ({kind})" + _basis(r),
                VERDICT.get(r.verdict, "—"),
                f"{r.n} {html.escape(r.n_of)}",
                html.escape(r.warning or ""),
            ]
        )
    return _safe(
        _table(["Measure", "Value", "Standard", "Verdict", "n", "Note"], rows, "spmkb-scorecard")
    )


def _basis(row: Any) -> str:
    """What a ``top_profile`` standard rests on (window, team, reps, n), in small print."""
    basis = getattr(row, "basis", "") or ""
    if not basis or _missing(row.standard):
        return ""
    return f"<br><small>{html.escape(basis)}</small>"


def render_trend(trend: pd.DataFrame) -> str:
    """The last four periods, one row per period."""
    if not len(trend) or not trend["closed"].any():
        return no_data("no closed deals in the last four periods")
    measures = [c for c in trend.columns if c in MEASURES]
    rows = []
    for _, r in trend.iterrows():
        rows.append(
            [
                html.escape(r["period"]),
                str(r["closed"]),
                *[fmt(r[c], MEASURES[c].unit) for c in measures],
                fmt(r.get("score"), "ratio"),
            ]
        )
    headers = ["Period", "Closed", *[MEASURES[c].label for c in measures], "Score"]
    return _safe(_table(headers, rows, "spmkb-trend"))


def render_funnel(funnel: pd.DataFrame, focus: dict[str, Any]) -> str:
    """Stage conversion rep vs team and the coaching focus."""
    if not len(funnel) or not funnel["n"].any():
        return no_data("no deals moved through the pipeline in this period")
    rows = [
        [
            html.escape(f"{r.stage} → {r.next_stage}"),
            fmt(r.rep_conversion, "ratio"),
            fmt(r.team_conversion, "ratio"),
            "—" if _missing(r.gap) else f"{r.gap * 100:+.0f} pts",
            str(r.n),
        ]
        for r in funnel.itertuples()
    ]
    focus_txt = html.escape(str(focus.get("reason") or "no focus stage"))
    return _safe(
        _table(["Stage", "Rep", "Team", "Gap", "n"], rows, "spmkb-funnel")
        + f"<p><b>Coaching focus:</b> {focus_txt}</p>"
    )


def render_winloss(review: Any) -> str:
    """Win/loss by dimension and the largest won and lost deals."""
    wl = review.winloss
    if not len(wl) and not len(review.largest):
        return no_data("no deals closed in this period")
    rows = [
        [
            html.escape(str(r.dimension)),
            html.escape(str(r.value)),
            str(r.won),
            str(r.lost),
            fmt(r.win_rate, "ratio"),
        ]
        for r in wl.itertuples()
    ]
    out = _table(["Dimension", "Value", "Won", "Lost", "Win rate"], rows, "spmkb-winloss")
    lg = review.largest
    if len(lg):
        cols = [c for c in ("status", "account", "amount", "stage", "close_date", "competitor", "loss_reason")
                if c in lg.columns]  # fmt: skip
        lrows = [
            [fmt(r[c], "money" if c == "amount" else "") for c in cols] for _, r in lg.iterrows()
        ]
        out += "<h4>Largest won and lost deals</h4>" + _table(cols, lrows, "spmkb-largest")
    return _safe(out)


FORECAST_KEYS: dict[str, tuple[str, str]] = {
    "quota": ("Quota", "money"),
    "won_to_date": ("Won so far", "money"),
    "open_deals": ("Open deals", "count"),
    "open_amount": ("Open pipeline", "money"),
    "expected": ("Expected bookings", "money"),
    "p10": ("P10", "money"),
    "p50": ("P50", "money"),
    "p90": ("P90", "money"),
    "p_quota": ("Chance of reaching quota", "ratio"),
}


def render_forecast(fc: dict[str, Any] | None) -> str:
    """The next-period forecast: its one-sentence summary and the key figures."""
    if not fc:
        return no_data("no forecast available")
    rows = [
        [label, fmt(fc.get(key), unit)] for key, (label, unit) in FORECAST_KEYS.items() if key in fc
    ]
    head = f"<p>{html.escape(str(fc.get('summary') or ''))}</p>"
    notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in fc.get("notes") or [])
    return _safe(
        head
        + _table([f"Forecast {fc.get('period', '')}", ""], rows, "spmkb-forecast")
        + (f"<ul>{notes}</ul>" if notes else "")
    )


def render_recommendations(rec: dict[str, Any]) -> str:
    """Recommended assets for the focus stage, or the note saying why there are none."""
    items = rec.get("items") or []
    if not rec.get("stage"):
        return no_data(rec.get("note") or "no focus stage, so nothing to recommend")
    if not items:
        return _safe(f"<p><em>{html.escape(rec.get('note') or 'no recommendations')}</em></p>")
    lis = "".join(f"<li><b>{html.escape(i['title'])}</b> ({html.escape(i['type'])}, "
                  f"<code>{html.escape(i['path'])}</code>) — {html.escape(i.get('reason') or '')}</li>"
                  for i in items)  # fmt: skip
    return _safe(
        f"<p>For the <b>{html.escape(rec.get('stage') or '')}</b> stage:</p><ul>{lis}</ul>"
    )


def render_previous_goals(goals: list[dict[str, Any]], period: str | None) -> str:
    """Last period's goals and whether each was met."""
    if not goals:
        return no_data(f"no goals were saved for {period}" if period else "no previous review")
    mark = {True: "met", False: "not met", None: "not assessed"}
    rows = [
        [
            _md(g["text"]),
            html.escape(g.get("due") or ""),
            mark.get(g.get("met"), "not assessed"),
            html.escape(g.get("evidence") or ""),
        ]
        for g in goals
    ]
    return _safe(_table(["Goal", "Due", "Met?", "Evidence"], rows, "spmkb-goals"))


def render_saved(version: Any, rubric: Any = None) -> str:
    """A saved review version (ratings, text, goals, actions) as sanitised HTML for export."""
    if version is None:
        return no_data("the review form has not been saved yet")
    p = version.payload
    names = {c.id: c for c in rubric.competencies} if rubric else {}
    rows = []
    for cid, level in p.get("ratings", {}).items():
        comp = names.get(cid)
        rows.append(
            [
                html.escape(comp.name if comp else cid),
                str(level),
                html.escape(comp.guidance(level) if comp else ""),
            ]
        )
    out = (
        f"<p>Version {version.version} · {html.escape(version.status)} · saved by "
        f"{html.escape(version.author)} at {html.escape(version.saved_at)}</p>"
    )
    out += _table(["Competency", "Rating", "Rubric"], rows, "spmkb-ratings") if rows else ""
    for key, title in (
        ("strengths", "Strengths"),
        ("development_areas", "Development areas"),
        ("self_assessment", "Self-assessment"),
    ):
        if p.get(key):
            out += f"<h4>{title}</h4>" + _md(p[key])
    for key, title in (("goals", "Goals"), ("action_items", "Action items")):
        if p.get(key):
            lis = "".join(f"<li>{_md(i['text'])}" + (f" (due {html.escape(i['due'])})" if i.get("due") else "")
                          + "</li>" for i in p[key])  # fmt: skip
            out += f"<h4>{title}</h4><ul>{lis}</ul>"
    return _safe(out)


def render_history(history: list[dict[str, Any]]) -> str:
    """The version history of a review (rows of :func:`spmkb.reviews.history.version_history`)."""
    if not history:
        return no_data("no version saved yet")
    rows = [
        [
            str(int(h["version"])),
            html.escape(str(h["status"])),
            html.escape(str(h["author"])),
            html.escape(str(h["saved_at"])),
            html.escape(", ".join(h["changed"]) or "—"),
        ]
        for h in reversed(history)  # newest first
    ]
    return _safe(
        _table(["Version", "Status", "Saved by", "Saved at", "Changed"], rows, "spmkb-history")
    )


def render_team_status(
    reviews: pd.DataFrame, completion: dict[str, int], distribution: dict[str, int]
) -> str:
    """Review status per rep, completion counts and the distribution of overall ratings."""
    if not len(reviews):
        return no_data("no reviews for this team and period")
    rows = [
        [
            html.escape(str(r.rep)),
            html.escape(str(r.status)),
            str(r.version),
            html.escape(str(r.author or "")),
            fmt(r.rating),
        ]
        for r in reviews.itertuples()
    ]
    comp = " · ".join(f"{html.escape(k)}: {v}" for k, v in completion.items())
    dist = " · ".join(f"{html.escape(k)}: {v}" for k, v in distribution.items())
    return _safe(
        _table(["Rep", "Status", "Version", "Last saved by", "Rating"], rows, "spmkb-team")
        + f"<p><b>Completion:</b> {comp}</p><p><b>Overall ratings:</b> {dist}</p>"
    )


def render_team_scores(scores: pd.DataFrame) -> str:
    """Scorecard score and verdict counts per rep."""
    if not len(scores):
        return no_data("no reps with deals in this team")
    rows = [
        [
            html.escape(r.rep),
            str(r.closed),
            fmt(r.score, "ratio"),
            str(r.above),
            str(r.met),
            str(r.below),
            str(r.no_verdict),
        ]
        for r in scores.itertuples()
    ]
    return _safe(
        _table(
            ["Rep", "Closed", "Score", "Above", "Met", "Below", "No verdict"],
            rows,
            "spmkb-team-scores",
        )
    )
