"""Before-the-call packs (core, CLI, panel) over the real index."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from _uitext import text_of
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.deals.lookup import deal_context
from spmkb.errors import DealDataError, NotFoundError, SearchError
from spmkb.search.recommend import SLOT_TYPES, recommend

pytestmark = pytest.mark.slow


def test_pack_fills_every_slot_for_a_rich_context(searcher) -> None:
    pack = recommend(searcher, stage="negotiation", industry="healthcare", competitor="acme crm")
    slots = {i.slot: i for i in pack.items}
    assert list(slots) == list(SLOT_TYPES)
    for slot, item in slots.items():
        assert item.hit is not None, slot
        assert item.hit.type in SLOT_TYPES[slot]
        assert item.reason
    assert "negotiation" in slots["stage playbook"].hit.stages
    assert "Acme CRM" in slots["battlecard"].hit.competitors
    assert "healthcare" in slots["case study"].hit.industries
    assert pack.competitor == "Acme CRM"  # matched to the indexed spelling
    assert len({i.hit.id for i in pack.items}) == 4


def test_tagged_assets_are_preferred(searcher) -> None:
    pack = recommend(searcher, stage="negotiation", industry="healthcare")
    item = next(i for i in pack.items if i.slot == "objection handling")
    candidates = searcher.search("x", type="objection-handling", stage="negotiation", k=50).hits
    assert item.hit.id in {h.id for h in candidates}
    assert item.reason == "objection-handling tagged stage negotiation"


def test_missing_competitor_is_explained(searcher) -> None:
    pack = recommend(searcher, stage="discovery")
    item = next(i for i in pack.items if i.slot == "battlecard")
    assert item.hit is None
    assert item.reason == "no competitor given — pass --competitor or a deal with one"


def test_unknown_stage_suggests(searcher) -> None:
    with pytest.raises(SearchError) as err:
        recommend(searcher, stage="negociation")
    assert str(err.value).startswith(
        "field 'stage': unknown stage 'negociation' — did you mean 'negotiation'?"
    )


@pytest.fixture
def deal_settings(built_index, tmp_path: Path):
    from spmkb.deals.schema import DealData
    from spmkb.deals.store import save_deal_data

    settings = replace(built_index.settings, store=tmp_path / "store")
    opps = pd.DataFrame(
        {
            "id": ["D-1", "D-2"],
            "rep": ["Ana", "Ben"],
            "stage": ["negotiation", "demo"],
            "status": ["open", "lost"],
            "amount": [1000.0, 2000.0],
            "created": pd.to_datetime(["2026-09-01", "2026-08-01"]),
            "industry": ["Healthcare", "Retail"],
            "competitor": ["Acme CRM", "Zenlytics"],
        }
    )
    save_deal_data(DealData(opportunities=opps), settings.deals_store)
    return settings


def test_pack_from_an_open_deal(deal_settings, searcher) -> None:
    pack = recommend(searcher, deal=deal_context(deal_settings, "D-1"))
    assert (pack.stage, pack.industry, pack.competitor) == ("negotiation", "healthcare", "Acme CRM")
    assert pack.notes == []
    battle = next(i for i in pack.items if i.slot == "battlecard")
    assert "Acme CRM" in battle.hit.competitors


def test_closed_deal_is_noted_and_unknown_deal_suggests(deal_settings, searcher) -> None:
    pack = recommend(searcher, deal=deal_context(deal_settings, "D-2"))
    assert pack.notes == ["deal D-2 is lost: the pack is for its last stage"]
    with pytest.raises(NotFoundError) as err:
        deal_context(deal_settings, "D-3")
    assert str(err.value).startswith("no deal 'D-3' in the deal data — did you mean ")
    assert sorted(err.value.suggestions) == ["D-1", "D-2"]


def test_deal_context_is_plain_values(deal_settings) -> None:
    """The face looks the deal up in the deals engine; search only ever sees these values."""
    assert deal_context(deal_settings, "D-1") == {
        "id": "D-1",
        "stage": "negotiation",
        "industry": "Healthcare",
        "competitor": "Acme CRM",
        "status": "open",
        "account": None,
    }


def test_cli_recommend_for_a_deal(built_index, deal_settings) -> None:
    s = built_index.settings
    args = ["--store", str(s.store), "--playbooks", str(s.playbooks)]
    env = {"SPMKB_DEALS": str(deal_settings.deals_store)}
    out = CliRunner().invoke(app, ["recommend", "--deal", "D-2", *args, "--json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["deal_id"], data["stage"], data["competitor"]) == ("D-2", "demo", "Zenlytics")
    assert data["notes"] == ["deal D-2 is lost: the pack is for its last stage"]
    missing = CliRunner().invoke(app, ["recommend", "--deal", "D-9", *args], env=env)
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: no deal 'D-9' in the deal data")
    assert "Traceback" not in missing.output


def test_cli_recommend_json_and_text(built_index) -> None:
    s = built_index.settings
    args = ["--store", str(s.store), "--playbooks", str(s.playbooks)]
    runner = CliRunner()
    out = runner.invoke(
        app, ["recommend", "--stage", "negotiation", "--competitor", "Acme CRM", *args, "--json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [i["slot"] for i in data["items"]] == list(SLOT_TYPES)
    assert data["items"][1]["asset"]["competitors"] == ["Acme CRM"]
    text = runner.invoke(app, ["recommend", "--stage", "negotiation", *args])
    assert text.exit_code == 0
    assert text.stdout.startswith("Before the call (stage negotiation):")
    assert "Battlecard: nothing found" in text.stdout


def test_cli_recommend_error_is_one_line(built_index) -> None:
    s = built_index.settings
    out = CliRunner().invoke(
        app,
        ["recommend", "--stage", "nope", "--store", str(s.store), "--playbooks", str(s.playbooks)],
    )
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: field 'stage': unknown stage 'nope'")
    assert "Traceback" not in out.output


def test_cli_gaps_json(built_index, tmp_path: Path) -> None:
    from spmkb.config import load_settings
    from spmkb.search.log import log_search
    from spmkb.search.model import SearchResult

    settings = load_settings(
        {"store": str(tmp_path / "st"), "playbooks": str(built_index.playbooks)},
        cwd=tmp_path,
        environ={},
    )
    log_search(settings, SearchResult("unanswered thing", {}, [], 2.0), "cli")
    out = CliRunner().invoke(
        app,
        ["gaps", "--json", "--store", str(settings.store), "--playbooks", str(settings.playbooks)],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert [r["query"] for r in data["zero_results"]] == ["unanswered thing"]
    assert set(data) == {"top_queries", "zero_results", "poor_results", "stages", "types"}


def test_recommend_panel_renders_the_pack(ui_settings, searcher) -> None:
    from spmkb.widgets import RecommendPanel

    p = RecommendPanel(ui_settings, searcher=searcher)
    assert p.wait_ready(300), p.status.value
    p.stage.value = "negotiation"
    p.industry.value = "healthcare"
    p.competitor.value = "Acme CRM"
    p.button.click()
    expected = recommend(
        searcher, stage="negotiation", industry="healthcare", competitor="Acme CRM"
    )
    text = text_of(p.output.value)
    for item in expected.items:
        assert item.hit.title in text
        assert item.reason in text
    assert text_of(p.status.value).startswith("4 of 4 slots filled in ")
    with pytest.raises(DealDataError, match="no deal data to choose a deal from"):
        p.deal.value = "D-404"  # this workspace has no deal data: nothing to pick
