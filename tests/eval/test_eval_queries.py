"""Labeled-query YAML files: valid entries, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmkb.errors import SearchError
from spmkb.search.labels import load_queries, parse_queries

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
            "use query, relevant, filters, id, note; also line 1, field 'relevant': missing 'relevant'",
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
    ],
    ids=[
        "bad-yaml",
        "missing-relevant",
        "unknown-key",
        "bad-filter",
        "bad-grade",
        "empty-query",
        "not-a-list",
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
