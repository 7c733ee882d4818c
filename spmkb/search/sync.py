"""Keep the Chroma index in step with the playbook folder, embedding as little as possible.

Every stored section carries its content hash (sha256 of the embedded text) in its metadata,
so the collection itself is the embedding cache:

- a section whose id and hash are unchanged is left alone (its metadata is rewritten only when
  the asset's tags changed; the stored embedding is reused);
- a new or changed section whose text already exists elsewhere in the index reuses that
  embedding; only text never seen before is embedded;
- sections of removed files, and leftover sections of changed files, are deleted;
- a file that fails to load (a library problem with severity ``error``) is reported in
  ``IndexSummary.skipped`` and its previously indexed sections are KEPT: nothing already in the
  index is lost because a file broke. Fix the file and index again to update it, or delete it
  to remove it.

The lexical side goes first: before Chroma is even opened, every section's text, metadata
and BM25 arrays are stored as a snapshot (:mod:`spmkb.search.lexstore`), so all sections are
lexically searchable within seconds; then new and changed sections are embedded in rounds, and
a progress file says how many are left (searches say "semantic results for N % … so far").
A killed run leaves the snapshot and the vectors written so far; the next run embeds the rest.

The collection metadata records the model name, the embedding dimension and the chunking
signature; any mismatch (or ``rebuild=True``) builds a new collection that replaces the old one
only once it is complete (a kill leaves the old index serving: see :mod:`spmkb.search.store`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from spmkb.config import Settings
from spmkb.errors import StoreError
from spmkb.search import lexstore
from spmkb.search.embed import Embedder, embedder_for, resolve_model, variant_suffix
from spmkb.search.store import Store, set_aside

#: Bump when the stored record layout (ids, documents, metadata keys) changes.
INDEX_VERSION = 1
#: Fallback when the content layer does not declare its own chunker version.
DEFAULT_CHUNKER_VERSION = "1"
LIST_FIELDS = ("stages", "personas", "industries", "competitors", "products")
EMBED_CHUNK = 256  # sections embedded (and written) per round


@dataclass
class IndexSummary:
    """What one :func:`index_library` run did."""

    assets: int = 0
    sections: int = 0
    embedded: int = 0
    reused: int = 0
    removed: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    rebuilt: str | None = None  # why the collection was recreated, if it was
    kept: int = 0  # sections of skipped (broken) files kept from an earlier run
    errors: int = 0  # lint errors (as `spmkb lint` reports them), files still indexed
    warnings: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)  # every lint problem
    strict_failed: bool = False
    lexical_seconds: float | None = None  # until every section was lexically searchable
    query_encoder: str | None = None  # what queries use (embed.query_encoder_note)

    @property
    def ok(self) -> bool:
        """True when no file was skipped (lint errors are in ``errors`` and ``problems``)."""
        return not self.skipped

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as a JSON-ready dict."""
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        if self.lexical_seconds is not None:
            d["lexical_seconds"] = round(self.lexical_seconds, 3)
        d["ok"] = self.ok
        return d


@dataclass
class Record:
    """One section as stored in Chroma."""

    id: str
    document: str
    metadata: dict[str, Any]

    @property
    def hash(self) -> str:
        """Content hash of the embedded text."""
        return str(self.metadata["hash"])


def normalise_value(value: str) -> str:
    """Vocabulary form of a value: lowercase, spaces/underscores -> hyphens."""
    return re.sub(r"-{2,}", "-", re.sub(r"[\s_]+", "-", str(value).strip().lower())).strip("-")


def chunker_signature(settings: Settings) -> str:
    """``<chunker version>:<max words>:<min words>:<index version>``."""
    import spmkb.content as content

    version = getattr(content, "CHUNKER_VERSION", DEFAULT_CHUNKER_VERSION)
    return f"{version}:{settings.section_max_words}:{settings.section_min_words}:{INDEX_VERSION}"


def model_name(settings: Settings) -> str:
    """Name recorded for the embedding model (folder name of its path)."""
    path = resolve_model(settings.model)
    name = Path(path.rstrip("/")).name or path
    return name + variant_suffix(settings.embed_backend, settings.embed_max_seq_length)


def expected_signature(settings: Settings, dim: int | None = None) -> dict[str, Any]:
    """Collection metadata an index built with ``settings`` must carry."""
    sig: dict[str, Any] = {"model": model_name(settings), "chunking": chunker_signature(settings)}
    if dim is not None:
        sig["dim"] = dim
    return sig


def signature_mismatch(stored: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Describe how ``stored`` differs from ``expected`` (``None`` = compatible)."""
    diffs = [
        f"{key} {stored.get(key)!r} -> {value!r}"
        for key, value in expected.items()
        if stored.get(key) != value
    ]
    return "; ".join(diffs) or None


def section_records(asset: Any, settings: Settings) -> list[Record]:
    """Split ``asset`` into sections and return their Chroma records."""
    from spmkb.content import split_sections
    from spmkb.search.ranking import RankingOptions, embed_text  # what is embedded (issue 15)

    sections = split_sections(
        asset, max_words=settings.section_max_words, min_words=settings.section_min_words
    )
    base: dict[str, Any] = {
        "asset_id": asset.id,
        "path": asset.path,
        "title": asset.title,
        "type": asset.type or "",
    }
    for key in LIST_FIELDS:
        values = [str(v) for v in (getattr(asset, key, None) or []) if str(v)]
        if values:  # Chroma rejects empty lists: absent key = no values
            base[key] = values
    if base.get("competitors"):  # free text: filter on a normalised copy
        base["competitor_keys"] = sorted({normalise_value(v) for v in base["competitors"]})
    if asset.reviewed is not None:
        base["reviewed"] = asset.reviewed.isoformat()
    if asset.review_every:
        base["review_every"] = int(asset.review_every)
    mhash = hashlib.sha256(json.dumps(base, sort_keys=True).encode()).hexdigest()[:16]
    records = []
    embed = RankingOptions.from_settings(settings).embed
    for section in sections:
        doc = embed_text(section, asset, embed)
        body = section.text.strip()
        meta = dict(base)
        meta.update(
            section_id=section.id,
            index=int(section.index),
            heading=section.heading,
            line=int(section.line or 0),
            offset=len(doc) - len(body) if body and doc.endswith(body) else 0,
            hash=hashlib.sha256(doc.encode("utf-8")).hexdigest(),
            mhash=mhash,
        )
        records.append(Record(f"{asset.path}#{section.index}", doc, meta))
    return records


def index_library(
    settings: Settings,
    *,
    rebuild: bool = False,
    strict: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> IndexSummary:
    """Bring the index up to date with ``settings.playbooks``; see the module docstring.

    The lexical side (:mod:`spmkb.search.lexstore`) is written first, before Chroma is even
    opened, so every section is lexically searchable while the new ones are embedded.
    With ``strict=True`` the summary's ``strict_failed`` is set when a file was skipped
    (the CLI then exits 1); the valid files are indexed either way.
    """
    from spmkb.content import load_library
    from spmkb.content.lint import lint_loaded

    started = time.perf_counter()
    library = load_library(Path(settings.playbooks).resolve(), settings)
    summary = IndexSummary(assets=len(library.assets), skipped=dict(library.skipped))
    # The same checks as `spmkb lint` (an unknown stage, a broken link …), named by file.
    summary.problems = [p.to_dict() for p in lint_loaded(library, settings)]
    summary.errors = sum(1 for p in summary.problems if p["severity"] == "error")
    summary.warnings = sum(1 for p in summary.problems if p["severity"] == "warning")
    records: list[Record] = []
    for asset in library.assets:
        records += section_records(asset, settings)
    summary.sections = len(records)
    skipped_paths = set(library.skipped)

    # 1. The lexical side, before Chroma opens (a rebuild leaves the old index serving).
    plan = None if rebuild else lexical_first(settings, records, skipped_paths)
    _test_pause("lexical-written")
    if plan is not None:
        summary.lexical_seconds = time.perf_counter() - started
        if progress and plan.wrote:
            print(f"Lexical search ready for {plan.total} sections after "
                  f"{summary.lexical_seconds:.1f} s.", file=sys.stderr, flush=True)  # fmt: skip

    try:
        serving = Store(settings)
    except StoreError as err:
        if not rebuild or settings.chroma_url:
            raise
        moved = set_aside(settings)  # a damaged embedded index: keep it aside, build anew
        summary.rebuilt = f"the index could not be opened ({err.message}); moved to {moved}"
        serving = Store(settings)
    serving.remove_orphans()  # half-built collections of killed rebuilds
    expected = expected_signature(settings, embedder.dim if embedder else None)
    store = serving
    if serving.get() is not None:
        mismatch = "--rebuild" if rebuild else signature_mismatch(serving.signature(), expected)
        mismatch = summary.rebuilt or mismatch
        if mismatch:  # build a new collection; the old one serves until this one is complete
            summary.rebuilt = mismatch
            embedder = embedder or embedder_for(settings)
            sig = {**expected_signature(settings, embedder.dim), "updated": time.time()}
            store = serving.begin_rebuild(sig)
    if store.get() is None:
        embedder = embedder or embedder_for(settings)
        sig = {**expected_signature(settings, embedder.dim), "updated": time.time()}
        store.create(sig, name=plan.physical if plan else None)

    existing = store.all_metadata()
    new_ids = {r.id for r in records}
    stale = [
        i for i, m in existing.items() if i not in new_ids and m.get("path") not in skipped_paths
    ]
    kept = [i for i, m in existing.items() if m.get("path") in skipped_paths]
    summary.kept = len(kept)

    # 2. The snapshot must describe the collection written here, kept sections included.
    if plan is None or plan.physical != store.physical or not set(kept) <= plan.ids:
        plan = _write_lexical(settings, store, records, kept)
        if store is serving:
            summary.lexical_seconds = time.perf_counter() - started

    changed: list[Record] = []
    for rec in records:
        old = existing.get(rec.id)
        if old is None or old.get("hash") != rec.hash or old != rec.metadata:
            changed.append(rec)  # same text with new tags: rewritten, embedding reused

    by_hash = {m.get("hash"): i for i, m in existing.items()}
    reuse_ids = [by_hash[r.hash] for r in changed if r.hash in by_hash]
    cached = store.embeddings(reuse_ids)
    fresh = [r for r in changed if by_hash.get(r.hash) not in cached]
    reuse = [r for r in changed if by_hash.get(r.hash) in cached]

    physical = str(store.physical)
    state = lexstore.IndexState(plan.gen, plan.total, len(changed), complete=not changed)
    lexstore.write_state(settings, physical, state)
    writes = bool(reuse or fresh or stale)
    if writes:  # a kill from here on leaves an index that says it is incomplete
        store.set_metadata({**store.signature(), "complete": False, "lexical": plan.gen})
    if reuse:
        store.upsert(
            [r.id for r in reuse],
            np.asarray([cached[by_hash[r.hash]] for r in reuse], dtype=np.float32),
            [r.document for r in reuse],
            [r.metadata for r in reuse],
        )
        state.pending -= len(reuse)
        lexstore.write_state(settings, physical, state)
    if fresh:
        embedder = embedder or embedder_for(settings)

        def written(rows: int) -> None:
            state.pending -= rows
            lexstore.write_state(settings, physical, state)

        summary.embedded = _embed_and_write(
            store, embedder, fresh, settings.embed_batch_size, progress, written
        )
    summary.reused = summary.sections - summary.embedded
    if stale:
        store.delete(stale)
        summary.removed = len(stale)
    if writes or summary.rebuilt or store.signature().get("complete") is False:
        store.set_metadata(
            {**store.signature(), "updated": time.time(), "complete": True, "lexical": plan.gen}
        )
    state.pending, state.complete = 0, True
    lexstore.write_state(settings, physical, state)
    if store is not serving:
        serving.finish_rebuild(store)
    lexstore.write_hint(settings, physical)
    lexstore.remove_others(settings, set(serving._names()))  # files of dropped collections
    from spmkb.search.embed import query_encoder_note  # ONNX query encoder, checked

    summary.query_encoder = query_encoder_note(settings, embedder)
    summary.strict_failed = strict and bool(summary.skipped or summary.errors)
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass
class LexicalPlan:
    """The lexical snapshot an index run serves from: its collection, generation and size."""

    physical: str
    gen: str
    ids: set[str]
    total: int
    wrote: bool


def lexical_first(
    settings: Settings, records: list[Record], skipped_paths: set[str]
) -> LexicalPlan | None:
    """Write the snapshot of the collection that serves (or will) before Chroma is opened.

    Uses the hint file for the serving collection (a first index picks the name it will
    create). Returns ``None`` when the stored snapshot was built for another model or
    chunking: the run rebuilds, and the old index serves until the new one is complete.
    """
    from spmkb.search.store import new_physical_name

    physical = lexstore.read_hint(settings)
    header = lexstore.read_header(settings, physical) if physical else None
    sig = expected_signature(settings)
    if header is not None and signature_mismatch(header.get("signature") or {}, sig):
        return None
    physical = physical or new_physical_name(settings.collection)
    ids = [r.id for r in records]
    docs = [r.document for r in records]
    metas = [r.metadata for r in records]
    old = lexstore.read_snapshot(settings, physical) if header and skipped_paths else None
    if old is not None:  # keep the sections of files that broke
        for i, doc, meta in zip(old.ids, old.docs, old.metas, strict=True):
            if meta.get("path") in skipped_paths:
                ids.append(i)
                docs.append(doc)
                metas.append(meta)
    fingerprints = [lexstore.fingerprint(i, m) for i, m in zip(ids, metas, strict=True)]
    gen = lexstore.generation(fingerprints)
    if header is not None and header.get("gen") == gen:
        return LexicalPlan(physical, gen, set(ids), len(ids), wrote=False)
    before = set(header.get("fingerprints") or []) if header else set()
    prior = lexstore.read_state(settings, physical) if header else None
    pending = sum(1 for f in fingerprints if f not in before)
    if prior is not None and not prior.complete:
        pending += prior.pending
    pending = min(pending, len(ids)) if header else len(ids)
    state = lexstore.IndexState(gen, len(ids), pending, complete=pending == 0)
    lexstore.write_state(settings, physical, state)
    snap = lexstore.write_snapshot(settings, physical, {**sig, "updated": time.time()},
                                   ids, docs, metas, _ranking(settings))  # fmt: skip
    lexstore.write_hint(settings, physical)
    return LexicalPlan(physical, snap.gen, set(ids), len(ids), wrote=True)


def _write_lexical(
    settings: Settings, store: Store, records: list[Record], kept: list[str]
) -> LexicalPlan:
    """Write the snapshot of ``store``'s collection from ``records`` and kept stored sections."""
    ids = [r.id for r in records]
    docs = [r.document for r in records]
    metas = [r.metadata for r in records]
    if kept:
        k_ids, k_docs, k_metas = store.all_records(only=kept)
        ids, docs, metas = ids + k_ids, docs + k_docs, metas + k_metas
    sig = {**expected_signature(settings), "updated": time.time()}
    snap = lexstore.write_snapshot(
        settings, str(store.physical), sig, ids, docs, metas, _ranking(settings)
    )
    return LexicalPlan(snap.physical, snap.gen, set(ids), len(ids), wrote=True)


def _ranking(settings: Settings) -> Any:
    """The ranking options whose field weights shape the BM25 documents."""
    from spmkb.search.ranking import RankingOptions

    return RankingOptions.from_settings(settings)


def _test_pause(step: str) -> None:
    """Test hook: with ``SPMKB_TEST_PAUSE_AT=<step>``, say so on stderr and wait to be killed."""
    if os.environ.get("SPMKB_TEST_PAUSE_AT") == step:
        print(f"PAUSED AT {step}", file=sys.stderr, flush=True)
        time.sleep(600)


def _embed_and_write(
    store: Store,
    embedder: Embedder,
    records: list[Record],
    batch_size: int,
    progress: bool,
    written: Callable[[int], None] | None = None,
) -> int:
    """Embed each distinct text once, longest first, writing each round as it completes.

    Returns how many texts were embedded (sections with identical text share one vector).
    """
    from tqdm.auto import tqdm

    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(rec.hash, []).append(rec)
    ordered = sorted(groups.values(), key=lambda g: -len(g[0].document))
    chunk_size = int(os.environ.get("SPMKB_TEST_EMBED_CHUNK") or EMBED_CHUNK)  # tests: rounds
    with tqdm(
        total=len(ordered),
        desc="Embedding",
        unit="section",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
        leave=False,
    ) as bar:
        for start in range(0, len(ordered), chunk_size):
            chunk = ordered[start : start + chunk_size]
            vectors = embedder.encode(
                [g[0].document for g in chunk], batch_size=batch_size, on_batch=bar.update
            )
            rows = [(rec, vec) for g, vec in zip(chunk, vectors, strict=True) for rec in g]
            _test_pause("embed-round")
            store.upsert(
                [r.id for r, _ in rows],
                np.asarray([v for _, v in rows], dtype=np.float32),
                [r.document for r, _ in rows],
                [r.metadata for r, _ in rows],
            )
            if written is not None:
                written(len(rows))
            _test_pause("embed-written")
    return len(ordered)
