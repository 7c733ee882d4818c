"""Coaching panels: the top-performer profile, coaching plans, and the recognition board.

- :class:`ProfilePanel`: pick a team and a window, see what the top tier does differently;
- :class:`CoachingPanel`: pick a rep, build a coaching plan, save it (versioned), follow it up;
- :class:`RecognitionPanel`: the team's board (levels, no ranking) or one rep's own view.

Thin faces over :mod:`spmkb.coaching`: each button calls one core function
(:func:`~spmkb.coaching.profile.top_profile`, :func:`~spmkb.coaching.plans.build_plan`,
:func:`~spmkb.coaching.plans.save_plan`, :func:`~spmkb.coaching.followup.follow_up`,
:func:`~spmkb.coaching.recognition.recognition_board`, :func:`~spmkb.coaching.recognition.rep_view`)
and hands the result to a pure ``render_*`` function that returns sanitised HTML. Status line, error guard and display come from the
:mod:`spmkb.widgets._panel` base.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from spmkb.widgets._panel import Panel, guarded

AUTO = "(found by the data)"
ALL_TEAMS = "(all teams)"
TEAM_VIEW = "(team board)"


def _pct(v: Any) -> str:
    return "–" if v is None or v != v else f"{v:.0%}"


def render_plan(plan: Any, saved: Any = None) -> str:
    """A plan as HTML: focus, skills, goals, assets and notes (all text escaped)."""
    e = html.escape
    parts = [f"<h3>Coaching plan — {e(plan.rep)} ({e(plan.period)})</h3>",
             f"<p><b>Focus:</b> {e(plan.focus.reason)}</p>"]  # fmt: skip
    if plan.skills:
        parts.append("<p><b>Skills:</b> " + ", ".join(e(s) for s in plan.skills) + "</p>")
    if plan.goals:
        parts.append("<ul>" + "".join(f"<li>{e(g['text'])}</li>" for g in plan.goals) + "</ul>")
    if plan.assets:
        parts.append("<p><b>Study:</b></p><ul>" + "".join(
            f"<li>{e(a['slot'])}: {e(a['title'])} <small>({e(a['path'])} › {e(a['section'])})</small></li>"
            for a in plan.assets) + "</ul>")  # fmt: skip
    parts += [f"<p><small>Note: {e(n)}</small></p>" for n in plan.notes]
    if saved is not None:
        parts.append(f"<p><small>Saved version {saved.version} ({e(saved.status)})</small></p>")
    return "".join(parts)


def render_followup(fu: Any) -> str:
    """A follow-up as HTML: the message, the figures and notes."""
    e = html.escape
    out = [
        f"<h4>Follow-up {e(fu.before)} → {e(fu.after)} on {e(fu.on)}</h4>",
        f"<p>{e(fu.message)}</p>",
    ]
    if fu.result is not None:
        r = fu.result
        out.append(f"<p><small>before {_pct(r.coached_before)}, after {_pct(r.coached_after)}, "
                   f"uncoached change {_pct(r.control_change)} ({r.controls} reps)</small></p>")  # fmt: skip
    out += [f"<p><small>Note: {e(n)}</small></p>" for n in fu.notes]
    return "".join(out)


class CoachingPanel(Panel):
    """Rep, window and stage in; a plan out; Save and Follow up act on it."""

    def __init__(self, data: Any, *, settings: Any = None, window: str = "2026-H1",
                 rep: str | None = None, searcher: Any = None) -> None:  # fmt: skip
        """Build the widgets; nothing is computed until a button is pressed."""
        from spmkb.coaching.options import options_from
        from spmkb.deals.roster import roster
        from spmkb.deals.schema import PIPELINE_STAGES

        super().__init__()
        self.data, self.settings, self.searcher = data, settings, searcher
        self.options = options_from(settings)
        self.plan: Any = None
        self.saved: Any = None
        ros = roster(data)  # reps still on the team: a plan for a leaver is refused
        names = [n for n in ros.names(with_deals=True) if ros.find(n).end_date is None]
        self.rep = w.Dropdown(options=names, value=rep if rep in names else (names[0] if names else None),
                              description="Rep")  # fmt: skip
        self.window = w.Text(value=window, description="Window")
        self.stage = w.Dropdown(options=[AUTO, *PIPELINE_STAGES], value=AUTO, description="Stage")
        self.author = w.Text(placeholder="your name", description="Author")
        self.build_button = w.Button(description="Build plan", button_style="primary")
        self.save_button = w.Button(description="Save")
        self.followup_button = w.Button(description="Follow up")
        self.output = w.HTML()
        self.build_button.on_click(lambda _b: self.build())
        self.save_button.on_click(lambda _b: self.save())
        self.followup_button.on_click(lambda _b: self.follow_up())
        self.widget = w.VBox([
            w.HBox([self.rep, self.window, self.stage]),
            w.HBox([self.build_button, self.author, self.save_button, self.followup_button]),
            self.status, self.output,
        ])  # fmt: skip

    def _conn(self) -> Any:
        from spmkb.coaching import store

        if self.settings is None:
            from spmkb.config import load_settings

            self.settings = load_settings()
        return store.open_db(self.settings.db_path)

    @guarded
    def build(self) -> Any:
        """Build the plan for the chosen rep (not saved)."""
        from spmkb.coaching.plans import build_plan

        stage = None if self.stage.value == AUTO else self.stage.value
        self.plan = build_plan(self.data, self.rep.value, window=self.window.value.strip(), stage=stage,
                               searcher=self.searcher, settings=self.settings, options=self.options)  # fmt: skip
        self.saved = None
        self.output.value = render_plan(self.plan)
        self.set_status(f"Plan built for {self.plan.rep}: not saved yet.", "ok")
        return self.plan

    @guarded
    def save(self) -> Any:
        """Save the plan as a new version (ConflictError when someone saved meanwhile)."""
        from spmkb.coaching import store
        from spmkb.coaching.plans import save_plan

        if self.plan is None:
            self.set_status("Build a plan first.", "info")
            return None
        conn = self._conn()
        expected = self.saved.version if self.saved is not None else 0
        if self.saved is None and (last := store.latest(conn, self.plan.plan_id)) is not None:
            expected = last.version
        self.saved = save_plan(conn, self.plan, author=self.author.value, expected_version=expected)
        self.output.value = render_plan(self.plan, self.saved)
        self.set_status(f"Saved version {self.saved.version}.", "ok")
        return self.saved

    @guarded
    def follow_up(self) -> Any:
        """Follow the saved plan up on the data's latest date."""
        from spmkb.coaching.followup import follow_up
        from spmkb.coaching.plans import load_plan

        plan, _saved = load_plan(self._conn(), self.data, self.rep.value)
        fu = follow_up(self.data, plan, options=self.options)
        self.output.value = render_plan(plan) + render_followup(fu)
        self.set_status(fu.message.split(":")[0], "ok" if fu.enough else "info")
        return fu


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _reps(n: int) -> str:
    return _count(n, "rep")


def render_profile(profile: Any) -> str:
    """A profile as HTML: the tiers compared, each finding's sentence (n, interval), notes."""
    e = html.escape
    t = profile.tiers
    scope = f" — {e(profile.team)}" if profile.team else " — all teams"
    top, rest = len(t.members("top")), len(t.members("rest"))
    parts = [
        f"<h3>Top performers {e(profile.window.label)}{scope}</h3>",
        f"<p>Ranked by {e(t.basis)}: {_reps(top)} in the top tier, {_reps(rest)} in the rest",
    ]
    if not profile.message:
        parts[-1] += (
            f"; {_count(sum(c.tested for c in profile.comparisons), 'measure')} tested, false "
            f"discovery rate {profile.options.fdr:.0%}"
        )
    parts[-1] += ".</p>"  # fmt: skip
    parts.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in profile.summary()) + "</ul>")
    if profile.comparisons:
        parts.append(_measures_table(profile))
    if t.left_out:
        parts.append("<p><small>Not ranked: " + "; ".join(
            f"{e(r)} ({e(why)})" for r, why in sorted(t.left_out.items())) + "</small></p>")  # fmt: skip
    parts += [f"<p><small>Note: {e(n)}</small></p>" for n in profile.notes]
    return "".join(parts)


def _fig(value: float, unit: str) -> str:
    """A tier figure: one decimal for small counts (4.9 contacts per deal, as the sentence)."""
    from spmkb.reviews.render import fmt

    if unit == "count" and value == value and abs(value) < 100:
        return f"{value:.1f}"
    return fmt(value, unit)


def _diff(value: float, unit: str) -> str:
    """A difference: points for rates, signed figures otherwise (never "-0")."""
    if value != value:  # NaN
        return "—"
    if unit == "ratio":
        return f"{round(value * 100) + 0.0:+.0f} pts"
    text = _fig(abs(value), unit)
    zero = not text.strip("0.,d ")
    return text if zero else ("+" if value > 0 else "-") + text


def _measures_table(profile: Any) -> str:
    """Every measure compared: tier figures, difference with its interval, n, what it means."""
    e = html.escape
    rows = []
    for c in profile.comparisons:
        if c.reps_top == 0 and c.reps_rest == 0:
            continue  # the data cannot show it (listed in the notes)
        verdict = "finding" if c.finding else ("tested: no finding" if c.tested else "not tested")
        rows.append(
            f"<tr><td>{e(c.label)}</td><td>{_fig(c.top, c.unit)}</td><td>{_fig(c.rest, c.unit)}</td>"
            f"<td>{_diff(c.diff, c.unit)} ({_diff(c.ci_low, c.unit)} to {_diff(c.ci_high, c.unit)})</td>"
            f"<td>{c.n_top:,} / {c.n_rest:,} {e(c.n_of)} ({c.reps_top} / {c.reps_rest} reps)</td>"
            f"<td>{'<b>finding</b>' if c.finding else verdict}</td><td><small>{e(c.note)}</small></td></tr>"
        )  # fmt: skip
    head = "".join(f"<th>{h}</th>" for h in ("Measure", "Top tier", "Rest",
                   "Difference (95 % CI)", "n top / rest", "", "Note"))  # fmt: skip
    return (f"<details open><summary>Every measure ({len(rows)})</summary><table class='spmkb-profile'>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></details>")  # fmt: skip


def render_board(board: Any, levels: tuple[float, ...]) -> str:
    """The team's board as HTML: the thresholds, then the post (no ranking, no bottom)."""
    from spmkb.coaching.recognition import post_html, post_markdown

    e = html.escape
    marks = " / ".join(f"{lv:.0%}" for lv in levels)
    head = (f"<p><b>Levels</b>: {e(marks)} of quota, earned against the goal, never against "
            "peers. Improvement counts only when its 95 % interval excludes zero.</p>")  # fmt: skip
    notes = "".join(f"<p><small>Note: {e(n)}</small></p>" for n in board.notes)
    return head + post_html(post_markdown(board)) + notes


def render_rep_view(view: dict[str, Any]) -> str:
    """One rep's own view as HTML: attainment, level, the way to the next, their position."""
    e = html.escape
    parts = [f"<h3>{e(view['rep'])} — {e(view['period'])} (only you see this)</h3>"]
    if view.get("message"):
        parts.append(f"<p>{e(view['message'])}</p>")
    else:
        level = view.get("level")
        parts.append(
            f"<p>Attainment <b>{_pct(view['attainment'])}</b> of quota "
            f"({view['won_amount']:,.0f} of {view['quota']:,.0f}); level reached: "
            f"{_pct(level) if level else 'none yet'}.</p>"
        )
        if view.get("next_level"):
            parts.append(f"<p>Next level {_pct(view['next_level'])}: "
                         f"{view['to_next_level']:,.0f} to go.</p>")  # fmt: skip
        parts.append(f"<p>Position: {e(view['position'])}.</p>")
    awards = [a for a in view.get("awards", []) if a["kind"] != "level"]  # the level is above
    if awards:
        parts.append("<ul>" + "".join(f"<li>{e(a['title'])}: {e(a['detail'])}</li>"
                                      for a in awards) + "</ul>")  # fmt: skip
    return "".join(parts)


class ProfilePanel(Panel):
    """Team and window in; the top-performer profile out."""

    def __init__(self, data: Any, *, settings: Any = None, window: str = "2026-H1",
                 team: str | None = None) -> None:  # fmt: skip
        """Build the widgets; :meth:`show` computes the profile."""
        from spmkb.coaching.options import options_from
        from spmkb.deals.roster import roster

        super().__init__()
        self.data, self.options = data, options_from(settings)
        teams = roster(data).teams()
        self.team = w.Dropdown(options=[ALL_TEAMS, *teams],
                               value=team if team in teams else ALL_TEAMS, description="Team")  # fmt: skip
        self.window = w.Text(value=window, description="Window")
        self.show_button = w.Button(description="Show profile", button_style="primary")
        self.output = w.HTML()
        self.profile: Any = None
        self.show_button.on_click(lambda _b: self.show())
        self.widget = w.VBox([w.HBox([self.team, self.window, self.show_button]), self.status,
                              self.output])  # fmt: skip

    @guarded
    def show(self) -> Any:
        """Compute the profile for the chosen team and window and render it."""
        from spmkb.coaching.profile import top_profile

        team = None if self.team.value == ALL_TEAMS else self.team.value
        self.set_status("Computing the profile…", "loading")
        self.profile = top_profile(self.data, self.window.value.strip(), team=team,
                                   options=self.options)  # fmt: skip
        self.output.value = render_profile(self.profile)
        found = len(self.profile.findings)
        self.set_status(
            self.profile.message or f"{found} finding(s).", "info" if self.profile.message else "ok"
        )
        return self.profile


class RecognitionPanel(Panel):
    """Period, team and (optionally) one rep in; the board, or that rep's own view, out."""

    def __init__(self, data: Any, *, settings: Any = None, period: str = "2026-Q2",
                 team: str | None = None, rep: str | None = None) -> None:  # fmt: skip
        """Build the widgets; :meth:`show` computes the board."""
        from spmkb.coaching.options import options_from
        from spmkb.deals.roster import roster

        super().__init__()
        self.data, self.options = data, options_from(settings)
        ros = roster(data)
        teams, names = ros.teams(), ros.names(with_deals=True)
        self.period = w.Text(value=period, description="Period")
        self.team = w.Dropdown(options=[ALL_TEAMS, *teams],
                               value=team if team in teams else ALL_TEAMS, description="Team")  # fmt: skip
        self.rep = w.Dropdown(options=[TEAM_VIEW, *names],
                              value=rep if rep in names else TEAM_VIEW, description="Rep")  # fmt: skip
        self.show_button = w.Button(description="Show", button_style="primary")
        self.output = w.HTML()
        self.show_button.on_click(lambda _b: self.show())
        self.widget = w.VBox([w.HBox([self.period, self.team, self.rep, self.show_button]),
                              self.status, self.output])  # fmt: skip

    @guarded
    def show(self) -> Any:
        """The team board, or the chosen rep's own view (the only one with a position)."""
        from spmkb.coaching.recognition import recognition_board, rep_view

        period = self.period.value.strip()
        if self.rep.value != TEAM_VIEW:
            view = rep_view(self.data, period, self.rep.value, options=self.options)
            self.output.value = render_rep_view(view)
            self.set_status(f"{view['rep']}'s own view: not for the team channel.", "info")
            return view
        team = None if self.team.value == ALL_TEAMS else self.team.value
        board = recognition_board(self.data, period, team=team, options=self.options)
        self.output.value = render_board(board, self.options.levels)
        self.set_status(f"{len(board.awards)} award(s); a draft until a manager approves it.", "ok")
        return board


__all__ = [
    "CoachingPanel",
    "ProfilePanel",
    "RecognitionPanel",
    "render_board",
    "render_followup",
    "render_plan",
    "render_profile",
    "render_rep_view",
]
