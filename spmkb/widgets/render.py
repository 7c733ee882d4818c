"""Pure HTML renderers for the search and recommendation widgets.

Every ``render_*`` function takes core results (``SearchResult``, ``Hit``, ``Asset``, ``Pack``)
and returns a string of HTML that has been through the package's one sanitiser,
:func:`spmkb.content.render.sanitize_html` (no ``<script>``, ``<iframe>``, ``on*`` attributes
or ``javascript:`` links; inline styles limited to a few harmless properties). Asset bodies
are rendered by :func:`spmkb.content.render.render_markdown`, snippets reduced to text by
:func:`~spmkb.content.render.strip_markdown` and query words marked by
:func:`~spmkb.content.render.highlight_terms` (whole words, word forms through the search
stemmer). Nothing here imports ipywidgets, so the renderers are unit-tested on their own and
reusable by other faces.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spmkb.content.render import highlight_terms, render_markdown, sanitize_html, strip_markdown
from spmkb.search.lexical import STOPWORDS, stem  # one stop-word list and stemmer for ranking

if TYPE_CHECKING:
    from spmkb.content.model import Asset
    from spmkb.search.model import Hit, SearchResult

LabLink = Callable[[str], str | None]
SNIPPET_CHARS = 320  # a card's snippet is cut here

FRESHNESS_BADGES: dict[str, tuple[str, str, str]] = {
    # freshness -> (label, text colour, background)
    "fresh": ("fresh", "#0a5d2a", "#d9f2e1"),
    "aging": ("review due soon", "#7a4b00", "#fff0cc"),
    "stale": ("stale — review overdue", "#ffffff", "#c62828"),
    "unknown": ("no review date", "#444444", "#eeeeee"),
}


def query_terms(query: str) -> list[str]:
    """Words of ``query`` worth highlighting: lower-cased, de-duplicated, no stop words."""
    words = re.findall(r"[\w][\w'-]*", query.lower())
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))


def _chip(text: str, colour: str = "#1f4e79", background: str = "#e3edf7") -> str:
    return (
        f'<span class="spmkb-chip" style="background:{background};color:{colour};'
        f'border-radius:10px;padding:0 7px;margin-right:4px;font-size:0.85em;white-space:nowrap">'
        f"{html.escape(text)}</span>"
    )


def render_freshness(freshness: str) -> str:
    """A coloured badge for fresh / aging / stale / unknown (stale is red and says so)."""
    return sanitize_html(_freshness(freshness))


def _freshness(freshness: str) -> str:
    label, colour, background = FRESHNESS_BADGES.get(freshness, FRESHNESS_BADGES["unknown"])
    return (
        f'<span class="spmkb-freshness spmkb-{html.escape(freshness)}" style="background:{background};'
        f'color:{colour};border-radius:4px;padding:0 6px;font-size:0.85em;font-weight:bold">'
        f"{html.escape(label)}</span>"
    )


def _link(path: str, lab_link: LabLink | None) -> str:
    url = lab_link(path) if lab_link else None
    shown = html.escape(path)
    if not url:
        return f'<span class="spmkb-path" style="color:#666;font-size:0.85em">{shown}</span>'
    return (
        f'<a class="spmkb-path spmkb-lab-link" href="{html.escape(url)}" target="_blank" '
        f'title="Open the file in JupyterLab" style="font-size:0.85em">{shown}</a>'
    )


def render_card(
    hit: Hit, terms: Iterable[str] = (), *, rank: int | None = None, lab_link: LabLink | None = None
) -> str:
    """One result card: title, type, stage chips, freshness, heading path, highlighted snippet."""
    terms = list(terms)
    number = f"{rank}. " if rank is not None else ""
    stages = "".join(_chip(s) for s in hit.stages)
    extra = "".join(_chip(x, "#5b2c6f", "#f0e4f7") for x in [*hit.personas, *hit.industries])
    competitors = "".join(_chip("vs " + c, "#7b241c", "#fadbd8") for c in hit.competitors)
    heading = html.escape(hit.section) if hit.section else ""
    more = (
        f' <span style="color:#888;font-size:0.85em">(+{hit.matched_sections - 1} more '
        f"matching sections)</span>"
        if hit.matched_sections > 1
        else ""
    )
    body = (
        f'<div class="spmkb-card" data-id="{html.escape(hit.id)}" style="border:1px solid #d0d7de;'
        f'border-radius:6px;padding:6px 10px;margin:2px 0">'
        f'<div><strong class="spmkb-title">{number}{html.escape(hit.title)}</strong> '
        f"{_chip(hit.type, '#333333', '#e8e8e8')} {_freshness(hit.freshness)}</div>"
        f'<div class="spmkb-stages" style="margin:2px 0">{stages}{extra}{competitors}</div>'
        + (
            f'<div class="spmkb-heading" style="color:#555;font-size:0.9em">§ {heading}{more}</div>'
            if heading
            else ""
        )
        + f'<div class="spmkb-snippet">{_snippet(hit.snippet, terms)}</div>'
        f"<div>{_link(hit.path, lab_link)}</div></div>"
    )
    return sanitize_html(body)


def _snippet(text: str, terms: list[str]) -> str:
    """A card's snippet: plain text cut at :data:`SNIPPET_CHARS`, query words marked."""
    plain = strip_markdown(text, limit=SNIPPET_CHARS)
    return highlight_terms(plain, terms, is_html=False, word_key=stem)


def _filters_text(filters: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in filters.items() if v)


def render_summary(result: SearchResult, *, heading: str | None = None) -> str:
    """The line above the cards: result count, time taken and the filters in force."""
    n = len(result.hits)
    noun = "result" if n == 1 else "results"
    filters = _filters_text(result.filters or {})
    where = f" · filters: {html.escape(filters)}" if filters else ""
    what = html.escape(heading) if heading else f"for “{html.escape(result.query)}”"
    return sanitize_html(
        f'<div class="spmkb-summary" style="color:#444"><b>{n} {noun}</b> {what} '
        f"in {result.took_ms:.0f} ms{where}{_notes(result)}</div>"
    )


def _notes(result: SearchResult) -> str:
    """The searcher's notes (index incomplete, semantic results so far) as small lines."""
    return "".join(f"<br><small>Note: {html.escape(x)}</small>" for x in result.notes)


def render_empty_state(
    result: SearchResult, *, without_filters: int | None = None, indexed: int | None = None
) -> str:
    """What to say when a search finds nothing, with the count the filters are hiding."""
    filters = _filters_text(result.filters)
    q = html.escape(result.query)
    if filters and without_filters:
        noun = "result" if without_filters == 1 else "results"
        text = (
            f"No results with these filters — {without_filters} {noun} without them. "
            f"Set a filter back to “any” ({html.escape(filters)}) to see them."
        )
    elif filters:
        text = (
            f"No results for “{q}” with these filters ({html.escape(filters)}), and none "
            "without them either. Try other words."
        )
    else:
        size = f" The index holds {indexed} assets." if indexed else ""
        text = (
            f"No results for “{q}”. Try fewer or more general words, or a synonym "
            f"(“pricing” rather than “discount”).{size}"
        )
    return sanitize_html(
        f'<div class="spmkb-empty" style="color:#7a4b00;padding:6px 0">{text}{_notes(result)}</div>'
    )


def render_results(
    result: SearchResult,
    *,
    without_filters: int | None = None,
    indexed: int | None = None,
    lab_link: LabLink | None = None,
) -> str:
    """Summary plus every card, or the empty state (used by notebooks without buttons)."""
    if not result.hits:
        return render_empty_state(result, without_filters=without_filters, indexed=indexed)
    terms = query_terms(result.query)
    cards = "".join(
        render_card(h, terms, rank=i, lab_link=lab_link) for i, h in enumerate(result.hits, 1)
    )
    return sanitize_html(render_summary(result) + cards)


def render_status(message: str, kind: str = "info") -> str:
    """The status line: ``info``, ``loading``, ``ok`` or ``error`` (red, prefixed "Error:")."""
    colours = {"info": "#444444", "loading": "#1f4e79", "ok": "#0a5d2a", "error": "#b00020"}
    text = html.escape(message)
    if kind == "error":
        text = f"<b>Error:</b> {text}"
    elif kind == "loading":
        text = f"⏳ {text}"
    return sanitize_html(
        f'<div class="spmkb-status spmkb-status-{html.escape(kind)}" '
        f'style="color:{colours.get(kind, "#444444")}">{text}</div>'
    )


@dataclass(frozen=True)
class AssetLink:
    """A relative link found in an asset body: its text, its href and the path it points to.

    ``target`` is the linked file relative to the playbook root (``posixpath.normpath`` of the
    href joined to the asset's folder, fragment dropped); it may start with ``..`` or ``/``
    when the link leaves the root, which the panel refuses to open.
    """

    text: str
    href: str
    target: str


_ANCHOR = re.compile(r"<a\s([^>]*)>(.*?)</a>", re.S)
_HREF = re.compile(r'href="([^"]*)"')
_EXTERNAL = re.compile(r"^(?:https?:|mailto:)", re.I)


def link_target(asset_path: str, href: str) -> str:
    """The file a relative ``href`` in the asset at ``asset_path`` points to, from the playbook root."""
    from urllib.parse import unquote

    part = unquote(href.split("#", 1)[0])
    if part.startswith("/"):
        return part
    return posixpath.normpath(posixpath.join(posixpath.dirname(asset_path), part))


def rewrite_links(body: str, asset_path: str) -> tuple[str, list[AssetLink]]:
    """Make a sanitised body's links safe to click inside a widget; return the asset links.

    External links (http, https, mailto) open in a new tab (``target="_blank"``, the sanitiser
    adds ``rel="noopener noreferrer"``). Links to a heading (``#…``) point at that heading's
    id (:func:`heading_id`), so they scroll the reader. Relative links to other files become
    plain marked text — clicking them cannot navigate the notebook or app away — and each is
    returned as an :class:`AssetLink` for the panel's "Linked assets" buttons.
    """
    links: list[AssetLink] = []

    def one(match: re.Match[str]) -> str:
        attrs, inner = match.group(1), match.group(2)
        found = _HREF.search(attrs)
        href = html.unescape(found.group(1)) if found else ""
        if _EXTERNAL.match(href):
            attrs = re.sub(r'\starget="[^"]*"', "", attrs)
            return f'<a {attrs} target="_blank">{inner}</a>'
        if href.startswith("#") and len(href) > 1:
            frag = heading_id(href[1:])
            return f'<a class="spmkb-heading-link" href="#{frag}">{inner}</a>'
        if not href:
            return f'<span class="spmkb-local-link">{inner}</span>'
        text = re.sub(r"<[^>]+>", "", inner).strip() or href
        links.append(AssetLink(html.unescape(text), href, link_target(asset_path, href)))
        return (
            f'<span class="spmkb-asset-link" title="Linked asset: open it with the buttons '
            f'below" style="color:#1f4e79;text-decoration:underline">{inner}</span>'
        )

    return _ANCHOR.sub(one, body), links


_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)


def heading_id(text: str) -> str:
    """The element id of a heading (or a ``#fragment``): ``spmkb-`` + its GitHub-style slug."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text)).strip().lower()
    slug = re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")
    return "spmkb-" + re.sub(r"[^a-z0-9_-]", "", slug)


def _add_heading_ids(page: str) -> str:
    """Give each heading of a sanitised page its :func:`heading_id` (links to ``#…`` scroll there)."""
    return _HEADING.sub(lambda m: f'<h{m[1]} id="{heading_id(m[2])}">{m[2]}</h{m[1]}>', page)


def _drop_title_heading(body: str, title: str) -> str:
    """Drop the body's first heading when it repeats the asset title (shown above it)."""
    match = re.match(r"\s*<h1>(.*?)</h1>\s*", body, re.S)
    if match and html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() == title.strip():
        return body[match.end() :]
    return body


def render_reader(
    asset: Asset,
    *,
    terms: Iterable[str] = (),
    freshness: str | None = None,
    lab_link: LabLink | None = None,
) -> str:
    """The whole asset for the reader pane: title, metadata, then the sanitised body."""
    return render_reader_links(asset, terms=terms, freshness=freshness, lab_link=lab_link)[0]


def render_reader_links(
    asset: Asset,
    *,
    terms: Iterable[str] = (),
    freshness: str | None = None,
    lab_link: LabLink | None = None,
) -> tuple[str, list[AssetLink]]:
    """The reader pane's HTML (see :func:`render_reader`) and the asset links in the body."""
    stages = "".join(_chip(s) for s in asset.stages)
    meta = [f"{_chip(asset.type, '#333333', '#e8e8e8')}"]
    fresh = freshness or asset.freshness()
    meta.append(_freshness(fresh))
    if asset.owner:
        meta.append(f"owner: {html.escape(str(asset.owner))}")
    if asset.reviewed:
        meta.append(f"reviewed: {html.escape(asset.reviewed.isoformat())}")
    body, links = rewrite_links(render_markdown(asset.body), asset.path)
    body = highlight_terms(
        _drop_title_heading(body, asset.title), terms, is_html=True, word_key=stem
    )
    page = sanitize_html(
        f'<div class="spmkb-reader" style="border-left:3px solid #1f4e79;padding:4px 12px">'
        f'<h3 class="spmkb-reader-title" style="margin-top:0">{html.escape(asset.title)}</h3>'
        f'<div style="margin-bottom:6px">{" ".join(meta)}</div><div>{stages}</div>'
        f"<div>{_link(asset.path, lab_link)}</div>"
        f'<div class="spmkb-reader-body">{body}</div></div>'
    )
    return _add_heading_ids(page), links


def render_pack(pack: Any, *, lab_link: LabLink | None = None) -> str:
    """A before-the-call pack: each slot's asset card with the reason it was picked."""
    ctx = [f"stage: {pack.stage}"]
    ctx += [
        f"{k}: {v}" for k in ("industry", "persona", "competitor") if (v := getattr(pack, k, None))
    ]
    if getattr(pack, "deal_id", None):
        ctx.insert(0, f"deal {pack.deal_id}")
    parts = [
        f'<div class="spmkb-pack"><h3 style="margin:0">Before the call</h3>'
        f'<div style="color:#555">{html.escape(" · ".join(ctx))}</div>'
    ]
    for note in getattr(pack, "notes", []):
        parts.append(f'<div class="spmkb-note" style="color:#7a4b00">{html.escape(note)}</div>')
    for item in pack.items:
        parts.append(
            f'<h4 style="margin:8px 0 2px 0">{html.escape(item.slot.capitalize())}</h4>'
            f'<div class="spmkb-reason" style="color:#555;font-style:italic">'
            f"{html.escape(item.reason)}</div>"
        )
        if item.hit is not None:
            parts.append(render_card(item.hit, query_terms(item.query or ""), lab_link=lab_link))
    parts.append("</div>")
    return sanitize_html("".join(parts))
