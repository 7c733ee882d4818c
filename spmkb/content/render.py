"""Markdown to safe HTML for anything shown to users (widgets, review exports).

Playbook files are written by many people and may carry inline HTML. We render with
markdown-it-py (CommonMark + tables, raw HTML allowed in the input) and then sanitise with
nh3: a fixed tag set, no ``on*`` attributes, no ``<script>``/``<iframe>``/``<style>``
(content dropped), no images, links only to http(s), mailto or relative targets, and every
link gets ``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

#: Tags that survive sanitising.
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "caption",
        "code",
        "pre",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "s",
        "del",
        "ins",
        "sub",
        "sup",
        "small",
        "a",
        "blockquote",
        "hr",
        "br",
        "span",
        "div",
        "mark",
        "kbd",
        "abbr",
        "details",
        "summary",
    }
)

#: Attributes allowed per tag (``rel`` on links is always set by the sanitiser).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "span": {"class"},
    "code": {"class"},
    "abbr": {"title"},
}

#: Elements removed together with their content.
DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}
)

_SCHEMES = {"http", "https", "mailto"}
_TAG = re.compile(r"(<[^>]*>)")
_LOOKS_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z][a-zA-Z0-9]*)(?:\s[^>]*)?/?>")


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def sanitize_html(html: str) -> str:
    """Return ``html`` with only the allowed tags, attributes and URL schemes left."""
    import nh3

    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown ``text`` (kramdown markers dropped) to sanitised HTML."""
    from spmkb.content.sections import clean_lines

    source = "\n".join(clean_lines(text or ""))
    return sanitize_html(_md().render(source))


def highlight_terms(html_or_text: str, terms: Iterable[str], *, is_html: bool | None = None) -> str:
    """Wrap each occurrence of ``terms`` in ``<mark>``; the result is always safe HTML.

    Plain text is escaped first; HTML (detected, or ``is_html=True``) is sanitised first and
    only its text between tags is touched, never tag names or attributes.
    """
    if is_html is None:
        is_html = bool(_LOOKS_HTML.search(html_or_text or ""))
    safe = sanitize_html(html_or_text or "") if is_html else _html.escape(html_or_text or "")
    words = sorted({t.strip() for t in terms if t and len(t.strip()) >= 2}, key=len, reverse=True)
    if not words:
        return safe
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(_html.escape(w, quote=False)) for w in words) + r")",
        re.IGNORECASE,
    )
    parts = _TAG.split(safe)
    for i in range(0, len(parts), 2):  # even indexes are text between tags
        parts[i] = pattern.sub(r"<mark>\1</mark>", parts[i])
    return "".join(parts)
