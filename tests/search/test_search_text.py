"""Unit tests of the model-free parts: tokenizer, Markdown stripping, snippets, where clauses, URLs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from spmkb.errors import StoreError
from spmkb.search.lexical import snippet, strip_markdown, tokenize
from spmkb.search.store import parse_url, where_clause


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MEDDPPICC and the Economic Buyer", ["meddppicc", "economic", "buyer"]),
        ("The customer's objections", ["customer", "objection"]),
        ("Discovery questions, 2 of 3", ["discovery", "question", "2", "3"]),
    ],
    ids=["acronym", "possessive-plural", "numbers"],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("## Heading\n\nSome **bold** text", "Heading Some bold text"),
        ("See [the guide](https://x.org/a) now", "See the guide now"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a · b · 1 · 2"),
        ("- one\n- two\n1. three", "one two three"),
        ("Text <b>html</b> {:toc} `code`", "Text html code"),
    ],
    ids=["heading-bold", "link", "table", "lists", "html-kramdown-code"],
)
def test_strip_markdown(markdown: str, expected: str) -> None:
    assert strip_markdown(markdown) == expected


def test_snippet_centres_on_query_term() -> None:
    text = "filler " * 100 + "The **MEDDPPICC** letters matter. " + "tail " * 100
    out = snippet(text, "meddppicc", width=120)
    assert "MEDDPPICC" in out
    assert out.startswith("…") and out.endswith("…")
    assert len(out) <= 122
    assert "**" not in out


def test_snippet_short_text_is_whole() -> None:
    assert snippet("Short *text*.", "anything") == "Short text."


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, None),
        ({"type": "battlecard"}, {"type": "battlecard"}),
        ({"stages": "demo"}, {"stages": {"$contains": "demo"}}),
        (
            {"stages": "demo", "type": "battlecard", "personas": None},
            {"$and": [{"stages": {"$contains": "demo"}}, {"type": "battlecard"}]},
        ),
    ],
    ids=["none", "type-scalar", "list-membership", "combined"],
)
def test_where_clause(filters: dict, expected: dict | None) -> None:
    assert where_clause(filters) == expected


@pytest.mark.parametrize(
    ("url", "host", "port", "ssl"),
    [
        ("http://127.0.0.1:8123", "127.0.0.1", 8123, False),
        ("https://chroma.example.com", "chroma.example.com", 443, True),
        ("localhost:9000", "localhost", 9000, False),
        ("http://chroma", "chroma", 8000, False),
    ],
    ids=["http-port", "https-default", "bare-host-port", "default-port"],
)
def test_parse_url(url: str, host: str, port: int, ssl: bool) -> None:
    address = parse_url(url)
    assert (address.host, address.port, address.ssl) == (host, port, ssl)


def test_parse_url_rejects_other_schemes() -> None:
    with pytest.raises(StoreError, match="invalid Chroma URL"):
        parse_url("ftp://example.com")


def test_import_is_lazy() -> None:
    code = (
        "import sys, spmkb.search, spmkb.cli.search\n"
        "from spmkb.search import Hit, SearchResult\n"
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'bm25s') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
