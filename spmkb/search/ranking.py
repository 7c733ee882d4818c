"""How sections become ranked assets: what is embedded, the lexical document, score combination
and pseudo-relevance feedback, each behind a switch so bench/bench_quality.py can measure it.

The defaults are what ``spmkb search`` does. Every switch was measured on three labeled sets
(eval/queries.yml, eval/sourcegraph.yml, Cranfield) in hybrid mode; only changes that lost on
no set became defaults (docs/performance.md, "Search quality: variants"). Benchmarks set the
switches through an undeclared ``[ranking]`` table on the settings (``dataclasses.replace``);
spmkb.toml does not accept it, so users get the measured defaults.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from spmkb.search.lexical import tokenize

#: What a section's embedded (and lexically indexed) text holds: ``context`` = "title > heading
#: path" then the body (the default); ``body`` = the body alone; ``summary`` = the context line,
#: the asset summary, then the body.
EMBED_MODES = ("context", "body", "summary")
#: How section scores become an asset's score.
COMBINE_MODES = ("max", "decay")


@dataclass(frozen=True)
class RankingOptions:
    """Switches for the ranking variants (defaults = the measured, kept behaviour)."""

    # Kept (docs/performance.md): the asset summary next to the heading path (sample nDCG@10
    # 0.874 -> 0.900; Sourcegraph and Cranfield pages have no summary: unchanged).
    embed: str = "summary"
    title_weight: int = 1  # lexical: how many times the asset title counts
    heading_weight: int = 1  # lexical: how many times the heading path counts
    # Not kept: a decayed sum (sample +0.041) loses 0.003 on Cranfield; "distinct" loses 0.040
    # on Sourcegraph.
    combine: str = "max"
    decay: float = 0.5  # combine=decay: asset = s1 + decay * s2 + decay^2 * s3 ...
    top: int = 5  # combine=decay: sections counted
    distinct: int = 0  # combine=decay: 1 = pieces of one section (same heading) count once
    prf_docs: int = 0  # pseudo-relevance feedback: top sections read (0 = off)
    prf_terms: int = 10  # expansion terms taken from them
    prf_weight: float = 0.5  # weight of the expansion terms' BM25 against the query's
    asset_weight: float = 0.0  # RRF weight of the asset-level vector ranking (0 = off)
    asset_headings: int = 1  # 1: an asset without a summary gets title + headings; 0: none

    @classmethod
    def from_settings(cls, settings: Any) -> RankingOptions:
        """Options from ``settings.tables['ranking']`` (benchmarks only), else the defaults."""
        table = dict(getattr(settings, "tables", {}).get("ranking", {}) or {})
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key in known:
                default = getattr(cls, key)
                values[key] = type(default)(value)
        return cls(**values)


# --- what is embedded ---------------------------------------------------------------------


def embed_text(section: Any, asset: Any, embed: str = "context") -> str:
    """Text embedded and lexically indexed for ``section`` of ``asset`` (see EMBED_MODES)."""
    if embed == "body":
        return str(section.text).strip() or section.embed_text(asset.title)
    text = section.embed_text(asset.title)
    summary = str(getattr(asset, "summary", "") or "").strip()
    if embed == "summary" and summary:
        head, _, body = text.partition("\n\n")
        return f"{head}\n{summary}\n\n{body}".strip()
    return text


def asset_text(
    title: str, summary: str | None, headings: list[str], fallback: bool = True
) -> str | None:
    """The asset-level text: title and summary (else the headings, or None without fallback)."""
    rest = (summary or "").strip()
    if not rest and not fallback:
        return None
    rest = rest or "; ".join(h for h in dict.fromkeys(headings) if h)
    return f"{title}\n\n{rest}".strip()


# --- lexical documents ----------------------------------------------------------------------


def lexical_documents(
    docs: list[str], metas: list[dict[str, Any]], options: RankingOptions
) -> list[str]:
    """BM25 documents: the stored text, with title and heading path repeated per field weight."""
    if options.title_weight <= 1 and options.heading_weight <= 1:
        return docs
    out = []
    for doc, meta in zip(docs, metas, strict=True):
        title = str(meta.get("title") or "")
        heading = str(meta.get("heading") or "").replace(" > ", " ")
        extra = " ".join(
            [title] * max(0, options.title_weight - 1)
            + [heading] * max(0, options.heading_weight - 1)
        )
        out.append(f"{extra}\n{doc}" if extra.strip() else doc)
    return out


# --- section scores -> asset score ----------------------------------------------------------


def combine(
    section_scores: list[float], options: RankingOptions, headings: list[str] | None = None
) -> float:
    """An asset's score from its sections' scores (``max``, or a decayed sum of the best).

    With ``headings`` and ``distinct`` on, pieces of one long section (same heading path)
    count once, by their best score: only distinct sections add evidence.
    """
    if not section_scores:
        return 0.0
    if headings is not None and options.distinct:
        best: dict[str, float] = {}
        for heading, score in zip(headings, section_scores, strict=True):
            best[heading] = max(score, best.get(heading, score))
        section_scores = list(best.values())
    ordered = sorted(section_scores, reverse=True)
    if options.combine == "decay" and options.decay > 0:
        return float(sum(s * options.decay**i for i, s in enumerate(ordered[: options.top])))
    return float(ordered[0])


# --- fused scores and pseudo-relevance feedback ---------------------------------------------


def _document_frequency(lexical: Any) -> dict[str, int]:
    """Number of lexical documents holding each term (computed once per index)."""
    df = getattr(lexical, "_df", None)
    if df is None:
        df = Counter(t for s in lexical._sets for t in s)
        lexical._df = df
    return df


def feedback_terms(searcher: Any, query: str, top: list[int], options: RankingOptions) -> list[str]:
    """The ``prf_terms`` terms most typical of the ``top`` sections (tf in them x idf)."""
    lexical = searcher.lexical
    df = _document_frequency(lexical)
    size = max(1, lexical.size)
    asked = set(tokenize(query))
    weight: Counter[str] = Counter()
    for p in top:
        counts = Counter(tokenize(searcher.docs[p]))
        total = sum(counts.values()) or 1
        for term, tf in counts.items():
            if term in asked or len(term) < 3 or term.isdigit():
                continue
            weight[term] += (tf / total) * math.log(size / (1 + df.get(term, 0)))
    return [t for t, w in weight.most_common(options.prf_terms) if w > 0]


def rescore(
    searcher: Any,
    query: str,
    mode: str,
    filters: dict[str, str],
    n: int,
    scores: dict[int, float],
) -> dict[int, float]:
    """Hybrid scores after pseudo-relevance feedback (unchanged when it is off).

    The lexical half is re-ranked with the query's BM25 plus ``prf_weight`` times the BM25 of
    terms typical of the ``prf_docs`` best fused sections; the semantic half is kept.
    """
    options = searcher.ranking
    if mode != "hybrid" or options.prf_docs <= 0 or not scores:
        return scores
    top = sorted(scores, key=lambda p: -scores[p])[: options.prf_docs]
    terms = feedback_terms(searcher, query, top, options)
    if not terms:
        return scores
    lexical = searcher.lexical
    mask = searcher._mask(filters)
    w = searcher.weights.lexical * searcher._exact_boost(query)
    asked = set(tokenize(query))
    first = lexical.rank(query, mask, n)
    out = dict(scores)
    for rank, p in enumerate(first):  # take the first lexical pass back out
        share = w * lexical.coverage(asked, p)
        out[p] = out.get(p, 0.0) - share / (searcher.weights.rrf_k + rank + 1)
    raw = lexical.scores(query) + options.prf_weight * lexical.scores(" ".join(terms))
    if mask is not None:
        raw = np.where(mask, raw, 0.0)
    positive = int((raw > 0).sum())
    if positive:
        m = min(n, positive)
        best = np.argpartition(-raw, m - 1)[:m]
        ranked = [int(i) for i in best[np.argsort(-raw[best], kind="stable")]]
        for rank, p in enumerate(ranked):
            share = w * max(lexical.coverage(asked, p), 0.5 if asked else 1.0)
            out[p] = out.get(p, 0.0) + share / (searcher.weights.rrf_k + rank + 1)
    return {p: s for p, s in out.items() if s > 1e-12}


def asset_bonus(searcher: Any, query: str, mode: str, n: int) -> dict[str, float]:
    """RRF contribution of the asset-level vectors (``searcher.asset_vectors``: path -> vector)."""
    options = searcher.ranking
    vectors = getattr(searcher, "asset_vectors", None)
    if mode != "hybrid" or options.asset_weight <= 0 or not vectors:
        return {}
    paths = list(vectors)
    matrix = np.asarray([vectors[p] for p in paths], dtype=np.float32)
    sims = matrix @ searcher.embedder.encode_query(query)
    order = np.argsort(-sims)[:n]
    return {
        paths[int(i)]: options.asset_weight / (searcher.weights.rrf_k + rank + 1)
        for rank, i in enumerate(order)
    }
