"""The ONNX query encoder: checked against torch at index time, used by searches without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spmkb.search import query_encoder

REPO = Path(__file__).resolve().parents[2]

#: Queries the check never saw (PROBES are what `spmkb index` checks): rep questions, acronyms,
#: other scripts, emoji, very long text past the 256-token limit, odd spacing and symbols.
QUERIES = [
    "pricing objection from procurement",
    "MEDDPPICC economic buyer",
    "how do I run discovery with a CFO who has no budget this year",
    "competitive battlecard against the incumbent ERP vendor",
    "CotM value drivers",
    "SKO 2027 agenda",
    "what's our discount approval matrix for > 20 %?",
    "follow-up email after the demo",
    "renewal at risk: champion left",
    "Sourcegraph Cody vs Copilot",
    "¿Cuál es el proceso de aprobación de descuentos?",
    "Wie gehe ich mit Preiseinwänden um?",
    "Как вести переговоры о скидке",
    "销售流程中的发现阶段问题",
    "営業のクロージング手法",
    "영업 기회 단계",
    "خطة الإغلاق المشتركة",
    "ऑब्जेक्शन हैंडलिंग",
    "🔥 hot lead 🔥 → next step?",
    "x" * 600,
    "QBR " * 400,
    "Ünïcödé ñ ç ø å ß œ æ 😀 " * 60,
    "line one\nline two\twith tab",
    "   ",
    "1234567890",
    "<b>html</b> &amp; entities",
    "C++ / C# / F# / .NET",
    "e-mail vs email vs E-Mail",
    "mutual close plan template with dates, owners and the paper process for legal sign-off "
    "including security questionnaire, DPA, MSA redlines and procurement onboarding " * 4,
]


@pytest.fixture(scope="session")
def checked_store(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """A store whose artefact cache holds the ONNX export, checked against the torch model."""
    from spmkb.search.backends import model_cache_dir

    store = tmp_path_factory.mktemp("query-encoder-store")
    rec = query_encoder.prepare(
        Path(embedder.path), model_cache_dir(store, embedder.path), embedder._model
    )
    assert rec["ok"], rec
    return store


def _settings(store: Path, tmp: Path, toml: str = "", **extra: object):
    """Settings read in ``tmp`` (with ``toml`` as its spmkb.toml) for the store ``store``."""
    from spmkb.config import load_settings

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "spmkb.toml").write_text(toml, encoding="utf-8")
    return load_settings({"store": str(store), **extra}, cwd=tmp, environ={})


@pytest.mark.slow
def test_onnx_query_vectors_match_torch(checked_store: Path, embedder) -> None:
    """Every query, embedded alone as a search does, is within cosine 0.9999 of torch's vector
    and is tokenised to exactly the ids sentence-transformers feeds the model (truncated at
    the model's 256 tokens: the 600-character and 400-word queries are cut there)."""
    from spmkb.search.backends import model_cache_dir

    model = embedder._model
    onnx = query_encoder.load(Path(embedder.path), model_cache_dir(checked_store, embedder.path))
    assert onnx is not None
    assert onnx.max_seq_length == model.max_seq_length == 256
    cosines = []
    for text in QUERIES:
        want = model.encode([text], normalize_embeddings=True, convert_to_numpy=True)[0]
        got = onnx.encode([text], normalize_embeddings=True)[0]
        cosines.append(float(np.dot(want, got)))
        assert onnx.tokenizer.encode(text).ids == query_encoder._torch_ids(model, text), text
    assert min(cosines) >= 0.9999, dict(zip(QUERIES, cosines, strict=True))
    assert len(onnx.tokenizer.encode("QBR " * 400).ids) == 256


@pytest.mark.slow
def test_the_check_is_recorded_and_reused(checked_store: Path, embedder) -> None:
    """The record names the probes, the lowest cosine and the export; a second prepare reuses
    it (no new export: model.onnx keeps its mtime)."""
    from spmkb.search.backends import model_cache_dir

    cache = model_cache_dir(checked_store, embedder.path)
    rec = json.loads((cache / query_encoder.RECORD).read_text(encoding="utf-8"))
    assert rec["ok"] is True
    assert rec["probes"] == rec["same_tokens"] == len(query_encoder.PROBES)
    assert rec["min_cosine"] >= query_encoder.MIN_COSINE
    assert rec["identity"]["max_seq_length"] == 256
    mtime = (cache / "model.onnx").stat().st_mtime_ns
    assert query_encoder.prepare(Path(embedder.path), cache, None) == rec
    assert (cache / "model.onnx").stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_a_record_for_another_length_or_export_is_not_trusted(
    checked_store: Path, embedder, tmp_path: Path
) -> None:
    """The record applies to 256 tokens and this model.onnx only: asked for 128 tokens, or
    after model.onnx changed, the query encoder is not loaded (torch is used)."""
    import shutil

    from spmkb.search.backends import model_cache_dir

    path = Path(embedder.path)
    cache = model_cache_dir(checked_store, embedder.path)
    assert query_encoder.verified(path, cache)
    assert not query_encoder.verified(path, cache, 128)
    assert query_encoder.load(path, cache, 128) is None
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    with (copy / "model.onnx").open("ab") as fh:
        fh.write(b"\0")
    assert not query_encoder.verified(path, copy)
    assert query_encoder.load(path, copy) is None


@pytest.mark.slow
def test_searcher_uses_the_checked_encoder_and_ranks_as_torch(
    built_index, checked_store: Path, embedder, tmp_path: Path, monkeypatch
) -> None:
    """The session index (built with torch; its run checked the export) answers with the ONNX
    query embedder, and the top 10 of each query equals the torch top 10 in the same order."""
    from spmkb.search import embed
    from spmkb.search.query import Searcher

    settings = built_index.settings
    assert built_index.summary.query_encoder.startswith("onnx (min cosine to torch")
    monkeypatch.setattr(embed, "_CACHE", {})
    onnx_searcher = Searcher.open(settings)
    assert onnx_searcher.embedder.name.endswith("+onnx-queries")
    torch_searcher = Searcher.open(settings, embedder)
    for text in QUERIES[:12]:
        for stage in (None, "discovery"):
            want = [h.path for h in torch_searcher.search(text, k=10, stage=stage).hits]
            got = [h.path for h in onnx_searcher.search(text, k=10, stage=stage).hits]
            assert got == want, (text, stage)


@pytest.mark.slow
def test_onnx_queries_off_or_another_backend_uses_the_index_encoder(
    checked_store: Path, embedder, tmp_path: Path
) -> None:
    """``onnx_queries = false`` gives the torch embedder itself; so does a store without a
    checked export; the static backend is never replaced."""
    from spmkb.search.embed import query_embedder_for

    off = _settings(checked_store, tmp_path / "off", "[search]\nonnx_queries = false\n")
    assert off.option("search", "onnx_queries") is False
    assert query_embedder_for(off) is embedder
    unchecked = _settings(tmp_path / "other-store", tmp_path)
    assert query_embedder_for(unchecked) is embedder
    on = _settings(checked_store, tmp_path)
    assert query_embedder_for(on).name.endswith("+onnx-queries")
    from spmkb.search.embed import _query_key

    assert _query_key(_settings(checked_store, tmp_path, embed_backend="static")) is None


@pytest.mark.slow
def test_a_failed_check_leaves_queries_on_torch(
    embedder, tmp_path: Path, checked_store: Path, monkeypatch
) -> None:
    """With a threshold no export can meet (cosine > 1), the check fails, is recorded as
    failed, the index note says why, and queries stay on torch."""
    import shutil

    from spmkb.search.backends import model_cache_dir
    from spmkb.search.embed import query_embedder_for, query_encoder_note

    store = tmp_path / "store"
    cache = model_cache_dir(store, embedder.path)
    cache.mkdir(parents=True)
    src = model_cache_dir(checked_store, embedder.path)
    for name in ("model.onnx", "model.onnx.json"):
        shutil.copy2(src / name, cache / name)  # the export itself is reused
    monkeypatch.setattr(query_encoder, "MIN_COSINE", 1.5)
    monkeypatch.setattr(query_encoder, "_CHECKED", {})  # no passed check to copy from
    settings = _settings(store, tmp_path)
    note = query_encoder_note(settings, embedder)
    assert note.startswith("torch (the ONNX export did not match torch: min cosine 0.9999")
    rec = json.loads((cache / query_encoder.RECORD).read_text(encoding="utf-8"))
    assert rec["ok"] is False
    assert query_embedder_for(settings) is embedder


@pytest.mark.slow
def test_a_damaged_export_falls_back_to_torch(
    checked_store: Path, embedder, tmp_path: Path, caplog
) -> None:
    """model.onnx overwritten with zeros of the same size and mtime (so the record still
    applies): ONNX Runtime cannot load it, a warning is logged and queries use torch."""
    import shutil

    from spmkb.search.backends import model_cache_dir
    from spmkb.search.embed import query_embedder_for

    store = tmp_path / "store"
    shutil.copytree(checked_store, store)
    onnx = model_cache_dir(store, embedder.path) / "model.onnx"
    stat = onnx.stat()
    onnx.write_bytes(b"\0" * stat.st_size)
    os.utime(onnx, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert query_encoder.verified(Path(embedder.path), onnx.parent)
    with caplog.at_level("WARNING", logger="spmkb.search.embed"):
        assert query_embedder_for(_settings(store, tmp_path / "cwd")) is embedder
    assert "cannot load the ONNX query encoder; using torch" in caplog.text


def _run(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.slow
def test_cold_cli_search_never_imports_torch(built_index, tmp_path: Path) -> None:
    """``spmkb search`` in a fresh process over an index whose run checked the export prints
    results and has imported neither torch nor sentence-transformers (nor the RFC 3987 grammar
    chromadb's jsonschema would compile), yet ``rfc3987_syntax`` stays importable."""
    settings = built_index.settings
    code = (
        "import sys\n"
        "from spmkb.cli import app\n"
        "try:\n"
        f"    app(['search', 'pricing objection', '--store', {str(settings.store)!r},"
        f" '--playbooks', {str(settings.playbooks)!r}, '--json'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers',"
        " 'rfc3987_syntax') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
        "import rfc3987_syntax\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    stdout = _run(code, env)
    assert "HEAVY []" in stdout
    result = json.loads(stdout[: stdout.index("HEAVY")])
    assert result["hits"], result


def test_jsonschema_imports_without_the_format_extras() -> None:
    """After import_jsonschema_lightly, jsonschema is loaded without the RFC 3987 grammar and
    the duration checker, and those packages can still be imported afterwards."""
    code = (
        "import sys\n"
        "from spmkb.search.coldstart import FORMAT_EXTRAS, import_jsonschema_lightly\n"
        "import_jsonschema_lightly()\n"
        "assert 'jsonschema' in sys.modules\n"
        "print('LOADED', [m for m in FORMAT_EXTRAS if m in sys.modules])\n"
        "import rfc3987_syntax, isoduration\n"
        "print('OK')\n"
    )
    stdout = _run(code, {**os.environ, "PYTHONPATH": str(REPO)})
    assert "LOADED []" in stdout
    assert stdout.rstrip().endswith("OK")


@pytest.mark.slow
def test_a_new_store_reuses_the_machine_cache_without_torch(
    checked_store: Path, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check published to this machine's cache (SPMKB_CACHE_DIR, set per test session) is
    linked into a new store's cache: no export, and torch is never loaded (loading it here
    would raise). With the machine cache turned off, the same call would need torch."""
    from spmkb.search import backends
    from spmkb.search.backends import model_cache_dir

    path = Path(embedder.path)
    shared = query_encoder.shared_dir(path)
    assert shared is not None
    assert str(shared).startswith(os.environ["SPMKB_CACHE_DIR"])
    assert query_encoder.verified(path, shared)  # the session fixture's check was published

    def no_torch(_path: str) -> None:
        raise AssertionError("torch was loaded")

    monkeypatch.setattr(backends, "load_sentence_transformer", no_torch)
    monkeypatch.setattr(query_encoder, "_CHECKED", {})  # nothing checked in this process
    cache = model_cache_dir(tmp_path / "new-store", embedder.path)
    rec = query_encoder.prepare(path, cache, None)
    assert rec["ok"] is True
    assert query_encoder.verified(path, cache)
    monkeypatch.setenv("SPMKB_CACHE_DIR", "off")
    assert query_encoder.shared_dir(path) is None
    with pytest.raises(AssertionError, match="torch was loaded"):
        query_encoder.prepare(path, model_cache_dir(tmp_path / "third", embedder.path), None)
