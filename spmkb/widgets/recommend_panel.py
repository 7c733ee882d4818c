"""RecommendPanel: pick a stage (or a deal) and get the before-the-call reading pack.

A thin face that composes the two engines: the deal picker (:mod:`spmkb.widgets.deal_picker`)
finds the deal in the deals engine and its plain values go to
:func:`spmkb.search.recommend.recommend`; the pack is rendered by
:func:`spmkb.widgets.render.render_pack`. Loading, errors and the status line come from the
panel base (:mod:`spmkb.widgets._panel`). Opening an asset is logged in the search log, with
the deal when the pack is for one (the content-and-outcomes report reads it).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import uuid
from typing import Any

import ipywidgets as w

from spmkb.errors import SpmkbError
from spmkb.widgets import render
from spmkb.widgets._panel import guarded
from spmkb.widgets.deal_picker import DealPicker
from spmkb.widgets.search_panel import SearchBacked

log = logging.getLogger(__name__)

#: Command-line wording in the engine's reasons, notes and errors, and what the panel says instead.
PANEL_WORDING: tuple[tuple[str, str], ...] = (
    (r"pass --competitor or a deal with one", "pick a Competitor, or a Deal that has one"),
    (r"pass --stage \((one of: [^)]*)\) or --deal ID", r"pick a Stage (\1) or a Deal that has one"),
    (
        r"run `spmkb deals import FILE` \(or generate the sample data\) first",
        "import the deal data (your CRM export, or the sample data) into the workspace first",
    ),
    (
        r"\(or pass the --store used when indexing\)",
        "(or set the notebook's store parameter to the folder used when indexing)",
    ),
    (r"--competitor", "the Competitor box"),
    (r"--stage", "the Stage list"),
    (r"--deal ID", "the Deal picker"),
    (r"--deal", "the Deal picker"),
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
    """Stage / industry / persona / competitor (or a deal from the picker) in, a reading pack out."""

    def build(self) -> None:
        """The context dropdowns, deal picker, Recommend button, status and pack."""
        self.pack: Any | None = None
        self.pack_deal: dict[str, str | None] | None = None
        self.session = uuid.uuid4().hex[:12]
        stages = list(self.settings.stages)
        self.stage = w.Dropdown(options=stages, value=stages[0], description="Stage")
        self.industry = w.Dropdown(options=[("any", "")], value="", description="Industry")
        self.persona = w.Dropdown(options=[("any", "")], value="", description="Persona")
        self.competitor = w.Combobox(
            placeholder="competitor (optional)", description="Competitor", ensure_option=False
        )
        self.deal = DealPicker(self.settings, description="Deal", load=False)
        self.deal.on_change(self._on_deal)
        self.button = w.Button(description="Recommend", button_style="primary", icon="list")
        self.output = w.HTML("")
        self.opens = w.HBox([], layout=w.Layout(flex_flow="row wrap"))
        self.reader = w.HTML("", layout=w.Layout(max_height="640px", overflow_y="auto"))
        self.widget = w.VBox(
            [
                w.HBox([self.stage, self.industry, self.persona]),
                self.deal.widget,
                w.HBox([self.competitor, self.button]),
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

    def background_load(self) -> str:
        """List the workspace's deals in the picker while the index opens (see the base)."""
        self.deal.start_loading()
        ready = super().background_load()
        self.deal.wait_loaded()
        return ready

    def set_status(self, message: str, kind: str = "info") -> None:
        """Show ``message`` in the status line, in the panel's words (no command-line options)."""
        super().set_status(panel_wording(message), kind)

    def _on_deal(self, deal_id: str | None) -> None:
        """A deal was picked: the pack follows its stage, so the Stage list shows it and rests."""
        choice = self.deal.choice if deal_id else None
        stage = (choice.stage or "").lower() if choice is not None else ""
        if stage in self.stage.options:
            self.stage.value = stage
        self.stage.disabled = choice is not None

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
        from spmkb.search.recommend import recommend

        self.pack = self.pack_deal = None  # an error must not leave the previous pack on screen
        self.output.value = ""
        self.opens.children = ()
        self.reader.value = ""
        searcher = self.ensure_searcher()
        self.set_status("Picking assets…", "loading")
        deal = self.deal.context()
        pack = recommend(
            searcher,
            stage=None if deal else self.stage.value,
            industry=self.industry.value or None,
            persona=self.persona.value or None,
            competitor=self.competitor.value.strip() or None,
            deal=deal,
        )
        self.pack, self.pack_deal = pack, deal
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
        self._log_open(asset_id)
        return asset

    def _log_open(self, asset_id: str) -> None:
        """Log the open (with the pack's deal and its stage); never let the log break reading."""
        from spmkb.search.log import log_open

        deal = self.pack_deal or {}
        try:
            log_open(
                self.settings,
                asset_id,
                source="recommend",
                session=self.session,
                deal_id=deal.get("id"),
                deal_stage=deal.get("stage"),
            )
        except (SpmkbError, OSError):
            log.warning("open not logged", exc_info=True)


__all__ = ["PANEL_WORDING", "RecommendPanel", "for_panel", "panel_wording"]
