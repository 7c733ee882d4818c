"""SearchPanel: the rep-facing "find the right asset before a call" widget.

The panel appears at once: the embedding model and the Chroma index are opened in a
background thread while the status line says "Loading the search model…"; the first search
waits for them. Loading, the status line and the error guard come from the panel base
(:mod:`spmkb.widgets._panel`): an error always ends up in the status line (the ipywidgets
callback dispatcher would otherwise swallow it). Each action calls one core
function (``Searcher.search``, ``.asset``, ``.similar``) and hands the result to a pure
renderer in :mod:`spmkb.widgets.render`.

Links that open a file in JupyterLab are ``<base_url>lab/tree/<path>``, where ``<path>`` is
the asset file relative to the Jupyter server's root directory. The root is
``$SPMKB_JUPYTER_ROOT`` when set, else the ``root_dir`` of the running Jupyter server that
started this kernel, else the working directory; files outside that root get no link, and a
standalone Voila app (which serves no ``/lab`` pages) shows paths without links.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets as w

from spmkb.errors import SpmkbError
from spmkb.widgets import render
from spmkb.widgets._panel import Panel, guarded

log = logging.getLogger(__name__)

LOADING = "Loading the search model…"
#: Seconds between two checks for a re-built index (the searcher itself checks at most every
#: ~2 s); an ``spmkb index`` run in another process shows in an open panel within ~2-4 s.
WATCH_SECONDS = 2.0
FACETS = (
    ("stage", "stages", "Stage"),
    ("type", "types", "Type"),
    ("persona", "personas", "Persona"),
    ("industry", "industries", "Industry"),
)


def jupyter_root() -> tuple[Path | None, str]:
    """Root directory and base URL of the JupyterLab server running this kernel.

    Falls back to ``$SPMKB_JUPYTER_ROOT``, then to the working directory; returns ``None`` as
    the root under a standalone Voila app (it serves no ``/lab`` pages, so no links).
    """
    env_root = os.environ.get("SPMKB_JUPYTER_ROOT")
    if env_root:
        return Path(env_root).resolve(), os.environ.get("SPMKB_JUPYTER_BASE_URL", "/")
    try:
        from jupyter_server.serverapp import list_running_servers

        parent = os.getppid()
        for info in list_running_servers():
            if info.get("pid") == parent and info.get("root_dir"):
                return Path(info["root_dir"]).resolve(), info.get("base_url") or "/"
    except Exception:  # no server (a script, a test): fall back to cwd
        log.debug("no running Jupyter server found", exc_info=True)
    if any(k in os.environ for k in ("VOILA_APP_PORT", "VOILA_BASE_URL", "VOILA_KERNEL_ID")):
        return None, "/"
    return Path.cwd().resolve(), "/"


def lab_url(playbooks: Path, path: str, root: Path | None, base_url: str = "/") -> str | None:
    """``<base_url>lab/tree/<file relative to root>`` for an asset, or None if outside root."""
    from spmkb.widgets._safe import safe_path

    if root is None:
        return None
    try:
        target = safe_path(playbooks, path)
        rel = target.relative_to(root)
    except (SpmkbError, ValueError):
        return None
    return f"{base_url.rstrip('/')}/lab/tree/{quote(rel.as_posix())}"


class SearchBacked(Panel):
    """A panel over the search index: settings, searcher, Jupyter links, background opening.

    :meth:`background_load` warms the query embedder the settings name
    (:func:`spmkb.search.embed.query_embedder_for`) while it opens the index, lets the subclass fill
    its filters from the index's facets (:meth:`fill`), and only then reports ready.

    A watcher thread (:meth:`poll`, every ``watch`` seconds) reloads the index when another
    process re-indexed it, re-fills the filters and says so in the status line ("Index
    refreshed 16:02:11 — 62 assets indexed."); each action says so too when its own query
    was the one that found the change.
    """

    loading_message = LOADING

    def __init__(
        self,
        settings: Any | None = None,
        *,
        store: str | Path | None = None,
        playbooks: str | Path | None = None,
        searcher: Any | None = None,
        watch: float | None = WATCH_SECONDS,
    ) -> None:
        """Resolve the settings, build the widgets and start opening the index in the background.

        ``store``/``playbooks`` override the project's settings; ``searcher`` is an open one;
        ``watch``: seconds between checks for a re-built index (None: only when searching).
        """
        super().__init__()
        if settings is None:
            from spmkb.config import load_settings

            settings = load_settings({"store": store, "playbooks": playbooks})
        self.settings = settings
        self.searcher = searcher
        self._root: tuple[Path | None, str] = (Path.cwd().resolve(), "/")
        self._seen_version: Any = None
        self._news_lock = threading.Lock()
        self._filling = False
        #: The last "Index refreshed …" message ("" before the first re-index).
        self.refreshed_note = ""
        self.build()
        self.start_loader()
        if watch:
            self.start_watching(watch)

    def build(self) -> None:
        """Create the panel's widgets (``self.widget`` holds them) and wire its actions."""

    def background_load(self) -> str:
        """Background: start the embedder, open the index, fill the filters, find the Jupyter root."""
        from spmkb.search import embed
        from spmkb.search.coldstart import import_jsonschema_lightly

        import_jsonschema_lightly()  # before chromadb's import: 1.6 s of CPU less
        embed.start_query_loading(self.settings)
        self._root = jupyter_root()
        if self.searcher is None:
            from spmkb.search.query import get_searcher

            self.searcher = get_searcher(self.settings)
        self._seen_version = getattr(self.searcher, "version", None)
        self.fill(self.searcher.facets())
        embed.query_embedder_for(self.settings)  # wait for the query embedder
        return self.ready_message()

    def fill(self, facets: dict[str, list[str]]) -> None:
        """Put the index's facet values into the panel's filters."""

    def ready_message(self) -> str:
        """The status once the index and the embedder are ready."""
        return "Ready."

    # the index changing under an open panel ------------------------------------------------
    def poll(self) -> str | None:
        """Watcher: reload the index if it changed; "Index refreshed …" once per reload."""
        loading = self._loader is not None and self._loader.is_alive()
        refresh = getattr(self.searcher, "refresh", None)  # an index without one is not watched
        if refresh is None or loading or self.load_error is not None:
            return None
        refresh()
        return self.index_news()

    def index_news(self) -> str | None:
        """After a reload this panel has not reported yet: re-fill the filters and return
        "Index refreshed HH:MM:SS — N assets indexed." (local time it noticed); else None."""
        with self._news_lock:
            version = getattr(self.searcher, "version", None)
            if version is None or version == self._seen_version:
                return None
            self._seen_version = version
            self.fill(self.searcher.facets())
            n = self.searcher.count()
            when = datetime.now().strftime("%H:%M:%S")
            note = f"Index refreshed {when} — {n} assets indexed."
            partial = [x for x in getattr(self.searcher, "notes", []) if "so far" in x]
            if partial:  # an index run is still embedding: say how far the semantic side is
                note += " " + partial[0][:1].upper() + partial[0][1:] + "."
            self.refreshed_note = note
            return self.refreshed_note

    def set_options(self, control: Any, options: list[Any]) -> None:
        """New options for a filter; the picked value stays when it is still offered, and the
        change does not count as the user picking a filter (no search runs)."""
        value = control.value
        self._filling = True
        try:
            control.options = options
            offered = [o[1] if isinstance(o, tuple) else o for o in options]
            if value in offered and control.value != value:
                control.value = value
        finally:
            self._filling = False

    def ensure_searcher(self) -> Any:
        """Wait for the background load (re-raising its error) and return the searcher."""
        self.ensure_ready()
        return self.searcher

    def lab_link(self, path: str) -> str | None:
        """JupyterLab URL of an asset file, or None when it is outside the Jupyter root."""
        root, base = self._root
        return lab_url(Path(self.settings.playbooks), path, root, base)


@dataclass
class CardRow:
    """One result on screen: the card HTML and its Open / More like this buttons."""

    hit: Any
    rank: int
    html: w.HTML
    open_button: w.Button
    similar_button: w.Button
    box: w.VBox


class SearchPanel(SearchBacked):
    """Search box, facet filters, result cards with Open / More like this, and a reader pane.

    An optional "For deal" picker ties the reading to a deal: opens are then logged with the
    deal's id and stage (``deals=False`` leaves the picker out).
    """

    def __init__(
        self,
        settings: Any | None = None,
        *,
        k: int = 10,
        log_searches: bool = True,
        source: str = "widget",
        deals: bool = True,
        **where: Any,
    ) -> None:
        """Build the widgets at once and start loading the model and index in the background.

        ``where``: ``store``, ``playbooks`` or an open ``searcher`` (see :class:`SearchBacked`).
        """
        self.k = k
        self.log_searches = log_searches
        self.source = source
        self.deals = deals
        super().__init__(settings, **where)

    def build(self) -> None:
        """The query box, filters, status, result cards and reader pane."""
        self.session = uuid.uuid4().hex[:12]
        self.last_result: Any | None = None
        self.last_search_id: int | None = None
        self.card_rows: list[CardRow] = []
        self._pool: list[CardRow] = []

        self.query = w.Text(
            placeholder="What do you need? e.g. customer says the price is too high",
            continuous_update=False,
            layout=w.Layout(width="60%"),
        )
        self.button = w.Button(
            description="Search",
            button_style="primary",
            icon="search",
            tooltip="Search the playbooks (or press Enter)",
        )
        for attr, _key, label in FACETS:
            dd = w.Dropdown(
                options=[("any", "")], value="", description=label, layout=w.Layout(width="220px")
            )
            setattr(self, attr, dd)
        self.results = w.HTML("")
        self.cards = w.VBox([])
        self.reader = w.HTML("", layout=w.Layout(max_height="640px", overflow_y="auto"))
        self.back = w.Button(
            description="Back",
            icon="arrow-left",
            tooltip="Back to the asset you came from",
            layout=w.Layout(width="auto", display="none"),
        )
        self.back.on_click(lambda _b: self.go_back())
        self.links = w.VBox([])
        self.deal = self._deal_picker()
        self.current_asset: Any | None = None
        self.history: list[str] = []
        left = w.VBox([self.results, self.cards], layout=w.Layout(width="55%"))
        right = w.VBox([self.back, self.reader, self.links], layout=w.Layout(width="45%"))
        self.widget = w.VBox(
            [
                w.HBox([self.query, self.button]),
                w.HBox([self.stage, self.type, self.persona, self.industry]),
                *([self.deal.widget] if self.deal is not None else []),
                self.status,
                w.HBox([left, right]),
            ]
        )
        self.query.observe(self._on_query, names="value")
        for attr, _key, _label in FACETS:
            getattr(self, attr).observe(self._on_filter, names="value")
        self.button.on_click(self._on_click)

    # the deal the reading is for -----------------------------------------------------------
    def _deal_picker(self) -> Any | None:
        """The optional "For deal" picker (filled by the background loader)."""
        if not self.deals:
            return None
        from spmkb.widgets.deal_picker import DealPicker

        return DealPicker(self.settings, description="For deal", load=False)

    def background_load(self) -> str:
        """List the workspace's deals in the "For deal" picker while the index opens."""
        if self.deal is None:
            return super().background_load()
        self.deal.start_loading()
        ready = super().background_load()
        self.deal.wait_loaded()
        return ready

    def deal_values(self) -> dict[str, str | None]:
        """The picked deal's id and stage as plain values for the log (None without a deal)."""
        choice = self.deal.choice if self.deal is not None else None
        if choice is None:
            return {"deal_id": None, "deal_stage": None}
        return {"deal_id": choice.id, "deal_stage": choice.stage}

    def fill(self, facets: dict[str, list[str]]) -> None:
        """One dropdown per facet: ``any`` plus the values in the index."""
        for attr, key, _label in FACETS:
            values = sorted(facets.get(key, []))
            self.set_options(getattr(self, attr), [("any", ""), *((v, v) for v in values)])

    def ready_message(self) -> str:
        """How many assets are indexed, and what to do next."""
        n = self.searcher.count()
        return f"Ready — {n} assets indexed. Type a question and press Enter."

    # actions -------------------------------------------------------------------------------
    def filters(self) -> dict[str, str]:
        """The filters picked in the dropdowns (``any`` left out)."""
        return {
            attr: getattr(self, attr).value for attr, _k, _l in FACETS if getattr(self, attr).value
        }

    def _on_query(self, change: dict[str, Any]) -> None:
        if change.get("new", "").strip():
            self.search()

    def _on_filter(self, _change: dict[str, Any]) -> None:
        """A filter changed: re-run the current query (once one has run) with the new filters."""
        if self._filling:  # new options from a re-index, not the user's pick
            return
        if self.last_result is not None and self.query.value.strip():
            self.search()

    def _on_click(self, _button: Any = None) -> None:
        self.search()

    @guarded
    def search(self) -> Any:
        """Run the query with the picked filters and render the cards (the Search handler)."""
        text = self.query.value.strip()
        if not text:
            self.set_status("Type a question first.", "info")
            return None
        searcher = self.ensure_searcher()
        self.set_status(f"Searching for “{text}”…", "loading")
        filters = self.filters()
        result = searcher.search(text, k=self.k, **filters)
        self.last_result = result
        self.last_search_id = self._log(result)
        if result.hits:
            self.results.value = render.render_summary(result)
        else:
            without = None
            if filters:
                without = len(searcher.search(text, k=self.k).hits)
            self.results.value = render.render_empty_state(
                result, without_filters=without, indexed=searcher.count()
            )
        self._show_cards(result.hits, render.query_terms(text))
        self.index_news()
        if self.refreshed_note:  # keep saying when the index last changed under this panel
            self.set_status(self.refreshed_note, "ok")
        else:
            self.status.value = ""  # the count and time are in the line above the cards, once
        return result

    def _log(self, result: Any) -> int | None:
        if not self.log_searches:
            return None
        from spmkb.search.log import try_log_search

        return try_log_search(self.settings, result, self.source, session=self.session)

    def _log_open(self, asset_id: str, rank: int | None, action: str) -> None:
        if not self.log_searches:
            return
        try:
            from spmkb.search.log import log_open

            log_open(
                self.settings,
                asset_id,
                search_id=self.last_search_id,
                rank=rank,
                source=self.source,
                session=self.session,
                action=action,
                **self.deal_values(),
            )
        except (SpmkbError, OSError):  # never let the log break reading
            log.warning("open not logged", exc_info=True)

    def _row(self, index: int) -> CardRow:
        """Card row ``index``, created once and reused by later searches (no widget churn)."""
        while len(self._pool) <= index:
            i = len(self._pool)
            card = w.HTML("")
            opener = w.Button(description="Open", icon="book-open", layout=w.Layout(width="auto"))
            similar = w.Button(
                description="More like this", icon="clone", layout=w.Layout(width="auto")
            )
            opener.on_click(functools.partial(self._click_open, i))
            similar.on_click(functools.partial(self._click_similar, i))
            box = w.VBox([card, w.HBox([opener, similar])])
            self._pool.append(CardRow(None, i + 1, card, opener, similar, box))
        return self._pool[index]

    def _show_cards(self, hits: list[Any], terms: list[str]) -> None:
        rows = []
        for i, hit in enumerate(hits):
            row = self._row(i)
            row.hit = hit
            row.html.value = render.render_card(hit, terms, rank=i + 1, lab_link=self.lab_link)
            row.open_button.tooltip = f"Read {hit.title}"
            row.similar_button.tooltip = f"Assets similar to {hit.title}"
            rows.append(row)
        self.card_rows = rows
        boxes = tuple(r.box for r in rows)
        if self.cards.children != boxes:
            self.cards.children = boxes

    def _click_open(self, index: int, _button: Any = None) -> None:
        self.open(self._pool[index].hit.id, rank=index + 1)

    def _click_similar(self, index: int, _button: Any = None) -> None:
        self.similar(self._pool[index].hit.id)

    @guarded
    def open(self, asset_id: str, *, rank: int | None = None) -> Any:
        """Render the whole asset (sanitised) in the reader pane and log the open."""
        searcher = self.ensure_searcher()
        asset = searcher.asset(asset_id)
        self.history.clear()
        self._show_asset(asset)
        self._log_open(asset_id, rank, "open")
        return asset

    @guarded
    def open_path(self, path: str) -> Any:
        """Open an asset by its path under the playbook root (refuses anything outside it)."""
        from spmkb.widgets._safe import load_asset_safely

        asset = load_asset_safely(Path(self.settings.playbooks), path, self.settings)
        self._show_asset(asset)
        return asset

    @guarded
    def follow(self, target: str) -> Any:
        """Open the linked asset ``target`` (from the playbook root) in the reader; Back returns."""
        from spmkb.widgets._safe import load_asset_safely

        asset = load_asset_safely(Path(self.settings.playbooks), target, self.settings)
        if self.current_asset is not None:
            self.history.append(self.current_asset.path)
        self._show_asset(asset)
        self._log_open(asset.id, None, "link")
        return asset

    @guarded
    def go_back(self) -> Any:
        """Show the asset the last followed link came from (the Back button)."""
        from spmkb.widgets._safe import load_asset_safely

        if not self.history:
            self.set_status("Nothing to go back to.", "info")
            return None
        asset = load_asset_safely(Path(self.settings.playbooks), self.history.pop(), self.settings)
        self._show_asset(asset)
        return asset

    def _show_asset(self, asset: Any) -> None:
        terms = render.query_terms(self.query.value)
        fresh = asset.freshness(aging_fraction=self.settings.aging_fraction)
        page, links = render.render_reader_links(
            asset, terms=terms, freshness=fresh, lab_link=self.lab_link
        )
        self.reader.value = page
        self.current_asset = asset
        self.back.layout.display = "" if self.history else "none"
        self.links.children = self._link_buttons(links)
        self.set_status(f"Opened “{asset.title}”.", "ok")

    def _link_buttons(self, links: list[render.AssetLink]) -> tuple[w.Widget, ...]:
        """One button per distinct linked file under the reader ("Linked assets")."""
        seen: dict[str, render.AssetLink] = {}
        for link in links:
            seen.setdefault(link.target, link)
        if not seen:
            return ()
        buttons: list[w.Widget] = [w.HTML("<b>Linked assets</b>")]
        for link in seen.values():
            button = w.Button(
                description=link.text[:60],
                icon="link",
                tooltip=f"Open {link.href} here",
                layout=w.Layout(width="auto"),
            )
            button.on_click(functools.partial(self._click_link, link.target))
            buttons.append(button)
        return tuple(buttons)

    def _click_link(self, target: str, _button: Any = None) -> None:
        self.follow(target)

    @guarded
    def similar(self, asset_id: str) -> Any:
        """Replace the cards with assets similar to ``asset_id`` (More like this)."""
        searcher = self.ensure_searcher()
        start = time.perf_counter()
        result = searcher.similar(asset_id, k=self.k)
        self._log_open(asset_id, None, "similar")
        title = next((r.hit.title for r in self.card_rows if r.hit.id == asset_id), asset_id)
        self.last_result = result
        self.results.value = render.render_summary(result, heading=f"like “{title}”")
        self._show_cards(result.hits, render.query_terms(self.query.value))
        took = getattr(result, "took_ms", None) or (time.perf_counter() - start) * 1000
        self.set_status(f"{len(result.hits)} assets like “{title}” in {took:.0f} ms", "ok")
        return result


__all__ = ["CardRow", "SearchBacked", "SearchPanel", "guarded", "jupyter_root", "lab_url"]
