"""``spmkb index`` and ``spmkb search`` through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from spmkb.cli import app

pytestmark = pytest.mark.slow

runner = CliRunner()


def run(*args: str):
    """Invoke the CLI; stdout and stderr are kept apart."""
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def index_args(built_index, monkeypatch) -> list[str]:
    """--store/--playbooks pointing at the session index; no ambient SPMKB_* settings."""
    for var in ("SPMKB_PLAYBOOKS", "SPMKB_STORE", "SPMKB_CHROMA_URL", "SPMKB_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(built_index.settings.store.parent)
    s = built_index.settings
    return ["--store", str(s.store), "--playbooks", str(s.playbooks)]


@pytest.mark.parametrize("command", ["index", "search"])
def test_help_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example: spmkb " + command in result.output


def test_index_json_then_search_json(workspace, embedder) -> None:
    args = ["--store", str(workspace.settings.store), "--playbooks", str(workspace.root)]
    result = run("index", *args, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["embedded"] == summary["sections"] > 0 and summary["ok"] is True
    assert set(summary) >= {
        "assets",
        "sections",
        "embedded",
        "reused",
        "removed",
        "skipped",
        "seconds",
    }

    again = json.loads(run("index", *args, "--json").stdout)
    assert again["embedded"] == 0

    found = run("search", "MEDDPPICC", *args, "-k", "2", "--json")
    assert found.exit_code == 0
    data = json.loads(found.stdout)
    assert data["query"] == "MEDDPPICC" and data["mode"] == "hybrid"
    assert len(data["hits"]) == 2 and data["hits"][0]["id"] == "qualification/meddppicc"
    assert set(data["hits"][0]) >= {
        "id",
        "title",
        "type",
        "path",
        "section",
        "snippet",
        "score",
        "freshness",
    }


def test_index_human_output_and_strict(indexed_workspace) -> None:
    workspace = indexed_workspace
    args = ["--store", str(workspace.settings.store), "--playbooks", str(workspace.root)]
    (workspace.root / "broken.md").write_text("---\ntitle: [oops\n---\nbody\n")
    plain = run("index", *args)
    assert plain.exit_code == 0
    assert "Indexed 19 assets" in plain.stdout
    assert "Skipped broken.md" in plain.stderr
    strict = run("index", *args, "--strict", "--json")
    assert strict.exit_code == 1
    assert json.loads(strict.stdout)["skipped"].keys() == {"broken.md"}
    # the broken file is both skipped and a lint error (as `spmkb lint` reports it)
    assert "Error: 1 file(s) skipped, 1 lint error(s) (--strict)." in strict.stderr
    assert "Traceback" not in strict.output


def test_search_human_output(index_args) -> None:
    result = run(
        "search",
        "how do I answer a pricing objection",
        *index_args,
        "--stage",
        "negotiation",
        "-k",
        "3",
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("1. ")
    assert "objections/too-expensive.md" in result.stdout
    assert "[objection-handling, " in result.stdout
    assert "results in" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--stage", "negociation"],
            "Error: unknown stage 'negociation' — did you mean 'negotiation'?",
        ),
        (["--type", "battle-card"], "did you mean 'battlecard'?"),
        (["--mode", "fuzzy"], "Error: unknown search mode 'fuzzy'"),
    ],
    ids=["stage", "type", "mode"],
)
def test_search_bad_input_is_a_clean_error(index_args, extra: list[str], message: str) -> None:
    result = run("search", "pricing", *index_args, *extra)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_search_without_index(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SPMKB_CHROMA_URL", raising=False)
    result = run("search", "pricing", "--store", str(tmp_path / "empty"))
    assert result.exit_code == 1
    assert "run `spmkb index` first" in result.stderr
    assert not (tmp_path / "empty").exists()


def test_empty_query(index_args) -> None:
    result = run("search", "   ", *index_args)
    assert result.exit_code == 1
    assert "Error: the search query is empty" in result.stderr
