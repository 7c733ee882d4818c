"""Measured search quality: labeled queries, IR metrics, and an evaluation run over an index.

A labeled query names what a human would consider relevant for it. Two sources are read:

- a YAML file (``eval/queries.yml``): a list of ``{query, filters?, relevant}`` entries, where
  ``relevant`` lists asset ids or paths or grades them (see :mod:`spmkb.search.labels`);
- a BEIR folder (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``), see
  :mod:`spmkb.search.beir`.

Metrics follow trec_eval: recall@k = relevant found in the top k / all relevant; MRR = 1 / rank
of the first relevant hit (0 when none in the top k); nDCG@k with linear gain (the grade) and
a log2 discount. A result list counts every asset once.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spmkb.errors import SearchError, SpmkbError, suggest
from spmkb.search.labels import KINDS, LabeledQuery, load_library, load_queries, parse_queries

#: Search modes an evaluation can run.
MODES = ("hybrid", "semantic", "lexical")
__all__ = [
    "KINDS",
    "MODES",
    "EvalReport",
    "EvalRun",
    "LabeledQuery",
    "QueryScore",
    "evaluate",
    "load_queries",
    "mrr",
    "ndcg_at_k",
    "parse_queries",
    "recall_at_k",
    "run_evaluation",
    "score_query",
]


# --- metrics ----------------------------------------------------------------------------


def _grades(relevant: Mapping[str, float] | Collection[str]) -> dict[str, float]:
    """Relevant ids with their grade (a plain collection = grade 1); grades <= 0 dropped."""
    if isinstance(relevant, Mapping):
        return {str(k): float(v) for k, v in relevant.items() if float(v) > 0}
    return {str(r): 1.0 for r in relevant}


def _unique(ranked: Sequence[str], k: int | None) -> list[str | None]:
    """First ``k`` ranked ids; a repeated id keeps its place but only counts where it first appears."""
    out: list[str | None] = []
    seen: set[str] = set()
    for r in ranked if k is None else ranked[:k]:
        out.append(None if r in seen else r)
        seen.add(r)
    return out


def recall_at_k(
    ranked: Sequence[str], relevant: Mapping[str, float] | Collection[str], k: int
) -> float:
    """Share of the relevant ids found among the first ``k`` ranked ids (0 when none relevant)."""
    grades = _grades(relevant)
    found = sum(1 for r in _unique(ranked, k) if r in grades)
    return found / len(grades) if grades else 0.0


def mrr(
    ranked: Sequence[str], relevant: Mapping[str, float] | Collection[str], k: int | None = None
) -> float:
    """Reciprocal rank of the first relevant id within the first ``k`` (all when ``None``)."""
    grades = _grades(relevant)
    for rank, r in enumerate(_unique(ranked, k), 1):
        if r in grades:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(
    ranked: Sequence[str], relevant: Mapping[str, float] | Collection[str], k: int
) -> float:
    """Normalised DCG at ``k``: gain = grade, discount = log2(rank + 1) (trec_eval's ndcg_cut)."""
    grades = _grades(relevant)
    if not grades:
        return 0.0
    dcg = sum(grades.get(r, 0.0) / math.log2(i + 2) for i, r in enumerate(_unique(ranked, k)) if r)
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


# --- evaluation -------------------------------------------------------------------------


def _metric_names(k: int) -> tuple[str, ...]:
    return ("recall@5", f"recall@{k}", f"mrr@{k}", f"ndcg@{k}")


@dataclass
class QueryScore:
    """Metrics of one labeled query, with what came back."""

    query: LabeledQuery
    ranked: list[str]  # hit ids, best first (the relevant label when a hit matched by path)
    found: dict[str, int]  # relevant id -> rank (1-based) where it was found
    metrics: dict[str, float]
    took_ms: float

    def to_dict(self) -> dict[str, Any]:
        """Return the score as a JSON-ready dict."""
        return {
            **self.query.to_dict(),
            "ranked": self.ranked,
            "found": self.found,
            "missed": [r for r in self.query.relevant if r not in self.found],
            "metrics": {k: round(v, 4) for k, v in self.metrics.items()},
            "took_ms": round(self.took_ms, 2),
        }


@dataclass
class EvalReport:
    """Per-query and overall (mean) metrics of one mode over a labeled query set."""

    mode: str
    k: int
    per_query: list[QueryScore]
    seconds: float = 0.0
    source: str | None = None
    unknown: dict[str, list[str]] = field(
        default_factory=dict
    )  # query -> relevant ids not in the index

    @property
    def metrics(self) -> dict[str, float]:
        """Mean of each metric over all queries."""
        names = _metric_names(self.k)
        if not self.per_query:
            return dict.fromkeys(names, 0.0)
        return {n: statistics.fmean(q.metrics[n] for q in self.per_query) for n in names}

    @property
    def by_kind(self) -> dict[str, tuple[int, dict[str, float]]]:
        """``kind -> (n, mean metrics)`` for each query kind present (``none`` = no kind given)."""
        names = _metric_names(self.k)
        groups: dict[str, list[QueryScore]] = {}
        for q in self.per_query:
            groups.setdefault(q.query.kind or "none", []).append(q)
        order = [*KINDS, "none"]
        return {
            kind: (
                len(groups[kind]),
                {n: statistics.fmean(q.metrics[n] for q in groups[kind]) for n in names},
            )
            for kind in order
            if kind in groups
        }

    @property
    def latency_ms(self) -> float:
        """Median search time per query."""
        return statistics.median(q.took_ms for q in self.per_query) if self.per_query else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return {
            "mode": self.mode,
            "k": self.k,
            "source": self.source,
            "queries": len(self.per_query),
            "metrics": {k: round(v, 4) for k, v in self.metrics.items()},
            "by_kind": _kinds_dict(self),
            "median_ms": round(self.latency_ms, 2),
            "seconds": round(self.seconds, 3),
            "unknown_relevant": self.unknown,
            "per_query": [q.to_dict() for q in self.per_query],
        }


def _kinds_dict(report: EvalReport) -> dict[str, Any]:
    """``by_kind`` as JSON: ``{kind: {n, metrics}}``."""
    return {
        kind: {"n": n, "metrics": {k: round(v, 4) for k, v in values.items()}}
        for kind, (n, values) in report.by_kind.items()
    }


def _keys(hit: Any) -> list[str]:
    """Names a hit answers to: its id, its path, and its path without the Markdown suffix."""
    from spmkb.content import derive_id

    path = str(getattr(hit, "path", "") or "")
    keys = [str(hit.id)]
    if path:
        keys += [path, derive_id(path)]
    return keys


def known_ids(searcher: Any) -> set[str] | None:
    """Ids and paths present in the searcher's index, when it exposes its metadata."""
    from spmkb.content import derive_id

    metas = getattr(searcher, "metas", None)
    if metas is None:
        return None
    out: set[str] = set()
    for m in metas:
        out.add(str(m.get("asset_id")))
        if m.get("path"):
            out.update((str(m["path"]), derive_id(str(m["path"]))))
    return out


def score_query(
    query: LabeledQuery, hits: Sequence[Any], k: int, took_ms: float = 0.0
) -> QueryScore:
    """Metrics of ``hits`` (objects with ``.id`` and ``.path``) against ``query``'s labels."""
    ranked: list[str] = []
    found: dict[str, int] = {}
    for rank, hit in enumerate(hits[:k], 1):
        label = next(
            (key for key in _keys(hit) if key in query.relevant and key not in found), None
        )
        if label is not None:
            found[label] = rank
        ranked.append(label or str(hit.id))
    rel = query.relevant
    values = (
        recall_at_k(ranked, rel, 5),
        recall_at_k(ranked, rel, k),
        mrr(ranked, rel, k),
        ndcg_at_k(ranked, rel, k),
    )
    return QueryScore(
        query, ranked, found, dict(zip(_metric_names(k), values, strict=True)), took_ms
    )


def evaluate(
    searcher: Any, queries: Iterable[LabeledQuery], mode: str = "hybrid", k: int = 10
) -> EvalReport:
    """Run every labeled query through ``searcher.search`` in ``mode`` and score the top ``k``."""
    if mode not in MODES:
        close = suggest(mode, MODES)
        raise SearchError(
            f"unknown search mode '{mode}'",
            hint=(f"did you mean '{close[0]}'? " if close else "") + "use " + ", ".join(MODES),
        )
    if k < 5:
        raise SearchError(f"k must be 5 or more (recall@5 is always reported), got {k}", field="k")
    queries = list(queries)
    known = known_ids(searcher)
    started = time.perf_counter()
    scores: list[QueryScore] = []
    unknown: dict[str, list[str]] = {}
    for q in queries:
        if known is not None:
            missing = [r for r in q.relevant if r not in known]
            if missing:
                unknown[q.query] = missing
        try:
            result = searcher.search(q.query, k=k, mode=mode, **q.filters)
        except SpmkbError as err:
            raise SearchError(
                f"query {q.query!r} failed: {err.message}",
                path=q.source,
                line=q.line,
                hint=err.hint,
            ) from None
        scores.append(score_query(q, result.hits, k, result.took_ms))
    return EvalReport(
        mode,
        k,
        scores,
        time.perf_counter() - started,
        queries[0].source if queries else None,
        unknown,
    )


# --- one evaluation run (what ``spmkb eval`` calls) -------------------------------------------


def library_settings(settings: Any, library: Path) -> Any:
    """``settings`` for a labeled set's own library: indexed under ``<store>/eval-<name>``."""
    import dataclasses
    import re

    name = re.sub(r"[^a-z0-9._-]+", "-", library.name.lower()).strip("-.") or "library"
    work = Path(settings.store) / f"eval-{name}"
    return dataclasses.replace(
        settings, playbooks=library, store=work / "store", collection=f"eval-{name}"
    )


@dataclass
class EvalRun:
    """Reports of one or more modes over one labeled set, plus how the index was prepared."""

    source: str
    kind: str  # "yaml" | "beir"
    reports: dict[str, EvalReport]
    index: Any = None  # IndexSummary of the (incremental) indexing done first, if any
    store: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the run as a JSON-ready dict."""
        return {
            "source": self.source,
            "kind": self.kind,
            "store": self.store,
            "index": self.index.to_dict() if self.index is not None else None,
            "summary": {
                m: {k: round(v, 4) for k, v in r.metrics.items()} for m, r in self.reports.items()
            },
            "by_kind": {m: _kinds_dict(r) for m, r in self.reports.items()},
            "reports": {m: r.to_dict() for m, r in self.reports.items()},
        }


def run_evaluation(
    source: Path | str,
    settings: Any,
    *,
    modes: Sequence[str] = ("hybrid",),
    k: int = 10,
    index: bool = True,
    progress: bool = False,
    embedder: Any = None,
) -> EvalRun:
    """Evaluate ``modes`` on a YAML file (over ``settings``' index) or a BEIR folder.

    A YAML set is scored against the workspace index, brought up to date first with an
    incremental :func:`index_library` unless ``index=False``; a set that names its own
    ``library:`` is indexed into ``<store>/eval-<folder name>`` instead. A BEIR folder's corpus is written
    as Markdown assets and indexed through the same pipeline into ``<store>/beir-<name>``
    (embedded once; later runs reuse it).
    """
    from spmkb.search.query import Searcher
    from spmkb.search.sync import index_library

    source = Path(source)
    for mode in modes:
        if mode not in MODES:
            close = suggest(mode, MODES)
            raise SearchError(
                f"unknown search mode '{mode}'",
                hint=(f"did you mean '{close[0]}'? " if close else "")
                + "use "
                + ", ".join([*MODES, "all"]),
            )
    summary = None
    if source.is_dir():
        from spmkb.search.beir import prepare_beir

        prepared = prepare_beir(source, settings, progress=progress, embedder=embedder)
        settings, queries, summary, kind = (
            prepared.settings,
            prepared.queries,
            prepared.summary,
            "beir",
        )
    else:
        queries = load_queries(source)
        kind = "yaml"
        library = load_library(source)
        if library is not None:
            settings = library_settings(settings, library)
        if index:
            summary = index_library(settings, progress=progress, embedder=embedder)
    searcher = Searcher.open(settings, embedder)
    reports = {mode: evaluate(searcher, queries, mode, k) for mode in modes}
    for report in reports.values():
        report.source = str(source)
    return EvalRun(str(source), kind, reports, summary, str(settings.store))
