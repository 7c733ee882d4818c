"""Markdown to safe HTML, Markdown to plain text, and highlighting, for everything shown to users.

The one sanitiser (:func:`sanitize_html`), the one Markdown stripper (:func:`strip_markdown`)
and the one highlighter (:func:`highlight_terms`) of the package: widgets, review exports
and search snippets all use these.

Playbook files are written by many people and may carry inline HTML. We render with
markdown-it-py (CommonMark + tables, raw HTML allowed in the input) and then sanitise with
nh3: a fixed tag set, no ``on*`` attributes, no ``<script>``/``<iframe>``/``<style>``
(content dropped), no images, links only to http(s), mailto or relative targets, every
link gets ``rel="noopener noreferrer"``, and inline styles keep only a few harmless
properties (colours, spacing, borders, fonts) so the widgets' cards can be styled.
"""

from __future__ import annotations

import html as _html
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

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
        "section",
    }
)

#: Attributes allowed per tag, ``"*"`` on every tag (``rel`` on links is always set by the sanitiser).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "style", "title"},
    "a": {"href", "title", "target"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}

#: CSS properties kept in ``style`` attributes (everything else, e.g. ``position``, is dropped).
ALLOWED_STYLES: frozenset[str] = frozenset(
    {
        "color",
        "background",
        "background-color",
        "border",
        "border-left",
        "border-radius",
        "padding",
        "margin",
        "margin-top",
        "margin-bottom",
        "margin-left",
        "margin-right",
        "font-size",
        "font-weight",
        "font-style",
        "font-family",
        "display",
        "line-height",
        "max-height",
        "overflow",
        "overflow-y",
        "white-space",
        "text-decoration",
    }
)

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


@lru_cache(maxsize=1)
def _cleaner() -> Any:
    import nh3

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        filter_style_properties=set(ALLOWED_STYLES),
    )


def sanitize_html(html: str) -> str:
    """Return ``html`` with only the allowed tags, attributes, styles and URL schemes left."""
    return _cleaner().clean(html)


def render_markdown(text: str) -> str:
    """Render Markdown ``text`` (kramdown markers dropped) to sanitised HTML."""
    from spmkb.content.sections import clean_lines

    source = "\n".join(clean_lines(text or ""))
    return sanitize_html(_md().render(source))


_WORD = re.compile(r"&#?\w+;|(\w+)")  # entities are skipped whole; words are candidates


def highlight_terms(
    html_or_text: str,
    terms: Iterable[str],
    *,
    is_html: bool | None = None,
    word_key: Callable[[str], str] | None = None,
) -> str:
    """Wrap whole words matching ``terms`` in ``<mark>``; the result is always safe HTML.

    Whole words only, ignoring case: "too" never marks inside "tool". ``word_key`` maps a
    lower-cased word to what is compared (pass the search stemmer so "prices" is marked for
    "price"). Plain text is escaped first; HTML (detected, or ``is_html=True``) is sanitised
    first and only its text between tags is touched, never tag names, attributes or entities.
    """
    if is_html is None:
        is_html = bool(_LOOKS_HTML.search(html_or_text or ""))
    safe = sanitize_html(html_or_text or "") if is_html else _html.escape(html_or_text or "")
    key = word_key or str
    wanted = {key(w.lower()) for t in terms if t for w in re.findall(r"\w+", t) if len(w) >= 2}
    if not wanted:
        return safe

    def mark(match: re.Match[str]) -> str:
        word = match.group(1)
        if word is None or key(word.lower()) not in wanted:
            return match.group(0)
        return f"<mark>{word}</mark>"

    parts = _TAG.split(safe)
    for i in range(0, len(parts), 2):  # even indexes are text between tags
        parts[i] = _WORD.sub(mark, parts[i])
    return "".join(parts)


_MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<!--.*?-->", re.DOTALL), " "),
    (re.compile(r"^ {0,3}(```|~~~).*$", re.MULTILINE), " "),
    (re.compile(r"<[^>\n]{1,300}>"), " "),
    (re.compile(r"\{:[^}\n]*\}|\{::[^}\n]*\}"), " "),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"^ {0,3}#{1,6}\s*", re.MULTILINE), ""),
    (re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", re.MULTILINE), " "),
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),
    (re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE), ""),
    (re.compile(r"(\*\*|__|`|~~)"), ""),
    (re.compile(r"(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)"), ""),
    (re.compile(r"\s*\|\s*"), " · "),
    (re.compile(r"&nbsp;|&amp;"), " "),
    (re.compile(r"\s+"), " "),
    (re.compile(r"(?: · )+(?:· )*"), " · "),
)


def strip_markdown(text: str, limit: int | None = None) -> str:
    """Plain text of a Markdown fragment: no markup, links reduced to their text, one line.

    With ``limit``, the text is cut at the last space before ``limit`` characters and " …"
    is appended.
    """
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    text = text.strip(" ·")
    if limit is not None and len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + " …"
    return text
