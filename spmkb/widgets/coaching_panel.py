"""CoachingPanel: pick a rep, build a coaching plan, save it (versioned) and follow it up.

A thin face over :mod:`spmkb.coaching`: each button calls one core function
(:func:`~spmkb.coaching.plans.build_plan`, :func:`~spmkb.coaching.plans.save_plan`,
:func:`~spmkb.coaching.followup.follow_up`) and hands the result to a pure ``render_*``
function that returns sanitised HTML. Status line, error guard and display come from the
:mod:`spmkb.widgets._panel` base.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from spmkb.widgets._panel import Panel, guarded

AUTO = "(found by the data)"


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
        names = roster(data).names(with_deals=True)
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


__all__ = ["CoachingPanel", "render_followup", "render_plan"]
