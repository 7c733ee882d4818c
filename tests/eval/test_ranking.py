"""Ranking switches (spmkb.search.ranking): what is embedded, lexical fields, combination."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from spmkb.content.model import Section
from spmkb.search.ranking import (
    RankingOptions,
    asset_text,
    combine,
    embed_text,
    lexical_documents,
)

SECTION = Section("pricing/guide", 1, ("Pricing guide", "Discounts"), "Up to 10% without approval.")
ASSET = SimpleNamespace(title="Pricing guide", summary="How we price and discount.")


def test_embed_text_modes() -> None:
    assert embed_text(SECTION, ASSET) == "Pricing guide > Discounts\n\nUp to 10% without approval."
    assert embed_text(SECTION, ASSET, "body") == "Up to 10% without approval."
    assert embed_text(SECTION, ASSET, "summary") == (
        "Pricing guide > Discounts\nHow we price and discount.\n\nUp to 10% without approval."
    )
    no_summary = SimpleNamespace(title="Pricing guide", summary=None)
    assert embed_text(SECTION, no_summary, "summary") == embed_text(SECTION, no_summary)


def test_asset_text_falls_back_to_headings() -> None:
    assert asset_text("T", "S", ["a", "b"]) == "T\n\nS"
    assert asset_text("T", None, ["a", "", "b", "a"]) == "T\n\na; b"
    assert asset_text("T", "", ["a"], fallback=False) is None  # summary-only asset vectors


def test_lexical_documents_repeat_fields() -> None:
    docs = ["Guide > Discounts\n\nbody"]
    metas = [{"title": "Guide", "heading": "Guide > Discounts"}]
    assert lexical_documents(docs, metas, RankingOptions()) is docs  # default: unchanged
    weighted = lexical_documents(docs, metas, RankingOptions(title_weight=3, heading_weight=2))
    assert weighted == ["Guide Guide Guide Discounts\nGuide > Discounts\n\nbody"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (RankingOptions(combine="max"), 0.5),
        # decay 0.5 over 0.5, 0.25, 0.125: 0.5 + 0.125 + 0.03125 = 0.65625
        (RankingOptions(combine="decay", decay=0.5), 0.65625),
        (RankingOptions(), 0.5),  # the default: max (the decayed sum lost on Cranfield)
        # decay 0.3: 0.5 + 0.075 + 0.01125 = 0.58625
        (RankingOptions(combine="decay", decay=0.3), 0.58625),
    ],
    ids=["max", "decay", "default", "decay-0.3"],
)
def test_combine(options: RankingOptions, expected: float) -> None:
    assert combine([0.25, 0.5, 0.125], options) == pytest.approx(expected)
    assert combine([], options) == 0.0


def test_options_from_settings_tables() -> None:
    settings = SimpleNamespace(tables={"ranking": {"title_weight": "3", "prf_docs": 5, "x": 1}})
    options = RankingOptions.from_settings(settings)
    assert (options.title_weight, options.prf_docs) == (3, 5)
    assert RankingOptions.from_settings(SimpleNamespace(tables={})) == RankingOptions()


WITH_SUMMARY = """---
title: Discount approval policy
type: pricing-guide
summary: Who signs off on which discount, and how fast.
---
# Discount approval policy

## Approval levels

Up to ten percent the rep decides alone; above that the regional director approves it.

## Turnaround

Deal desk answers within one business day when the request names the competitor and term.
"""
WITHOUT_SUMMARY = """---
title: Cold call opener
type: call-script
---
# Cold call opener

## Opening line

Say who you are, why you are calling them in particular, and ask for thirty seconds.
"""


@pytest.mark.slow
def test_embedding_the_summary_reembeds_only_sections_that_changed(embedder, tmp_path) -> None:
    """An index built before the summary was embedded: the next run re-embeds the two sections
    of the asset with a summary (their text, hence their hash, changed) and reuses the other."""
    import dataclasses

    from spmkb.config import load_settings
    from spmkb.search import index_library
    from spmkb.search.store import Store

    library = tmp_path / "playbooks"
    (library / "pricing").mkdir(parents=True)
    (library / "calls").mkdir()
    (library / "pricing" / "discounts.md").write_text(WITH_SUMMARY)
    (library / "calls" / "opener.md").write_text(WITHOUT_SUMMARY)
    settings = load_settings(
        {"playbooks": str(library), "store": str(tmp_path / ".spmkb"), "section_min_words": 5},
        cwd=tmp_path,
        environ={},
    )
    before = dataclasses.replace(settings, tables={"ranking": {"embed": "context"}})
    first = index_library(before, embedder=embedder)
    assert (first.sections, first.embedded) == (3, 3)
    now = index_library(settings, embedder=embedder)
    assert (now.sections, now.embedded, now.reused) == (3, 2, 1)
    docs = dict(zip(*Store(settings).all_records()[:2], strict=True))
    summary = "Who signs off on which discount, and how fast."
    assert sum(summary in doc for doc in docs.values()) == 2
    assert docs["calls/opener.md#0"].startswith("Cold call opener > Opening line\n\n")
