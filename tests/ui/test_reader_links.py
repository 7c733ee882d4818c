"""Links inside an opened asset: asset links open in the reader, Back returns, nothing leaves the page.

The test asset ``tests/data/ui/linked-battlecard.md`` (put under ``reference/`` in a copy of
the small corpus) links to ``../objections/too-expensive.md`` (an asset), ``#trap-questions``
(a heading), ``https://linked.example/pricing`` (external) and ``../../outside.md`` (outside
the playbook root).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import ipywidgets
import pytest
from _uitext import text_of

from spmkb.content import load_asset
from spmkb.widgets import render

UI_DATA = Path(__file__).resolve().parents[1] / "data" / "ui"
LINKED = "reference/linked-battlecard.md"


@pytest.fixture
def linked_playbooks(small_corpus: Path, tmp_path: Path) -> Path:
    """A copy of the small corpus plus the linked battlecard under reference/."""
    root = tmp_path / "playbooks"
    shutil.copytree(small_corpus, root)
    (root / "reference").mkdir()
    shutil.copy(UI_DATA / "linked-battlecard.md", root / LINKED)
    return root


@pytest.fixture
def link_panel(ui_settings, searcher, linked_playbooks: Path):
    """A SearchPanel whose playbook root holds the linked battlecard."""
    from spmkb.widgets import SearchPanel

    p = SearchPanel(replace(ui_settings, playbooks=linked_playbooks), searcher=searcher)
    assert p.wait_ready(300), p.status.value
    return p


def test_reader_rewrites_links_so_none_navigates_the_page(linked_playbooks: Path) -> None:
    """Asset links become text, a heading link points at the heading's id, external → new tab.

    Two relative links are returned (``#…`` stays in the page):
    ``reference/../objections/too-expensive.md`` normalises to
    ``objections/too-expensive.md`` and ``reference/../../outside.md`` to ``../outside.md``.
    """
    asset = load_asset(linked_playbooks / LINKED, linked_playbooks)
    page, links = render.render_reader_links(asset)
    assert [(x.text, x.target) for x in links] == [
        ("price is too high", "objections/too-expensive.md"),
        ("the secrets", "../outside.md"),
    ]
    assert 'href="../' not in page
    assert '<a class="spmkb-heading-link" href="#spmkb-trap-questions"' in page
    assert '<h2 id="spmkb-trap-questions">Trap questions</h2>' in page
    assert 'href="https://linked.example/pricing"' in page
    start = page.rindex("<a ", 0, page.index('href="https://linked.example'))
    external = page[start : page.index(">", start)]
    assert 'target="_blank"' in external and "noopener" in external
    assert "price is too high" in text_of(page)


def test_reader_shows_the_title_once(linked_playbooks: Path) -> None:
    """The body's first heading repeats the title: it is dropped, the title heading stays."""
    asset = load_asset(linked_playbooks / LINKED, linked_playbooks)
    page = render.render_reader(asset)
    assert text_of(page).count("Battlecard: Linked Co") == 1
    assert "When they push on price" in text_of(page)


def test_following_a_link_opens_the_asset_in_the_reader_and_back_returns(link_panel) -> None:
    """Open the battlecard, click its "price is too high" button: the objection shows; Back returns."""
    link_panel.open_path(LINKED)
    assert "Battlecard: Linked Co" in text_of(link_panel.reader.value)
    assert link_panel.back.layout.display == "none"
    buttons = [b for b in link_panel.links.children if isinstance(b, ipywidgets.Button)]
    assert [b.description for b in buttons] == ["price is too high", "the secrets"]
    buttons[0].click()
    assert "Price is too high" in text_of(link_panel.reader.value)
    assert "Battlecard: Linked Co" not in text_of(link_panel.reader.value)
    assert link_panel.back.layout.display == ""
    assert link_panel.links.children == ()  # the objection links nowhere: no stale buttons
    link_panel.back.click()
    assert "Battlecard: Linked Co" in text_of(link_panel.reader.value)
    assert link_panel.back.layout.display == "none"
    assert link_panel.history == []


def test_a_link_outside_the_playbooks_is_refused_with_a_message(link_panel) -> None:
    """The ``../../outside.md`` link is refused in the status line; the reader keeps the card."""
    outside = link_panel.settings.playbooks.parent / "outside.md"
    outside.write_text("---\ntitle: Secret\ntype: note\n---\n# Secret\n", encoding="utf-8")
    link_panel.open_path(LINKED)
    secrets = [
        b
        for b in link_panel.links.children
        if isinstance(b, ipywidgets.Button) and b.description == "the secrets"
    ]
    secrets[0].click()
    assert "Error:" in link_panel.status.value
    assert "outside the playbook folder" in link_panel.status.value
    assert "Battlecard: Linked Co" in text_of(link_panel.reader.value)
    assert "Secret" not in text_of(link_panel.reader.value)
