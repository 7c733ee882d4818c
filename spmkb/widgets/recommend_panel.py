"""RecommendPanel: pick a stage (or a deal) and get the before-the-call reading pack.

A thin face that composes the two engines: a deal id is looked up in the deals engine
(:func:`spmkb.deals.lookup.deal_context`) and its plain values go to
:func:`spmkb.search.recommend.recommend`; the pack is rendered by
:func:`spmkb.widgets.render.render_pack`. Loading, errors and the status line come from the
panel base (:mod:`spmkb.widgets._panel`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import ipywidgets as w

from spmkb.widgets import render
from spmkb.widgets._panel import guarded
from spmkb.widgets.search_panel import SearchBacked

#: Command-line wording in the engine's reasons and notes, and what the panel says instead.
PANEL_WORDING: tuple[tuple[str, str], ...] = (
    (r"pass --competitor or a deal with one", "pick a Competitor, or type a Deal id that has one"),
    (r"--competitor", "the Competitor box"),
    (r"--stage", "the Stage list"),
    (r"--deal ID", "the Deal box"),
    (r"--deal", "the Deal box"),
    (r"--industry", "the Industry list"),
    (r"--persona", "the Persona list"),
)


def panel_wording(text: str) -> str:
    """``text`` with command-line options ("pass --competitor") replaced by the panel's controls."""
    for pattern, words in PANEL_WORDING:
        text = re.sub(pattern, words, text)
    return text


def for_panel(pack: Any) -> Any:
    """A copy of ``pack`` whose reasons and notes use the panel's wording, not the CLI's."""
    items = [dataclasses.replace(i, reason=panel_wording(i.reason)) for i in pack.items]
    notes = [panel_wording(n) for n in pack.notes]
    return dataclasses.replace(pack, items=items, notes=notes)


class RecommendPanel(SearchBacked):
    """Stage / industry / persona / competitor (or deal id) in, a reading pack out."""

    def build(self) -> None:
        """The context dropdowns, deal id, Recommend button, status and pack."""
        self.pack: Any | None = None
        stages = list(self.settings.stages)
        self.stage = w.Dropdown(options=stages, value=stages[0], description="Stage")
        self.industry = w.Dropdown(options=[("any", "")], value="", description="Industry")
        self.persona = w.Dropdown(options=[("any", "")], value="", description="Persona")
        self.competitor = w.Combobox(
            placeholder="competitor (optional)", description="Competitor", ensure_option=False
        )
        self.deal = w.Text(placeholder="deal id (optional)", description="Deal")
        self.button = w.Button(description="Recommend", button_style="primary", icon="list")
        self.output = w.HTML("")
        self.opens = w.HBox([], layout=w.Layout(flex_flow="row wrap"))
        self.reader = w.HTML("", layout=w.Layout(max_height="640px", overflow_y="auto"))
        self.widget = w.VBox(
            [
                w.HBox([self.stage, self.industry, self.persona]),
                w.HBox([self.competitor, self.deal, self.button]),
                self.status,
                w.HBox(
                    [
                        w.VBox([self.output, self.opens], layout=w.Layout(width="55%")),
                        w.VBox([self.reader], layout=w.Layout(width="45%")),
                    ]
                ),
            ]
        )
        self.button.on_click(lambda _b: self.recommend())

    def fill(self, facets: dict[str, list[str]]) -> None:
        """Industry and persona dropdowns, competitor suggestions, from the index."""
        self.set_options(
            self.industry, [("any", ""), *((v, v) for v in facets.get("industries", []))]
        )
        self.set_options(self.persona, [("any", ""), *((v, v) for v in facets.get("personas", []))])
        self.competitor.options = tuple(facets.get("competitors", []))

    def ready_message(self) -> str:
        """How many assets are indexed, and what to do next."""
        n = self.searcher.count()
        return f"Ready — {n} assets indexed. Pick a stage (or a deal) and press Recommend."

    @guarded
    def recommend(self) -> Any:
        """Build the pack for the picked stage (or deal) and render it (the button handler)."""
        from spmkb.deals.lookup import deal_context
        from spmkb.search.recommend import recommend

        self.pack = None  # an error below must not leave the previous pack on screen
        self.output.value = ""
        self.opens.children = ()
        self.reader.value = ""
        searcher = self.ensure_searcher()
        self.set_status("Picking assets…", "loading")
        deal_id = self.deal.value.strip()
        deal = deal_context(self.settings, deal_id) if deal_id else None
        pack = recommend(
            searcher,
            stage=None if deal else self.stage.value,
            industry=self.industry.value or None,
            persona=self.persona.value or None,
            competitor=self.competitor.value.strip() or None,
            deal=deal,
        )
        self.pack = pack
        self.output.value = render.render_pack(for_panel(pack), lab_link=self.lab_link)
        self.opens.children = tuple(self._open_button(i) for i in pack.items if i.hit is not None)
        found = sum(1 for i in pack.items if i.hit is not None)
        done = f"{found} of {len(pack.items)} slots filled in {pack.took_ms:.0f} ms"
        self.index_news()  # this query may be the one that found a re-built index
        note = self.refreshed_note  # keep saying when the index last changed under this panel
        self.set_status(f"{done}. {note}" if note else done, "ok")
        return pack

    def _open_button(self, item: Any) -> w.Button:
        button = w.Button(
            description=f"Open {item.slot}",
            icon="book-open",
            tooltip=f"Read {item.hit.title}",
            layout=w.Layout(width="auto"),
        )
        button.on_click(functools.partial(self._click_open, item.hit.id))
        return button

    def _click_open(self, asset_id: str, _button: Any = None) -> None:
        self.open(asset_id)

    @guarded
    def open(self, asset_id: str) -> Any:
        """Show the whole recommended asset (sanitised) in the reader pane."""
        asset = self.ensure_searcher().asset(asset_id)
        fresh = asset.freshness(aging_fraction=self.settings.aging_fraction)
        self.reader.value = render.render_reader(asset, freshness=fresh, lab_link=self.lab_link)
        self.set_status(f"Opened “{asset.title}”.", "ok")
        return asset


__all__ = ["PANEL_WORDING", "RecommendPanel", "for_panel", "panel_wording"]
