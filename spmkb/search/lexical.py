"""Lexical (BM25) retrieval over section texts, with ``bm25s`` imported lazily.

Tokens are lower-cased words and numbers with a light plural strip, so acronyms such as
MEDDPPICC and product or competitor names match exactly, which embeddings often miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from spmkb.content.render import strip_markdown  # the one Markdown stripper (re-exported)

_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def stem(token: str) -> str:
    """A deliberately light stemmer: strip possessives and simple plurals."""
    token = token.replace("’", "'")
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, lightly stemmed."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


class _TokenSets:
    """Each document's set of terms, tokenized on first access (a restored index opens
    without tokenizing every document; coverage asks for a few)."""

    def __init__(self, documents: list[str]) -> None:
        self._docs = documents
        self._made: dict[int, frozenset[str]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def __getitem__(self, position: int) -> frozenset[str]:
        words = self._made.get(position)
        if words is None:
            words = self._made[position] = frozenset(tokenize(self._docs[position]) or ["_empty_"])
        return words

    def __iter__(self) -> Iterator[frozenset[str]]:
        return (self[p] for p in range(len(self._docs)))


class LexicalIndex:
    """BM25 over a fixed list of documents; scores every document for a query."""

    def __init__(self, documents: list[str]) -> None:
        import bm25s

        self.size = len(documents)
        self._docs = documents
        self._bm25: Any = bm25s.BM25()
        tokens = [tokenize(d) or ["_empty_"] for d in documents]
        self._sets = _TokenSets(documents)  # each document's terms, made when first asked
        if tokens:
            self._bm25.index(tokens, show_progress=False)
        vocab = getattr(self._bm25, "vocab_dict", None) or {}
        self._vocab: set[str] = set(vocab)

    def to_arrays(self) -> dict[str, Any]:
        """The scored index as arrays plus the vocabulary list (what :meth:`from_arrays` takes)."""
        vocab_dict = getattr(self._bm25, "vocab_dict", None) or {}
        vocab = [""] * len(vocab_dict)
        for token, i in vocab_dict.items():
            vocab[i] = token
        scores = getattr(self._bm25, "scores", None) or {}
        empty = np.zeros(0, dtype=np.float32)
        return {
            "bm25_data": np.asarray(scores.get("data", empty), dtype=np.float32),
            "bm25_indices": np.asarray(scores.get("indices", empty), dtype=np.int32),
            "bm25_indptr": np.asarray(scores.get("indptr", np.zeros(1)), dtype=np.int64),
            "bm25_vocab": vocab,
        }

    @classmethod
    def from_arrays(cls, documents: list[str], arrays: dict[str, Any]) -> LexicalIndex:
        """Restore an index saved with :meth:`to_arrays` without tokenizing ``documents``."""
        import bm25s

        self = cls.__new__(cls)
        self.size = len(documents)
        self._docs = documents
        self._sets = _TokenSets(documents)
        self._bm25 = bm25s.BM25()
        vocab = [str(t) for t in arrays["bm25_vocab"]]
        self._vocab = set(vocab)
        if documents and vocab:
            self._bm25.scores = {
                "data": arrays["bm25_data"],
                "indices": arrays["bm25_indices"],
                "indptr": arrays["bm25_indptr"],
                "num_docs": len(documents),
            }
            self._bm25.vocab_dict = {t: i for i, t in enumerate(vocab)}
            self._bm25.unique_token_ids_set = set(range(len(vocab)))
            self._bm25.nonoccurrence_array = None  # the default (Lucene) method has none
        return self

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when no term is known)."""
        terms = [t for t in dict.fromkeys(tokenize(query)) if t in self._vocab]
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def rank(self, query: str, mask: np.ndarray | None = None, n: int = 50) -> list[int]:
        """Indices of the ``n`` best documents with a positive score, optionally masked."""
        scores = self.scores(query)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = int((scores > 0).sum())
        if positive == 0:
            return []
        n = min(n, positive)
        top = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in top[np.argsort(-scores[top], kind="stable")]]

    def coverage(self, terms: set[str], position: int) -> float:
        """Fraction of ``terms`` (tokenized query) that document ``position`` contains."""
        if not terms:
            return 0.0
        return len(terms & self._sets[position]) / len(terms)

    def known_terms(self, query: str) -> list[str]:
        """Query tokens that occur in the corpus."""
        return [t for t in dict.fromkeys(tokenize(query)) if t in self._vocab]


def snippet(text: str, query: str, width: int = 300) -> str:
    """A ~``width``-char excerpt of ``text`` (Markdown stripped) around the first query term."""
    return excerpt(strip_markdown(text), query, width)


def excerpt(plain: str, query: str, width: int = 300) -> str:
    """A ~``width``-char window of plain text around the first query term, with ellipses."""
    if len(plain) <= width:
        return plain
    terms = sorted({t for t in tokenize(query) if len(t) > 1}, key=len, reverse=True)
    pos = -1
    lower = plain.lower()
    for term in terms:
        m = re.search(r"\b" + re.escape(term), lower)
        if m and (pos < 0 or m.start() < pos):
            pos = m.start()
    if pos < 0:
        start = 0
    else:
        start = max(0, pos - width // 3)
        if start > 0:
            space = plain.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 30 else start
    end = min(len(plain), start + width)
    if end < len(plain):
        space = plain.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("…" if start > 0 else "") + plain[start:end].strip() + ("…" if end < len(plain) else "")
