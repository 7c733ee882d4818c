"""Section splitting: heading paths, blocks never cut, long split, tiny merge, kramdown."""

from __future__ import annotations

import pytest

from spmkb.content import parse_asset, split_sections
from spmkb.content.sections import clean_lines


def words(n: int, word: str = "word") -> str:
    """``n`` words on one line."""
    return " ".join(f"{word}{i}" for i in range(n))


def sections_of(text: str, path: str = "plays/x.md", **kw):
    """Parse ``text`` and split it."""
    return split_sections(parse_asset(text, path), **kw)


DOC = f"""\
---
title: Objection handling
owner: me
---
# Objection handling

{words(30, "intro")}

## Price is too high

{words(30, "price")}

### With procurement

{words(30, "proc")}

## Timing

{words(30, "timing")}
"""


def test_heading_paths_and_file_lines() -> None:
    secs = sections_of(DOC, min_words=1)
    assert [s.heading for s in secs] == [
        "Objection handling",
        "Objection handling > Price is too high",
        "Objection handling > Price is too high > With procurement",
        "Objection handling > Timing",
    ]
    lines = DOC.split("\n")
    for sec in secs:
        assert lines[sec.line - 1].lstrip("#").strip() == sec.heading_path[-1]
        assert sec.text.split()[0] in lines[sec.line + 1]  # text starts after the heading
    assert [s.index for s in secs] == [0, 1, 2, 3]
    assert secs[1].id == "plays/x#1"
    assert "#" not in secs[1].text  # the heading line itself is not in the text


def test_body_without_headings_is_one_section_titled_by_the_asset() -> None:
    secs = sections_of(f"---\ntitle: Cold call opener\n---\n{words(40)}\n\n{words(40)}\n")
    assert len(secs) == 1
    assert secs[0].heading_path == ("Cold call opener",)
    assert secs[0].line == 4


def test_text_before_the_first_heading_gets_the_title_path() -> None:
    secs = sections_of(f"# Guide\n\n{words(30)}\n\n## Step\n\n{words(30)}\n", min_words=1)
    assert [s.heading_path for s in secs] == [("Guide",), ("Guide", "Step")]


BIG_TABLE = "| a | b |\n| --- | --- |\n" + "\n".join(f"| {words(8)} | {i} |" for i in range(20))
BIG_LIST = "\n".join(f"- item {i}: {words(8)}" for i in range(20))
BIG_CODE = "```python\n" + "\n\n".join(f"x{i} = '{words(8)}'" for i in range(20)) + "\n```"
BIG_QUOTE = "\n>\n".join(f"> {words(8)}" for i in range(20))
BIG_HTML = "<div>\n" + "\n".join(f"<p>{words(8)}</p>" for _ in range(20)) + "\n</div>"
BIG_ORDERED = "\n\n".join(f"{i}. {words(8)}" for i in range(1, 20))  # loose list


@pytest.mark.parametrize(
    "block",
    [BIG_TABLE, BIG_LIST, BIG_CODE, BIG_QUOTE, BIG_HTML, BIG_ORDERED],
    ids=["table", "list", "code", "blockquote", "html", "loose-ordered-list"],
)
def test_blocks_are_never_cut(block: str) -> None:
    text = f"# Title\n\n{words(30, 'before')}\n\n{block}\n\n{words(30, 'after')}\n"
    secs = sections_of(text, max_words=40, min_words=5)
    marker = [line for line in block.split("\n") if line.strip()][1]
    holding = [s for s in secs if marker in s.text]
    assert len(holding) == 1
    assert block in holding[0].text
    assert len(secs) == 3  # before / the block / after


def test_long_section_splits_at_paragraph_boundaries() -> None:
    paragraphs = [words(50, f"p{i}x") for i in range(10)]
    text = "# Guide\n\n" + "\n\n".join(paragraphs) + "\n"
    secs = sections_of(text, max_words=120, min_words=25)
    assert len(secs) == 5
    assert all(s.heading_path == ("Guide",) for s in secs)
    assert all(len(s.text.split()) <= 120 for s in secs)
    joined = [p for s in secs for p in s.text.split("\n\n")]
    assert joined == paragraphs  # nothing lost, nothing cut, order kept
    lines = text.split("\n")
    assert lines[secs[0].line - 1] == "# Guide"  # the first piece starts at its heading
    for s in secs[1:]:
        assert lines[s.line - 1] == s.text.split("\n")[0]


def test_tiny_tail_of_a_split_folds_back() -> None:
    text = "# G\n\n" + words(100, "a") + "\n\n" + words(100, "b") + "\n\n" + words(5, "c") + "\n"
    secs = sections_of(text, max_words=150, min_words=25)
    assert [len(s.text.split()) for s in secs] == [100, 105]


def test_tiny_section_merges_with_next_sibling() -> None:
    text = f"# Title\n\n## Price\n\nToo small.\n\n## Timing\n\n{words(40)}\n"
    secs = sections_of(text)
    assert len(secs) == 1
    assert secs[0].heading_path == ("Title",)  # common parent of Price and Timing
    assert secs[0].text.startswith("## Price\n\nToo small.")
    assert "## Timing" in secs[0].text
    assert secs[0].line == 3


def test_tiny_last_section_merges_with_previous() -> None:
    text = f"# Title\n\n## Price\n\n{words(40)}\n\n## Other\n\nToo small.\n"
    secs = sections_of(text)
    assert len(secs) == 1
    assert secs[0].heading_path == ("Title",)
    assert secs[0].text.endswith("## Other\n\nToo small.")


def test_tiny_intro_merges_into_its_first_child() -> None:
    text = f"# Title\n\n## Price\n\nShort intro.\n\n### Detail\n\n{words(40)}\n"
    secs = sections_of(text)
    assert [s.heading_path for s in secs] == [("Title", "Price")]
    assert secs[0].text.startswith("Short intro.")
    assert "### Detail" in secs[0].text


def test_heading_only_sections_are_dropped() -> None:
    text = f"# Title\n\n## Empty\n\n## Full\n\n{words(30)}\n"
    secs = sections_of(text)
    assert [s.heading for s in secs] == ["Title > Full"]


def test_kramdown_markers_are_stripped() -> None:
    text = (
        "---\ntitle: Sales\n---\n## On this page\n{:.no_toc .hidden-md}\n\n- TOC\n"
        '{:toc .hidden-md}\n\n{::options parse_block_html="true" /}\n\n'
        "# Welcome {#welcome}\n\n" + words(30) + "\n{: .alert}\n\n"
        "```\n{: keep me in code}\n```\n"
    )
    secs = sections_of(text)
    assert [s.heading for s in secs] == ["Welcome"]
    body = secs[0].text
    assert "{:" not in body.replace("{: keep me in code}", "")
    assert "{: keep me in code}" in body
    assert "TOC" not in body
    assert secs[0].line == 12


def test_no_toc_heading_text_joins_the_previous_section() -> None:
    text = f"# Guide\n\n{words(30)}\n\n## On this page\n{{:.no_toc}}\n\n{words(30, 'x')}\n"
    secs = sections_of(text)
    assert [s.heading for s in secs] == ["Guide"]
    assert "On this page" not in secs[0].text and "x29" in secs[0].text


def test_html_comments_are_dropped_keeping_lines() -> None:
    body = "a <!-- x --> b\n<!--\nhidden\n-->\nc\n```\n<!-- code -->\n```"
    assert clean_lines(body) == ["a  b", "", "", "", "c", "```", "<!-- code -->", "```"]


def test_clean_lines_keeps_line_count() -> None:
    body = "a {: .x}\n{:toc}\n- TOC\n{:toc}\nb"
    assert clean_lines(body) == ["a", "", "", "", "b"]


def test_setext_and_inline_markup_in_headings() -> None:
    text = f"Big **bold** [title](x.md)\n=====\n\n{words(30)}\n"
    secs = sections_of(text)
    assert secs[0].heading_path == ("Big bold title",)


def test_empty_body_gives_no_sections() -> None:
    assert sections_of("---\ntitle: X\n---\n") == []


def test_embed_text_contains_title_and_path() -> None:
    sec = sections_of(DOC, min_words=1)[1]
    assert sec.embed_text("Objection handling").startswith(
        "Objection handling > Price is too high\n\nprice0"
    )


def test_one_huge_paragraph_is_cut_at_sentence_ends() -> None:
    """200,000 words in one paragraph once became one 1 MB section (256 tokens embedded).

    30,000 sentences of 8 words (240,000 words), limit 220: each piece holds 27 whole
    sentences (216 words); 30,000 = 1,111 x 27 + 3 -> 1,112 pieces, the last with 3.
    """
    from spmkb.content.model import Asset

    sentence = "Buyers need a clear reason to act now."
    body = "# Notes\n\n" + " ".join([sentence] * 30_000) + "\n"
    asset = Asset(id="x", title="Notes", type="reference", path="x.md", body=body)
    sections = split_sections(asset, max_words=220, min_words=25)
    assert len(sections) == 1112
    assert all(len(s.text.split()) <= 220 for s in sections)
    assert all(s.text.endswith("now.") for s in sections)
    assert sum(len(s.text.split()) for s in sections) == 240_000
    assert len(sections[-1].text.split()) == 24


def test_long_tables_and_lists_are_still_never_cut() -> None:
    from spmkb.content.model import Asset

    rows = "\n".join(f"| row {i} | a cell with several words in it |" for i in range(200))
    body = "# Table\n\n| a | b |\n| --- | --- |\n" + rows + "\n"
    asset = Asset(id="t", title="Table", type="reference", path="t.md", body=body)
    sections = split_sections(asset, max_words=50, min_words=5)
    assert len(sections) == 1
