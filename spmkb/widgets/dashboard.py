"""DashboardPanel: rep / team / period selectors over :func:`spmkb.deals.overview.overview`.

A thin face: each change of a dropdown calls the core once and hands the result to pure
renderers: ``*_figure()`` build plotly figures, ``render_*()`` return sanitised HTML. Both
are unit-tested without widgets. Errors land in the status line (the panel base,
:mod:`spmkb.widgets._panel`). Nothing here imports
torch or chromadb, so the notebook starts fast.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from spmkb.content.render import sanitize_html
from spmkb.deals.forecast import Forecast, money
from spmkb.deals.overview import Overview, overview
from spmkb.deals.periods import Period, last_n
from spmkb.deals.schema import DealData
from spmkb.widgets._panel import Panel, guarded

REP_COLOUR, TEAM_COLOUR, QUOTA_COLOUR = "#1f77b4", "#aaaaaa", "#c62828"


def forecast_figure(fc: Forecast) -> Any:
    """Histogram of simulated bookings with P10/P50/P90 and the quota line."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Histogram(x=fc.simulations, nbinsx=40, name="simulated bookings",
                               marker_color=REP_COLOUR, opacity=0.75))  # fmt: skip
    for label, x, dash in (("P10", fc.p10, "dot"), ("P50", fc.p50, "dash"), ("P90", fc.p90, "dot")):
        fig.add_vline(x=x, line_dash=dash, line_color="#333333",
                      annotation_text=f"{label} {money(x)}", annotation_position="top")  # fmt: skip
    if fc.quota is not None:
        fig.add_vline(x=fc.quota, line_color=QUOTA_COLOUR, line_width=3,
                      annotation_text=f"quota {money(fc.quota)}", annotation_position="bottom right")  # fmt: skip
    title = f"Bookings {fc.period}: {fc.verdict()}"
    if fc.p_quota is not None:
        title += f" ({fc.p_quota:.0%} chance)"
    fig.update_layout(title=title, xaxis_title="bookings", yaxis_title="simulations",
                      showlegend=False, height=360, margin={"t": 60, "b": 40})  # fmt: skip
    return fig


def funnel_figure(conversion: pd.DataFrame) -> Any:
    """Grouped bars of stage-to-stage conversion: the rep (or team) next to the comparison."""
    import plotly.graph_objects as go

    fig = go.Figure()
    colours = [REP_COLOUR, TEAM_COLOUR]
    for i, (name, rows) in enumerate(conversion.groupby(["scope", "name"], sort=False)):
        labels = [f"{a} → {b}" for a, b in zip(rows["stage"], rows["next_stage"], strict=True)]
        fig.add_trace(go.Bar(x=labels, y=rows["conversion"], name=f"{name[1]} ({name[0]})",
                             marker_color=colours[i % 2], customdata=rows["n"],
                             hovertemplate="%{x}: %{y:.0%} (n=%{customdata})<extra></extra>"))  # fmt: skip
    fig.update_layout(title="Stage conversion", barmode="group", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], height=340, margin={"t": 50, "b": 40})  # fmt: skip
    return fig


def winloss_figure(winloss: pd.DataFrame) -> Any:
    """Win rate by segment, product, competitor and deal size (one panel each)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    dims = [
        d
        for d in ("segment", "product", "competitor", "size_band")
        if d in set(winloss["dimension"])
    ]
    fig = make_subplots(rows=1, cols=max(len(dims), 1), subplot_titles=dims, shared_yaxes=True)
    for i, dim in enumerate(dims, start=1):
        rows = winloss[winloss["dimension"] == dim]
        fig.add_trace(go.Bar(x=rows["value"].astype(str), y=rows["win_rate"], customdata=rows["n"],
                             marker_color=REP_COLOUR, showlegend=False,
                             hovertemplate="%{x}: %{y:.0%} (n=%{customdata})<extra></extra>"),
                      row=1, col=i)  # fmt: skip
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(title="Win rate", height=320, margin={"t": 70, "b": 40})
    return fig


def _cell(value: Any, col: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if col in ("attainment", "prev_attainment", "improvement", "win_rate", "lift", "share"):
        return f"{value:.0%}"
    if col in ("quota", "won_amount", "amount", "pipeline"):
        return money(float(value))
    return html.escape(str(value))


#: Column headers a manager reads instead of the frame's column names.
COLUMN_LABELS: dict[str, str] = {
    "rank": "Rank",
    "rep": "Rep",
    "team": "Team",
    "quota": "Quota",
    "won_amount": "Won amount",
    "attainment": "Quota attainment",
    "improvement": "Change in attainment",
    "behaviour": "Behaviour",
    "value": "Band",
    "n": "n",
    "win_rate": "Win rate",
    "lift": "Lift",
    "sig": "Significant",
}


def column_label(column: str) -> str:
    """The header shown for ``column``: :data:`COLUMN_LABELS`, else a measure's label, else as is."""
    from spmkb.deals.measures import MEASURES

    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    return MEASURES[column].label if column in MEASURES else column


def measure_label(name: Any) -> str:
    """A measure's label ("Buyer contacts per deal") for its name; other values unchanged."""
    from spmkb.deals.measures import MEASURES

    return MEASURES[name].label if isinstance(name, str) and name in MEASURES else str(name)


def render_table(frame: pd.DataFrame, columns: list[str], *, highlight: str | None = None) -> str:
    """A small HTML table of ``columns`` with readable headers; ``highlight``'s rep row is bold."""
    head = "".join(f"<th>{html.escape(column_label(c))}</th>" for c in columns)
    body = []
    for _, row in frame.iterrows():
        style = ' style="font-weight:bold"' if highlight and row.get("rep") == highlight else ""
        body.append(
            f"<tr{style}>" + "".join(f"<td>{_cell(row[c], c)}</td>" for c in columns) + "</tr>"
        )
    return sanitize_html(f'<table class="spmkb-table"><tr>{head}</tr>{"".join(body)}</table>')


def render_leaderboard(board: pd.DataFrame, *, highlight: str | None = None, top: int = 15) -> str:
    """The leaderboard table plus the line saying what it is ranked by and what it compares."""
    cols = ["rank", "rep", "team", "quota", "won_amount", "attainment", "improvement"]
    table = render_table(board.head(top), cols, highlight=highlight)
    notes = []
    for col, prefix in (("ranked_by", "Ranked by "), ("compared", "Change: ")):
        if col in board.columns and len(board) and pd.notna(board[col].iloc[0]):
            notes.append(prefix + str(board[col].iloc[0]))
    if not notes:
        return table
    note = html.escape(" · ".join(notes))
    return table + sanitize_html(
        f'<div class="spmkb-note" style="color:#555;font-size:0.85em">{note}</div>'
    )


def render_summary(ov: Overview) -> str:
    """The headline: the forecast sentence, the coaching focus and small-sample warnings."""
    parts = [f"<p><b>{html.escape(ov.forecast.summary())}</b></p>"]
    parts.extend(f"<p><i>{html.escape(n)}</i></p>" for n in ov.forecast.notes)
    if ov.rep is not None and len(ov.coaching):
        row = ov.coaching.iloc[0]
        parts.append(f"<p>Coaching: {html.escape(str(row['reason']))}</p>")
    elif len(ov.coaching):
        flagged = ov.coaching[ov.coaching["flagged"]]
        if len(flagged):
            items = "".join(
                f"<li>{html.escape(r.rep)}: {html.escape(r.reason)}</li>"
                for r in flagged.itertuples()
            )
            parts.append(f"<p>Coaching focus (significant gaps):</p><ul>{items}</ul>")
    warned = ov.conversion[ov.conversion["warning"].astype(bool)]
    if len(warned):
        parts.append(
            f'<p style="color:#7a4b00">⚠ {len(warned)} stage(s) have fewer than 30 deals in '
            f"{html.escape(ov.period)}: treat their conversion with caution.</p>"
        )
    return sanitize_html("".join(parts))


def render_behaviours(frame: pd.DataFrame) -> str:
    """Behaviour bands: win rate, n, adjusted lift vs the reference band with its 95 % CI, significance.

    Behaviours read their measure label; the measure name stays as the cell's tooltip.
    """
    from spmkb.deals.behaviours import ci_text

    view = frame.assign(
        sig=frame["significant"].map({True: "yes", False: ""}), **{"95 % CI": ci_text(frame)}
    )
    cols = ["behaviour", "value", "reference", "n", "win_rate", "lift", "95 % CI", "sig"]
    table = render_table(view, cols)
    for name in dict.fromkeys(str(b) for b in frame["behaviour"]):
        label = measure_label(name)
        if label != name:
            cell = f"<td>{html.escape(name)}</td>"
            table = table.replace(
                cell, f'<td title="{html.escape(name)}">{html.escape(label)}</td>'
            )
    return sanitize_html(table)


def period_options(data: DealData, current: Period, n: int = 8) -> list[str]:
    """Dropdown choices: the last ``n`` quarters, the current half and year, newest first."""
    quarters = [p.label for p in reversed(last_n(current, n))]
    half = Period("half", current.year, 1 if current.index <= 2 else 2)
    return [*quarters, half.label, half.previous().label, str(current.year), str(current.year - 1)]


class DashboardPanel(Panel):
    """Rep / team / period dropdowns -> forecast, funnel vs team, win/loss and leaderboard."""

    def __init__(
        self,
        data: DealData | None = None,
        *,
        data_dir: str | Path | None = None,
        store: str | Path | None = None,
        rep: str | None = None,
        team: str | None = None,
        period: str | None = None,
        n_sims: int = 2000,
    ) -> None:
        """Load the deal data (unless given), build the widgets and render the first view."""
        from spmkb.deals._frame import deal_frame, latest_period

        super().__init__()
        if data is None:
            from spmkb.config import load_settings
            from spmkb.deals.workspace import load_deal_data

            data = load_deal_data(load_settings({"store": store}), folder=data_dir)
        self.data = data
        self.n_sims = n_sims
        self.overview: Overview | None = None
        self.figures: dict[str, Any] = {}
        f = deal_frame(data)
        current = latest_period(data)
        periods = period_options(data, current)
        if period and period not in periods:
            periods.insert(0, Period.parse(period).label)
        reps = sorted(str(r) for r in f.rep_names)
        self.rep_team: dict[str, str] = {str(r): str(t) for r, t in f.rep_team.items()}
        teams = sorted(set(self.rep_team.values()))
        # "" (not None) is "all": a Dropdown shows None as an empty selection
        self.rep = w.Dropdown(
            options=[("all reps", ""), *[(r, r) for r in reps]], value="", description="Rep"
        )
        self.team = w.Dropdown(
            options=[("all teams", ""), *[(t, t) for t in teams]], value="", description="Team"
        )
        self.period = w.Dropdown(options=periods, value=Period.parse(period).label if period else current.label,
                                 description="Period")  # fmt: skip
        if rep is not None:
            self.rep.value = next((r for r in reps if r.lower() == rep.lower()), "")
        if team is not None:
            self.team.value = next((t for t in teams if t.lower() == team.lower()), "")
        self.summary = w.HTML("")
        self.charts = w.Output()
        self.leaderboard = w.HTML("")
        self.behaviours = w.HTML("")
        self.widget = w.VBox([
            w.HBox([self.rep, self.team, self.period]), self.status, self.summary, self.charts,
            w.HBox([w.VBox([w.HTML("<b>Leaderboard</b>"), self.leaderboard]),
                    w.VBox([w.HTML("<b>Behaviours</b>"), self.behaviours])]),
        ])  # fmt: skip
        for control in (self.rep, self.team, self.period):
            control.observe(lambda _change: self.refresh(), names="value")
        self.refresh()

    @guarded
    def refresh(self) -> None:
        """Recompute the overview for the current selection and re-render every part."""
        rep, team = self.rep.value or None, self.team.value or None
        ov = overview(self.data, rep=rep, team=team,
                      period=self.period.value, n_sims=self.n_sims)  # fmt: skip
        self.overview = ov
        scope = ov.rep or ov.team or "the company"
        their = self.rep_team.get(rep) if rep else None
        if rep and team and their != team:
            self.set_status(
                f"{rep} is not in team {team} (their team: {their or 'unknown'}): the figures are "
                f"{rep}'s, the leaderboard is {team}'s. Pick “all teams” or {their or 'their team'}.",
                "info",
            )
        else:
            self.set_status(f"{scope}, {ov.period}", "ok")
        self.summary.value = render_summary(ov)
        self.figures = {
            "forecast": forecast_figure(ov.forecast),
            "funnel": funnel_figure(ov.conversion),
            "winloss": winloss_figure(ov.winloss),
        }
        self.leaderboard.value = render_leaderboard(ov.leaderboard, highlight=ov.rep)
        self.behaviours.value = render_behaviours(ov.behaviours)
        self.charts.clear_output(wait=True)
        with self.charts:
            from IPython.display import display

            for fig in self.figures.values():
                display(fig)
