"""Search in daily use: filters re-run the query, the count shows once, chips hold together,
the app notebook carries no developer notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.widgets import render

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
QUERY = "customer says the price is too high"


def test_changing_a_filter_reruns_the_current_query(panel, searcher) -> None:
    """Search, then pick stage=negotiation: the cards become that filtered search, no click."""
    panel.query.value = QUERY
    before = [r.hit.id for r in panel.card_rows]
    panel.stage.value = "negotiation"
    expected = searcher.search(QUERY, stage="negotiation", k=panel.k)
    assert [r.hit.id for r in panel.card_rows] == [h.id for h in expected.hits]
    assert [h.id for h in expected.hits] != before  # the filter really changes the list
    assert "filters: stage: negotiation" in text_of(panel.results.value)
    panel.stage.value = ""
    assert [r.hit.id for r in panel.card_rows] == before


def test_a_filter_before_any_search_does_not_search(panel) -> None:
    """Picking a filter with no query yet leaves the results empty and says nothing odd."""
    panel.stage.value = "negotiation"
    assert panel.card_rows == [] and panel.results.value == ""
    assert "Error" not in panel.status.value


def test_the_result_count_is_shown_once(panel) -> None:
    """After a search "N results" appears once on screen (summary line), not again in the status."""
    panel.query.value = QUERY
    n = len(panel.card_rows)
    shown = text_of(panel.status.value + " " + panel.results.value)
    assert shown.count(f"{n} results") == 1


def test_chips_do_not_break_mid_word(panel) -> None:
    """Every stage/persona/type chip on a card carries white-space:nowrap."""
    panel.query.value = QUERY
    page = panel.card_rows[0].html.value
    chips = page.split('class="spmkb-chip"')[1:]
    assert chips
    assert all("white-space:nowrap" in chip.split(">", 1)[0] for chip in chips)


def test_search_app_notebook_has_no_developer_notes() -> None:
    """The Voila app shows the markdown cells: no make/voila commands in them."""
    nb = json.loads((REPO / "notebooks" / "find-an-asset.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "make app" not in text and "voila" not in text.lower()


def test_reader_and_card_render_chips_unbroken() -> None:
    """The renderer's chip style itself says nowrap (used by cards, reader and packs)."""
    assert "white-space:nowrap" in render._chip("proposal")
