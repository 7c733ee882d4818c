"""Compare embedding backends: indexing speed, query latency and semantic nDCG@10.

    .venv/bin/python bench/bench_embedders.py                 # all variants, 3 rounds
    .venv/bin/python bench/bench_embedders.py --variants torch,onnx-int8 --chunks 128

Variants (all from the packaged all-MiniLM-L6-v2, artefacts cached under ``--store``):
``torch`` (reference: sentence-transformers fp32, 256 tokens, sections <= 220 words),
``torch-128`` (128 tokens and sections <= 90 words), ``onnx``, ``onnx-int8``,
``onnx-int8-128``, ``static`` (distilled token vectors), and ``model2vec`` when
``--model2vec DIR`` names a model saved by ``model2vec.distill`` from the same model.

Speed: GitLab handbook sections (``load_library`` + ``split_sections`` over
``../shared/data/playbooks-gitlab``), every variant timed in the SAME rounds, interleaved, so
a busy machine slows them alike. Each variant embeds the SAME sample of assets split by its
own section size; ``speedup`` = torch's seconds / the variant's seconds in the same round
(median over rounds), so a variant with smaller sections is charged for having more of them.
Quality: semantic ranking only, numpy cosine over the variant's own section embeddings (an
asset scores its best section), nDCG@10 with :func:`spmkb.search.evaluate.ndcg_at_k` on
``eval/queries.yml`` over ``playbooks/`` and on the Cranfield BEIR set.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared" / "data"


@dataclass
class Variant:
    """One way to embed: a backend, a token limit and the section size it is paired with."""

    name: str
    backend: str
    max_seq: int | None = None
    max_words: int = 220
    min_words: int = 25


VARIANTS = {
    v.name: v
    for v in (
        Variant("torch", "torch"),
        Variant("torch-128", "torch", 128, 90, 20),
        Variant("onnx", "onnx"),
        Variant("onnx-int8", "onnx-int8"),
        Variant("onnx-int8-128", "onnx-int8", 128, 90, 20),
        Variant("static", "static"),
        Variant("model2vec", "model2vec"),
    )
}


class Model2Vec:
    """A model2vec ``StaticModel`` behind the sentence-transformers ``encode`` signature."""

    def __init__(self, path: str) -> None:
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(path)

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        """Normalised embeddings of ``texts``."""
        vecs = np.asarray(self.model.encode(list(texts), batch_size=1024), dtype=np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def load_variant(v: Variant, store: Path, m2v: str | None) -> Any:
    """Load the model behind variant ``v`` (artefacts produced/cached under ``store``)."""
    from spmkb.search.backends import load_backend
    from spmkb.search.embed import default_model_path

    if v.backend == "model2vec":
        return Model2Vec(m2v or "")
    return load_backend(v.backend, default_model_path(), store, max_seq_length=v.max_seq)


def embed(model: Any, texts: list[str], batch_size: int = 32) -> np.ndarray:
    """Normalised embeddings, texts sorted by length into batches (as ``Embedder.encode``)."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), 0), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        vecs = np.asarray(
            model.encode(
                [texts[i] for i in idx],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ),
            dtype=np.float32,
        )
        if out.shape[1] == 0:
            out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
        out[idx] = vecs
    return out


def sections_of(assets: list[Any], v: Variant) -> tuple[list[str], list[int]]:
    """Embedded texts of every section (as the indexer builds them) and their asset's position."""
    from spmkb.content import split_sections

    texts, owner = [], []
    for n, asset in enumerate(assets):
        for s in split_sections(asset, max_words=v.max_words, min_words=v.min_words):
            texts.append(s.embed_text(asset.title))
            owner.append(n)
    return texts, owner


def gitlab_sample(n: int) -> list[Any]:
    """A fixed sample of GitLab handbook assets holding about ``n`` default-size sections."""
    from spmkb.content import load_library

    assets = list(load_library(SHARED / "playbooks-gitlab").assets)
    random.Random(0).shuffle(assets)
    picked, total = [], 0
    for asset in assets:
        if total >= n:
            break
        picked.append(asset)
        total += len(sections_of([asset], VARIANTS["torch"])[0])
    return picked


def _matches(asset: Any, filters: dict[str, str]) -> bool:
    fields = {
        "stage": "stages",
        "type": "type",
        "persona": "personas",
        "industry": "industries",
        "competitor": "competitors",
    }
    for key, value in filters.items():
        have = getattr(asset, fields.get(key, key), None)
        values = [have] if isinstance(have, str) else list(have or [])
        if str(value).lower() not in {str(x).lower() for x in values}:
            return False
    return True


def ndcg(model: Any, assets: list[Any], queries: list[Any], v: Variant) -> tuple[float, float]:
    """Mean semantic nDCG@10 of ``queries`` over ``assets``; also the section embedding seconds."""
    from types import SimpleNamespace

    from spmkb.search.evaluate import score_query

    texts, owner = sections_of(assets, v)
    started = time.perf_counter()
    vecs = embed(model, texts)
    took = time.perf_counter() - started
    qvecs = embed(model, [q.query for q in queries])
    owner_arr = np.asarray(owner)
    scores = []
    for q, qv in zip(queries, qvecs, strict=True):
        sims = vecs @ qv
        best = np.full(len(assets), -np.inf)
        np.maximum.at(best, owner_arr, sims)
        if q.filters:
            best[[i for i, a in enumerate(assets) if not _matches(a, q.filters)]] = -np.inf
        top = [i for i in np.argsort(-best)[:10] if np.isfinite(best[i])]
        hits = [SimpleNamespace(id=assets[i].id, path=assets[i].path) for i in top]
        scores.append(score_query(q, hits, 10).metrics["ndcg@10"])
    return float(np.mean(scores)), took


def labeled_sets() -> dict[str, tuple[list[Any], list[Any]]]:
    """``{name: (assets, labeled queries)}`` for the playbooks set and Cranfield."""
    from spmkb.content import load_library, parse_asset
    from spmkb.search.beir import asset_ids, asset_text, beir_queries, load_beir
    from spmkb.search.evaluate import load_queries

    sets = {
        "playbooks": (
            load_library(REPO / "playbooks").assets,
            load_queries(REPO / "eval" / "queries.yml"),
        )
    }
    cran = SHARED / "ir-cranfield"
    if cran.is_dir():
        corpus, queries, qrels = load_beir(cran)
        ids = asset_ids(list(corpus))
        assets = [
            parse_asset(asset_text(ids[d], f["title"], f["text"]), f"{ids[d]}.md")
            for d, f in corpus.items()
        ]
        sets["cranfield"] = (assets, beir_queries(queries, qrels, ids, str(cran)))
    return sets


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print a Markdown table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="torch,torch-128,onnx,onnx-int8,onnx-int8-128,static")
    parser.add_argument("--chunks", type=int, default=64, help="GitLab sections per timing")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=20, help="single queries timed per round")
    parser.add_argument("--store", default=str(REPO / ".spmkb"), help="artefact cache (store)")
    parser.add_argument("--model2vec", default=None, help="folder of a model2vec distillation")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--no-speed", action="store_true", help="quality only (rounds = 0)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.no_speed:
        args.rounds = 0
    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    if args.model2vec and "model2vec" not in names:
        names.append("model2vec")
    variants = [VARIANTS[n] for n in names]
    store = Path(args.store)

    models, load_s = {}, {}
    for v in variants:
        t = time.perf_counter()
        models[v.name] = load_variant(v, store, args.model2vec)
        load_s[v.name] = time.perf_counter() - t
        print(f"loaded {v.name} in {load_s[v.name]:.1f} s", file=sys.stderr, flush=True)

    sample = gitlab_sample(args.chunks)
    texts = {v.name: sections_of(sample, v)[0] for v in variants}
    qtexts = [q.query for q in labeled_sets()["playbooks"][1]][: args.queries]
    rate: dict[str, list[float]] = {v.name: [] for v in variants}
    ratio: dict[str, list[float]] = {v.name: [] for v in variants}
    lat: dict[str, list[float]] = {v.name: [] for v in variants}
    first: dict[str, np.ndarray] = {}
    for r in range(args.rounds):
        order = variants[:] if r % 2 == 0 else variants[::-1]
        this: dict[str, float] = {}
        seconds: dict[str, float] = {}
        for v in order:
            t = time.perf_counter()
            first.setdefault(v.name, embed(models[v.name], texts[v.name]))
            seconds[v.name] = time.perf_counter() - t
            this[v.name] = len(texts[v.name]) / seconds[v.name]
            for q in qtexts:
                t = time.perf_counter()
                embed(models[v.name], [q])
                lat[v.name].append((time.perf_counter() - t) * 1000)
        for name, value in this.items():
            rate[name].append(value)
            if "torch" in seconds:  # speed-up for embedding the same assets
                ratio[name].append(seconds["torch"] / seconds[name])
        print(
            f"round {r + 1}: " + ", ".join(f"{k} {x:.1f}/s" for k, x in this.items()),
            file=sys.stderr,
            flush=True,
        )

    results: dict[str, dict[str, Any]] = {}
    for v in variants:
        results[v.name] = {
            "load_s": round(load_s[v.name], 1),
        }
        if rate[v.name]:
            results[v.name]["sections"] = len(texts[v.name])
            results[v.name]["sections_per_s"] = round(statistics.median(rate[v.name]), 1)
            results[v.name]["speedup"] = (
                round(statistics.median(ratio[v.name]), 2) if ratio[v.name] else None
            )
            results[v.name]["query_ms"] = round(statistics.median(lat[v.name]), 1)
        if "torch" in first and v.name in first and first[v.name].shape == first["torch"].shape:
            cos = (first[v.name] * first["torch"]).sum(axis=1)
            results[v.name]["cos_mean"] = round(float(cos.mean()), 4)
            results[v.name]["cos_min"] = round(float(cos.min()), 4)
    if not args.no_quality:
        for set_name, (assets, queries) in labeled_sets().items():
            for v in variants:
                score, took = ndcg(models[v.name], assets, queries, v)
                results[v.name][f"ndcg_{set_name}"] = round(score, 4)
                results[v.name][f"embed_s_{set_name}"] = round(took, 1)
                print(
                    f"{set_name} {v.name}: nDCG@10 {score:.4f} ({took:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    cols = list(next(iter(results.values())))
    print("| variant | " + " | ".join(cols) + " |")
    print("| --- " * (len(cols) + 1) + "|")
    for name, row in results.items():
        print(f"| {name} | " + " | ".join(str(row.get(c)) for c in cols) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
