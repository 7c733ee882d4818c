"""BEIR folders: the loader on a tiny literal folder, its errors, and the Markdown it writes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spmkb.errors import SearchError
from spmkb.search.beir import asset_ids, beir_queries, load_beir, write_corpus

TINY = Path(__file__).resolve().parents[1] / "data" / "eval" / "beir-tiny"


def test_load_tiny_folder() -> None:
    corpus, queries, qrels = load_beir(TINY)
    assert list(corpus) == ["d1", "d2", "D 3", "d4"]  # the blank line is skipped
    assert corpus["D 3"] == {
        "title": "",
        "text": "Buckling of thin cylindrical shells under axial compression and internal pressure.",
    }
    assert queries == {  # q3 has no judgements, so it is not evaluated
        "q1": "what happens to wing flutter near mach one",
        "q2": "buckling of cylinders under axial load",
    }
    assert qrels == {"q1": {"d1": 2.0, "d4": 1.0}, "q2": {"D 3": 1.0}}  # score 0 dropped


def test_asset_ids_are_valid_and_unique() -> None:
    assert asset_ids(["d1", "D 3", "d-3", "_x", "Ünï"]) == {
        "d1": "d1",
        "D 3": "d-3",
        "d-3": "d-3-2",
        "_x": "d_x",
        "Ünï": "n",
    }


def test_written_corpus_loads_as_assets(tmp_path: Path) -> None:
    from spmkb.content import load_library

    corpus, queries, qrels = load_beir(TINY)
    folder = tmp_path / "playbooks"
    (folder).mkdir()
    (folder / "stale.md").write_text("# old\n")
    ids = write_corpus(corpus, folder)
    assert not (folder / "stale.md").exists()
    library = load_library(folder)
    assert [p for p in library.problems if p.severity == "error"] == []
    by_id = {a.id: a for a in library.assets}
    assert sorted(by_id) == ["d-3", "d1", "d2", "d4"]
    assert by_id["d1"].title == "Wing flutter at transonic speed"
    assert by_id["d-3"].title == "Document d-3"
    assert "Buckling of thin cylindrical shells" in by_id["d-3"].body
    labeled = beir_queries(queries, qrels, ids, str(TINY))
    assert [(q.id, q.relevant) for q in labeled] == [
        ("q1", {"d1": 2.0, "d4": 1.0}),
        ("q2", {"d-3": 1.0}),
    ]
    before = (folder / "d1.md").stat().st_mtime_ns
    write_corpus(corpus, folder)
    assert (folder / "d1.md").stat().st_mtime_ns == before  # unchanged files are not rewritten


@pytest.mark.parametrize(
    ("target", "content", "message"),
    [
        (
            "corpus.jsonl",
            '{"_id": "d1", "text": "ok"}\n{"_id": "d2", "text": \n',
            "corpus.jsonl:2: invalid JSON",
        ),
        (
            "queries.jsonl",
            '{"text": "no id"}\n',
            "queries.jsonl:1, field '_id': each line must be a JSON object",
        ),
        (
            "qrels/test.tsv",
            "query-id\tcorpus-id\tscore\nq1\td1\n",
            "test.tsv:2: expected query-id, corpus-id",
        ),
        ("qrels/test.tsv", "q9\td1\t1\n", "test.tsv: no query has relevance judgements"),
    ],
    ids=["bad-json", "no-id", "short-row", "no-judged-query"],
)
def test_beir_errors(tmp_path: Path, target: str, content: str, message: str) -> None:
    folder = tmp_path / "beir"
    shutil.copytree(TINY, folder)
    (folder / target).write_text(content)
    with pytest.raises(SearchError) as info:
        load_beir(folder)
    assert message in str(info.value)


def test_missing_qrels(tmp_path: Path) -> None:
    folder = tmp_path / "beir"
    shutil.copytree(TINY, folder)
    with pytest.raises(SearchError, match=r"dev.tsv: relevance judgements not found"):
        load_beir(folder, split="dev")
