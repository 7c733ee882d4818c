"""The search panel tied to a deal: the "For deal" picker, opens logged with the deal."""

from __future__ import annotations

from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.deals.store import read_folder, save_deal_data
from spmkb.search.log import read_deal_opens, read_opens

pytestmark = pytest.mark.slow

PICKER = Path(__file__).resolve().parents[1] / "data" / "deals" / "picker"


@pytest.fixture
def deal_panel(ui_settings, searcher):
    """A SearchPanel over a workspace holding the six picker deals."""
    from spmkb.widgets import SearchPanel

    save_deal_data(read_folder(PICKER), ui_settings.deals_store)
    p = SearchPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


def test_opens_for_a_picked_deal_carry_its_id_and_stage(deal_panel) -> None:
    """Pick Acme Corp's open deal D-2 (demo); Open and a followed search are logged with it;
    after clearing the deal, an open is logged without one."""
    deal_panel.deal.query.value = "acme corp"
    deal_panel.deal.results.value = "D-2"
    deal_panel.query.value = "customer says the price is too high"
    assert deal_panel.card_rows
    first = deal_panel.card_rows[0]
    first.open_button.click()
    assert text_of(deal_panel.status.value) == f"Opened “{first.hit.title}”."
    deal_panel.deal.value = None
    deal_panel.card_rows[1].open_button.click()
    opens = read_opens(deal_panel.settings)
    assert opens["asset_id"].tolist() == [first.hit.id, deal_panel.card_rows[1].hit.id]
    assert opens["deal_id"].iloc[0] == "D-2" and opens["deal_stage"].iloc[0] == "demo"
    assert opens["deal_id"].isna().iloc[1]
    assert read_deal_opens(deal_panel.settings)["asset_id"].tolist() == [first.hit.id]


def test_without_deal_data_the_picker_says_so_and_search_works(panel) -> None:
    assert "No deal data in this workspace yet" in text_of(panel.deal.message.value)
    panel.query.value = "customer says the price is too high"
    assert panel.card_rows


def test_the_picker_can_be_left_out(ui_settings, searcher) -> None:
    from spmkb.widgets import SearchPanel

    p = SearchPanel(ui_settings, searcher=searcher, deals=False)
    assert p.wait_ready(300), p.status.value
    assert p.deal is None and p.deal_values() == {"deal_id": None, "deal_stage": None}
