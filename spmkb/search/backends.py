"""Embedding backends: the same packaged model run by PyTorch, ONNX Runtime or as static vectors.

Every backend is produced FROM the local sentence-transformers model, offline, at first use,
and cached under the store (``<store>/models/<model name>/``); nothing is ever downloaded.

- ``torch``: ``SentenceTransformer.encode`` in fp32 (the reference, and the default);
- ``onnx``: the transformer plus mean pooling exported with ``torch.onnx.export`` and run by
  ONNX Runtime in fp32, tokenised by the ``tokenizers`` package;
- ``onnx-int8``: the same graph with int8 weights (``onnxruntime.quantization.quantize_dynamic``);
- ``static``: one vector per vocabulary token, distilled from the model the way model2vec does
  (each token embedded alone, PCA, Zipf-style weights); a text is the mean of its token vectors.

Every backend is one loader in :data:`LOADERS` with the same signature, returning an
:class:`Encoder`: the part of ``SentenceTransformer`` that :class:`spmkb.search.embed.Embedder`
calls, ``encode(texts, batch_size=..., normalize_embeddings=..., convert_to_numpy=...,
show_progress_bar=...)`` and ``get_sentence_embedding_dimension()``. This module never imports
:mod:`spmkb.search.embed` (``embed`` builds on it, not the other way round). ``docs/performance.md``
("Embedding backends") records their speed and quality on this project's labeled sets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from spmkb.errors import ConfigError, ModelError, suggest

#: Backend name -> one-line description.
BACKENDS: dict[str, str] = {
    "torch": "PyTorch fp32 through sentence-transformers (reference)",
    "onnx": "ONNX Runtime fp32, exported from the model at first use",
    "onnx-int8": "ONNX Runtime with int8 (dynamically quantised) weights",
    "static": "static token vectors distilled from the model (fastest, lower quality)",
}
DEFAULT_BACKEND = "torch"
#: Bump when the artefacts' format changes: older caches are then rebuilt.
ARTEFACT_VERSION = 1
STATIC_DIMS = 256


def check_backend(name: str | None) -> str:
    """Return the backend ``name`` (``None``/empty = the default); ConfigError naming the valid ones."""
    if not name:
        return DEFAULT_BACKEND
    key = str(name).strip().lower()
    if key in BACKENDS:
        return key
    close = suggest(key, tuple(BACKENDS))
    raise ConfigError(
        f"unknown embedding backend '{name}'",
        field="embed_backend",
        hint=(f"did you mean '{close[0]}'? " if close else "")
        + "valid backends: "
        + ", ".join(BACKENDS),
    )


def model_cache_dir(store: Path | str, model_path: str) -> Path:
    """Folder holding the artefacts derived from ``model_path``: ``<store>/models/<model name>``."""
    name = Path(str(model_path).rstrip("/")).name or "model"
    return Path(store) / "models" / name


def _source_stamp(model_path: Path) -> dict[str, Any]:
    """What identifies the source model: weight files' names, sizes and mtimes."""
    files = sorted(p for p in model_path.iterdir() if p.suffix in {".safetensors", ".bin", ".json"})
    return {
        "version": ARTEFACT_VERSION,
        "model": str(model_path),
        "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files},
    }


def _fresh(cache: Path, artefact: str, stamp: dict[str, Any]) -> bool:
    """True when ``cache/artefact`` exists and was produced from the same source model."""
    manifest = cache / f"{artefact}.json"
    if not (cache / artefact).is_file() or not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        return False


def _commit(cache: Path, tmp: Path, artefact: str, stamp: dict[str, Any]) -> Path:
    """Move ``tmp`` into place as ``cache/artefact`` (atomic rename) and write its manifest."""
    target = cache / artefact
    os.replace(tmp, target)
    (cache / f"{artefact}.json").write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    return target


def _tokenizer(model_path: Path, max_seq_length: int) -> Any:
    """The model's fast tokenizer (``tokenizer.json``), truncating and padding like the model."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.enable_truncation(max_length=max_seq_length)
    pad_id = tok.token_to_id("[PAD]") or 0
    tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")
    return tok


def _max_seq_length(model_path: Path, default: int = 256) -> int:
    """``max_seq_length`` from ``sentence_bert_config.json`` (the model's own limit)."""
    try:
        cfg = json.loads((model_path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(cfg.get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


class Encoder(Protocol):
    """What every backend returns: sentence-transformers' ``encode`` and dimension."""

    def encode(self, sentences: list[str], **options: Any) -> Any:
        """Embed ``sentences`` (options as ``SentenceTransformer.encode``)."""

    def get_sentence_embedding_dimension(self) -> int:
        """Length of the embedding vectors."""


def load_sentence_transformer(path: str) -> Any:
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


# --- producing artefacts ---------------------------------------------------------------------


def export_onnx(model_path: Path, cache: Path) -> Path:
    """Export the transformer + mean pooling to ``cache/model.onnx`` (reused when fresh)."""
    stamp = _source_stamp(model_path)
    if _fresh(cache, "model.onnx", stamp):
        return cache / "model.onnx"
    import torch

    st = load_sentence_transformer(str(model_path))
    bert = st[0].auto_model.eval()

    class MeanPooled(torch.nn.Module):
        """The transformer followed by attention-masked mean pooling (sentence-transformers' pooling)."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self, input_ids: Any, attention_mask: Any, token_type_ids: Any
        ) -> Any:  # pragma: no cover - traced
            """Mean of the token states over the attention mask."""
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            states = out[0]
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"model.onnx.tmp{os.getpid()}"
    example = {
        "input_ids": torch.ones((2, 8), dtype=torch.long),
        "attention_mask": torch.ones((2, 8), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 8), dtype=torch.long),
    }
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings: the graph is checked, not trusted
            torch.onnx.export(
                MeanPooled(bert),
                (),
                str(tmp),
                kwargs=example,
                input_names=list(example),
                output_names=["sentence_embedding"],
                dynamic_axes={
                    **{name: {0: "batch", 1: "tokens"} for name in example},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"cannot export {model_path} to ONNX: {exc}",
            hint="use embed_backend = 'torch', or check that torch and onnx are installed",
        ) from exc
    return _commit(cache, tmp, "model.onnx", stamp)


def quantize_onnx(model_path: Path, cache: Path) -> Path:
    """Quantise ``model.onnx``'s weights to int8 into ``cache/model-int8.onnx`` (reused when fresh)."""
    stamp = _source_stamp(model_path)
    if _fresh(cache, "model-int8.onnx", stamp):
        return cache / "model-int8.onnx"
    fp32 = export_onnx(model_path, cache)
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = cache / f"model-int8.onnx.tmp{os.getpid()}"
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"cannot quantise {fp32}: {exc}", hint="use embed_backend = 'onnx' or 'torch'"
        ) from exc
    return _commit(cache, tmp, "model-int8.onnx", stamp)


def distill_static(model_path: Path, cache: Path, dims: int = STATIC_DIMS) -> Path:
    """Distil one vector per vocabulary token into ``cache/static.npy`` (reused when fresh).

    As ``model2vec.distill`` does (nDCG@10 within 0.004 of it on both labeled sets): every
    token is embedded alone (``[CLS] token [SEP]``, mean-pooled) by the transformer, the vectors
    are reduced with PCA to ``dims``, and weighted by SIF, ``1e-4 / (1e-4 + p)`` where ``p`` is
    a Zipf probability from the token's rank (WordPiece ids roughly follow frequency). Unused
    ``[unusedN]`` tokens are left out (zero rows).
    """
    stamp = {**_source_stamp(model_path), "dims": dims, "weights": "sif-1e-4"}
    if _fresh(cache, "static.npy", stamp):
        return cache / "static.npy"
    import torch

    st = load_sentence_transformer(str(model_path))
    bert = st[0].auto_model.eval()
    tok = _tokenizer(model_path, 8)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    vocab = tok.get_vocab_size()
    rows = np.zeros((vocab, bert.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, vocab, 1024):
            ids = torch.arange(start, min(start + 1024, vocab), dtype=torch.long)
            batch = torch.stack(
                [torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], dim=1
            )
            states = bert(input_ids=batch, attention_mask=torch.ones_like(batch))[0]
            rows[start : start + len(ids)] = states.mean(1).numpy()
    names = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    keep = np.array([not re.fullmatch(r"\[unused\d+\]", name) for name, _ in names])
    centred = rows - rows[keep].mean(0)
    _, _, vt = np.linalg.svd(centred[keep], full_matrices=False)
    reduced = centred @ vt[: min(dims, vt.shape[0])].T
    inv_rank = 1.0 / (np.cumsum(keep) + 1.0)
    proba = inv_rank / inv_rank[keep].sum()
    reduced *= np.where(keep, 1e-4 / (1e-4 + proba), 0.0)[:, None]
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f"static.npy.tmp{os.getpid()}"
    with tmp.open("wb") as fh:
        np.save(fh, reduced.astype(np.float32))
    return _commit(cache, tmp, "static.npy", stamp)


# --- loaded backends --------------------------------------------------------------------------


def _normalise(vecs: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return (vecs / np.maximum(norms, 1e-12)).astype(np.float32)


class _TokenModel:
    """What the ONNX and static backends share: sentence-transformers' ``encode`` signature."""

    _dim = 0

    def get_sentence_embedding_dimension(self) -> int:
        """Length of the embedding vectors."""
        return self._dim

    def encode(
        self,
        sentences: list[str],
        batch_size: int = 32,
        normalize_embeddings: bool = False,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> np.ndarray:
        """Embed ``sentences`` (float32 rows, L2-normalised when asked); always numpy, no bar."""
        del convert_to_numpy, show_progress_bar
        vecs = self._embed(list(sentences), batch_size)
        return _normalise(vecs) if normalize_embeddings else vecs

    def _embed(self, sentences: list[str], batch_size: int) -> np.ndarray:
        raise NotImplementedError


class OnnxModel(_TokenModel):
    """An exported model run by ONNX Runtime; ``encode`` behaves like sentence-transformers'."""

    def __init__(
        self,
        onnx_path: Path,
        model_path: Path,
        max_seq_length: int,
        *,
        threads: int | None = None,
        dim: int | None = None,
    ) -> None:
        """Open the session (``threads`` intra-op threads, no spin-waiting; default: ORT's)."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(onnx_path), opts, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = _tokenizer(model_path, max_seq_length)
        self.max_seq_length = max_seq_length
        self.path = onnx_path
        self._dim = int(dim or self.encode(["dimension probe"]).shape[1])

    def _embed(self, sentences: list[str], batch_size: int) -> np.ndarray:
        """Mean-pooled transformer states, in batches of ``batch_size``."""
        out = []
        for start in range(0, len(sentences), batch_size):
            enc = self.tokenizer.encode_batch(sentences[start : start + batch_size])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            out.append(
                self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            )
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 0), np.float32)


class StaticModel(_TokenModel):
    """Static token vectors: a text's embedding is the mean of its tokens' rows."""

    def __init__(self, table_path: Path, model_path: Path, max_seq_length: int = 512) -> None:
        self.table = np.load(table_path)
        self._dim = int(self.table.shape[1])
        self.tokenizer = _tokenizer(model_path, max_seq_length)
        self.tokenizer.no_padding()
        self.max_seq_length = max_seq_length
        self.special = {
            i
            for i in (self.tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
            if i is not None
        }

    def _embed(self, sentences: list[str], batch_size: int) -> np.ndarray:
        """Mean of the token rows of each sentence (zeros for a text without tokens)."""
        del batch_size
        out = np.zeros((len(sentences), self._dim), dtype=np.float32)
        for row, enc in enumerate(self.tokenizer.encode_batch(sentences)):
            ids = [i for i in enc.ids if i not in self.special]
            if ids:
                out[row] = self.table[ids].mean(0)
        return out


def _torch(path: Path, store: Path | None, max_seq_length: int | None) -> Encoder:
    """The reference: the model itself, run by sentence-transformers (no artefacts)."""
    del store
    model = load_sentence_transformer(str(path))
    if max_seq_length:
        model.max_seq_length = max_seq_length
    return model


def _artefacts(name: str, path: Path, store: Path | None) -> Path:
    """Cache folder of a derived backend; ModelError without a store or a tokenizer."""
    if store is None:
        raise ModelError(
            f"the '{name}' embedding backend needs a store folder to cache its artefacts",
            hint="pass the workspace store (settings.store)",
        )
    if not (path / "tokenizer.json").is_file():
        raise ModelError(
            f"embedding model not found or without tokenizer.json: {path}",
            hint="the onnx and static backends need a sentence-transformers folder with tokenizer.json",
        )
    return model_cache_dir(store, str(path))


def _onnx(path: Path, store: Path | None, max_seq_length: int | None) -> Encoder:
    """The model exported to ONNX (fp32), run by ONNX Runtime."""
    cache = _artefacts("onnx", path, store)
    return OnnxModel(export_onnx(path, cache), path, max_seq_length or _max_seq_length(path))


def _onnx_int8(path: Path, store: Path | None, max_seq_length: int | None) -> Encoder:
    """The exported model with int8 weights, run by ONNX Runtime."""
    cache = _artefacts("onnx-int8", path, store)
    return OnnxModel(quantize_onnx(path, cache), path, max_seq_length or _max_seq_length(path))


def _static(path: Path, store: Path | None, max_seq_length: int | None) -> Encoder:
    """Static token vectors distilled from the model (the sequence length does not apply)."""
    del max_seq_length
    return StaticModel(distill_static(path, _artefacts("static", path, store)), path)


#: Backend name -> loader ``(model folder, store or None, max_seq_length or None) -> Encoder``.
LOADERS: dict[str, Callable[[Path, Path | None, int | None], Encoder]] = {
    "torch": _torch,
    "onnx": _onnx,
    "onnx-int8": _onnx_int8,
    "static": _static,
}


def load_backend(
    backend: str | None,
    model_path: str,
    store: Path | str | None = None,
    *,
    max_seq_length: int | None = None,
) -> Encoder:
    """Load ``model_path`` run by ``backend``; derived artefacts are produced once under ``store``.

    ``store`` is required for every backend but ``torch``.
    """
    loader = LOADERS[check_backend(backend)]
    return loader(Path(model_path), None if store is None else Path(store), max_seq_length)


def clear_cache(store: Path | str, model_path: str) -> None:
    """Delete the artefacts derived from ``model_path`` under ``store`` (they are rebuilt on use)."""
    shutil.rmtree(model_cache_dir(store, model_path), ignore_errors=True)
