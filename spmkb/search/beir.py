"""BEIR test collections (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``) as spmkb assets.

A BEIR corpus is written as a folder of Markdown assets (one per document: ``id`` = the
document id made safe, ``title`` = its title, body = its text) and indexed through the SAME
pipeline as playbooks (:func:`spmkb.search.sync.index_library`), in a workspace of its own under
``<store>/beir-<name>``. Indexing is incremental, so the corpus is embedded once and later runs
only re-read it (their :class:`IndexSummary` shows ``embedded == 0``).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spmkb.errors import SearchError
from spmkb.search.labels import LabeledQuery

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def _read_jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for each non-blank line; SearchError naming the line when invalid."""
    if not path.is_file():
        raise SearchError(
            "file not found",
            path=path,
            hint="a BEIR folder holds corpus.jsonl, queries.jsonl and qrels/test.tsv",
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SearchError(f"invalid JSON: {exc.msg}", path=path, line=n) from None
            if not isinstance(obj, dict) or "_id" not in obj:
                raise SearchError(
                    "each line must be a JSON object with an '_id'", path=path, line=n, field="_id"
                )
            rows.append((n, obj))
    return rows


def load_beir(
    folder: Path | str, split: str = "test"
) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, dict[str, float]]]:
    """Read a BEIR folder: ``(corpus {id: {title, text}}, queries {id: text}, qrels {qid: {doc: grade}})``.

    Judgements with a grade <= 0 are dropped (BEIR's "not relevant"); queries keep only those
    with at least one relevant document.
    """
    folder = Path(folder)
    corpus = {
        str(obj["_id"]): {"title": str(obj.get("title") or ""), "text": str(obj.get("text") or "")}
        for _, obj in _read_jsonl(folder / "corpus.jsonl")
    }
    all_queries = {
        str(obj["_id"]): str(obj.get("text") or "")
        for _, obj in _read_jsonl(folder / "queries.jsonl")
    }
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise SearchError(
            "relevance judgements not found",
            path=qrels_path,
            hint="a BEIR folder holds qrels/<split>.tsv with query-id, corpus-id, score",
        )
    qrels: dict[str, dict[str, float]] = {}
    with qrels_path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
            if not row or not "".join(row).strip():
                continue
            if n == 1 and not _is_number(row[-1]):
                continue  # header
            if len(row) < 3 or not _is_number(row[2]):
                raise SearchError(
                    "expected query-id, corpus-id and a numeric score",
                    path=qrels_path,
                    line=n,
                    hint="tab-separated, e.g. 1<TAB>184<TAB>1",
                )
            qid, doc, grade = row[0].strip(), row[1].strip(), float(row[2])
            if grade > 0:
                qrels.setdefault(qid, {})[doc] = grade
    queries = {q: t for q, t in all_queries.items() if q in qrels and t.strip()}
    if not queries:
        raise SearchError(
            "no query has relevance judgements",
            path=qrels_path,
            hint="the query ids in qrels must match the _id values in queries.jsonl",
        )
    return corpus, queries, {q: qrels[q] for q in queries}


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def asset_ids(doc_ids: list[str]) -> dict[str, str]:
    """Map each document id to a valid, unique asset id (lowercase, ``[a-z0-9._-]``)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for doc in doc_ids:
        base = _UNSAFE.sub("-", doc.lower()).strip("-.") or "doc"
        if not base[0].isalnum():
            base = "d" + base
        safe, n = base, 2
        while safe in used:
            safe, n = f"{base}-{n}", n + 1
        used.add(safe)
        out[doc] = safe
    return out


def asset_text(asset_id: str, title: str, text: str) -> str:
    """Markdown for one BEIR document: front matter with id, title and type, then the text."""
    import yaml

    meta = {
        "id": asset_id,
        "title": " ".join(title.split()) or f"Document {asset_id}",
        "type": "reference",
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n{text.strip()}\n"


def write_corpus(corpus: dict[str, dict[str, str]], folder: Path) -> dict[str, str]:
    """Write ``corpus`` as one Markdown asset per document under ``folder``; returns doc id -> asset id.

    Files whose content is unchanged are not rewritten; Markdown files of documents no longer
    in the corpus are deleted.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ids = asset_ids(list(corpus))
    wanted: set[str] = set()
    for doc, fields in corpus.items():
        name = f"{ids[doc]}.md"
        wanted.add(name)
        target = folder / name
        content = asset_text(ids[doc], fields.get("title", ""), fields.get("text", ""))
        if not target.is_file() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
    for old in folder.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    return ids


@dataclass
class PreparedBeir:
    """A BEIR collection indexed as assets: its settings, labeled queries and index summary."""

    settings: Any
    queries: list[LabeledQuery]
    summary: Any
    documents: int


def beir_queries(
    queries: dict[str, str], qrels: dict[str, dict[str, float]], ids: dict[str, str], source: str
) -> list[LabeledQuery]:
    """Labeled queries whose relevant ids are asset ids (documents absent from the corpus kept as-is)."""
    return [
        LabeledQuery(
            text, {ids.get(doc, doc): grade for doc, grade in qrels[qid].items()}, {}, qid, source
        )
        for qid, text in queries.items()
    ]


def prepare_beir(
    folder: Path | str,
    settings: Any,
    *,
    split: str = "test",
    progress: bool = False,
    embedder: Any = None,
) -> PreparedBeir:
    """Index a BEIR folder's corpus into ``<settings.store>/beir-<name>`` and return its queries."""
    import dataclasses

    from spmkb.search.sync import index_library

    folder = Path(folder).resolve()
    corpus, queries, qrels = load_beir(folder, split)
    work = Path(settings.store) / f"beir-{folder.name}"
    ids = write_corpus(corpus, work / "playbooks")
    collection = "beir-" + (_UNSAFE.sub("-", folder.name.lower()).strip("-.") or "corpus")
    beir_settings = dataclasses.replace(
        settings, playbooks=work / "playbooks", store=work / "store", collection=collection
    )
    summary = index_library(beir_settings, progress=progress, embedder=embedder)
    labeled = beir_queries(queries, qrels, ids, str(folder))
    return PreparedBeir(beir_settings, labeled, summary, len(corpus))
