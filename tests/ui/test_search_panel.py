"""SearchPanel driven headlessly with the real model and a real embedded Chroma index."""

from __future__ import annotations

import html
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.errors import SpmkbError
from spmkb.search.log import read_opens, read_searches
from spmkb.widgets import SearchPanel
from spmkb.widgets.search_panel import LOADING, lab_url

pytestmark = pytest.mark.slow

QUERY = "customer says the price is too high"


def test_dropdowns_hold_the_facets_of_the_index(panel, searcher) -> None:
    facets = searcher.facets()
    for attr, key in (("stage", "stages"), ("type", "types"), ("persona", "personas")):
        options = getattr(panel, attr).options
        assert options[0] == ("any", "")
        assert [v for _label, v in options[1:]] == sorted(facets[key])


def test_enter_in_query_searches_and_renders_cards(panel, searcher) -> None:
    panel.query.value = QUERY  # continuous_update=False: the value changes on Enter
    expected = searcher.search(QUERY, k=panel.k)
    assert [r.hit.id for r in panel.card_rows] == [h.id for h in expected.hits]
    summary = text_of(panel.results.value)
    n = len(expected.hits)
    assert summary.startswith(f"{n} results for “{QUERY}” in ")
    assert summary.endswith(" ms")
    assert panel.status.value == ""  # the count is shown once, above the cards
    first = panel.card_rows[0]
    assert "<mark>price</mark>" in first.html.value.lower()
    for stage in first.hit.stages:
        assert html.escape(stage) in first.html.value
    assert text_of(first.html.value).startswith(f"1. {first.hit.title}")


def test_filters_narrow_the_results(panel, searcher) -> None:
    panel.query.value = "pricing"
    panel.stage.value = "negotiation"
    panel.type.value = "objection-handling"
    panel.button.click()
    expected = searcher.search("pricing", stage="negotiation", type="objection-handling", k=10)
    assert expected.hits, "the corpus has negotiation objection handling"
    assert [r.hit.id for r in panel.card_rows] == [h.id for h in expected.hits]
    for row in panel.card_rows:
        assert row.hit.type == "objection-handling"
        assert "negotiation" in row.hit.stages
    assert "filters: stage: negotiation, type: objection-handling" in text_of(panel.results.value)


def test_empty_state_counts_results_without_filters(panel, searcher) -> None:
    panel.query.value = QUERY
    panel.stage.value = "onboarding"
    panel.type.value = "battlecard"
    panel.button.click()
    assert panel.card_rows == []
    without = len(searcher.search(QUERY, k=panel.k).hits)
    assert without > 0
    assert text_of(panel.results.value).startswith(
        f"No results with these filters — {without} results without them."
    )


def test_open_shows_whole_asset_in_reader_and_is_logged(panel, searcher) -> None:
    panel.query.value = QUERY
    row = panel.card_rows[1]
    row.open_button.click()
    asset = searcher.asset(row.hit.id)
    reader = text_of(panel.reader.value)
    assert reader.startswith(asset.title)
    last_paragraph = asset.body.strip().split("\n\n")[-1].strip().split("\n")[0]
    assert text_of(html.escape(last_paragraph))[:40] in reader
    assert text_of(panel.status.value) == f"Opened “{asset.title}”."
    opens = read_opens(panel.settings)
    assert opens[["asset_id", "rank", "action"]].values.tolist() == [[row.hit.id, 2, "open"]]
    assert opens.loc[0, "search_id"] == panel.last_search_id


def test_more_like_this_replaces_cards(panel, searcher) -> None:
    panel.query.value = QUERY
    source = panel.card_rows[0].hit
    panel.card_rows[0].similar_button.click()
    expected = searcher.similar(source.id, k=panel.k)
    assert [r.hit.id for r in panel.card_rows] == [h.id for h in expected.hits]
    assert source.id not in {r.hit.id for r in panel.card_rows}
    assert f"like “{source.title}”" in text_of(panel.results.value)


def test_stale_assets_are_marked_on_cards(panel) -> None:
    panel.query.value = "discount approval policy"
    stale = [r for r in panel.card_rows if r.hit.freshness == "stale"]
    assert stale, "the small corpus has stale assets (discount policy reviewed 2025-10-01)"
    for row in stale:
        assert "stale — review overdue" in text_of(row.html.value)


def test_error_is_shown_in_status_with_exact_text(panel, searcher) -> None:
    with pytest.raises(SpmkbError) as expected:
        searcher.asset("no/such-asset")
    panel.open("no/such-asset")
    assert text_of(panel.status.value) == f"Error: {expected.value}"


def test_empty_query_asks_for_a_question(panel) -> None:
    panel.button.click()
    assert text_of(panel.status.value) == "Type a question first."


def test_missing_index_error_reaches_the_status(tmp_path: Path, small_corpus: Path) -> None:
    from spmkb.config import load_settings
    from spmkb.search import Searcher

    settings = load_settings(
        {"store": str(tmp_path / "empty"), "playbooks": str(small_corpus)}, cwd=tmp_path, environ={}
    )
    with pytest.raises(SpmkbError) as expected:
        Searcher.open(settings)
    p = SearchPanel(settings)
    assert not p.wait_ready(300)
    p.query.value = "anything"
    assert text_of(p.status.value) == f"Error: {expected.value}"


def test_searches_are_logged(panel) -> None:
    panel.query.value = QUERY
    panel.stage.value = "negotiation"  # re-runs the query with the filter
    log = read_searches(panel.settings)
    assert log["query"].tolist() == [QUERY, QUERY]
    assert log["filters"].tolist() == [{}, {"stage": "negotiation"}]
    assert log["results"].tolist()[-1] == len(panel.card_rows)
    assert set(log["source"]) == {"widget"}
    assert set(log["session"]) == {panel.session}
    assert (log["took_ms"] > 0).all()


@pytest.mark.parametrize(
    "rel",
    ["../../etc/passwd", "/etc/passwd", "objections/../../../etc/passwd"],
    ids=["dotdot", "absolute", "nested-dotdot"],
)
def test_open_path_refuses_files_outside_the_playbooks(panel, rel: str) -> None:
    from spmkb.content import safe_path

    with pytest.raises(SpmkbError) as expected:
        safe_path(Path(panel.settings.playbooks), rel)
    panel.open_path(rel)
    assert text_of(panel.status.value) == f"Error: {expected.value}"
    assert "root:" not in panel.reader.value
    assert panel.reader.value == ""


def test_open_path_refuses_a_symlink_out_of_the_playbooks(
    ui_settings, searcher, unsafe_playbooks: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nsalary bands of every rep\n", encoding="utf-8")
    (unsafe_playbooks / "objections" / "leak.md").symlink_to(secret)
    p = SearchPanel(replace(ui_settings, playbooks=unsafe_playbooks), searcher=searcher)
    assert p.wait_ready(300)
    p.open_path("objections/leak.md")
    status = text_of(p.status.value)
    assert status.startswith("Error: objections/leak.md: ")
    assert "outside the playbook folder" in status
    assert "salary" not in p.reader.value


def test_unsafe_asset_is_sanitised_in_the_reader(ui_settings, searcher, unsafe_playbooks) -> None:
    p = SearchPanel(replace(ui_settings, playbooks=unsafe_playbooks), searcher=searcher)
    assert p.wait_ready(300)
    p.open_path("reference/unsafe-embed.md")
    out = p.reader.value
    assert "Demo environment links" in out
    for bad in ("<script", "<iframe", "onerror", "onclick", 'href="javascript'):
        assert bad not in out


def test_lab_link_is_relative_to_the_jupyter_root(tmp_path: Path) -> None:
    playbooks = tmp_path / "playbooks"
    (playbooks / "objections").mkdir(parents=True)
    (playbooks / "objections" / "a b.md").write_text("# A\n", encoding="utf-8")
    assert lab_url(playbooks, "objections/a b.md", tmp_path, "/") == (
        "/lab/tree/playbooks/objections/a%20b.md"
    )
    assert lab_url(playbooks, "objections/a b.md", tmp_path, "/base/") == (
        "/base/lab/tree/playbooks/objections/a%20b.md"
    )
    assert lab_url(playbooks, "objections/a b.md", tmp_path / "elsewhere", "/") is None
    assert lab_url(playbooks, "../../etc/passwd", tmp_path, "/") is None


def test_cards_link_to_jupyterlab(panel, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(panel.settings.playbooks).resolve().parent
    panel._root = (root, "/")
    panel.query.value = QUERY
    row = panel.card_rows[0]
    name = Path(panel.settings.playbooks).resolve().name
    assert f'href="/lab/tree/{name}/{row.hit.path}"' in row.html.value


def test_construction_is_immediate_and_first_search_waits(panel, searcher) -> None:
    """Construction returns before the index is open; the status says the model is loading."""
    gate = threading.Event()

    class SlowSearcher:
        def __getattr__(self, name):
            return getattr(searcher, name)

        def facets(self):
            gate.wait(60)
            return searcher.facets()

    p = SearchPanel(panel.settings, searcher=SlowSearcher())
    assert text_of(p.status.value) == f"⏳ {LOADING}"
    threading.Timer(0.5, gate.set).start()
    p.query.value = QUERY  # waits for the background load instead of failing
    assert p.card_rows
    assert text_of(p.results.value).startswith(f"{len(p.card_rows)} results for ")


def test_constructing_does_not_load_the_model(built_index, tmp_path: Path) -> None:
    """In a fresh process the panel appears at once, before the model is loaded (the first
    search waiting for the load is covered by the test above)."""
    code = """
import time, sys
from spmkb.widgets import SearchPanel
from spmkb.search import embed
t = time.perf_counter()
p = SearchPanel(store=sys.argv[1], playbooks=sys.argv[2])
took = time.perf_counter() - t
loaded = embed.is_loaded()
print(f"{took:.3f} {loaded} {p.status.value}", flush=True)
import os
os._exit(0)  # do not wait for the background load
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(built_index.settings.store), str(built_index.playbooks)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    took, loaded, status = out.stdout.strip().splitlines()[-1].split(" ", 2)
    assert loaded == "False"
    assert float(took) < 5.0  # generous: 2 shared cores; typically well under 1 s
    assert LOADING in status


def test_refreshed_note_says_how_far_the_semantic_side_is(panel, searcher) -> None:
    """While `spmkb index` is still embedding, a reload's note carries the searcher's
    "semantic results for N % … so far" note (here 40 %), so the rep knows why a result may
    be missing; once the version is reported, the same state gives no second note."""

    class Partial:
        notes = ("semantic results for 40 % of the library so far; `spmkb index` is embedding",)
        version = ("changed", 1)

        def __getattr__(self, name):
            return getattr(searcher, name)

    p = SearchPanel(panel.settings, searcher=Partial(), watch=None)
    assert p.wait_ready(120), p.status.value
    p._seen_version = None
    note = p.index_news()
    assert note is not None
    assert note.startswith("Index refreshed ")
    assert note.endswith(
        "assets indexed. Semantic results for 40 % of the library so far; "
        "`spmkb index` is embedding."
    )
    assert p.index_news() is None
