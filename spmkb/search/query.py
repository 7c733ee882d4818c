"""Hybrid search: semantic (Chroma) fused with lexical (BM25) by reciprocal rank fusion.

A :class:`Searcher` opens the collection once and loads the section texts, metadata and
scored BM25 arrays from the lexical snapshot ``spmkb index`` stores next to the vectors
(:mod:`spmkb.search.lexstore`; no playbook is re-parsed, nothing re-tokenized). Without one
(an index written elsewhere, or by an older spmkb) it reads every record back from Chroma.
While an index run is still embedding, semantic search covers what is embedded so far, fused
with the full lexical ranking, and ``notes`` says how much ("semantic results for 40 % of the
library so far"). Metadata filters
run inside Chroma's ``where`` for the semantic side and as the same boolean masks on the
lexical side. Section hits are grouped by asset; the best section becomes the snippet.

Fusion weights live in ``spmkb.toml``::

    [search]
    semantic_weight = 1.0
    lexical_weight = 1.0
    rrf_k = 20          # smaller = top ranks count more
    exact_boost = 1.5   # lexical weight multiplier for acronyms / rare exact terms
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from types import SimpleNamespace
from typing import Any

import numpy as np

from spmkb.config import Settings, load_settings
from spmkb.errors import NotFoundError, SearchError, StoreError, suggest
from spmkb.search.embed import Embedder, query_embedder_for
from spmkb.search.lexical import LexicalIndex, excerpt, strip_markdown, tokenize
from spmkb.search.model import Hit, SearchResult
from spmkb.search.ranking import (  # ranking variants (issue 15): see spmkb/search/ranking.py
    RankingOptions,
    asset_bonus,
    combine,
    lexical_documents,
    rescore,
)
from spmkb.search.store import NoClient, Store, where_clause
from spmkb.search.sync import expected_signature, normalise_value

MODES = ("hybrid", "semantic", "lexical")
#: Filter argument -> metadata key (list fields match by membership).
FILTER_KEYS = {
    "stage": "stages",
    "type": "type",
    "persona": "personas",
    "industry": "industries",
    "competitor": "competitor_keys",
}
#: Facet name -> metadata key.
FACETS = {
    "stages": "stages",
    "types": "type",
    "personas": "personas",
    "industries": "industries",
    "competitors": "competitors",
}
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]{2,}\b|\b\w*\d\w*\b")
REFRESH_SECONDS = 2.0


@dataclass(frozen=True)
class FusionWeights:
    """Reciprocal-rank-fusion weights (from ``[search]`` in spmkb.toml)."""

    semantic: float = 1.0
    lexical: float = 1.0
    rrf_k: float = 20.0
    exact_boost: float = 1.5

    @classmethod
    def from_settings(cls, settings: Settings) -> FusionWeights:
        """Read the ``[search]`` weights (declared, with their defaults, in spmkb.config)."""
        return cls(
            semantic=float(settings.option("search", "semantic_weight")),
            lexical=float(settings.option("search", "lexical_weight")),
            rrf_k=float(settings.option("search", "rrf_k")),
            exact_boost=float(settings.option("search", "exact_boost")),
        )


def freshness_of(meta: dict[str, Any], aging_fraction: float, today: date | None = None) -> str:
    """fresh / aging / stale / unknown from stored ``reviewed`` and ``review_every``."""
    from spmkb.content.model import Asset

    reviewed = meta.get("reviewed")
    try:
        when = date.fromisoformat(reviewed) if reviewed else None
    except ValueError:
        when = None
    probe = SimpleNamespace(reviewed=when, review_every=meta.get("review_every"))
    return Asset.freshness(probe, today, aging_fraction)  # type: ignore[arg-type]


#: The most assets one search returns.
MAX_K = 1000


def clean_query(query: str | None) -> str:
    """A query any component can handle: bytes that are not UTF-8 (a terminal in Latin-1
    passing ``\xff``) become U+FFFD, control characters spaces; stripped."""
    text = str(query or "").encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return text.strip()


def _one_spelling(values: list[str]) -> list[str]:
    """One display form per competitor ("Coupa" and "coupa" are one facet; filters match
    the normalised key either way): the capitalised spelling when there is one."""
    best: dict[str, str] = {}
    for value in sorted(values, key=lambda v: (not v[:1].isupper(), v)):
        best.setdefault(normalise_value(value), value)
    return sorted(best.values(), key=str.lower)


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` under the searcher's lock: a refresh from a panel's watcher thread never
    swaps the records while a query in another thread reads them."""

    @wraps(method)
    def wrapper(self: Searcher, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


class Searcher:
    """Search one index: hybrid/semantic/lexical queries, facets, similar assets."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = store
        self.weights = FusionWeights.from_settings(settings)
        self.ranking = RankingOptions.from_settings(settings)
        self._embedder = embedder
        self._lock = threading.RLock()
        self._checked = 0.0
        self._load()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Searcher:
        """Open the index described by ``settings``; SearchError when it is empty or missing."""
        from spmkb.search import lexstore

        if not settings.chroma_url and not (settings.chroma_path / "chroma.sqlite3").exists():
            if lexstore.read_hint(settings) is None:
                raise SearchError(
                    f"no index at {settings.chroma_path}",
                    hint="run `spmkb index` first (or pass the --store used when indexing)",
                )
            # a first `spmkb index` is running: its lexical side serves before Chroma exists
            return cls(settings, Store(settings, client=NoClient()), embedder)
        return cls(settings, Store(settings), embedder)

    # -- loading -----------------------------------------------------------------------
    def _physical(self) -> str | None:
        """The physical collection that serves: Chroma's pointer, else a first run's hint."""
        from spmkb.search import lexstore

        if self.store.get() is not None:
            return self.store.physical
        return lexstore.read_hint(self.settings)

    def _status(self) -> tuple[Any, ...]:
        """What :meth:`refresh` compares: collection, Chroma's stamp, the lexical files' stamps."""
        from spmkb.search import lexstore

        if (
            isinstance(self.store.client, NoClient)
            and (self.settings.chroma_path / "chroma.sqlite3").exists()
        ):
            self.store.reopen()  # the running first index has created Chroma meanwhile
        self.store._collection = None  # re-read the pointer and the collection metadata
        physical = self._physical()
        updated = self.store.signature().get("updated")
        return (physical, updated, *(lexstore.stamp(self.settings, physical) if physical else ()))

    def _load(self) -> None:
        """Load the lexical side (the stored snapshot, else every record from Chroma)."""
        from spmkb.search import lexstore

        self._version = self._status()
        physical = self._version[0]
        signature = self.store.signature()
        snap = lexstore.read_snapshot(self.settings, physical) if physical else None
        if snap is not None and not self._trusted(snap, signature):
            snap = None
        if snap is None and (self.store.get() is None or self.store.count() == 0):
            raise SearchError(
                "the knowledge base index is empty",
                hint="run `spmkb index` first (it reads the playbook folder and builds the index)",
            )
        signature = signature or (snap.signature if snap else {})
        want = expected_signature(self.settings)
        if signature.get("model") != want["model"]:
            raise SearchError(
                f"the index was built with model {signature.get('model')!r}, "
                f"but the configured model is {want['model']!r}",
                hint="run `spmkb index` to rebuild it with the configured model",
            )
        if snap is not None:
            self.ids, self.docs, self.metas = snap.ids, snap.docs, snap.metas
            self.lexical = snap.lexical(
                lexical_documents(self.docs, self.metas, self.ranking), self.ranking
            )
        else:  # an index written elsewhere (a server) or by an older spmkb: read it back
            self.ids, self.docs, self.metas = self.store.all_records()
            self.lexical = LexicalIndex(lexical_documents(self.docs, self.metas, self.ranking))
            if physical and signature.get("complete") is not False:
                self._cache_snapshot(physical, signature)
        self.gen = snap.gen if snap is not None else None
        self.pos = {i: n for n, i in enumerate(self.ids)}
        self._masks: dict[tuple[str, str], np.ndarray] = {}
        self._plain: dict[int, str] = {}
        self._facets = {facet: sorted(self._values(key)) for facet, key in FACETS.items()}
        self._facets["competitors"] = _one_spelling(self._facets["competitors"])
        self._known = {key: self._values(key) for key in FILTER_KEYS.values()}
        self._load_notes(physical, signature)
        self._checked = time.monotonic()

    def _trusted(self, snap: Any, signature: dict[str, Any]) -> bool:
        """Whether a stored snapshot describes the collection (a server may be written by
        other machines: there it must carry the generation Chroma records, or be newer)."""
        if not self.settings.chroma_url or signature.get("lexical") in (None, snap.gen):
            return True
        return snap.written >= float(signature.get("updated") or 0)

    def _cache_snapshot(self, physical: str, signature: dict[str, Any]) -> None:
        """Keep what was read from Chroma as a snapshot, so the next open is fast."""
        from spmkb.search import lexstore

        with contextlib.suppress(OSError):  # a read-only store: the next open reads Chroma
            lexstore.write_snapshot(
                self.settings, physical, signature, self.ids, self.docs, self.metas, self.ranking
            )

    def _load_notes(self, physical: str | None, signature: dict[str, Any]) -> None:
        """Say how much of the library semantic search covers while embedding is incomplete."""
        from spmkb.search import lexstore

        self.notes: list[str] = []
        state = lexstore.read_state(self.settings, physical) if physical else None
        if state is not None and self.gen is not None and state.gen == self.gen:
            self.semantic_share = state.embedded_share
            if state.complete or (state.pending <= 0 and not state.running()):
                self._incomplete_note(signature)
                return
            self.notes.append(lexstore.progress_note(state))
            return
        self.semantic_share = 1.0 if signature.get("complete") is not False else None
        self._incomplete_note(signature)

    def _incomplete_note(self, signature: dict[str, Any]) -> None:
        """The note for an index whose last run stopped after writing every vector."""
        if signature.get("complete") is False:
            self.notes.append(
                "the index is incomplete: an `spmkb index` run did not finish; results may "
                "miss sections — run `spmkb index` to complete it"
            )

    def _values(self, key: str) -> set[str]:
        """Distinct values stored under metadata ``key``."""
        values: set[str] = set()
        for m in self.metas:
            v = m.get(key)
            if isinstance(v, list):
                values.update(str(x) for x in v)
            elif v:
                values.add(str(v))
        return values

    def refresh(self, force: bool = False) -> None:
        """Reload when the index changed since it was opened (checked every ~2 s).

        A new lexical snapshot reloads everything; a progress or vector change (an index run
        embedding) only re-opens the vectors and updates the notes.
        """
        now = time.monotonic()
        if not force and now - self._checked < REFRESH_SECONDS:
            return
        with self._lock:
            self._checked = now
            version = self._status()
            if force or version != self._version:
                # Through a new client: the vectors another process wrote (semantic side).
                if not isinstance(self.store.client, NoClient):
                    self.store.reopen()
                if force or version[0] != self._version[0] or version[2:3] != self._version[2:3]:
                    self._load()
                else:
                    self._version = version
                    self._load_notes(version[0], self.store.signature())

    @property
    def embedder(self) -> Embedder:
        """The query embedder (loaded on first semantic query; ONNX when checked, else torch)."""
        if self._embedder is None:
            self._embedder = query_embedder_for(self.settings)
        return self._embedder

    @property
    def version(self) -> tuple[Any, ...]:
        """What identifies the index state loaded; it changes when :meth:`refresh` reloads
        because another process re-indexed (open panels say so)."""
        return self._version

    def _nearest(
        self, vector: Any, n: int, where: dict[str, Any] | None = None
    ) -> tuple[list[str], list[float]]:
        """``store.query``, retried once after a reload when an embedded index fails: another
        process writing vectors this client has not read gives Chroma's "Error finding id"."""
        try:
            return self.store.query(vector, n, where)
        except StoreError:
            if self.settings.chroma_url:
                raise
            self.refresh(force=True)
            return self.store.query(vector, n, where)

    # -- filters -----------------------------------------------------------------------
    def _filters(self, **given: str | None) -> dict[str, str]:
        """Validate and normalise filter arguments into ``{metadata key: value}``."""
        vocab = {
            "stages": self.settings.stages,
            "type": self.settings.types,
            "personas": self.settings.personas,
            "industries": self.settings.industries,
            "competitor_keys": (),
        }
        out: dict[str, str] = {}
        for arg, raw in given.items():
            if raw is None or str(raw).strip() == "":
                continue
            if arg not in FILTER_KEYS:
                raise SearchError(f"unknown filter '{arg}'", hint="use " + ", ".join(FILTER_KEYS))
            key = FILTER_KEYS[arg]
            value = normalise_value(str(raw))
            known = sorted(self._known[key])
            if value not in known and value not in vocab[key]:
                close = suggest(value, [*known, *vocab[key]])
                raise SearchError(
                    f"unknown {arg} '{raw}'",
                    hint=(f"did you mean '{close[0]}'? " if close else "")
                    + (
                        f"values in the index: {', '.join(known)}" if known else "no values indexed"
                    ),
                )
            out[key] = value
        return out

    def _mask(self, filters: dict[str, str]) -> np.ndarray | None:
        """Boolean mask over sections matching ``filters`` (lexical side)."""
        mask: np.ndarray | None = None
        for key, value in filters.items():
            cached = self._masks.get((key, value))
            if cached is None:
                cached = np.fromiter(
                    (
                        (value in m.get(key, ())) if key != "type" else m.get("type") == value
                        for m in self.metas
                    ),
                    dtype=bool,
                    count=len(self.metas),
                )
                self._masks[(key, value)] = cached
            mask = cached if mask is None else mask & cached
        return mask

    # -- queries -----------------------------------------------------------------------
    @_serialised
    def search(
        self,
        query: str,
        *,
        stage: str | None = None,
        type: str | None = None,
        persona: str | None = None,
        industry: str | None = None,
        competitor: str | None = None,
        k: int = 10,
        mode: str = "hybrid",
    ) -> SearchResult:
        """Top ``k`` assets for ``query``, best section as snippet; filters match tags."""
        text = clean_query(query)
        if not text:
            raise SearchError(
                "the search query is empty",
                hint='type what you are looking for, e.g. spmkb search "pricing objections"',
            )
        if mode not in MODES:
            close = suggest(mode, MODES)
            raise SearchError(
                f"unknown search mode '{mode}'",
                hint=(f"did you mean '{close[0]}'? " if close else "") + "use " + ", ".join(MODES),
            )
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise SearchError(
                f"k must be a whole number from 1 to {MAX_K}, got {k!r}",
                field="k",
                hint="ask for fewer results; a page shows 10",
            )
        self.refresh()
        if mode != "lexical":
            self.embedder  # noqa: B018 - load the model before the clock starts
        started = time.perf_counter()
        filters = self._filters(
            stage=stage, type=type, persona=persona, industry=industry, competitor=competitor
        )
        n = max(50, 5 * k)
        scores: dict[int, float] = {}
        if mode in ("hybrid", "semantic"):
            vector = self.embedder.encode_query(text)
            ids, dists = self._nearest(vector, n, where_clause(filters))
            w = self.weights.semantic
            for rank, (sid, dist) in enumerate(zip(ids, dists, strict=True)):
                p = self.pos.get(sid)
                if p is None:
                    continue
                scores[p] = (
                    1.0 - dist if mode == "semantic" else w / (self.weights.rrf_k + rank + 1)
                )
        if mode in ("hybrid", "lexical"):
            ranked = self.lexical.rank(text, self._mask(filters), n)
            if mode == "lexical":
                raw = self.lexical.scores(text)
                scores.update({p: float(raw[p]) for p in ranked})
            else:
                w = self.weights.lexical * self._exact_boost(text)
                terms = set(tokenize(text))
                for rank, p in enumerate(ranked):
                    # weighted by term coverage: a section matching one word of five counts less
                    share = w * self.lexical.coverage(terms, p)
                    scores[p] = scores.get(p, 0.0) + share / (self.weights.rrf_k + rank + 1)
        scores = rescore(self, text, mode, filters, n, scores)
        bonus = asset_bonus(self, text, mode, n) if mode == "hybrid" else None  # as measured
        hits = self._group(scores, text, k, bonus=bonus)
        shown = {arg: filters[key] for arg, key in FILTER_KEYS.items() if key in filters}
        took = (time.perf_counter() - started) * 1000
        return SearchResult(text, shown, hits, took, mode, notes=list(self.notes), k=k)

    def _exact_boost(self, query: str) -> float:
        """Lexical weight multiplier when the query holds acronyms or codes (MEDDPPICC, SKO)."""
        return self.weights.exact_boost if _ACRONYM.search(query) else 1.0

    def _group(
        self,
        scores: dict[int, float],
        query: str,
        k: int,
        exclude: str | None = None,
        bonus: dict[str, float] | None = None,
    ) -> list[Hit]:
        """Group section scores by asset; the best section represents the asset.

        With ``bonus`` (a search) the asset's score combines its sections' scores
        (:func:`~spmkb.search.ranking.combine`) plus its bonus; without it, the best section's.
        """
        best: dict[str, int] = {}
        matched: dict[str, list[float]] = {}
        heads: dict[str, list[str]] = {}
        for p, s in scores.items():
            path = self.metas[p]["path"]
            if path == exclude:
                continue
            matched.setdefault(path, []).append(s)
            heads.setdefault(path, []).append(str(self.metas[p].get("heading") or ""))
            if path not in best or s > scores[best[path]]:
                best[path] = p
        total = {
            a: combine(matched[a], self.ranking, heads[a]) + bonus.get(a, 0.0)
            if bonus is not None
            else scores[best[a]]
            for a in best
        }
        order = sorted(best, key=lambda a: (-total[a], a))[:k]
        return [self._hit(best[a], total[a], query, len(matched[a])) for a in order]

    def _hit(self, p: int, score: float, query: str, matched: int) -> Hit:
        meta = self.metas[p]
        plain = self._plain.get(p)
        if plain is None:  # stripping Markdown is the costly part of a snippet: keep it
            doc = self.docs[p]
            plain = self._plain[p] = strip_markdown(doc[int(meta.get("offset", 0)) :] or doc)
        return Hit(
            id=str(meta["asset_id"]),
            title=str(meta.get("title", "")),
            type=str(meta.get("type", "")),
            path=str(meta["path"]),
            section=str(meta.get("heading") or meta.get("title", "")),
            snippet=excerpt(plain, query),
            score=round(float(score), 6),
            freshness=freshness_of(meta, self.settings.aging_fraction),
            stages=list(meta.get("stages", [])),
            personas=list(meta.get("personas", [])),
            industries=list(meta.get("industries", [])),
            competitors=list(meta.get("competitors", [])),
            section_id=meta.get("section_id"),
            matched_sections=matched,
        )

    def _positions(self, asset_id: str) -> list[int]:
        """Section positions of ``asset_id``; NotFoundError with suggestions when absent."""
        found = [p for p, m in enumerate(self.metas) if m.get("asset_id") == asset_id]
        if not found:
            ids = sorted({str(m.get("asset_id")) for m in self.metas})
            raise NotFoundError(
                f"no asset '{asset_id}' in the index", suggestions=suggest(asset_id, ids)
            )
        return found

    @_serialised
    def similar(self, asset_id: str, k: int = 5) -> SearchResult:
        """Assets whose sections are closest to ``asset_id``'s mean embedding."""
        started = time.perf_counter()
        self.refresh()
        positions = self._positions(asset_id)
        vectors = self.store.embeddings([self.ids[p] for p in positions])
        if not vectors:
            raise SearchError(
                f"'{asset_id}' is not embedded yet",
                hint="`spmkb index` is embedding the library; try again when it has finished",
            )
        mean = np.mean(np.asarray(list(vectors.values()), dtype=np.float32), axis=0)
        mean /= float(np.linalg.norm(mean)) or 1.0
        title = str(self.metas[positions[0]].get("title", asset_id))
        path = self.metas[positions[0]]["path"]  # read before a retry may reload the records
        ids, dists = self._nearest(mean, max(50, 5 * (k + 1)))
        scores = {self.pos[i]: 1.0 - d for i, d in zip(ids, dists, strict=True) if i in self.pos}
        hits = self._group(scores, title, k, exclude=path)
        return SearchResult(
            f"similar:{asset_id}", {}, hits, (time.perf_counter() - started) * 1000, "semantic"
        )

    @_serialised
    def asset(self, asset_id: str) -> Any:
        """Re-read ``asset_id`` from the playbook folder (path-safe) and return the Asset."""
        from spmkb.content import load_asset, safe_path

        positions = self._positions(asset_id)
        rel = str(self.metas[positions[0]]["path"])
        root = self.settings.playbooks
        return load_asset(safe_path(root, rel), root, self.settings)

    @_serialised
    def facets(self) -> dict[str, list[str]]:
        """Values present in the index for stages, types, personas, industries, competitors."""
        self.refresh()
        return {k: list(v) for k, v in self._facets.items()}

    @_serialised
    def count(self, **filters: str | None) -> int:
        """Number of assets matching the filters (every indexed section, embedded or not)."""
        self.refresh()
        mask = self._mask(self._filters(**filters))
        picked = range(len(self.metas)) if mask is None else np.flatnonzero(mask)
        return len({self.metas[p]["path"] for p in picked})


_SEARCHERS: dict[tuple[str, str], Searcher] = {}
_OPENING = threading.Lock()  # two panels loading at once once raced inside Chroma's client


def get_searcher(settings: Settings | None = None) -> Searcher:
    """Process-wide :class:`Searcher` per index location and collection."""
    settings = settings or load_settings()
    key = (settings.chroma_url or str(settings.chroma_path.resolve()), settings.collection)
    with _OPENING:
        searcher = _SEARCHERS.get(key)
        if searcher is None:
            searcher = _SEARCHERS[key] = Searcher.open(settings)
    return searcher


def search(query: str, settings: Settings | None = None, **kwargs: Any) -> SearchResult:
    """Search with the process-wide Searcher (see :meth:`Searcher.search`)."""
    return get_searcher(settings).search(query, **kwargs)
