"""Pure renderer tests: cards, summaries, empty states, reader, status, pack — and sanitising."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.content import parse_asset
from spmkb.content.render import render_markdown, sanitize_html
from spmkb.search.model import Hit, SearchResult
from spmkb.widgets import render

UNSAFE = Path(__file__).resolve().parents[1] / "data" / "ui" / "unsafe-embed.md"
ACTIVE = re.compile(
    r"<script|<iframe|<object|<embed|\son\w+\s*=|(href|src)\s*=\s*[\"']?\s*javascript:|url\(",
    re.IGNORECASE,
)


def assert_inert(out: str) -> None:
    """No element, attribute or URL in ``out`` can run code."""
    found = ACTIVE.search(out)
    assert found is None, f"active content survived: {found.group(0)!r} in {out!r}"


def make_hit(**kw) -> Hit:
    base = {
        "id": "objections/too-expensive",
        "title": "Price is too high",
        "type": "objection-handling",
        "path": "objections/too-expensive.md",
        "section": "Price is too high > Acknowledge",
        "snippet": "Never defend the **price** straight away; ask what the prices are compared with.",
        "score": 0.5,
        "freshness": "fresh",
        "stages": ["negotiation", "proposal"],
    }
    base.update(kw)
    return Hit(**base)


def test_card_shows_title_type_stages_heading_and_path() -> None:
    hit = make_hit()
    out = render.render_card(hit, ["price"], rank=1)
    text = text_of(out)
    assert "1. Price is too high" in text
    assert "objection-handling" in text
    for stage in hit.stages:
        assert 'spmkb-chip" style="background:#e3edf7;color:#1f4e79' in out
        assert stage in text
    assert "Price is too high > Acknowledge" in text
    assert "objections/too-expensive.md" in text


def test_highlight_marks_query_terms_and_word_forms() -> None:
    out = render.render_card(make_hit(), render.query_terms("The price is high"))
    assert "<mark>price</mark>" in out
    assert "<mark>prices</mark>" in out  # word starting with a term
    assert "<mark>the</mark>" not in out.lower()  # stop word


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("What is MEDDPPICC?", ["meddppicc"]),
        ("price too high", ["price", "too", "high"]),
        ("the a of", []),
        ("pricing, pricing", ["pricing"]),
    ],
    ids=["acronym", "words", "stopwords-only", "duplicates"],
)
def test_query_terms(query: str, terms: list[str]) -> None:
    assert render.query_terms(query) == terms


def test_card_highlights_whole_words_only() -> None:
    """ "too" is a query word; "tool" and "took" in the snippet are other words."""
    hit = make_hit(snippet="The tool took too long; prices are too high.")
    out = render.render_card(hit, render.query_terms("price too high"))
    snippet = out.split('class="spmkb-snippet">', 1)[1].split("</div>", 1)[0]
    assert snippet == (
        "The tool took <mark>too</mark> long; <mark>prices</mark> are <mark>too</mark> "
        "<mark>high</mark>."
    )


def test_card_snippet_is_escaped_then_highlighted() -> None:
    hit = make_hit(snippet="<b>price</b> & price")
    out = render.render_card(hit, ["price"])
    snippet = out.split('class="spmkb-snippet">', 1)[1].split("</div>", 1)[0]
    assert "<b>" not in snippet and snippet.count("<mark>price</mark>") == 2


@pytest.mark.parametrize(
    ("freshness", "label"),
    [
        ("stale", "stale — review overdue"),
        ("aging", "review due soon"),
        ("fresh", "fresh"),
        ("unknown", "no review date"),
    ],
    ids=["stale", "aging", "fresh", "unknown"],
)
def test_freshness_badge(freshness: str, label: str) -> None:
    out = render.render_card(make_hit(freshness=freshness))
    assert label in text_of(out)
    if freshness == "stale":
        assert "background:#c62828" in out  # visibly red


def test_card_snippet_with_html_is_escaped_not_rendered() -> None:
    out = render.render_card(make_hit(snippet='<img src=x onerror="alert(1)"> price'), ["price"])
    assert_inert(out)
    assert "<img" not in out


def test_summary_counts_and_time() -> None:
    result = SearchResult("price", {"stage": "negotiation"}, [make_hit(), make_hit(id="b")], 23.4)
    assert text_of(render.render_summary(result)) == (
        "2 results for “price” in 23 ms · filters: stage: negotiation"
    )


def test_empty_state_says_how_many_without_filters() -> None:
    result = SearchResult("price", {"stage": "onboarding", "type": "battlecard"}, [], 5.0)
    assert text_of(render.render_empty_state(result, without_filters=7)) == (
        "No results with these filters — 7 results without them. Set a filter back to “any” "
        "(stage: onboarding, type: battlecard) to see them."
    )


def test_empty_state_without_filters_suggests_other_words() -> None:
    result = SearchResult("zzz", {}, [], 5.0)
    text = text_of(render.render_empty_state(result, indexed=19))
    assert text.startswith("No results for “zzz”. Try fewer or more general words")
    assert text.endswith("The index holds 19 assets.")


def test_empty_state_keeps_the_searchers_notes() -> None:
    """A search that finds nothing while `spmkb index` is still embedding says so too: the
    empty state ends with the searcher's note, like the summary line of a search with hits."""
    note = "semantic results for 40 % of the library so far"
    result = SearchResult("zzz", {}, [], 5.0, notes=[note])
    text = text_of(render.render_empty_state(result, indexed=19))
    assert text.startswith("No results for “zzz”.")
    assert text.endswith(f"The index holds 19 assets. Note: {note}")


def test_results_render_summary_and_every_card() -> None:
    hits = [make_hit(id=f"a{i}", title=f"Asset {i}") for i in range(3)]
    out = render.render_results(SearchResult("price", {}, hits, 10.0))
    assert out.count('class="spmkb-card"') == 3
    assert "3 results" in text_of(out)


def test_lab_link_is_rendered_as_anchor() -> None:
    out = render.render_card(make_hit(), lab_link=lambda p: f"/lab/tree/playbooks/{p}")
    assert 'href="/lab/tree/playbooks/objections/too-expensive.md"' in out
    assert 'target="_blank"' in out


def test_status_error_is_prefixed() -> None:
    assert text_of(render.render_status("boom", "error")) == "Error: boom"
    assert "color:#b00020" in render.render_status("boom", "error")


def test_reader_strips_script_iframe_handlers_and_js_links() -> None:
    asset = parse_asset(UNSAFE.read_text(encoding="utf-8"), "reference/unsafe-embed.md")
    out = render.render_reader(asset, terms=["demo"])
    assert_inert(out)
    for payload in ("xss-script", "xss-img", "xss-click", "xss-a'"):
        assert payload not in out
    text = text_of(out)
    assert "Unsafe embed test page" in text
    assert "sandbox login" in text  # link text kept, no link made
    assert "<mark>demo</mark>" in out


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert('xss-1')</script>",
        '<img src="x" onerror="alert(\'xss-2\')">',
        "[click](javascript:alert('xss-3'))",
        '<iframe src="https://evil.example"></iframe>',
        '<a href="javascript:alert(1)" onmouseover="alert(2)">x</a>',
        '<div style="background:url(javascript:alert(1))">x</div>',
    ],
    ids=["script", "img-onerror", "js-markdown-link", "iframe", "js-anchor", "css-url"],
)
def test_markdown_html_never_keeps_active_content(payload: str) -> None:
    out = render_markdown(f"Text before\n\n{payload}\n\nText after")
    assert_inert(out)
    assert "Text after" in out


def test_sanitiser_drops_dangerous_styles_but_keeps_colours() -> None:
    out = sanitize_html('<span style="color:red;position:fixed" onclick="x">a</span>')
    assert out == '<span style="color:red">a</span>'


def test_reader_shows_stale_badge_from_dates() -> None:
    reviewed = date.today() - timedelta(days=400)
    text = f"---\ntitle: Old\ntype: playbook\nreviewed: {reviewed}\nreview_every: 90\n---\n# Old\n\nBody.\n"
    asset = parse_asset(text, "old.md")
    assert "stale — review overdue" in text_of(render.render_reader(asset))


def test_pack_lists_each_slot_with_reason() -> None:
    from spmkb.search.recommend import Pack, PackItem

    pack = Pack(
        stage="negotiation",
        competitor="Acme CRM",
        items=[
            PackItem("stage playbook", make_hit(), "process tagged stage negotiation", "q"),
            PackItem("battlecard", None, "no competitor given"),
        ],
    )
    text = text_of(render.render_pack(pack))
    assert "stage: negotiation · competitor: Acme CRM" in text
    assert "Stage playbook process tagged stage negotiation" in text
    assert "Battlecard no competitor given" in text
    assert "Price is too high" in text
