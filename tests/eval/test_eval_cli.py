"""``spmkb eval`` over real indexes built with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "eval"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Invoke ``spmkb`` in an empty folder with no SPMKB_* variables."""
    for var in (
        "SPMKB_PLAYBOOKS",
        "SPMKB_STORE",
        "SPMKB_CHROMA_URL",
        "SPMKB_CONFIG",
        "SPMKB_MODEL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_help_has_example(cli) -> None:
    result = cli("eval", "--help")
    assert result.exit_code == 0
    assert "Example: spmkb eval eval/queries.yml --mode all" in result.output


def test_yaml_error_is_one_line(cli) -> None:
    result = cli("eval", DATA / "bad_filter.yml", "--store", "nowhere")
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {DATA}/bad_filter.yml:2, field 'filters.stag': unknown filter"
    )


MISSING = "onboarding checklist for a new warehouse robot"  # its answer is not in the corpus


@pytest.mark.slow
def test_eval_small_set_json(cli, built_index) -> None:
    result = cli(
        "eval",
        DATA / "small.yml",
        "--store",
        built_index.settings.store,
        "--playbooks",
        built_index.playbooks,
        "--mode",
        "all",
        "--no-index",
        "--json",
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["kind"] == "yaml"
    assert run["index"] is None  # --no-index
    assert set(run["reports"]) == {"hybrid", "semantic", "lexical"}
    for mode, report in run["reports"].items():
        per_query = {q["query"]: q for q in report["per_query"]}
        missing = per_query.pop(MISSING)
        # the metrics can fail: nothing relevant exists for this query
        assert missing["metrics"] == {"recall@5": 0, "recall@10": 0, "mrr@10": 0, "ndcg@10": 0}
        assert missing["missed"] == ["robotics/warehouse-robot-onboarding"]
        assert report["unknown_relevant"] == {MISSING: ["robotics/warehouse-robot-onboarding"]}
        # each remaining query names its answer in the asset's title: all are found
        for q in per_query.values():
            assert q["missed"] == [], (mode, q)
            assert q["metrics"]["recall@5"] == 1.0
        assert per_query["qualifying deals with MEDDPPICC"]["found"] == {
            "qualification/meddppicc.md": 1
        }
        overall = report["metrics"]
        assert overall["recall@5"] == pytest.approx(4 / 5)
        assert overall["recall@10"] == pytest.approx(4 / 5)
        mean_mrr = sum(q["metrics"]["mrr@10"] for q in report["per_query"]) / 5
        assert overall["mrr@10"] == pytest.approx(mean_mrr, abs=1e-4)
        assert overall["mrr@10"] < 1.0
        assert run["summary"][mode] == overall


@pytest.mark.slow
def test_eval_small_set_text(cli, built_index) -> None:
    result = cli(
        "eval",
        DATA / "small.yml",
        "--store",
        built_index.settings.store,
        "--playbooks",
        built_index.playbooks,
        "--mode",
        "lexical",
        "--misses",
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{DATA / 'small.yml'}: 5 queries, top 10 "
        f"(index: {built_index.summary.assets} assets, 0 sections embedded now, "
        f"{built_index.summary.sections} reused)"
    )
    assert lines[1].split() == [
        "mode",
        "recall@5",
        "recall@10",
        "mrr@10",
        "ndcg@10",
        "median",
        "ms",
    ]
    assert lines[2].split()[:3] == ["lexical", "0.800", "0.800"]
    assert (
        lines[3] == f"[lexical] '{MISSING}' (line 13): missed robotics/warehouse-robot-onboarding"
    )
    assert (
        f"Warning: '{MISSING}' lists ids not in the index: robotics/warehouse-robot-onboarding"
        in result.stderr
    )


@pytest.mark.slow
def test_eval_beir_folder_indexes_once(cli, embedder, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = cli("eval", DATA / "beir-tiny", "--store", store, "--mode", "all", "--json")
    assert first.exit_code == 0, first.output
    run = json.loads(first.stdout)
    assert run["kind"] == "beir"
    assert run["store"] == str(store / "beir-beir-tiny" / "store")
    assert run["index"]["assets"] == 4
    assert run["index"]["embedded"] == run["index"]["sections"] > 0
    for report in run["reports"].values():
        by_id = {q["id"]: q for q in report["per_query"]}
        assert set(by_id) == {"q1", "q2"}
        assert by_id["q1"]["found"]["d1"] == 1  # the flutter paper answers the flutter question
        assert by_id["q2"]["found"] == {"d-3": 1}  # "D 3" became asset id d-3
    again = cli("eval", DATA / "beir-tiny", "--store", store, "--mode", "hybrid", "--json")
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout)
    assert rerun["index"]["embedded"] == 0  # the corpus is embedded once, then reused
    assert rerun["summary"]["hybrid"] == run["summary"]["hybrid"]


@pytest.mark.slow
def test_eval_set_with_own_library_reports_kinds(cli, embedder, tmp_path: Path) -> None:
    """library.yml names tests/data/search/playbooks: indexed under <store>/eval-playbooks."""
    store = tmp_path / "store"
    result = cli("eval", DATA / "library.yml", "--store", store, "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["store"] == str(store / "eval-playbooks" / "store")
    assert run["index"]["assets"] > 0
    kinds = run["by_kind"]["hybrid"]
    assert list(kinds) == ["keyword"]
    assert kinds["keyword"]["n"] == 1
    assert kinds["keyword"]["metrics"]["recall@10"] == 1.0  # the title names MEDDPPICC
    text = cli("eval", DATA / "library.yml", "--store", store, "--no-index")
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[3] == "By query kind (n = queries of that kind):"
    assert lines[4].split()[:4] == ["mode", "kind", "n", "recall@5"]
    assert lines[5].split()[:4] == ["hybrid", "keyword", "1", "1.000"]
