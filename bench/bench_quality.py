"""Benchmark: search quality of ranking variants on three labeled sets, per query kind.

Run: .venv/bin/python bench/bench_quality.py [--store bench/output/quality]
         [--sets sample,sourcegraph,cranfield] [--variants baseline,fields-3-2,...]
     .venv/bin/python bench/bench_quality.py --modes   # the three modes, baseline only
     .venv/bin/python bench/bench_quality.py --sweep   # also a grid of fusion settings

Sets: ``sample`` = eval/queries.yml over playbooks/ (70 assets, 90 queries); ``sourcegraph`` =
eval/sourcegraph.yml over ../shared/data/playbooks-sourcegraph (105 pages + SOURCE.md, 53 queries written
before any search); ``cranfield`` = ../shared/data/ir-cranfield (1,400 abstracts, 225 queries,
BEIR layout, no kinds). Variants are the switches of :mod:`spmkb.search.ranking`, set through
the settings' ``[ranking]`` table; those that change the embedded text get an index of their
own under --store/<embed mode>, filled from an embedding cache keyed by the text's sha256 (so
only texts never embedded before go through the model). Prints Markdown tables: nDCG@10 per
set and kind (n in the header), and whether each variant loses to the baseline on any set.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
MODES = ("hybrid", "semantic", "lexical")
SETS = ("sample", "sourcegraph", "cranfield")
KINDS = ("keyword", "mixed", "paraphrase")

#: The ranking before issue 15 (max over sections, title + heading path embedded).
BEFORE: dict[str, Any] = {"embed": "context", "combine": "max", "decay": 0.0}
#: name -> [ranking] switches (spmkb.search.ranking.RankingOptions), each a change to BEFORE;
#: "default" is what RankingOptions() does now (the kept changes).
VARIANTS: dict[str, dict[str, Any]] = {
    "baseline": BEFORE,
    "default": {},
    "embed-body": {**BEFORE, "embed": "body"},
    "embed-summary": {**BEFORE, "embed": "summary"},
    "asset-vector": {**BEFORE, "asset_weight": 1.0},
    "asset-vector-0.5": {**BEFORE, "asset_weight": 0.5},
    "asset-summary": {**BEFORE, "asset_weight": 1.0, "asset_headings": 0},
    "fields-2-1": {**BEFORE, "title_weight": 2},
    "fields-3-2": {**BEFORE, "title_weight": 3, "heading_weight": 2},
    "combine-decay-0.3": {**BEFORE, "combine": "decay", "decay": 0.3},
    "combine-decay-0.5": {**BEFORE, "combine": "decay", "decay": 0.5},
    "combine-decay-0.7": {**BEFORE, "combine": "decay", "decay": 0.7},
    "combine-distinct-0.5": {**BEFORE, "combine": "decay", "decay": 0.5, "distinct": 1},
    "combine-distinct-0.5+embed-summary": {
        **BEFORE,
        "combine": "decay",
        "decay": 0.5,
        "distinct": 1,
        "embed": "summary",
    },
    "combine-decay-0.5-top2": {**BEFORE, "combine": "decay", "decay": 0.5, "top": 2},
    "combine-decay-0.5-top3": {**BEFORE, "combine": "decay", "decay": 0.5, "top": 3},
    "combine-sum-5": {**BEFORE, "combine": "decay", "decay": 1.0},
    "decay-0.5+asset-summary": {
        **BEFORE,
        "combine": "decay",
        "decay": 0.5,
        "asset_weight": 1.0,
        "asset_headings": 0,
    },
    "embed-summary+asset-summary": {
        **BEFORE,
        "embed": "summary",
        "asset_weight": 1.0,
        "asset_headings": 0,
    },
    "decay-0.5+embed-summary": {**BEFORE, "combine": "decay", "decay": 0.5, "embed": "summary"},
    "decay-0.5+embed-summary+asset-summary": {
        **BEFORE,
        "combine": "decay",
        "decay": 0.5,
        "embed": "summary",
        "asset_weight": 1.0,
        "asset_headings": 0,
    },
    "prf-3x10": {**BEFORE, "prf_docs": 3, "prf_terms": 10, "prf_weight": 0.5},
    "prf-5x20": {**BEFORE, "prf_docs": 5, "prf_terms": 20, "prf_weight": 0.3},
}


class CachedEmbedder:
    """An embedder that embeds each distinct text once, ever (sha256 -> vector, kept on disk)."""

    def __init__(self, embedder: Any, path: Path) -> None:
        self._embedder = embedder
        self.path = path
        self.dim = embedder.dim
        self.cache: dict[str, np.ndarray] = {}
        self.misses = 0
        if path.is_file():
            data = np.load(path)
            self.cache = {k: data[k] for k in data.files}

    def seed(self, settings: Any) -> None:
        """Add the vectors already stored in the index of ``settings`` (keyed by their hash)."""
        from spmkb.search.store import Store

        if not (settings.chroma_path / "chroma.sqlite3").exists():
            return
        store = Store(settings)
        metas = store.all_metadata()
        vectors = store.embeddings(list(metas))
        for sid, meta in metas.items():
            if sid in vectors and meta.get("hash"):
                self.cache.setdefault(str(meta["hash"]), np.asarray(vectors[sid], np.float32))

    def save(self) -> None:
        """Write the cache next to the indexes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")  # one per process
        np.savez(tmp, **self.cache)
        tmp.replace(self.path)

    def encode(self, texts: list[str], *, batch_size: int | None = None, on_batch=None) -> Any:
        """Vectors of ``texts``; only unseen texts go through the model."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        todo = sorted(
            {k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items()
        )
        if todo:
            self.misses += len(todo)
            vecs = self._embedder.encode([t for _, t in todo], batch_size=batch_size)
            self.cache.update({k: v for (k, _), v in zip(todo, vecs, strict=True)})
        if on_batch is not None:
            on_batch(len(texts))
        return np.asarray([self.cache[k] for k in keys], dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """The (cached) query vector."""
        key = "q:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        if key not in self.cache:
            self.cache[key] = self._embedder.encode_query(text)
        return self.cache[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


def embed_mode(ranking: dict[str, Any]) -> str:
    """What the variant embeds (its index folder under --store)."""
    from types import SimpleNamespace

    from spmkb.search.ranking import RankingOptions

    return RankingOptions.from_settings(SimpleNamespace(tables={"ranking": ranking})).embed


def with_tables(settings: Any, **tables: dict[str, Any]) -> Any:
    """``settings`` with the given tables replaced."""
    return dataclasses.replace(settings, tables={**settings.tables, **tables})


def prepare(name: str, store: Path, ranking: dict[str, Any], embedder: Any) -> Any:
    """(settings, queries) of an up-to-date index for set ``name``; None when its data is absent."""
    from spmkb.config import load_settings
    from spmkb.search.evaluate import library_settings, load_library, load_queries
    from spmkb.search.sync import index_library

    base = with_tables(load_settings({"store": str(store)}, cwd=REPO, environ={}), ranking=ranking)
    if name == "cranfield":
        folder = DATA / "ir-cranfield"
        if not folder.is_dir():
            print(f"cranfield: absent ({folder})", file=sys.stderr)
            return None
        from spmkb.search.beir import prepare_beir

        if hasattr(embedder, "seed"):  # vectors of the baseline index (same texts = no embedding)
            work = store.parent / "context" / f"beir-{folder.name}"
            embedder.seed(
                dataclasses.replace(base, store=work / "store", collection=f"beir-{folder.name}")
            )
        prepared = prepare_beir(folder, base, progress=True, embedder=embedder)
        return prepared.settings, prepared.queries
    source = REPO / "eval" / ("queries.yml" if name == "sample" else f"{name}.yml")
    library = load_library(source) if name != "sample" else None
    if name != "sample" and library is None:
        return None
    settings = (
        dataclasses.replace(base, playbooks=REPO / "playbooks", store=store / "sample")
        if name == "sample"
        else library_settings(base, library)
    )
    if hasattr(embedder, "seed"):
        embedder.seed(settings)
        if store.name != "context":  # and of the baseline index of the same set
            embedder.seed(dataclasses.replace(settings, store=_swap(settings.store, store)))
    summary = index_library(settings, progress=True, embedder=embedder)
    print(f"{name}: {summary.assets} assets, {summary.sections} sections", file=sys.stderr)
    return settings, load_queries(source)


def _swap(path: Path, store: Path) -> Path:
    """``path`` under ``store`` moved to the same place under the baseline (context) store."""
    return store.parent / "context" / Path(path).relative_to(store)


def asset_vectors(settings: Any, searcher: Any, embedder: Any) -> dict[str, np.ndarray]:
    """path -> vector of the asset text (title + summary, else title + headings)."""
    from spmkb.content import load_library
    from spmkb.search.ranking import asset_text

    summaries = {a.path: a.summary for a in load_library(Path(settings.playbooks), settings).assets}
    headings: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for meta in searcher.metas:
        path = str(meta["path"])
        titles[path] = str(meta.get("title") or "")
        headings.setdefault(path, []).append(str(meta.get("heading") or ""))
    fallback = bool(searcher.ranking.asset_headings)
    texts = {p: asset_text(titles[p], summaries.get(p), headings[p], fallback) for p in titles}
    paths = sorted(p for p, text in texts.items() if text)
    if not paths:
        return {}
    return dict(zip(paths, embedder.encode([texts[p] for p in paths]), strict=True))


def measure(settings: Any, queries: list[Any], embedder: Any, k: int, mode: str = "hybrid") -> Any:
    """EvalReport of ``mode`` over ``queries`` on the index of ``settings``."""
    from spmkb.search.evaluate import evaluate
    from spmkb.search.query import Searcher

    searcher = Searcher.open(settings, embedder)
    if searcher.ranking.asset_weight > 0:
        searcher.asset_vectors = asset_vectors(settings, searcher, embedder)
    return evaluate(searcher, queries, mode, k)


def kinds_row(label: str, report: Any) -> tuple[str, dict[str, Any]]:
    """A Markdown row: nDCG@10 overall and per kind, keyword - paraphrase gap; and its data."""
    ndcg = f"ndcg@{report.k}"
    groups = report.by_kind
    cells = [f"{report.metrics[ndcg]:.3f} ({len(report.per_query)})"]
    data: dict[str, Any] = {"all": [round(report.metrics[ndcg], 4), len(report.per_query)]}
    for kind in KINDS:
        if kind in groups:
            n, metrics = groups[kind]
            cells.append(f"{metrics[ndcg]:.3f} ({n})")
            data[kind] = [round(metrics[ndcg], 4), n]
        else:
            cells.append("—")
    if "keyword" in data and "paraphrase" in data:
        gap = data["keyword"][0] - data["paraphrase"][0]
        cells.append(f"{gap:+.3f}")
        data["gap"] = round(gap, 4)
    else:
        cells.append("—")
    cells += [
        f"{report.metrics[f'recall@{report.k}']:.3f}",
        f"{report.metrics[f'mrr@{report.k}']:.3f}",
    ]
    data["mrr"] = round(report.metrics[f"mrr@{report.k}"], 4)
    return f"| {label} | " + " | ".join(cells) + " |", data


def main() -> None:
    """Evaluate each variant on each set (hybrid), or the three modes with --modes."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, default=REPO / "bench" / "output" / "quality")
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument("--modes", action="store_true", help="the three modes, baseline only")
    parser.add_argument("--sweep", action="store_true", help="grid over rrf_k and the two weights")
    args = parser.parse_args()

    from spmkb.search.embed import get_embedder

    store: Path = args.store.resolve()
    embedder = CachedEmbedder(get_embedder(), store / "embed-cache.npz")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    results: dict[str, dict[str, Any]] = {}
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        print(f"\n### {name} (hybrid, nDCG@{args.k}, n in brackets)\n")
        print("| variant | all | keyword | mixed | paraphrase | kw − para | recall@10 | MRR@10 |")
        print("|---|---|---|---|---|---|---|---|")
        for variant in ["baseline"] if args.modes or args.sweep else variants:
            ranking = VARIANTS[variant]
            folder = store / embed_mode(ranking)
            ready = prepare(name, folder, ranking, embedder)
            embedder.save()
            if ready is None:
                break
            settings, queries = ready
            if args.modes:
                for mode in MODES:
                    line, _ = kinds_row(mode, measure(settings, queries, embedder, args.k, mode))
                    print(line, flush=True)
                continue
            line, data = kinds_row(variant, measure(settings, queries, embedder, args.k))
            print(line, flush=True)
            results.setdefault(variant, {})[name] = data
            if args.sweep:
                sweep(settings, queries, embedder, args.k)
        embedder.save()
    if results and not args.modes:
        print("\n| variant | loses to baseline on |\n|---|---|")
        base = results.get("baseline", {})
        for variant, sets in results.items():
            if variant != "baseline":
                losses = [
                    f"{s} ({', '.join(what)})"
                    for s, d in sets.items()
                    if (what := lost(d, base.get(s)))
                ]
                print(f"| {variant} | {'; '.join(losses) or 'none'} |")
        out = store / "results.json"
        out.write_text(json.dumps(results, indent=1))
        print(f"\n(results: {out}; texts embedded this run: {embedder.misses})", file=sys.stderr)


def lost(data: dict[str, Any], base: dict[str, Any] | None) -> list[str]:
    """What a variant lost to the baseline on one set (the rule in docs/performance.md):
    all-query nDCG@10, MRR@10, or nDCG@10 of a kind with n >= 10 (4-decimal figures)."""
    if base is None:
        return []
    out = ["nDCG@10"] if data["all"][0] < base["all"][0] else []
    out += ["MRR@10"] if data["mrr"] < base["mrr"] else []
    out += [
        k for k in KINDS if k in data and k in base and data[k][1] >= 10 and data[k][0] < base[k][0]
    ]
    return out


def sweep(settings: Any, queries: list[Any], embedder: Any, k: int) -> None:
    """Hybrid over a grid of fusion settings (rrf_k, lexical weight, exact boost)."""
    print("\n| rrf_k | lexical_weight | exact_boost | all nDCG@10 |\n|---|---|---|---|")
    for rrf_k, lw, boost in itertools.product((5, 10, 20, 60), (0.5, 1.0, 1.5), (1.0, 1.5)):
        tuned = with_tables(
            settings,
            search={
                "rrf_k": rrf_k,
                "semantic_weight": 1.0,
                "lexical_weight": lw,
                "exact_boost": boost,
            },
        )
        report = measure(tuned, queries, embedder, k)
        print(f"| {rrf_k} | {lw} | {boost} | {report.metrics[f'ndcg@{k}']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
