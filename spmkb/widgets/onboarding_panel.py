"""OnboardingPanel: pick a hire -> timeline, progress, next modules and milestone evidence.

A thin face over :mod:`spmkb.onboarding.service` and :mod:`spmkb.onboarding.ramp`: each
change of the hire dropdown calls :func:`~spmkb.onboarding.service.status` once and hands the
result to pure renderers (``*_figure()`` build plotly figures, ``render_*()`` return sanitised
HTML), unit-tested without widgets. Status line, error guard and display come from the
shared :class:`~spmkb.widgets._panel.Panel` base.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import ipywidgets as w
import pandas as pd

from spmkb.content.render import sanitize_html as clean_html
from spmkb.widgets._panel import Panel, guarded

COLOURS = {"done": "#2e7d32", "overdue": "#c62828", "due": "#ef6c00", "upcoming": "#78909c",
           "met": "#2e7d32", "missed": "#c62828", "not yet": "#78909c"}  # fmt: skip


def timeline_figure(st: Any) -> Any:
    """Modules at their due dates (coloured by status) and measured milestones, with today."""
    import plotly.graph_objects as go

    p = st.plan
    fig = go.Figure()
    for status in ("done", "overdue", "due", "upcoming"):
        items = [i for i in p.items if i.status == status]
        if items:
            fig.add_trace(go.Scatter(
                x=[i.due for i in items], y=["modules"] * len(items), mode="markers",
                marker={"size": 14, "color": COLOURS[status], "symbol": "square"}, name=status,
                text=[i.title for i in items], hovertemplate="%{text}<br>due %{x}<extra></extra>"))  # fmt: skip
    for m in st.milestones:
        if m.measure is None or m.day is None:
            continue
        when = p.hire.start + timedelta(days=m.met_day if m.met_day is not None else m.day)
        fig.add_trace(go.Scatter(
            x=[when], y=["milestones"], mode="markers", showlegend=False,
            marker={"size": 14, "color": COLOURS.get(m.status, "#78909c"), "symbol": "diamond"},
            text=[f"{m.text}: {m.label()}"], hovertemplate="%{text}<extra></extra>"))  # fmt: skip
    fig.add_vline(x=p.today, line_dash="dot", line_color="#333333")
    fig.update_layout(title=f"{p.hire.name}: {p.hire.track} programme from {p.hire.start}",
                      height=260, margin={"t": 50, "b": 30}, yaxis_title="")  # fmt: skip
    return fig


def ramp_figure(cohorts: pd.DataFrame, value: str = "bookings") -> Any:
    """Median bookings (or attainment) by month since start, one line per start cohort."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for cohort, rows in cohorts.groupby("cohort"):
        fig.add_trace(go.Scatter(x=rows["month"], y=rows["median"], mode="lines+markers",
                                 name=str(cohort), customdata=rows["n"],
                                 hovertemplate="month %{x}: %{y:,.2f} (n=%{customdata})"
                                 "<extra></extra>"))  # fmt: skip
    fig.update_layout(title=f"Ramp curves: median {value} by month since start", height=340,
                      xaxis_title="month since start", margin={"t": 50, "b": 40})  # fmt: skip
    return fig


def km_figure(curves: dict[str, Any]) -> Any:
    """Kaplan–Meier curves (share not yet there) as steps, one per label."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, km in curves.items():
        t = [0.0, *km.table["time"].tolist()]
        s = [1.0, *km.table["survival"].tolist()]
        fig.add_trace(go.Scatter(x=t, y=s, mode="lines", line_shape="hv",
                                 name=f"{label} (n={km.n}, events={km.events})"))  # fmt: skip
    fig.update_layout(title="Kaplan–Meier: share of hires not there yet", height=340,
                      xaxis_title="days since start", yaxis_range=[0, 1.02],
                      margin={"t": 50, "b": 40})  # fmt: skip
    return fig


def _e(text: Any) -> str:
    return html.escape(str(text))


def render_hire(st: Any) -> str:
    """Progress, next modules (with study links) and milestones with their evidence."""
    p = st.plan
    c = p.counts()
    parts = [f"<h4>{_e(p.hire.name)} — {_e(p.hire.track)}, day {(p.today - p.hire.start).days}, "
             f"status <b>{_e(p.status)}</b></h4>",
             f"<p>{c['done']} of {len(p.items)} modules done, {c['overdue']} overdue.</p>"]  # fmt: skip
    if p.added or p.removed:
        parts.append(f"<p>Curriculum changed since the plan was made: added "
                     f"{_e(', '.join(p.added) or 'none')}; removed {_e(', '.join(p.removed) or 'none')}.</p>")  # fmt: skip
    parts.append("<b>Next modules</b><ul>")
    for i in p.next_items():
        study = ", ".join(_e(s["title"]) for s in i.study)
        parts.append(f"<li>{_e(i.title)} — due {i.due} ({_e(i.status)})"
                     + (f"<br><small>study: {study}</small>" if study else "") + "</li>")  # fmt: skip
    parts.append("</ul><b>Milestones</b><ul>")
    for m in st.milestones:
        ev = f" — evidence: {_e(', '.join(m.evidence[:8]))}" if m.evidence else ""
        parts.append(f"<li>{_e(m.text)}: <b>{_e(m.label())}</b>{ev}</li>")
    parts.append("</ul>")
    if st.behind:
        parts.append(
            "<b>Behind</b><ul>" + "".join(f"<li>{_e(b)}</li>" for b in st.behind) + "</ul>"
        )
    return clean_html("".join(parts))


def render_team(statuses: list[Any]) -> str:
    """A manager's table: every current hire with status, progress and flags."""
    rows = []
    for st in statuses:
        p, c = st.plan, st.plan.counts()
        rows.append(f"<tr><td>{_e(p.hire.name)}</td><td>{_e(p.hire.track)}</td>"
                    f"<td>{(p.today - p.hire.start).days}</td><td>{_e(p.status)}</td>"
                    f"<td>{c['done']}/{len(p.items)}</td><td>{_e('; '.join(st.behind) or '-')}</td></tr>")  # fmt: skip
    head = "<tr><th>hire</th><th>track</th><th>day</th><th>status</th><th>done</th><th>behind</th></tr>"
    return clean_html(f"<table>{head}{''.join(rows)}</table>")


def render_milestones(rows: list[dict[str, Any]]) -> str:
    """The enablement view: for each milestone, n met / not met, medians, HR, p, q, verdict."""

    def num(x: Any, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    out = []
    for c in rows:
        lo, hi = c["hr_ci"]
        out.append(f"<tr><td>{_e(c['label'])}</td><td>{c['n'][0]} / {c['n'][1]}</td>"
                   f"<td>{num(c['median'][0], '.0f')} / {num(c['median'][1], '.0f')}</td>"
                   f"<td>{num(c['hazard_ratio'], '.2f')} ({num(lo, '.2f')}–{num(hi, '.2f')})</td>"
                   f"<td>{num(c['p'], '.3g')}</td><td>{num(c['q'], '.3g')}</td>"
                   f"<td>{_e(c['verdict'])}</td></tr>")  # fmt: skip
    head = ("<tr><th>milestone</th><th>n met / not</th><th>median days to ramp</th>"
            "<th>hazard ratio (95 % CI)</th><th>log-rank p</th><th>BH q</th><th>verdict</th></tr>")  # fmt: skip
    return clean_html(f"<table>{head}{''.join(out)}</table>")


class OnboardingPanel(Panel):
    """Hire dropdown -> timeline, progress, next modules and milestone evidence."""

    def __init__(self, ws: Any, *, rep: str | None = None) -> None:
        """Build the widgets over an onboarding workspace and render the first hire."""
        super().__init__()
        self.ws = ws
        self.current: Any = None
        self.figure: Any = None
        hires, notes = ws.hires()
        names = [h.name for h in hires]
        self.hire = w.Dropdown(options=names, value=None, description="Hire")
        self.summary = w.HTML("")
        self.chart = w.Output()
        self.widget = w.VBox([self.hire, self.status, self.chart, self.summary])
        self.hire.observe(lambda _change: self.refresh(), names="value")
        if notes:
            self.set_status("; ".join(notes), "info")
        if rep is not None:
            match = [n for n in names if n.casefold() == rep.casefold()]
            if match:
                self.hire.value = match[0]
            else:
                self.set_status(f"{rep!r} is not a current hire", "error")
        elif names:
            self.hire.value = names[0]
        if not names:
            self.set_status("No current hires (start date + track role, or enrolled with "
                            "spmkb onboarding enroll).", "info")  # fmt: skip

    @guarded
    def refresh(self) -> None:
        """Compute the selected hire's status and re-render (errors go to the status line)."""
        from spmkb.onboarding.service import status

        if self.hire.value is None:
            return
        (st,) = status(self.ws, self.hire.value)
        self.current = st
        self.set_status(f"{st.plan.hire.name}: {st.plan.status}", "ok")
        self.summary.value = render_hire(st)
        self.figure = timeline_figure(st)
        self.chart.clear_output(wait=True)
        with self.chart:
            from IPython.display import display

            display(self.figure)


__all__ = [
    "OnboardingPanel",
    "km_figure",
    "ramp_figure",
    "render_hire",
    "render_milestones",
    "render_team",
    "timeline_figure",
]
