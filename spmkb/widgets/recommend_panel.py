"""RecommendPanel: pick a stage (or a deal) and get the before-the-call reading pack.

A thin face that composes the two engines: a deal id is looked up in the deals engine
(:func:`spmkb.deals.lookup.deal_context`) and its plain values go to
:func:`spmkb.search.recommend.recommend`; the pack is rendered by
:func:`spmkb.widgets.render.render_pack`. Loading, errors and the status line come from the
panel base (:mod:`spmkb.widgets._panel`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from spmkb.widgets import render
from spmkb.widgets._panel import guarded
from spmkb.widgets.search_panel import SearchBacked


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
        self.widget = w.VBox(
            [
                w.HBox([self.stage, self.industry, self.persona]),
                w.HBox([self.competitor, self.deal, self.button]),
                self.status,
                self.output,
            ]
        )
        self.button.on_click(lambda _b: self.recommend())

    def fill(self, facets: dict[str, list[str]]) -> None:
        """Industry and persona dropdowns, competitor suggestions, from the index."""
        self.industry.options = [("any", ""), *((v, v) for v in facets.get("industries", []))]
        self.persona.options = [("any", ""), *((v, v) for v in facets.get("personas", []))]
        self.competitor.options = tuple(facets.get("competitors", []))

    @guarded
    def recommend(self) -> Any:
        """Build the pack for the picked stage (or deal) and render it (the button handler)."""
        from spmkb.deals.lookup import deal_context
        from spmkb.search.recommend import recommend

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
        self.output.value = render.render_pack(pack, lab_link=self.lab_link)
        found = sum(1 for i in pack.items if i.hit is not None)
        self.set_status(f"{found} of {len(pack.items)} slots filled in {pack.took_ms:.0f} ms", "ok")
        return pack


__all__ = ["RecommendPanel"]
