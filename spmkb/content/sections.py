"""Split an asset body into searchable :class:`~spmkb.content.model.Section` objects.

markdown-it-py gives a token stream whose top-level blocks carry ``.map`` line ranges. A
section is the run of top-level blocks under one heading, keyed by its heading path
("Objection handling > Price is too high"). Tables, lists, code blocks, block quotes and
HTML blocks are top-level blocks, so they are never cut. Long sections split between
blocks; tiny ones merge with a neighbour. Section text is the Markdown source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from spmkb.content.fences import FenceTracker
from spmkb.content.model import Asset, Section
from spmkb.content.parse import clean_heading

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

#: Bump when the sectioning rules change: the search index re-embeds everything.
CHUNKER_VERSION = "3"

_IAL = re.compile(r"\{:[^}\n]*\}")
_TOC_ITEM = re.compile(r"^\s*[-*+]\s+TOC\s*$")
_HEADER_ID = re.compile(r"[ \t]*\{#[^}\n]*\}[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->")
_BLANKS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Only block structure is needed: skipping inline parsing halves the time.
    return MarkdownIt("commonmark", {"html": True}).enable("table").disable("inline")


def clean_lines(body: str) -> list[str]:
    """Body lines without kramdown markers and HTML comments, same line count.

    Removed: IALs and extensions (``{: ...}``, ``{::...}``), header ids (``{#id}``), the
    ``- TOC`` placeholder, headings marked ``{:.no_toc}`` (GitLab's "On this page") and
    ``<!-- comments -->``. Lines are blanked, never deleted, so markdown-it line maps still
    point at file lines. Fenced code is left untouched.
    """
    lines = body.split("\n")
    fences = FenceTracker()
    comment = False
    for i, line in enumerate(lines):
        if comment:
            if "-->" not in line:
                lines[i] = ""
                continue
            comment = False
            lines[i] = line = line.split("-->", 1)[1]
        if fences.in_code(line):
            continue
        if "<!--" in line:
            line = _COMMENT.sub("", line)
            if "<!--" in line:
                line, comment = line.split("<!--", 1)[0], True
            lines[i] = line = "" if not line.strip() else line
        if line.lstrip().startswith("#"):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if "no_toc" in nxt and nxt.lstrip().startswith("{:"):
                lines[i] = ""
                continue
            if "{#" in line:
                lines[i] = line = _HEADER_ID.sub("", line)
        if "{" not in line and "TOC" not in line:
            continue
        if _TOC_ITEM.match(line):
            nxt = next((ln for ln in lines[i + 1 : i + 3] if ln.strip()), "")
            if nxt.lstrip().startswith("{:toc"):
                lines[i] = ""
                continue
        if "{:" in line:
            stripped = _IAL.sub("", line)
            lines[i] = "" if not stripped.strip() else stripped.rstrip()
    return lines


def _heading_text(token: Token) -> str:
    """Plain heading text of the inline token after ``heading_open`` (no markup, no ids)."""
    return re.sub(r"\s+", " ", clean_heading(token.content))


@dataclass
class _Block:
    start: int
    end: int
    level: int = 0  # heading level, 0 = not a heading
    text: str = ""


@dataclass
class _Piece:
    path: tuple[str, ...]
    head: int | None  # line of the heading that introduced ``path`` (not in the text)
    begin: int
    end: int
    words: int


def _blocks(lines: list[str]) -> list[_Block]:
    tokens = _parser().parse("\n".join(lines))
    out: list[_Block] = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.map is None or tok.nesting == -1:
            continue
        start, end = tok.map
        if tok.type == "heading_open":
            text = _heading_text(tokens[i + 1]) if i + 1 < len(tokens) else ""
            out.append(_Block(start, end, int(tok.tag[1]), text or "Untitled"))
        else:
            out.append(_Block(start, end))
    return out


def _words(lines: list[str], start: int, end: int) -> int:
    return sum(len(line.split()) for line in lines[start:end])


def _raw_sections(
    blocks: list[_Block], lines: list[str], title: str
) -> list[tuple[tuple[str, ...], int | None, list[_Block]]]:
    sections: list[tuple[tuple[str, ...], int | None, list[_Block]]] = []
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = (title,)
    head: int | None = None
    current: list[_Block] = []
    for block in blocks:
        if block.level:
            sections.append((path, head, current))
            while stack and stack[-1][0] >= block.level:
                stack.pop()
            stack.append((block.level, block.text))
            path = tuple(t for _, t in stack)
            head = block.start
            current = []
        else:
            current.append(block)
    sections.append((path, head, current))
    return [s for s in sections if s[2]]


def _split_long(
    path: tuple[str, ...],
    head: int | None,
    blocks: list[_Block],
    lines: list[str],
    max_words: int,
    min_words: int,
) -> list[_Piece]:
    chunks: list[list[_Block]] = [[]]
    count = 0
    for block in blocks:
        n = _words(lines, block.start, block.end)
        if chunks[-1] and count + n > max_words:
            chunks.append([])
            count = 0
        chunks[-1].append(block)
        count += n
    if len(chunks) > 1 and count < min_words:  # fold a tiny tail back
        chunks[-2].extend(chunks.pop())
    pieces = []
    for i, chunk in enumerate(chunks):
        begin, end = chunk[0].start, chunk[-1].end
        pieces.append(_Piece(path, head if i == 0 else None, begin, end, _words(lines, begin, end)))
    return pieces


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return tuple(out)


def _merge(a: _Piece, b: _Piece, title: str, lines: list[str]) -> _Piece:
    path = _common(a.path, b.path) or (title,)
    if a.path == path or a.head is None:
        begin, head = a.begin, a.head
    else:
        begin, head = a.head, None
    if a.path == path:
        head = a.head
    return _Piece(path, head, begin, b.end, _words(lines, begin, b.end))


def _merge_tiny(pieces: list[_Piece], min_words: int, title: str, lines: list[str]) -> list[_Piece]:
    i = 0
    while len(pieces) > 1 and i < len(pieces):
        p = pieces[i]
        if p.words >= min_words:
            i += 1
            continue
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        same_parent = nxt is not None and nxt.path[: len(p.path) - 1] == p.path[:-1]
        if nxt is not None and (same_parent or i == 0):
            pieces[i : i + 2] = [_merge(p, nxt, title, lines)]
        else:
            prev = pieces[i - 1]
            pieces[i - 1 : i + 1] = [_merge(prev, p, title, lines)]
            i -= 1
    return pieces


def split_sections(asset: Asset, *, max_words: int = 220, min_words: int = 25) -> list[Section]:
    """Split ``asset.body`` into sections with heading paths and 1-based file lines."""
    lines = clean_lines(asset.body)
    blocks = _blocks(lines)
    pieces: list[_Piece] = []
    for path, head, section_blocks in _raw_sections(blocks, lines, asset.title):
        pieces.extend(_split_long(path, head, section_blocks, lines, max_words, min_words))
    pieces = _merge_tiny(pieces, min_words, asset.title, lines)
    sections: list[Section] = []
    for piece in pieces:
        text = _BLANKS.sub("\n\n", "\n".join(lines[piece.begin : piece.end])).strip("\n")
        if not text.strip():
            continue
        first = piece.head if piece.head is not None else piece.begin
        parts = _split_prose(text, max_words) if piece.words > 2 * max_words else [text]
        for part in parts:
            sections.append(
                Section(
                    asset_id=asset.id,
                    index=len(sections),
                    heading_path=piece.path,
                    text=part,
                    line=asset.body_line + first,
                )
            )
    return sections


_NOT_PROSE = re.compile(r"^\s*(\||[-*+]\s|\d+[.)]\s|```|~~~|>|<)|^    ", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+")


def _split_prose(text: str, max_words: int) -> list[str]:
    """Cut a long run of plain prose at sentence ends into pieces of at most ``max_words``.

    One 200,000-word paragraph would otherwise be one section of which the model reads only
    the first 256 tokens. Tables, lists, quotes, HTML and code are never cut; a "sentence"
    longer than ``max_words`` (no punctuation) is cut between words.
    """
    if _NOT_PROSE.search(text):
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        while len(words) > max_words:  # no sentence end for a long while: cut between words
            if current:
                pieces.append(" ".join(current))
                current, count = [], 0
            pieces.append(" ".join(words[:max_words]))
            words = words[max_words:]
        if current and count + len(words) > max_words:
            pieces.append(" ".join(current))
            current, count = [], 0
        current += words
        count += len(words)
    if current:
        pieces.append(" ".join(current))
    return pieces
