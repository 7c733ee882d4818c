"""The query encoder: the torch model's ONNX export, checked against torch, for query strings.

A query is one short string: ONNX Runtime embeds it in a fraction of torch's time, and a
process that only searches never has to import torch or sentence-transformers (≈ 5 s of a
cold ``spmkb search``; see "Query encoder and cold start" in ``docs/performance.md``).

The index run, which loads torch anyway, calls :func:`prepare`: it exports the model once
into the store's artefact cache (``<store>/models/<model>/model.onnx``, shared with the
``onnx`` backend), embeds the fixed :data:`PROBES` with both torch and ONNX Runtime, one
string at a time as queries are embedded, and records the result in
``query-encoder.json``. At query time :func:`load` returns an ONNX Runtime encoder only when
that record says every probe's cosine to torch was at least :data:`MIN_COSINE` and every
probe was tokenised to the same ids, for the same model files, export, sequence length and
library versions; otherwise the caller falls back to torch. ``onnx_queries = false`` under
``[search]`` in ``spmkb.toml`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

#: Lowest cosine to torch's query vector accepted on every probe.
MIN_COSINE = 0.9999
#: File (in the model's artefact folder) recording the check.
RECORD = "query-encoder.json"
#: ONNX Runtime threads per query, spin-waiting off: two answered a query in 50.5 ms vs 65.9 ms
#: on one (p50, n = 150, load 14-17; bench/bench_search.py), for the same CPU (7.0 vs 6.5 ms);
#: 6.4 vs 6.8 ms at load 3-6.
THREADS = 2

_LONG = (
    "Our champion left the company last week and procurement now wants a 30 % discount, a "
    "three-year term with an exit clause, quarterly invoicing and a security review before "
    "legal will even look at the paper process; the economic buyer has not answered two "
    "emails, the competitor offered a free pilot and our forecast says commit. "
)
#: Probe queries: varied lengths (past the 256-token limit), scripts, symbols and codes.
PROBES: tuple[str, ...] = (
    "MEDDPPICC",
    "pricing objections",
    "how to qualify a deal with MEDDPPICC",
    "customer says the price is too high",
    "QBR quarterly business review template",
    "Sourcegraph vs GitHub code search",
    "SDR outreach sequence for the CFO persona",
    "what do I say when they ask for a discount at the end of the quarter?",
    "a",
    "?",
    "Q3 FY2027: $1.2M ARR, 35% win rate, 18-day cycle",
    "SELECT * FROM deals WHERE stage = 'closing';",
    "https://handbook.example.com/sales/deal-desk#approvals",
    "  leading and trailing spaces  ",
    "UPPER CASE QUERY ABOUT RENEWALS",
    "naïve café résumé — déjà vu",
    "Préstamo de precios: ¿cómo negociar con compras?",
    "Überzeugungsarbeit beim Einkäufer – Rabattfreigabe",
    "Цена слишком высокая, что ответить клиенту?",
    "价格异议怎么处理",
    "価格交渉のコツを教えてください",
    "가격 협상 전략",
    "मूल्य वार्ता कैसे करें",
    "كيف أتعامل مع اعتراض السعر",
    "Αντιρρήσεις τιμής",
    "deal won 🎉🚀 next steps 😀",
    "e\u0301 combining accent and zero\u200bwidth space",
    "ﬁnance ligature ﬂow",
    "\ufffd replacement character from a bad terminal",
    "Ω≈ç√∫ math ∑ symbols ≤ ≥ ≠",
    "tab\tand  double  spaces",
    _LONG,
    _LONG * 3,
    ("word " * 253).strip(),
    ("word " * 254).strip(),
    ("word " * 255).strip(),
    "价格" * 300,
    "naïve résumé 🎉 " * 120,
)


def probe_digest() -> str:
    """Short hash of :data:`PROBES` (a changed probe set invalidates earlier records)."""
    return hashlib.sha256("\x00".join(PROBES).encode("utf-8")).hexdigest()[:16]


def _file_stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _version(dist: str) -> str | None:
    """Installed version of ``dist`` without importing it (``None`` when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _identity(model_path: Path, max_seq_length: int) -> dict[str, Any]:
    """What a record must match to be trusted: model files, sequence length, probes, versions."""
    from spmkb.search.backends import _source_stamp

    return {
        "source": _source_stamp(model_path),
        "max_seq_length": int(max_seq_length),
        "probes": probe_digest(),
        "torch": _version("torch"),
        "onnxruntime": _version("onnxruntime"),
        "tokenizers": _version("tokenizers"),
    }


def seq_length(model_path: Path, max_seq_length: int | None) -> int:
    """The sequence length queries are truncated to: the setting, else the model's own."""
    from spmkb.search.backends import _max_seq_length

    return int(max_seq_length or _max_seq_length(model_path))


def record(model_path: Path, cache: Path, max_seq_length: int | None = None) -> dict | None:
    """The stored check for this model, export and length when it still applies, else ``None``.

    Cheap (file stats and a JSON read): called on every cold search.
    """
    path = cache / RECORD
    onnx = cache / "model.onnx"
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
        stamp = _file_stamp(onnx)
    except (OSError, ValueError):
        return None
    want = _identity(model_path, seq_length(model_path, max_seq_length))
    if not isinstance(rec, dict) or rec.get("identity") != want or rec.get("onnx") != stamp:
        return None
    return rec


def verified(model_path: Path, cache: Path, max_seq_length: int | None = None) -> bool:
    """True when a passed check applies to this model, export and sequence length."""
    rec = record(model_path, cache, max_seq_length)
    return bool(rec and rec.get("ok") and rec.get("min_cosine", 0.0) >= MIN_COSINE)


def load(model_path: Path, cache: Path, max_seq_length: int | None = None) -> Any | None:
    """An ONNX Runtime query encoder when a passed check applies, else ``None`` (use torch)."""
    if not verified(model_path, cache, max_seq_length):
        return None
    rec = record(model_path, cache, max_seq_length) or {}
    from spmkb.search.backends import OnnxModel

    length = seq_length(model_path, max_seq_length)
    return OnnxModel(cache / "model.onnx", model_path, length, threads=THREADS, dim=int(rec["dim"]))


def check(
    model_path: Path, cache: Path, reference: Any, max_seq_length: int | None = None
) -> dict[str, Any]:
    """Export (once), embed :data:`PROBES` with ``reference`` (torch) and ONNX, write the record.

    ``reference`` is the loaded ``SentenceTransformer``; its ``max_seq_length`` is set to the
    query length for the check and restored. Returns the record (``ok`` says if it passed).
    """
    from spmkb.search.backends import OnnxModel, export_onnx

    length = seq_length(model_path, max_seq_length)
    onnx_path = export_onnx(model_path, cache)
    onnx = OnnxModel(onnx_path, model_path, length, threads=THREADS)
    before = reference.max_seq_length
    reference.max_seq_length = length
    cosines, same_tokens = [], 0
    try:
        for text in PROBES:
            want = reference.encode(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )[0]
            got = onnx.encode([text], normalize_embeddings=True)[0]
            cosines.append(float(np.dot(np.asarray(want, dtype=np.float64), got)))
            ids = _torch_ids(reference, text)
            same_tokens += int(ids == onnx.tokenizer.encode(text).ids)
    finally:
        reference.max_seq_length = before
    ok = min(cosines) >= MIN_COSINE and same_tokens == len(PROBES)
    rec = {
        "ok": ok,
        "identity": _identity(model_path, length),
        "onnx": _file_stamp(onnx_path),
        "dim": onnx.get_sentence_embedding_dimension(),
        "probes": len(PROBES),
        "same_tokens": same_tokens,
        "min_cosine": min(cosines),
        "mean_cosine": float(np.mean(cosines)),
        "threshold": MIN_COSINE,
        "checked": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = cache / f"{RECORD}.tmp{os.getpid()}"
    tmp.write_text(json.dumps(rec, indent=1), encoding="utf-8")
    os.replace(tmp, cache / RECORD)
    return rec


def _torch_ids(reference: Any, text: str) -> list[int]:
    """The token ids sentence-transformers feeds the model for the query ``text``."""
    prep = getattr(reference, "preprocess", None) or reference.tokenize
    return prep([text])["input_ids"][0].tolist()


#: Artefact folders checked in this process, by what they were checked for (see :func:`prepare`).
_CHECKED: dict[str, Path] = {}


#: Files that make a checked export (copied or hard-linked between caches).
CHECKED_FILES: tuple[str, ...] = ("model.onnx", "model.onnx.json", RECORD)


def shared_dir(model_path: Path, max_seq_length: int | None = None) -> Path | None:
    """This machine's folder of checked exports for the model (``None`` when turned off).

    ``SPMKB_CACHE_DIR`` (``off`` turns it off), else ``$XDG_CACHE_HOME/spmkb`` or
    ``~/.cache/spmkb``; one sub-folder per model identity, so a new store or workspace reuses
    a check made for another instead of exporting again (≈ 15 s).
    """
    root = os.environ.get("SPMKB_CACHE_DIR", "")
    if root.lower() in ("off", "0", "false", "no"):
        return None
    if not root:
        root = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spmkb")
    ident = _identity(model_path, seq_length(model_path, max_seq_length))
    digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode("utf-8")).hexdigest()
    return Path(root) / "query-encoder" / digest[:16]


def _copy_checked(src: Path, dst: Path) -> bool:
    """Link (or copy) a checked export from ``src`` into ``dst``; False when that failed."""
    try:
        dst.mkdir(parents=True, exist_ok=True)
        for name in CHECKED_FILES:
            _link(src / name, dst / name)
    except OSError:
        return False
    return True


def _publish(cache: Path, shared: Path | None) -> None:
    """Offer a freshly checked export to this machine's cache (never fails the caller)."""
    if shared is None or shared.exists():
        return
    tmp = shared.with_name(f"{shared.name}.tmp{os.getpid()}")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        if _copy_checked(cache, tmp):
            os.replace(tmp, shared)  # another process may have won: then this one is dropped
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def prepare(
    model_path: Path, cache: Path, reference: Any | None, max_seq_length: int | None = None
) -> dict[str, Any]:
    """Make sure ``cache`` holds a checked query encoder; return its record.

    Reuses a record that still applies; else copies (hard links) a folder checked earlier in
    this process, or on this machine (:func:`shared_dir`), for the same model and length;
    else exports and checks, loading torch (``reference`` when given, to avoid a second load).
    """
    rec = record(model_path, cache, max_seq_length)
    if rec is not None:
        return rec
    key = json.dumps(_identity(model_path, seq_length(model_path, max_seq_length)), sort_keys=True)
    shared = shared_dir(model_path, max_seq_length)
    for source in (_CHECKED.get(key), shared):
        if source is None or source == cache or not verified(model_path, source, max_seq_length):
            continue
        if _copy_checked(source, cache):
            rec = record(model_path, cache, max_seq_length)
            if rec is not None:
                return rec
    if reference is None:
        from spmkb.search.backends import load_sentence_transformer

        reference = load_sentence_transformer(str(model_path))
    rec = check(model_path, cache, reference, max_seq_length)
    _CHECKED[key] = cache
    if rec.get("ok"):
        _publish(cache, shared)
    return rec


def _link(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (a copy keeping the mtime across file systems)."""
    tmp = dst.with_name(f"{dst.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)
