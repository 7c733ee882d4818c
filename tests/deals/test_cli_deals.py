"""`spmkb deals check|import` through Typer's CliRunner: exit codes, output, --json, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spmkb.cli import app

runner = CliRunner()


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run commands from an empty folder (no spmkb.toml above it) with no SPMKB_* variables."""
    monkeypatch.chdir(tmp_path)
    for var in ("SPMKB_STORE", "SPMKB_CONFIG", "SPMKB_DEALS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_check_valid_file_exits_0(in_tmp: Path, test_data: Path) -> None:
    result = runner.invoke(app, ["deals", "check", str(test_data / "deals" / "hubspot_deals.csv")])
    assert result.exit_code == 0, result.output
    assert (
        "(preset hubspot): 7 rows, 7 valid (won 1 · lost 1 · open 5), 0 rejected." in result.output
    )
    assert not (in_tmp / ".spmkb").exists()  # check saves nothing


def test_check_bad_file_exits_1_with_examples(in_tmp: Path, test_data: Path) -> None:
    result = runner.invoke(
        app, ["deals", "check", str(test_data / "deals" / "bad_unknown_stage.csv")]
    )
    assert result.exit_code == 1
    assert "1 rejected" in result.output
    assert "unknown_stage (error): 1" in result.output
    assert (
        "row 4, field 'Stage': error: unknown stage 'Negotation/Review' (did you mean 'Negotiation/Review'?)"
        in result.output
    )


def test_check_json(in_tmp: Path, test_data: Path) -> None:
    result = runner.invoke(
        app,
        [
            "deals",
            "check",
            str(test_data / "deals" / "bad_date.csv"),
            "--preset",
            "salesforce",
            "--json",
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["counts"]["rejected"] == 1 and data["preset"] == "salesforce"
    assert (
        data["problems"][0] | {"row": 4, "code": "bad_date", "field": "Created Date"}
        == data["problems"][0]
    )


def test_import_writes_store_and_rejects(in_tmp: Path, test_data: Path) -> None:
    result = runner.invoke(
        app, ["deals", "import", str(test_data / "deals" / "bad_duplicate_id.csv"), "--store", "ws"]
    )
    assert result.exit_code == 1, result.output
    rejects = in_tmp / "ws" / "deals" / "bad_duplicate_id.rejects.csv"
    assert rejects.is_file()
    assert f"Rejected rows written to {rejects}" in result.output
    assert "Saved 3 deals to" in result.output
    assert (in_tmp / "ws" / "deals" / "opportunities.parquet").is_file()


def test_import_clean_file_exits_0_json(in_tmp: Path, test_data: Path) -> None:
    result = runner.invoke(
        app,
        [
            "deals",
            "import",
            str(test_data / "deals" / "salesforce_opportunities.csv"),
            "--store",
            "ws",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["counts"]["loaded"] == 10 and data["rejects_path"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["deals", "check", "nope.csv"], "Error: nope.csv: file not found", id="missing-file"
        ),
        pytest.param(
            ["deals", "import", "nope.csv"],
            "Error: nope.csv: file not found",
            id="missing-file-import",
        ),
        pytest.param(["deals", "check", "{data}/empty.csv"], "the file is empty", id="empty"),
        pytest.param(
            ["deals", "check", "{data}/not_a_table.csv"],
            "is not a CSV, Parquet or Excel table",
            id="not-a-table",
        ),
        pytest.param(
            ["deals", "check", "{data}/hubspot_deals.csv", "--preset", "hubspt"],
            "unknown preset 'hubspt' — did you mean 'hubspot'?",
            id="unknown-preset",
        ),
        pytest.param(
            ["deals", "check", "{data}/custom_crm.csv"],
            "cannot tell which CRM export",
            id="undetectable",
        ),
    ],
)
def test_errors_without_traceback(
    in_tmp: Path, test_data: Path, args: list[str], message: str
) -> None:
    args = [a.replace("{data}", str(test_data / "deals")) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["check", "import"])
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, ["deals", command, "--help"])
    assert result.exit_code == 0
    assert "Example: spmkb deals" in result.output


def test_deals_commands_do_not_import_torch_or_chromadb(test_data: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner; from spmkb.cli import app; "
        f"CliRunner().invoke(app, ['deals', 'check', {str(test_data / 'deals' / 'hubspot_deals.csv')!r}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'chromadb', 'sentence_transformers'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.shared
def test_import_maven_folder_end_to_end(in_tmp: Path, shared_data: Path) -> None:
    from spmkb.config import load_settings
    from spmkb.deals.workspace import load_deal_data

    result = runner.invoke(
        app, ["deals", "import", str(shared_data / "deals-maven-crm"), "--store", "ws", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["preset"] == "maven" and report["counts"]["loaded"] == 8800
    data = load_deal_data(load_settings({"store": "ws"}, cwd=in_tmp, environ={}))
    assert len(data.opportunities) == 8800 and len(data.reps) == report["counts"]["reps"]
