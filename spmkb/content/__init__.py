"""Playbook content: assets (Markdown + YAML front matter), sections, lint and rendering."""

from spmkb.content.library import Library, iter_candidates, load_library
from spmkb.content.lint import LintReport, lint_library
from spmkb.content.model import Asset, Freshness, Section
from spmkb.content.parse import (
    MARKDOWN_SUFFIXES,
    derive_id,
    is_markdown,
    load_asset,
    parse_asset,
    safe_path,
)
from spmkb.content.render import highlight_terms, render_markdown, sanitize_html, strip_markdown
from spmkb.content.sections import CHUNKER_VERSION, split_sections

__all__ = [
    "CHUNKER_VERSION",
    "MARKDOWN_SUFFIXES",
    "Asset",
    "Freshness",
    "Library",
    "LintReport",
    "Section",
    "derive_id",
    "highlight_terms",
    "is_markdown",
    "iter_candidates",
    "lint_library",
    "load_asset",
    "load_library",
    "parse_asset",
    "render_markdown",
    "safe_path",
    "sanitize_html",
    "split_sections",
    "strip_markdown",
]
