"""Importing into the workspace: an import with no valid row never empties the deal data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.config import load_settings
from spmkb.deals.workspace import import_deals, load_deal_data
from spmkb.errors import DealDataError

runner = CliRunner()


def _settings(tmp_path: Path):
    return load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})


@pytest.fixture()
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run commands from an empty folder (no spmkb.toml above it) with no SPMKB_* variables."""
    monkeypatch.chdir(tmp_path)
    for var in ("SPMKB_STORE", "SPMKB_CONFIG", "SPMKB_DEALS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_header_only_file_keeps_previous_data(test_data: Path, tmp_path: Path) -> None:
    """hubspot_deals.csv has 7 valid rows; header_only.csv has a header and no data row.

    Importing header_only.csv afterwards saves nothing: the 7 deals stay.
    """
    settings = _settings(tmp_path)
    import_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings)
    report = import_deals(
        test_data / "deals" / "header_only.csv", preset="salesforce", settings=settings
    )
    assert report.saved_to is None
    assert report.counts["rows"] == 0
    assert report.outcome.startswith("nothing saved: the file has no data rows; ")
    assert "the previous import (7 deals from hubspot_deals.csv" in report.outcome
    assert "--allow-empty" in report.outcome
    assert len(load_deal_data(settings).opportunities) == 7


def test_all_rejected_file_keeps_previous_data_and_writes_rejects(
    test_data: Path, tmp_path: Path
) -> None:
    """all_rejected.csv: 3 rows, each with one error (amount 'about 1000', no owner, 2026-13-45).

    Nothing is saved (the 7 hubspot deals stay); the 3 rejected rows go to
    ``<store>/all_rejected.rejects.csv`` next to the deal folder.
    """
    settings = _settings(tmp_path)
    import_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings)
    report = import_deals(
        test_data / "deals" / "all_rejected.csv", preset="salesforce", settings=settings
    )
    assert (report.counts["rows"], report.counts["rejected"]) == (3, 3)
    assert report.saved_to is None
    assert report.outcome.startswith("nothing saved: every row was rejected; ")
    assert report.rejects_path == settings.store / "all_rejected.rejects.csv"
    rejects = pd.read_csv(report.rejects_path, dtype=str)
    assert rejects["Opportunity ID"].tolist() == ["006R1", "006R2", "006R3"]
    assert len(load_deal_data(settings).opportunities) == 7


def test_first_import_with_no_valid_row_saves_nothing(test_data: Path, tmp_path: Path) -> None:
    """No previous import and no valid row: still nothing saved, and loading says so."""
    settings = _settings(tmp_path)
    report = import_deals(
        test_data / "deals" / "header_only.csv", preset="salesforce", settings=settings
    )
    assert report.saved_to is None
    assert "there was no previous import" in report.outcome
    with pytest.raises(DealDataError, match="no deal data imported yet"):
        load_deal_data(settings)


def test_allow_empty_replaces_with_no_deals(test_data: Path, tmp_path: Path) -> None:
    """With allow_empty the header-only import replaces the 7 deals by 0."""
    settings = _settings(tmp_path)
    import_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings)
    report = import_deals(
        test_data / "deals" / "header_only.csv",
        preset="salesforce",
        settings=settings,
        allow_empty=True,
    )
    assert report.saved_to == settings.deals_store
    assert len(load_deal_data(settings).opportunities) == 0


def test_cli_header_only_exits_1_and_keeps_data(in_tmp: Path, test_data: Path) -> None:
    """`spmkb deals import header_only.csv` exits 1 and says the previous 7 deals are kept."""
    ok = runner.invoke(
        app, ["deals", "import", str(test_data / "deals" / "hubspot_deals.csv"), "--store", "ws"]
    )
    assert ok.exit_code == 0, ok.output
    args = ["deals", "import", str(test_data / "deals" / "header_only.csv"), "--store", "ws"]
    result = runner.invoke(app, [*args, "--preset", "salesforce"])
    assert result.exit_code == 1, result.output
    assert "Nothing saved: the file has no data rows;" in result.output
    assert "the previous import (7 deals from hubspot_deals.csv" in result.output
    settings = load_settings({"store": "ws"}, cwd=in_tmp, environ={})
    assert len(load_deal_data(settings).opportunities) == 7
    forced = runner.invoke(app, [*args, "--preset", "salesforce", "--allow-empty", "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["outcome"].startswith("saved 0 deals to ")
    assert len(load_deal_data(settings).opportunities) == 0


def test_cli_all_rejected_exits_1_and_keeps_data(in_tmp: Path, test_data: Path) -> None:
    """`spmkb deals import all_rejected.csv` exits 1; the 7 hubspot deals stay loaded."""
    runner.invoke(
        app, ["deals", "import", str(test_data / "deals" / "hubspot_deals.csv"), "--store", "ws"]
    )
    result = runner.invoke(
        app,
        ["deals", "import", str(test_data / "deals" / "all_rejected.csv"), "--store", "ws"],
    )
    assert result.exit_code == 1, result.output
    assert "Nothing saved: every row was rejected;" in result.output
    assert f"Rejected rows written to {in_tmp / 'ws' / 'all_rejected.rejects.csv'}" in result.output
    settings = load_settings({"store": "ws"}, cwd=in_tmp, environ={})
    assert len(load_deal_data(settings).opportunities) == 7


def test_store_and_validate_do_not_import_each_other() -> None:
    """store.py reads/writes folders, validate.py validates; only workspace.py joins them."""
    import ast

    import spmkb.deals.store as store
    import spmkb.deals.validate as validate

    def imported(module) -> set[str]:
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        return {
            n.module or ""
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("spmkb")
        } | {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}

    assert "spmkb.deals.validate" not in imported(store)
    assert "spmkb.deals.store" not in imported(validate)
    assert "spmkb.deals.workspace" not in imported(store) | imported(validate)
