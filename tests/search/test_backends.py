"""Embedding backends: valid names, artefacts produced offline and cached, embeddings close to torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spmkb.errors import ConfigError, ModelError
from spmkb.search.backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    STATIC_DIMS,
    check_backend,
    load_backend,
    model_cache_dir,
)

TEXTS = [
    "How do I handle a price objection from procurement?",
    "Discovery call: ask about the current process, who signs off, and what happens if nothing changes.",
    "Quarterly business review: pipeline coverage, win rate by segment and forecast accuracy. " * 5,
    "GitLab values: collaboration, results, efficiency, diversity, iteration and transparency.",
]

# Lowest cosine to the torch embeddings accepted per backend. Measured on 160 GitLab handbook
# sections (bench/bench_embedders.py): onnx fp32 >= 0.99999, onnx-int8 (per-channel) min 0.97.
MIN_COSINE = {"onnx": 0.9999, "onnx-int8": 0.95}


@pytest.mark.parametrize("name", ["", None], ids=["empty", "none"])
def test_default_backend(name: str | None) -> None:
    assert check_backend(name) == DEFAULT_BACKEND == "torch"


@pytest.mark.parametrize(
    ("name", "expected"), [("ONNX", "onnx"), (" static ", "static")], ids=["case", "spaces"]
)
def test_backend_names_are_normalised(name: str, expected: str) -> None:
    assert check_backend(name) == expected


def test_unknown_backend_names_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        check_backend("onnx8")
    text = str(info.value)
    assert "unknown embedding backend 'onnx8'" in text
    assert "did you mean 'onnx'" in text
    for name in BACKENDS:
        assert name in text


def test_non_torch_backend_needs_a_store() -> None:
    from spmkb.search.embed import default_model_path

    with pytest.raises(ModelError, match="needs a store folder"):
        load_backend("onnx", default_model_path(), None)


def test_model_without_tokenizer_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"without tokenizer\.json"):
        load_backend("static", str(tmp_path / "no-model"), tmp_path / "store")


def test_cache_dir_is_under_the_store(tmp_path: Path) -> None:
    assert model_cache_dir(tmp_path, "/x/y/all-minilm/") == tmp_path / "models" / "all-minilm"


# --- real model ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def backend_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One store shared by the slow tests, so each artefact is produced once per session."""
    return tmp_path_factory.mktemp("backend-store")


@pytest.fixture(scope="session")
def reference(embedder) -> np.ndarray:
    """Torch (sentence-transformers) embeddings of ``TEXTS``."""
    return embedder.encode(TEXTS)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["onnx", "onnx-int8"])
def test_onnx_embeddings_close_to_torch(
    name: str, backend_store: Path, reference: np.ndarray, embedder
) -> None:
    model = load_backend(name, embedder.path, backend_store)
    assert model.get_sentence_embedding_dimension() == embedder.dim
    vecs = model.encode(TEXTS, batch_size=3, normalize_embeddings=True)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    cosines = (vecs * reference).sum(axis=1)
    assert cosines.min() >= MIN_COSINE[name], cosines


@pytest.mark.slow
def test_artefacts_are_cached_and_reused(backend_store: Path, embedder) -> None:
    cache = model_cache_dir(backend_store, embedder.path)
    load_backend("onnx-int8", embedder.path, backend_store)
    files = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert {"model.onnx", "model-int8.onnx", "model.onnx.json"} <= set(files)
    assert not [n for n in files if ".tmp" in n]
    again = load_backend("onnx", embedder.path, backend_store)
    again.encode(TEXTS[:1])
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == files


@pytest.mark.slow
def test_static_backend_finds_each_text_from_its_opening(backend_store: Path, embedder) -> None:
    model = load_backend("static", embedder.path, backend_store)
    table = model_cache_dir(backend_store, embedder.path) / "static.npy"
    mtime = table.stat().st_mtime_ns
    docs = model.encode(TEXTS, normalize_embeddings=True)
    queries = model.encode([" ".join(t.split()[:6]) for t in TEXTS], normalize_embeddings=True)
    assert docs.shape == (len(TEXTS), model.get_sentence_embedding_dimension())
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-5)
    assert list(np.argmax(queries @ docs.T, axis=1)) == list(range(len(TEXTS)))
    load_backend("static", embedder.path, backend_store)
    assert table.stat().st_mtime_ns == mtime


def test_settings_select_the_backend_and_change_the_index_signature(tmp_path) -> None:
    from spmkb.config import load_settings
    from spmkb.errors import ConfigError
    from spmkb.search.embed import embedder_for
    from spmkb.search.sync import model_name

    base = load_settings(cwd=tmp_path, environ={})
    fast = load_settings(
        cwd=tmp_path,
        environ={"SPMKB_EMBED_BACKEND": "onnx-int8", "SPMKB_EMBED_MAX_SEQ_LENGTH": "128"},
    )
    assert fast.embed_backend == "onnx-int8"
    assert model_name(fast) == model_name(base) + "+onnx-int8@128"  # a switch rebuilds the index
    bad = load_settings(cwd=tmp_path, environ={"SPMKB_EMBED_BACKEND": "onxx"})
    with pytest.raises(ConfigError) as exc:
        embedder_for(bad)
    assert exc.value.field == "embed_backend"
    assert "onnx" in str(exc.value)


class _Index:
    """The two questions a panel's loader asks an index (the embedder is the point here)."""

    def facets(self) -> dict[str, list[str]]:
        return {"stages": ["discovery"]}

    def count(self) -> int:
        return 1


@pytest.mark.slow
@pytest.mark.parametrize("panel_name", ["SearchPanel", "RecommendPanel"])
def test_panel_warms_the_configured_embedder_before_ready(
    panel_name: str, backend_store: Path, embedder, tmp_path: Path, monkeypatch
) -> None:
    """embed_backend = static: "Ready" means the static embedder is loaded, and torch never was.

    Run after ``test_static_backend_finds_each_text_from_its_opening`` produced the static
    table in ``backend_store`` (fast to load). The embed module's cache starts empty here, so
    a panel warming the default torch model would add the torch key to it.
    """
    import spmkb.widgets
    from spmkb.config import load_settings
    from spmkb.search import embed

    load_backend("static", embedder.path, backend_store)  # the table exists (reused)
    for name in ("_CACHE", "_THREADS", "_ERRORS", "_LOAD_LOCKS"):
        monkeypatch.setattr(embed, name, {})
    settings = load_settings(
        {"store": str(backend_store), "embed_backend": "static"}, cwd=tmp_path, environ={}
    )
    panel = getattr(spmkb.widgets, panel_name)(settings, searcher=_Index())
    assert panel.wait_ready(120), panel.status.value
    assert "Ready" in panel.status.value
    assert embed.loaded() == [embed.cache_key(settings.model, "static")]
    assert embed.is_loaded(settings.model, backend="static")
    assert not embed.is_loaded(settings.model)  # the torch model was never loaded
    assert embed.embedder_for(settings).dim == STATIC_DIMS
