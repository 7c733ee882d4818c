"""RecommendPanel: pick a stage (or a deal) and get the before-the-call reading pack.

A thin face over :func:`spmkb.search.recommend.recommend`: the model and index open in a
background thread, the Recommend button calls the core once and renders the pack with
:func:`spmkb.widgets.render.render_pack`. Errors land in the status line.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import ipywidgets as w

from spmkb.errors import SpmkbError
from spmkb.widgets import render
from spmkb.widgets.search_panel import LOADING, guarded, jupyter_root, lab_url


class RecommendPanel:
    """Stage / industry / persona / competitor (or deal id) in, a reading pack out."""

    def __init__(
        self,
        settings: Any | None = None,
        *,
        store: str | Path | None = None,
        playbooks: str | Path | None = None,
        searcher: Any | None = None,
    ) -> None:
        """Build the widgets at once; the model and index load in the background."""
        if settings is None:
            from spmkb.config import load_settings

            settings = load_settings({"store": store, "playbooks": playbooks})
        self.settings = settings
        self.searcher = searcher
        self.pack: Any | None = None
        self._root: tuple[Path | None, str] = (Path.cwd().resolve(), "/")
        self._load_error: BaseException | None = None
        self.stage = w.Dropdown(
            options=list(settings.stages), value=settings.stages[0], description="Stage"
        )
        self.industry = w.Dropdown(options=[("any", "")], value="", description="Industry")
        self.persona = w.Dropdown(options=[("any", "")], value="", description="Persona")
        self.competitor = w.Combobox(
            placeholder="competitor (optional)", description="Competitor", ensure_option=False
        )
        self.deal = w.Text(placeholder="deal id (optional)", description="Deal")
        self.button = w.Button(description="Recommend", button_style="primary", icon="list")
        self.status = w.HTML(render.render_status(LOADING, "loading"))
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
        self._loader = threading.Thread(target=self._load, name="spmkb-recommend-load", daemon=True)
        self._loader.start()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the panel's VBox."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        """Display the panel in a notebook."""
        from IPython.display import display

        display(self.widget)

    def _load(self) -> None:
        try:
            from spmkb.search import embed

            embed.start_loading(**embed.options_for(self.settings))
            self._root = jupyter_root()
            if self.searcher is None:
                from spmkb.search.query import get_searcher

                self.searcher = get_searcher(self.settings)
            facets = self.searcher.facets()
            self.industry.options = [("any", ""), *((v, v) for v in facets.get("industries", []))]
            self.persona.options = [("any", ""), *((v, v) for v in facets.get("personas", []))]
            self.competitor.options = tuple(facets.get("competitors", []))
            embed.embedder_for(self.settings)  # wait for the embedder the settings name
            self.status.value = render.render_status("Ready.", "ok")
        except BaseException as err:
            self._load_error = err
            msg = str(err) if isinstance(err, SpmkbError) else f"{type(err).__name__}: {err}"
            self.status.value = render.render_status(msg, "error")

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the model and index; True when ready."""
        self._loader.join(timeout)
        return not self._loader.is_alive() and self._load_error is None

    def lab_link(self, path: str) -> str | None:
        """JupyterLab URL of an asset file, or None outside the Jupyter root."""
        root, base = self._root
        return lab_url(Path(self.settings.playbooks), path, root, base)

    @guarded
    def recommend(self) -> Any:
        """Build the pack for the picked stage (or deal) and render it (the button handler)."""
        from spmkb.deals.lookup import deal_context
        from spmkb.search.recommend import recommend

        self._loader.join()
        if self._load_error is not None:
            raise self._load_error
        self.status.value = render.render_status("Picking assets…", "loading")
        deal_id = self.deal.value.strip()
        deal = deal_context(self.settings, deal_id) if deal_id else None
        pack = recommend(
            self.searcher,
            stage=None if deal else self.stage.value,
            industry=self.industry.value or None,
            persona=self.persona.value or None,
            competitor=self.competitor.value.strip() or None,
            deal=deal,
        )
        self.pack = pack
        self.output.value = render.render_pack(pack, lab_link=self.lab_link)
        found = sum(1 for i in pack.items if i.hit is not None)
        self.status.value = render.render_status(
            f"{found} of {len(pack.items)} slots filled in {pack.took_ms:.0f} ms", "ok"
        )
        return pack


__all__ = ["RecommendPanel"]
