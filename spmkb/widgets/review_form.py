"""ReviewForm: the manager's form at the end of a review notebook.

One rating per rubric competency with the rubric's guidance for the chosen level beside
it, text areas (strengths, development areas, self-assessment), goal and action-item rows,
a status, and Save. Saving calls :func:`spmkb.reviews.store.save_review` with the version
the form was opened at, so a save that lost a race shows a conflict instead of overwriting.
Reopening the form (a new ``ReviewForm``) shows the latest saved version; the version history
shows under the buttons. A save that changes nothing adds no version and says so next to the
button. The status line, error guard and display come from the panel base
(:mod:`spmkb.widgets._panel`).

Where the live form cannot show — a generated review opened before its cells run (an
untrusted notebook), or a viewer without widgets — the output carries an HTML fallback
(:func:`render_form_fallback`): the saved answers, their history and "run all cells to fill in
the form", never the widget's ``VBox(children=…`` text. The form refreshes that fallback after
every save, so a notebook saved by JupyterLab carries the answers as saved.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path
from typing import Any

import ipywidgets as w

from spmkb.errors import SpmkbError
from spmkb.reviews import store
from spmkb.reviews.history import version_history
from spmkb.reviews.render import render_history, render_saved
from spmkb.reviews.rubric import Competency, Rubric
from spmkb.widgets._panel import Panel, guarded
from spmkb.widgets.render import render_status

_UNRATED = [("—", 0), ("1", 1), ("2", 2), ("3", 3), ("4", 4), ("5", 5)]


def render_guidance(competency: Competency, level: int | None) -> str:
    """HTML with the rubric text for the chosen level (escaped), or a prompt when unrated."""
    if not level:
        return "<span style='color:#777'>Choose a rating to see the rubric guidance.</span>"
    return f"<b>{int(level)}</b> — {html.escape(competency.guidance(level))}"


#: What the fallback of the form says: how to get the live form.
RUN_ALL = "Run all cells to fill in the form (menu Run → Run All Cells)."


def render_form_fallback(
    rep: str, period: str, saved: list[store.ReviewVersion], rubric: Rubric | None = None
) -> str:
    """The form's output where widgets cannot show: run-all prompt, saved answers, history."""
    latest = saved[-1] if saved else None
    return (
        f"<div class='spmkb-form-fallback'><h3>Review: {html.escape(rep)} — "
        f"{html.escape(str(period))}</h3>"
        f"<p><b>{html.escape(RUN_ALL)}</b> Below: the answers saved so far.</p>"
        + render_saved(latest, rubric)
        + "<h4>Version history</h4>"
        + render_history(version_history(saved))
        + "</div>"
    )


class _Rows:
    """Editable rows of text + due date (goals or action items)."""

    def __init__(self, label: str, placeholder: str) -> None:
        self.placeholder = placeholder
        self.box = w.VBox()
        self.add_button = w.Button(description=f"Add {label}", icon="plus")
        self.add_button.on_click(lambda _b: self.add())
        self.widget = w.VBox(
            [w.HTML(f"<b>{html.escape(label.capitalize())}s</b>"), self.box, self.add_button]
        )

    def add(self, text: str = "", due: str | None = None) -> tuple[w.Text, w.DatePicker]:
        """Append a row and return its (text, due date) widgets."""
        t = w.Text(value=text, placeholder=self.placeholder, layout=w.Layout(width="60%"))
        d = w.DatePicker(value=date.fromisoformat(due) if due else None, description="due")
        self.box.children = (*self.box.children, w.HBox([t, d]))
        return t, d

    @property
    def rows(self) -> list[tuple[w.Text, w.DatePicker]]:
        """The (text, due date) widgets of every row."""
        return [tuple(row.children) for row in self.box.children]  # type: ignore[misc]

    def set(self, items: list[dict[str, Any]]) -> None:
        """Replace the rows with ``items`` plus one empty row."""
        self.box.children = ()
        for item in items:
            self.add(item.get("text", ""), item.get("due"))
        self.add()

    def value(self) -> list[dict[str, Any]]:
        """Rows with text, as payload entries."""
        out = []
        for text, due in self.rows:
            if text.value.strip():
                out.append(
                    {"text": text.value, "due": due.value.isoformat() if due.value else None}
                )
        return out


class ReviewForm(Panel):
    """The review form for one rep and period, backed by the workspace database."""

    def __init__(
        self,
        rep: str,
        period: str,
        *,
        db_path: Path | str,
        rubric: Rubric | None,
        author: str = "",
        team: str | None = None,
    ) -> None:
        """Build the form for ``rep`` and ``period`` and show the latest saved version."""
        super().__init__()
        self.rep, self.period, self.db_path, self.rubric, self.team = (
            rep,
            str(period),
            Path(db_path),
            rubric,
            team,
        )
        self.version = 0
        self.saved: list[store.ReviewVersion] = []  # every saved version, oldest first
        self._display: Any = None  # the notebook display whose fallback follows saves
        comps = rubric.competencies if rubric else []
        self.ratings: dict[str, w.Dropdown] = {}
        self.guidance: dict[str, w.HTML] = {}
        rows = []
        for comp in comps:
            dd = w.Dropdown(
                options=_UNRATED, value=0, description="", layout=w.Layout(width="70px")
            )
            gd = w.HTML(render_guidance(comp, 0), layout=w.Layout(width="65%"))
            dd.observe(
                lambda ch, c=comp, g=gd: setattr(g, "value", render_guidance(c, ch["new"])),
                names="value",
            )
            self.ratings[comp.id], self.guidance[comp.id] = dd, gd
            rows.append(
                w.HBox(
                    [
                        w.HTML(f"<b>{html.escape(comp.name)}</b>", layout=w.Layout(width="22%")),
                        dd,
                        gd,
                    ]
                )
            )
        area = w.Layout(width="95%", height="80px")
        self.strengths = w.Textarea(placeholder="Strengths", layout=area)
        self.development_areas = w.Textarea(placeholder="Development areas", layout=area)
        self.self_assessment = w.Textarea(placeholder="Rep's self-assessment", layout=area)
        self.goals = _Rows("goal", "Goal for next period (e.g. demo -> proposal above 60%)")
        self.action_items = _Rows("action item", "Action item")
        self.status_select = w.Dropdown(
            options=list(store.STATUSES), value="draft", description="Status"
        )
        self.author = w.Text(value=author, description="Author", placeholder="your name")
        self.save_button = w.Button(description="Save", button_style="primary", icon="save")
        self.reload_button = w.Button(description="Reload", icon="refresh")
        self.save_button.on_click(lambda _b: self.save())
        self.reload_button.on_click(lambda _b: self.load())
        self.status.layout = w.Layout(flex="1 1 0%", margin="0 0 0 8px")  # wraps beside Save
        self.history = w.HTML(render_history([]))
        self.history.add_class("jp-RenderedHTMLCommon")  # JupyterLab's table style
        self.history.layout = w.Layout(align_self="flex-start")  # table on the left, not centred
        heading = w.HTML(f"<h3>Review: {html.escape(rep)} — {html.escape(self.period)}</h3>")
        ratings_box = (
            w.VBox(rows)
            if rows
            else w.HTML(
                "<i>No rubric found: competencies cannot be rated (see docs/reviews.md).</i>"
            )
        )
        self.widget = self.panel = w.VBox([
            heading, ratings_box,
            w.HTML("<b>Strengths</b>"), self.strengths,
            w.HTML("<b>Development areas</b>"), self.development_areas,
            w.HTML("<b>Self-assessment</b>"), self.self_assessment,
            self.goals.widget, self.action_items.widget,
            w.HBox([self.status_select, self.author]),
            w.HBox([self.save_button, self.reload_button, self.status]),
            w.HTML("<b>Version history</b>"), self.history,
        ])  # fmt: skip
        self.load()

    def payload(self) -> dict[str, Any]:
        """The form's current content as a review payload."""
        return {
            "ratings": {cid: dd.value for cid, dd in self.ratings.items() if dd.value},
            "strengths": self.strengths.value,
            "development_areas": self.development_areas.value,
            "self_assessment": self.self_assessment.value,
            "goals": self.goals.value(),
            "action_items": self.action_items.value(),
        }

    def fallback_html(self) -> str:
        """What the output shows where the live form cannot: see :func:`render_form_fallback`."""
        return render_form_fallback(self.rep, self.period, self.saved, self.rubric)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The live form, with the saved answers as HTML and a one-line text fallback."""
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/html"] = self.fallback_html()
        bundle["text/plain"] = f"Review form for {self.rep}, {self.period}. {RUN_ALL}"
        return bundle

    def _ipython_display_(self) -> None:
        """Display the form; later saves refresh the fallback of this same output."""
        from IPython.display import display

        self._display = display(self._repr_mimebundle_(), raw=True, display_id=True)

    def _history_changed(self) -> None:
        self.history.value = render_history(version_history(self.saved))
        if self._display is not None:
            self._display.update(self._repr_mimebundle_(), raw=True)

    @guarded
    def load(self) -> None:
        """Show the latest saved version (or an empty form) and remember its version number."""
        try:
            conn = store.open_db(self.db_path, create=False) if self.db_path.exists() else None
            self.saved = store.versions(conn, self.rep, self.period) if conn else []
            latest = self.saved[-1] if self.saved else None
        except SpmkbError as err:
            self.save_button.disabled = True
            self.set_status(f"Cannot open saved reviews: {err}", "error")
            return
        payload = latest.payload if latest else {}
        for cid, dd in self.ratings.items():
            dd.value = int(payload.get("ratings", {}).get(cid, 0))
        for name in store.TEXT_FIELDS:
            getattr(self, name).value = payload.get(name, "")
        self.goals.set(payload.get("goals", []))
        self.action_items.set(payload.get("action_items", []))
        if latest:
            self.version = latest.version
            self.status_select.value = latest.status
            self.set_status(
                f"Version {latest.version} ({latest.status}) saved by {latest.author} at {latest.saved_at}"
            )
        else:
            self.version = 0
            self.set_status("Not saved yet.")
        self._history_changed()

    @guarded
    def save(self) -> None:
        """Save a new version; the status line says what happened (saved, conflict or error)."""
        try:
            conn = store.open_db(self.db_path)
            v = store.save_review(
                conn,
                self.rep,
                self.period,
                self.payload(),
                author=self.author.value,
                expected_version=self.version,
                status=self.status_select.value,
                competencies=self.rubric.ids if self.rubric else None,
                team=self.team,
            )
        except SpmkbError as err:
            self.set_status(f"Not saved: {err}", "error")
            return
        if v.version == self.version:
            self.set_status(f"No changes since version {v.version}: nothing saved.", "info")
            return
        self.version = v.version
        self.saved.append(v)
        self._history_changed()
        self.set_status(
            f"Saved version {v.version} ({v.status}) by {v.author} at {v.saved_at}", "ok"
        )


__all__ = ["ReviewForm", "render_form_fallback", "render_guidance", "render_status"]
