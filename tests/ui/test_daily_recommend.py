"""Before the call in daily use: Open on every asset, the panel's own wording, errors clear."""

from __future__ import annotations

import ipywidgets
import pytest
from _uitext import text_of

from spmkb.search.recommend import recommend

pytestmark = pytest.mark.slow


@pytest.fixture
def rpanel(ui_settings, searcher):
    """A RecommendPanel over the shared index, ready."""
    from spmkb.widgets import RecommendPanel

    p = RecommendPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


def test_every_recommended_asset_has_an_open_button(rpanel, searcher) -> None:
    """A full pack (4 slots) gives 4 Open buttons; each shows its asset in the reader."""
    rpanel.stage.value = "negotiation"
    rpanel.industry.value = "healthcare"
    rpanel.competitor.value = "Acme CRM"
    rpanel.button.click()
    expected = recommend(
        searcher, stage="negotiation", industry="healthcare", competitor="Acme CRM"
    )
    buttons = list(rpanel.opens.children)
    assert all(isinstance(b, ipywidgets.Button) for b in buttons)
    assert [b.description for b in buttons] == [f"Open {i.slot}" for i in expected.items]
    for button, item in zip(buttons, expected.items, strict=True):
        button.click()
        assert text_of(rpanel.reader.value).startswith(item.hit.title)
        assert text_of(rpanel.status.value) == f"Opened “{item.hit.title}”."


def test_no_command_line_wording_in_the_panel(rpanel) -> None:
    """No competitor given: the battlecard slot says to pick one, never "pass --competitor"."""
    rpanel.stage.value = "negotiation"
    rpanel.competitor.value = ""
    rpanel.button.click()
    text = text_of(rpanel.output.value)
    assert "--" not in text
    assert "pick a Competitor, or type a Deal id that has one" in text


def test_an_error_clears_the_previous_pack(rpanel) -> None:
    """A pack, then an unknown deal: the status has the error and the old pack is gone."""
    rpanel.stage.value = "negotiation"
    rpanel.button.click()
    assert rpanel.output.value and rpanel.opens.children
    rpanel.opens.children[0].click()
    assert rpanel.reader.value
    rpanel.deal.value = "D-404"
    rpanel.button.click()
    assert text_of(rpanel.status.value).startswith("Error: ")
    assert rpanel.output.value == "" and rpanel.opens.children == () and rpanel.reader.value == ""
    assert rpanel.pack is None
