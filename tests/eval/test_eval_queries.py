"""Labeled-query YAML files: valid entries, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.errors import SearchError
from spmkb.search.labels import KINDS, load_library, load_queries, parse_queries

DATA = Path(__file__).resolve().parents[1] / "data" / "eval"


def test_load_small_set() -> None:
    queries = load_queries(DATA / "small.yml")
    assert [q.line for q in queries] == [4, 6, 8, 11, 13]
    assert queries[1].relevant == {"qualification/meddppicc.md": 1.0}
    assert queries[2].filters == {"stage": "negotiation"}
    assert queries[2].relevant == {"pricing/discount-policy": 2.0, "objections/too-expensive": 1.0}
    assert queries[0].source == str(DATA / "small.yml")


def test_queries_table_and_grade_zero() -> None:
    text = "queries:\n  - query: a\n    relevant: {x: 1, y: 0}\n    id: q-a\n"
    queries, problems = parse_queries(text, "q.yml")
    assert problems == []
    assert queries[0].relevant == {"x": 1.0}
    assert queries[0].id == "q-a"


def test_batch_parse_keeps_valid_entries() -> None:
    text = "- query: ok\n  relevant: [a]\n- query: broken\n- query: also ok\n  relevant: b\n"
    queries, problems = parse_queries(text, "q.yml")
    assert [q.query for q in queries] == ["ok", "also ok"]
    assert [(p.line, p.field) for p in problems] == [(3, "relevant")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_yaml.yml", "bad_yaml.yml:3: invalid YAML: expected ',' or ']', but got ':'"),
        (
            "missing_relevant.yml",
            "missing_relevant.yml:3, field 'relevant': missing 'relevant' — "
            "list the asset ids a human would want for this query",
        ),
        (
            "unknown_key.yml",
            "unknown_key.yml:2, field 'relevent': unknown key 'relevent' — did you mean 'relevant'? "
            "use query, relevant, kind, filters, id, note; also line 1, field 'relevant': missing 'relevant'",
        ),
        (
            "bad_filter.yml",
            "bad_filter.yml:2, field 'filters.stag': unknown filter 'stag' — did you mean 'stage'? "
            "use stage, type, persona, industry, competitor",
        ),
        (
            "bad_grade.yml",
            "bad_grade.yml:3, field 'relevant': grade of 'objections/too-expensive' must be a number >= 0",
        ),
        ("empty_query.yml", "empty_query.yml:1, field 'query': missing or empty query"),
        ("not_a_list.yml", "not_a_list.yml:1: expected a list of queries (or a 'queries:' list)"),
        (
            "bad_kind.yml",
            "bad_kind.yml:5, field 'kind': unknown kind 'keywords' — did you mean 'keyword'? "
            "use keyword, mixed, paraphrase",
        ),
    ],
    ids=[
        "bad-yaml",
        "missing-relevant",
        "unknown-key",
        "bad-filter",
        "bad-grade",
        "empty-query",
        "not-a-list",
        "bad-kind",
    ],
)
def test_yaml_errors(name: str, message: str) -> None:
    with pytest.raises(SearchError) as info:
        load_queries(DATA / name)
    assert str(info.value).startswith(f"{DATA}/{message}")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SearchError, match="labeled queries file not found"):
        load_queries(tmp_path / "nope.yml")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.yml").write_text("# nothing yet\n")
    with pytest.raises(SearchError, match=r"empty\.yml: no labeled queries in the file"):
        load_queries(tmp_path / "empty.yml")


def test_kind_is_read_and_optional() -> None:
    text = (
        "- query: a\n  kind: Paraphrase\n  relevant: [x]\n"
        "- query: b\n  relevant: [y]\n"
        "- query: c\n  kind: ''\n  relevant: [z]\n"
    )
    queries, problems = parse_queries(text, "q.yml")
    assert [(q.query, q.kind) for q in queries] == [("a", "paraphrase"), ("b", None)]
    assert [(p.line, p.field, p.message) for p in problems] == [(7, "kind", "kind needs one value")]
    assert queries[0].to_dict()["kind"] == "paraphrase"


def test_library_resolves_against_the_file(tmp_path: Path) -> None:
    assert load_library(DATA / "library.yml") == (DATA.parent / "search" / "playbooks").resolve()
    assert load_library(DATA / "small.yml") is None  # scored against the workspace library
    (tmp_path / "gone.yml").write_text(
        "library: nowhere\nqueries:\n  - query: a\n    relevant: [x]\n"
    )
    with pytest.raises(SearchError) as info:
        load_library(tmp_path / "gone.yml")
    assert str(info.value).startswith(
        f"{tmp_path}/gone.yml:1, field 'library': library folder not found: {tmp_path}/nowhere"
    )


@pytest.mark.parametrize("name", ["queries.yml", "sourcegraph.yml"])
def test_shipped_sets_give_every_query_a_kind(name: str) -> None:
    repo = Path(__file__).resolve().parents[2]
    queries = load_queries(repo / "eval" / name)
    assert queries and all(q.kind in KINDS for q in queries)
    if name == "sourcegraph.yml":
        # issue 15: at least 40 questions, mostly paraphrases
        assert len(queries) >= 40
        assert sum(q.kind == "paraphrase" for q in queries) > len(queries) / 2
