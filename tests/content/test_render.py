"""Rendering and sanitising: nothing executable survives, normal Markdown does."""

from __future__ import annotations

import re

import pytest

from spmkb.content.render import highlight_terms, render_markdown, sanitize_html, strip_markdown

ATTACKS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("[x](javascript:alert(1))", id="md-javascript-link"),
    pytest.param("[x](JaVaScRiPt:alert(1))", id="md-javascript-mixed-case"),
    pytest.param('<iframe src="https://evil.example"></iframe>', id="iframe"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', id="html-javascript-link"),
    pytest.param('<a href="jav&#x09;ascript:alert(1)">x</a>', id="entity-obfuscated"),
    pytest.param('<a href="data:text/html,alert(1)">x</a>', id="data-url"),
    pytest.param('<p onclick="alert(1)" style="x">hi</p>', id="on-attribute"),
    pytest.param("<svg onload=alert(1)></svg>", id="svg"),
    pytest.param("<style>body{}</style><object data=x></object>", id="style-object"),
    pytest.param("[x](vbscript:alert(1))", id="vbscript"),
]


def _is_clean(html: str) -> bool:
    lowered = html.lower()
    return not (
        re.search(r"<\s*(script|iframe|img|svg|style|object)", lowered)
        or re.search(r"\son\w+\s*=", lowered)
        or re.search(r'href="\s*(javascript|vbscript|data):', lowered)
        or "alert(1)</" in lowered
    )


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_do_not_survive_markdown_rendering(attack: str) -> None:
    html = render_markdown(f"# Title\n\n{attack}\n\nAfter.\n")
    assert _is_clean(html), html
    assert "<h1>Title</h1>" in html and "<p>After.</p>" in html


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_do_not_survive_sanitize_html(attack: str) -> None:
    assert _is_clean(sanitize_html(attack))


def test_all_attacks_in_one_body() -> None:
    body = "\n\n".join(p.values[0] for p in ATTACKS)
    assert _is_clean(render_markdown(body))


def test_safe_markdown_renders() -> None:
    html = render_markdown(
        "## Price {#price}\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n"
        "- **bold** and `code`\n\n> quote\n\n[site](https://example.com) [rel](../a.md) "
        '[mail](mailto:a@example.com)\n\n<span class="tag">t</span>\n'
    )
    assert "<h2>Price</h2>" in html
    assert "<table>" in html and "<td>2</td>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<blockquote>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">site</a>' in html
    assert '<a href="../a.md" rel="noopener noreferrer">rel</a>' in html
    assert 'href="mailto:a@example.com"' in html
    assert '<span class="tag">t</span>' in html


def test_kramdown_markers_do_not_render() -> None:
    html = render_markdown('# T\n{:.no_toc}\n\n- TOC\n{:toc}\n\n{::options x="y" /}\n\nText\n')
    assert "{:" not in html and "TOC" not in html


def test_highlight_escapes_plain_text_first() -> None:
    out = highlight_terms("Price < cost & <b>price</b>", ["price"], is_html=False)
    assert out == "<mark>Price</mark> &lt; cost &amp; &lt;b&gt;<mark>price</mark>&lt;/b&gt;"


def test_highlight_never_touches_tags_or_attributes() -> None:
    html = '<p>price <a href="/price" title="price">the price</a></p>'
    out = highlight_terms(html, ["price"])
    assert 'href="/price"' in out and 'title="price"' in out
    assert out.count("<mark>price</mark>") == 2


def test_highlight_sanitises_html_input() -> None:
    out = highlight_terms("<p>price</p><script>price()</script>", ["price"])
    assert "<script" not in out and out == "<p><mark>price</mark></p>"


def test_highlight_with_no_terms_is_just_safe() -> None:
    assert highlight_terms("a <b> c", [], is_html=False) == "a &lt;b&gt; c"


def test_highlight_marks_whole_words_only() -> None:
    out = highlight_terms("The tool took too long. Too late!", ["too"], is_html=False)
    assert out == "The tool took <mark>too</mark> long. <mark>Too</mark> late!"


def test_highlight_word_key_marks_word_forms() -> None:
    from spmkb.search.lexical import stem

    out = highlight_terms("prices, price and priced", ["price"], is_html=False, word_key=stem)
    assert out == "<mark>prices</mark>, <mark>price</mark> and priced"


def test_highlight_never_marks_inside_entities() -> None:
    out = highlight_terms("AT&T & amp", ["amp", "t"], is_html=False)
    assert out == "AT&amp;T &amp; <mark>amp</mark>"


def test_one_allow_list_keeps_classes_and_harmless_styles_only() -> None:
    out = sanitize_html(
        '<div class="spmkb-card" style="color:red;position:fixed" data-x="1" onclick="x">'
        '<a href="https://e.example" target="_blank">e</a><img src="x.png"></div>'
    )
    assert out == (
        '<div class="spmkb-card" style="color:red">'
        '<a href="https://e.example" target="_blank" rel="noopener noreferrer">e</a></div>'
    )


@pytest.mark.parametrize(
    ("markdown", "limit", "expected"),
    [
        ("## Price\n\nNever **defend** the [price](x.md).", None, "Price Never defend the price."),
        ("one two three four", 9, "one two …"),
    ],
    ids=["markup", "limit"],
)
def test_strip_markdown(markdown: str, limit: int | None, expected: str) -> None:
    assert strip_markdown(markdown, limit=limit) == expected
