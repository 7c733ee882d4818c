"""The real packaged model: normalised, cached once per process, background loading."""

from __future__ import annotations

import numpy as np
import pytest

from spmkb.errors import ModelError
from spmkb.search import embed

pytestmark = pytest.mark.slow


def test_encode_is_normalised_float32(embedder) -> None:
    texts = ["How to handle a pricing objection", "Qualify with MEDDPPICC", "x" * 3000]
    vectors = embedder.encode(texts, batch_size=2)
    assert vectors.shape == (3, embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # order is kept even though batches are sorted by length
    single = embedder.encode([texts[1]])[0]
    assert np.allclose(single, vectors[1], atol=1e-5)


def test_encode_empty(embedder) -> None:
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_loaded_once_per_process(embedder) -> None:
    assert embed.get_embedder() is embedder
    assert embed.is_loaded()
    thread = embed.start_loading()
    thread.join(timeout=5)
    assert embed.get_embedder() is embedder


def test_missing_model_is_a_model_error(tmp_path) -> None:
    with pytest.raises(ModelError, match="embedding model not found"):
        embed.get_embedder(str(tmp_path / "nope"))
    assert not embed.is_loaded(str(tmp_path / "nope"))


def test_background_load_records_error(tmp_path) -> None:
    path = str(tmp_path / "missing-model")
    embed.start_loading(path).join(timeout=10)
    assert not embed.is_loaded(path)
    err = embed.loading_error(path)
    assert isinstance(err, ModelError) and "not found" in str(err)


def test_query_embeddings_are_cached(embedder) -> None:
    embedder.clear_query_cache()
    first = embedder.encode_query("deal desk approval")
    assert np.allclose(first, embedder.encode(["deal desk approval"])[0], atol=1e-5)
    assert embedder.encode_query("deal desk approval") is first
    embedder.clear_query_cache()
    assert embedder.encode_query("deal desk approval") is not first
