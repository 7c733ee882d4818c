"""Presets: each imports its real file (shared data) or a small realistic export, plus detection."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from spmkb.config import load_settings
from spmkb.deals.presets import PRESETS, detect_preset, get_preset, load_source
from spmkb.deals.schema import PIPELINE_STAGES
from spmkb.deals.validate import check_deals
from spmkb.errors import DealDataError


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture(scope="module")
def maven_report(shared_data: Path):
    return check_deals(shared_data / "deals-maven-crm")


@pytest.mark.shared
def test_maven_counts_match_raw_csv(shared_data: Path, maven_report) -> None:
    raw = _rows(shared_data / "deals-maven-crm" / "sales_pipeline.csv")
    stages = Counter(r["deal_stage"] for r in raw)
    opps = maven_report.data.opportunities
    assert maven_report.preset == "maven"
    assert len(opps) == len(raw) == 8800
    assert maven_report.counts["rejected"] == 0
    assert (opps["status"] == "won").sum() == stages["Won"]
    assert (opps["status"] == "lost").sum() == stages["Lost"]
    assert (opps["status"] == "open").sum() == stages["Engaging"] + stages["Prospecting"]
    won_total = sum(float(r["close_value"]) for r in raw if r["deal_stage"] == "Won")
    assert opps.loc[opps["status"] == "won", "amount"].sum() == pytest.approx(won_total)
    assert set(opps["stage"].dropna()) <= set(PIPELINE_STAGES)


@pytest.mark.shared
def test_maven_reps_industry_and_estimated_amounts(shared_data: Path, maven_report) -> None:
    folder = shared_data / "deals-maven-crm"
    teams = {r["sales_agent"]: r["manager"] for r in _rows(folder / "sales_teams.csv")}
    sectors = {r["account"]: r["sector"] for r in _rows(folder / "accounts.csv")}
    prices = {
        r["product"].replace(" ", "").lower(): float(r["sales_price"])
        for r in _rows(folder / "products.csv")
    }
    reps = maven_report.data.reps.set_index("rep")
    assert len(reps) == len(teams)
    assert all(reps.loc[rep, "team"] == team for rep, team in teams.items())
    opps = maven_report.data.opportunities.set_index("id")
    raw = {r["opportunity_id"]: r for r in _rows(folder / "sales_pipeline.csv")}
    some_open = next(r for r in raw.values() if r["deal_stage"] == "Engaging" and r["account"])
    got = opps.loc[some_open["opportunity_id"]]
    assert got["industry"] == sectors[some_open["account"]]
    assert got["amount"] == prices[some_open["product"].replace(" ", "").lower()]
    assert got["stage"] == "discovery"
    assert not any(p.code == "rep_without_team" for p in maven_report.problems)


@pytest.mark.shared
def test_maven_file_path_reads_the_folder(shared_data: Path) -> None:
    report = check_deals(shared_data / "deals-maven-crm" / "sales_pipeline.csv")
    assert report.preset == "maven" and len(report.data.reps) > 0


@pytest.mark.shared
def test_salvirt_448_deals(shared_data: Path) -> None:
    path = shared_data / "deals-salvirt-b2b" / "Salvirt_B2B_ML_dataset.csv"
    raw = _rows(path, delimiter=";")
    report = check_deals(path)
    opps = report.data.opportunities
    assert report.preset == "salvirt"
    assert len(opps) == len(raw) == 448
    status = Counter(r["Status"] for r in raw)
    assert (opps["status"] == "won").sum() == status["Won"]
    assert (opps["status"] == "lost").sum() == status["Lost"]
    assert opps["id"].is_unique
    assert Counter(opps["rep"]) == Counter(r["Seller"] for r in raw)
    assert set(opps["stage"]) == {"negotiation"}


@pytest.mark.shared
def test_olist_mqls_won_and_lost(shared_data: Path) -> None:
    folder = shared_data / "deals-olist-marketing-funnel"
    mqls = {r["mql_id"]: r for r in _rows(folder / "olist_marketing_qualified_leads_dataset.csv")}
    deals = _rows(folder / "olist_closed_deals_dataset.csv")

    def day(s: str) -> datetime:
        return datetime.fromisoformat(s[:10])

    backwards = sum(
        day(d["won_date"]) < day(mqls[d["mql_id"]]["first_contact_date"]) for d in deals
    )
    report = check_deals(folder)
    opps = report.data.opportunities
    assert report.preset == "olist"
    assert report.counts["rows"] == len(mqls)
    assert report.counts["rejected"] == backwards
    assert (opps["status"] == "won").sum() == len(deals) - backwards
    assert (opps["status"] == "lost").sum() == len(mqls) - len(deals)
    assert opps.loc[opps["status"] == "lost", "rep"].isna().all()
    assert set(opps.loc[opps["status"] == "lost", "stage"]) == {"qualification"}
    assert {p.code for p in report.problems if p.severity == "error"} == (
        {"close_before_created"} if backwards else set()
    )


def test_salesforce_export(test_data: Path) -> None:
    path = test_data / "deals" / "salesforce_opportunities.csv"
    raw = _rows(path)
    report = check_deals(path)
    opps = report.data.opportunities.set_index("id")
    assert report.preset == "salesforce" and report.ok
    assert len(opps) == len(raw)
    assert (opps["status"] == "won").sum() == sum(r["Stage"] == "Closed Won" for r in raw)
    assert (opps["status"] == "lost").sum() == sum(r["Stage"] == "Closed Lost" for r in raw)
    first = opps.loc["0065g00000AbC01"]
    assert (
        first["amount"] == 48000.0
        and first["rep"] == "Dana Fox"
        and first["stage"] == "negotiation"
    )
    assert (
        str(first["created"].date()) == "2026-01-15"
        and str(first["close_date"].date()) == "2026-03-30"
    )
    assert opps.loc["0065g00000AbC05", "stage"] == "discovery"
    assert opps.loc["0065g00000AbC04", "account"] == "Umbrella, Inc."


def test_salesforce_cp1252_semicolon_export(test_data: Path) -> None:
    report = check_deals(test_data / "deals" / "salesforce_cp1252_semicolon.csv")
    opps = report.data.opportunities.set_index("id")
    assert report.preset == "salesforce" and report.ok
    assert opps.loc["006EU0001", "amount"] == 12500.0
    assert opps.loc["006EU0002", "amount"] == 8750.5
    assert opps.loc["006EU0004", "amount"] == 950.0
    assert opps.loc["006EU0002", "rep"] == "Jürgen Weiß"
    assert str(opps.loc["006EU0001", "created"].date()) == "2026-01-15"  # day-first detected
    assert opps["status"].tolist() == ["won", "open", "lost", "open"]


def test_hubspot_export_internal_ids_and_labels(test_data: Path) -> None:
    report = check_deals(test_data / "deals" / "hubspot_deals.csv")
    opps = report.data.opportunities.set_index("id")
    assert report.preset == "hubspot" and report.ok
    assert opps.loc["9101", "status"] == "won"
    assert opps.loc["9102", "status"] == "lost"
    assert opps.loc["9103", "stage"] == "negotiation"
    assert opps.loc["9104", "stage"] == "demo"
    assert opps.loc["9107", "stage"] == "prospecting"
    assert opps.loc["9101", "account"] == "Northwind Traders"


def test_hubspot_excel_export(test_data: Path, tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(test_data / "deals" / "hubspot_deals.csv")
    frame.to_excel(tmp_path / "hubspot.xlsx", index=False)
    report = check_deals(tmp_path / "hubspot.xlsx")
    assert report.preset == "hubspot" and report.ok
    assert report.data.opportunities["amount"].sum() == frame["Amount"].sum()


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        pytest.param("salesforce_opportunities.csv", "salesforce", id="salesforce"),
        pytest.param("salesforce_cp1252_semicolon.csv", "salesforce", id="salesforce-cp1252"),
        pytest.param("hubspot_deals.csv", "hubspot", id="hubspot"),
        pytest.param("rep_without_team", "canonical", id="canonical-folder"),
    ],
)
def test_detect_preset(test_data: Path, name: str, preset: str) -> None:
    assert detect_preset(test_data / "deals" / name) == preset


def test_undetectable_file_says_what_to_do(test_data: Path) -> None:
    with pytest.raises(DealDataError, match="cannot tell which CRM export") as err:
        check_deals(test_data / "deals" / "custom_crm.csv")
    assert "--preset" in str(err.value) and "[deals] columns" in str(err.value)


def test_unknown_preset_suggests() -> None:
    with pytest.raises(DealDataError, match="unknown preset 'salesfroce'") as err:
        get_preset("salesfroce")
    assert "did you mean 'salesforce'" in str(err.value)


def _toml(tmp_path: Path, body: str):
    (tmp_path / "spmkb.toml").write_text(body, encoding="utf-8")
    return load_settings(cwd=tmp_path, environ={})


MAPPING = """
[deals]
columns = {id = "Deal Id", rep = "Owner", stage = "Phase", amount = "Value", created = "Opened", close_date = "Closed On", account = "Customer"}
[deals.stages]
"Discovery Call" = "discovery"
"Solution Demo" = "demo"
"""


def test_mapping_route_from_spmkb_toml(test_data: Path, tmp_path: Path) -> None:
    settings = _toml(tmp_path, MAPPING)
    report = check_deals(test_data / "deals" / "custom_crm.csv", settings=settings)
    opps = report.data.opportunities.set_index("id")
    assert report.preset == "mapping" and report.ok
    assert opps["stage"].to_dict() == {
        "C-1": "negotiation",
        "C-2": "discovery",
        "C-3": "negotiation",
        "C-4": "demo",
    }
    assert opps["status"].tolist() == ["won", "open", "lost", "open"]
    assert opps.loc["C-4", "account"] == "Delta"


def test_mapping_missing_required_column(test_data: Path, tmp_path: Path) -> None:
    settings = _toml(
        tmp_path, '[deals]\ncolumns = {id = "Deal Id", rep = "Owner", stage = "Phase"}\n'
    )
    with pytest.raises(DealDataError) as err:
        check_deals(test_data / "deals" / "custom_crm.csv", preset="mapping", settings=settings)
    text = str(err.value)
    assert "custom_crm.csv" in text and "amount" in text and "created" in text
    assert "[deals] columns" in text


def test_mapping_column_not_in_file(test_data: Path, tmp_path: Path) -> None:
    settings = _toml(tmp_path, MAPPING.replace('"Value"', '"Valeu"'))
    with pytest.raises(DealDataError, match="column 'Valeu'") as err:
        check_deals(test_data / "deals" / "custom_crm.csv", preset="mapping", settings=settings)
    assert "did you mean 'Value'" in str(err.value)


def test_mapping_bad_stage_target(test_data: Path, tmp_path: Path) -> None:
    settings = _toml(tmp_path, MAPPING + '"Closed Won" = "victory"\n')
    with pytest.raises(DealDataError, match="not a stage"):
        check_deals(test_data / "deals" / "custom_crm.csv", settings=settings)


def test_stage_mapping_extends_a_preset(test_data: Path, tmp_path: Path) -> None:
    settings = _toml(tmp_path, '[deals.stages]\n"Negotation/Review" = "negotiation"\n')
    report = check_deals(
        test_data / "deals" / "bad_unknown_stage.csv", preset="salesforce", settings=settings
    )
    assert report.ok


def test_every_preset_has_a_description() -> None:
    assert all(p.description and p.columns for p in PRESETS.values())


def test_load_source_keeps_row_numbers(test_data: Path) -> None:
    src = load_source(test_data / "deals" / "hubspot_deals.csv")
    assert src.frame.index[0] == 2 and src.frame.index[-1] == len(src.frame) + 1


def test_detect_reads_only_the_header_of_a_large_file(test_data: Path, tmp_path: Path) -> None:
    src = (test_data / "deals" / "salesforce_opportunities.csv").read_text(encoding="utf-8")
    header, *rows = src.splitlines()
    big = tmp_path / "big.csv"
    big.write_text("\n".join([header, *(rows * 200)]) + "\n", encoding="utf-8")
    assert big.stat().st_size > 64 * 1024
    assert detect_preset(big) == "salesforce"
    report = check_deals(big)
    assert report.counts["rows"] == len(rows) * 200
    assert report.by_rule()["duplicate_id"]["count"] == len(rows) * 199
