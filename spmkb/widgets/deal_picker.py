"""DealPicker: find a deal by account or deal name instead of typing its id.

A text box (account or deal name, case and accents ignored), a rep filter and a list of the
matching deals, kept open so they show while the rep types, open deals first
(:class:`spmkb.deals.lookup.DealIndex`). Its
:attr:`DealPicker.value` is the chosen deal's id (None when no deal is chosen). Panels that
can be tied to a deal (before the call, search) embed :attr:`DealPicker.widget` and read
:meth:`DealPicker.context` when they act. Without deal data the picker says so in plain words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from spmkb.deals.lookup import LIMIT, DealIndex, DealMatches, deal_index
from spmkb.errors import DealDataError, SpmkbError
from spmkb.widgets.render import render_status

#: The first entry of the list: no deal chosen.
NO_DEAL = "— no deal —"
#: What the picker says when the workspace has no deal data (no command-line wording).
NO_DEAL_DATA = (
    "No deal data in this workspace yet. Deals appear here once your CRM export (Salesforce, "
    "HubSpot or a spreadsheet) or the sample data has been imported into the workspace."
)


def describe_matches(matches: DealMatches, size: int) -> str:
    """One line about a search: how many deals match, how many are shown, in which order."""
    who = f" of {matches.rep}" if matches.rep else ""
    if size == 0:
        return NO_DEAL_DATA
    if matches.total == 0:
        if matches.text:
            return f"No deal{who} matches “{matches.text}”: try part of the account name."
        return f"No deals{who}."
    shown = len(matches.choices)
    deals = "1 deal" if matches.total == 1 else f"{matches.total:,} deals"
    verb = "matches" if matches.total == 1 else "match"
    what = f"{deals}{who} {verb} “{matches.text}”" if matches.text else f"{deals}{who}"
    more = f" (first {shown} shown: type more to narrow)" if shown < matches.total else ""
    return f"{what}{more} — open deals first, then the most recently closed. Pick one below."


class DealPicker:
    """Account / deal name box, rep filter and result list; ``value`` is the chosen deal id."""

    def __init__(
        self,
        settings: Any | None = None,
        *,
        data: Any | None = None,
        rep: str | None = None,
        description: str = "Deal",
        limit: int = LIMIT,
        load: bool = True,
    ) -> None:
        """Build the widgets; load the deal data now (``data``, else the workspace's) unless ``load=False``.

        ``rep``: start filtered to this rep's deals. A panel passes ``load=False`` and calls
        :meth:`load` from its background loader.
        """
        self.settings = settings
        self.limit = limit
        self.index: DealIndex | None = None
        self._stamp: tuple[str, int | None, int | None] | None = None  # set by load()
        self._last: DealMatches | None = None  # the latest search's matches
        self._start_rep = rep
        self._quiet = False
        self.query = w.Text(
            placeholder="account or deal name",
            description=description,
            continuous_update=True,
            layout=w.Layout(width="340px"),
        )
        self.rep = w.Dropdown(
            options=[("any rep", "")], value="", description="Rep", layout=w.Layout(width="240px")
        )
        self.results = w.Select(  # a list that stays open: the matches show while typing
            options=[(NO_DEAL, "")], value="", rows=6, layout=w.Layout(width="620px")
        )
        self.message = w.HTML("")
        self.query.add_class("spmkb-deal-query")  # for the browser tests and custom styles
        self.rep.add_class("spmkb-deal-rep")
        self.results.add_class("spmkb-deal-results")
        self.controls = w.VBox([w.HBox([self.query, self.rep]), self.results])
        self.widget = w.VBox(
            [self.controls, self.message],
            layout=w.Layout(border="1px solid #dddddd", padding="4px", margin="4px 0"),
        )
        self.query.observe(lambda _c: self.refresh(), names="value")
        self.rep.observe(lambda _c: self.refresh(), names="value")
        if data is not None:
            self.set_data(data)
        elif load:
            self.load()

    # data --------------------------------------------------------------------------------
    def load(self) -> None:
        """Read the workspace's deal data (the settings' deal folder or import) and list its deals."""
        from spmkb.deals.store import has_deal_data
        from spmkb.deals.workspace import deal_data_stamp, load_deal_data

        settings = self.settings
        if settings is None:
            from spmkb.config import load_settings

            settings = self.settings = load_settings()
        self._stamp = deal_data_stamp(settings)  # before reading: a later import is noticed
        if settings.deals is None and not has_deal_data(settings.deals_store):
            self.index = None
            self._show_controls(False)
            self._show(NO_DEAL_DATA, "info")
            return
        try:
            data = load_deal_data(settings)
        except DealDataError as err:
            self.index = None
            self._show_controls(False)
            self._show(f"The deal data could not be read: {err.message}", "error")
            return
        self.set_data(data)

    def start_loading(self) -> None:
        """Run :meth:`load` in a background thread (a panel overlaps it with opening the index)."""
        self._load_failure: BaseException | None = None

        def run() -> None:
            try:
                self.load()
            except BaseException as err:  # kept for wait_loaded: never lost in the thread
                self._load_failure = err

        self._thread = threading.Thread(target=run, name="spmkb-deal-picker-load", daemon=True)
        self._thread.start()

    def wait_loaded(self) -> None:
        """Wait for :meth:`start_loading`'s thread; re-raise an unexpected error it hit."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join()
            if self._load_failure is not None:
                raise self._load_failure

    def set_data(self, data: Any) -> None:
        """List the deals of ``data`` (a :class:`~spmkb.deals.schema.DealData`)."""
        self.index = deal_index(data)
        self._show_controls(len(self.index) > 0)
        o = data.opportunities
        has_names = "name" in o.columns and bool(o["name"].notna().any())
        self.query.placeholder = "account or deal name" if has_names else "account name or deal id"
        reps = self.index.reps()
        self.rep.options = [("any rep", ""), *((r, r) for r in reps)]
        start, self._start_rep = self._start_rep, None
        if start:
            try:
                name = _rep_name(self.index, start)
            except SpmkbError as err:
                self._show(str(err), "error")
                return
            if name not in reps:
                self._show(f"{name} has no deals in the deal data.", "info")
                return
            self.rep.value = name
        self.refresh()

    @property
    def data(self) -> Any | None:
        """The deal data listed (None before loading or without deal data)."""
        return None if self.index is None else self.index.data

    # search ------------------------------------------------------------------------------
    def refresh(self) -> DealMatches | None:
        """Search again with the box and the rep filter; keep the chosen deal in the list.

        When the workspace's deal data was re-imported since it was read, it is read again
        first, so an open panel lists the new deals without a restart.
        """
        if self._stale():
            self.load()  # lists the new deals (set_data searches again)
            return None if self.index is None else self._last
        if self.index is None or len(self.index) == 0:
            self._show(NO_DEAL_DATA, "info")
            return None
        try:
            matches = self.index.search(
                self.query.value, rep=self.rep.value or None, limit=self.limit
            )
        except SpmkbError as err:
            self._show(str(err), "error")
            return None
        chosen = self.results.value
        options = [(c.label(), c.id) for c in matches.choices]
        if chosen and chosen not in {v for _l, v in options}:
            options.insert(0, (self.index.get(chosen).label(), chosen))
        self._quiet = True  # new options reset the value: put the choice back, telling nobody
        try:
            self.results.options = [(NO_DEAL, ""), *options]
            self.results.value = chosen if chosen else ""
        finally:
            self._quiet = False
        self._show(describe_matches(matches, len(self.index)), "info")
        self._last = matches
        return matches

    def _stale(self) -> bool:
        """Whether the workspace's deal data changed since :meth:`load` read it."""
        if self._stamp is None or self.settings is None:
            return False  # data given directly: nothing to watch
        from spmkb.deals.workspace import deal_data_stamp

        return deal_data_stamp(self.settings) != self._stamp

    def _show_controls(self, shown: bool) -> None:
        """Show the box, rep filter and list only when there are deals to pick from."""
        self.controls.layout.display = "" if shown else "none"

    def _show(self, text: str, kind: str) -> None:
        """Put ``text`` under the list (``info`` or ``error``)."""
        self.message.value = f'<div class="spmkb-deal-message">{render_status(text, kind)}</div>'

    # the choice --------------------------------------------------------------------------
    @property
    def value(self) -> str | None:
        """The chosen deal's id, None when no deal is chosen."""
        return self.results.value or None

    @value.setter
    def value(self, deal_id: str | None) -> None:
        """Choose the deal ``deal_id`` (None or "" clears); NotFoundError for an unknown id."""
        if not deal_id:
            self.results.value = ""
            return
        if self.index is None:
            raise DealDataError("no deal data to choose a deal from", hint=NO_DEAL_DATA)
        choice = self.index.get(str(deal_id))
        if choice.id not in {v for _l, v in self.results.options}:
            self._quiet = True
            try:
                self.results.options = [
                    self.results.options[0],
                    (choice.label(), choice.id),
                    *self.results.options[1:],
                ]
            finally:
                self._quiet = False
        self.results.value = choice.id

    @property
    def choice(self) -> Any | None:
        """The chosen :class:`~spmkb.deals.lookup.DealChoice`, None when no deal is chosen."""
        if self.value is None or self.index is None:
            return None
        return self.index.get(self.value)

    def context(self) -> dict[str, str | None] | None:
        """The chosen deal's plain values (id, stage, industry, competitor, status, account)."""
        if self.value is None or self.index is None:
            return None
        return self.index.context(self.value)

    def on_change(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(deal_id)`` whenever the chosen deal changes."""

        def changed(change: dict[str, Any]) -> None:
            if not self._quiet:
                callback(change["new"] or None)

        self.results.observe(changed, names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the picker's widget."""
        return self.widget._repr_mimebundle_(**kwargs)


def _rep_name(index: DealIndex, rep: str) -> str:
    """The canonical name of ``rep`` among the deals' owners (NotFoundError with suggestions)."""
    from spmkb.deals.roster import roster

    return roster(index.data).find_name(rep)


__all__ = ["NO_DEAL", "NO_DEAL_DATA", "DealPicker", "describe_matches"]
