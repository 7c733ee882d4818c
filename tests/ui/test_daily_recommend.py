"""Before the call in daily use: a deal picked by account, Open on every asset (logged with the
deal), the panel's own wording, errors clear."""

from __future__ import annotations

from pathlib import Path

import ipywidgets
import pandas as pd
import pytest
from _uitext import text_of

from spmkb.deals.schema import DealData
from spmkb.deals.store import read_folder, save_deal_data
from spmkb.search.log import read_deal_opens, read_opens
from spmkb.search.recommend import recommend

PICKER = Path(__file__).resolve().parents[1] / "data" / "deals" / "picker"

pytestmark = pytest.mark.slow


@pytest.fixture
def rpanel(ui_settings, searcher):
    """A RecommendPanel over the shared index, ready."""
    from spmkb.widgets import RecommendPanel

    p = RecommendPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


@pytest.fixture
def dpanel(ui_settings, searcher):
    """A RecommendPanel over a workspace holding the six picker deals plus D-7 (no stage)."""
    from spmkb.widgets import RecommendPanel

    o = read_folder(PICKER).opportunities
    extra = o.iloc[[0]].assign(id="D-7", stage=pd.NA, account="Nowhere Ltd")
    save_deal_data(DealData(opportunities=pd.concat([o, extra])), ui_settings.deals_store)
    p = RecommendPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


def test_pick_a_deal_by_account_get_its_pack_and_log_opens_with_it(dpanel) -> None:
    """Typing 'muller' lists Müller GmbH's deal D-5 (lost, negotiation, Acme CRM); its pack is
    for negotiation with the Acme CRM battlecard; every Open is logged with D-5 and its stage."""
    dpanel.deal.query.value = "muller"
    assert [v for _l, v in dpanel.deal.results.options] == ["", "D-5"]
    dpanel.deal.results.value = "D-5"
    assert dpanel.stage.value == "negotiation" and dpanel.stage.disabled
    dpanel.button.click()
    pack = dpanel.pack
    assert (pack.deal_id, pack.stage, pack.competitor) == ("D-5", "negotiation", "Acme CRM")
    assert "deal D-5 is lost: the pack is for its last stage" in text_of(dpanel.output.value)
    opened = []
    for button, item in zip(dpanel.opens.children, [i for i in pack.items if i.hit], strict=True):
        button.click()
        opened.append(item.hit.id)
    logged = read_deal_opens(dpanel.settings)
    assert logged["asset_id"].tolist() == opened
    assert set(logged["deal_id"]) == {"D-5"} and set(logged["deal_stage"]) == {"negotiation"}
    assert set(logged["source"]) == {"recommend"}
    dpanel.deal.value = None
    assert not dpanel.stage.disabled


def test_open_without_a_deal_is_logged_without_one(rpanel) -> None:
    rpanel.stage.value = "negotiation"
    rpanel.button.click()
    rpanel.opens.children[0].click()
    opens = read_opens(rpanel.settings)
    assert opens["asset_id"].tolist() == [rpanel.pack.items[0].hit.id]
    assert opens["deal_id"].isna().all()
    assert "No deal data in this workspace yet" in text_of(rpanel.deal.message.value)


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
    assert "pick a Competitor, or a Deal that has one" in text


def test_an_error_clears_the_previous_pack(dpanel) -> None:
    """A pack, then a deal with no stage (D-7): the status has the error in the panel's words
    (no command-line options) and the old pack is gone."""
    dpanel.stage.value = "negotiation"
    dpanel.button.click()
    assert dpanel.output.value and dpanel.opens.children
    dpanel.opens.children[0].click()
    assert dpanel.reader.value
    dpanel.deal.query.value = "nowhere"
    dpanel.deal.results.value = "D-7"
    dpanel.button.click()
    status = text_of(dpanel.status.value)
    assert status.startswith(
        "Error: field 'stage': a stage is needed to recommend assets — pick a Stage (one of: "
    )
    assert status.endswith(") or a Deal that has one")
    assert "--" not in status
    assert dpanel.output.value == "" and dpanel.opens.children == () and dpanel.reader.value == ""
    assert dpanel.pack is None


def test_no_index_error_has_no_command_line_options(tmp_path: Path) -> None:
    """An empty store: the status line says there is no index without "--store"."""
    from spmkb.config import load_settings
    from spmkb.widgets import RecommendPanel

    settings = load_settings({"store": str(tmp_path / "empty")}, cwd=tmp_path, environ={})
    p = RecommendPanel(settings)
    assert not p.wait_ready(300)
    status = text_of(p.status.value)
    assert status.startswith(f"Error: no index at {settings.chroma_path} — run `spmkb index` first")
    assert status.endswith(
        "(or set the notebook's store parameter to the folder used when indexing)"
    )
    assert "--" not in status
