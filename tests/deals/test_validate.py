"""Validation rules (one bad file each), currency handling, rejects, parsing helpers and the store."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from spmkb.config import Settings, load_settings
from spmkb.deals.parse import parse_amounts, parse_dates
from spmkb.deals.store import save_deal_data
from spmkb.deals.validate import RULES, check_deals
from spmkb.deals.workspace import import_deals, load_deal_data
from spmkb.errors import DealDataError

BAD_ROW = 4  # header = row 1: the bad row is the third data row in every bad_*.csv


def _settings(tmp_path: Path, toml: str = ""):
    if toml:
        (tmp_path / "spmkb.toml").write_text(toml, encoding="utf-8")
    return load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})


def _data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


@pytest.mark.parametrize(
    ("name", "code", "field", "value", "text"),
    [
        pytest.param(
            "bad_missing_required.csv",
            "missing_required",
            "Opportunity Owner",
            None,
            "rep is required but 'Opportunity Owner' is empty",
            id="missing-required",
        ),
        pytest.param(
            "bad_date.csv",
            "bad_date",
            "Created Date",
            "2026-13-45",
            "cannot read date '2026-13-45'",
            id="unparsable-date",
        ),
        pytest.param(
            "bad_negative_amount.csv",
            "negative_amount",
            "Amount",
            "-1500",
            "amount '-1500' is negative",
            id="negative-amount",
        ),
        pytest.param(
            "bad_amount_not_number.csv",
            "bad_amount",
            "Amount",
            "about 1500",
            "amount 'about 1500' is not a number",
            id="amount-not-a-number",
        ),
        pytest.param(
            "bad_close_before_created.csv",
            "close_before_created",
            "Close Date",
            "2026-01-01",
            "close date 2026-01-01 is before created date 2026-03-08",
            id="close-before-created",
        ),
        pytest.param(
            "bad_duplicate_id.csv",
            "duplicate_id",
            "Opportunity ID",
            "006A1",
            "duplicate id '006A1' (first used on row 2)",
            id="duplicate-id",
        ),
        pytest.param(
            "bad_unknown_stage.csv",
            "unknown_stage",
            "Stage",
            "Negotation/Review",
            "did you mean 'Negotiation/Review'?",
            id="unknown-stage",
        ),
        pytest.param(
            "bad_mixed_currency.csv",
            "mixed_currency",
            "Amount Currency",
            "EUR",
            "amount in 'EUR' but most deals are in USD",
            id="mixed-currency",
        ),
        pytest.param(
            "bad_flag.csv",
            "bad_flag",
            "Won",
            "maybe",
            "Won flag 'maybe' is not true/false",
            id="bad-flag",
        ),
    ],
)
def test_each_rule_rejects_the_bad_row(
    test_data: Path, tmp_path: Path, name: str, code: str, field: str, value: str | None, text: str
) -> None:
    path = test_data / "deals" / name
    report = check_deals(path, preset="salesforce", settings=_settings(tmp_path))
    errors = [p for p in report.problems if p.severity == "error"]
    assert [(p.code, p.row, p.field, p.value) for p in errors] == [(code, BAD_ROW, field, value)]
    assert text in errors[0].message
    assert report.counts["rejected"] == 1
    assert report.counts["loaded"] == _data_rows(path) - 1  # the valid rest loads
    assert report.rejected["row"].tolist() == [BAD_ROW]
    assert text in report.rejected["reason"].iloc[0]
    assert {"Opportunity ID", "Stage", "row", "reason"} <= set(report.rejected.columns)
    assert report.by_rule()[code]["count"] == 1
    assert code in RULES


def test_rep_without_team_is_a_warning_and_loads(test_data: Path) -> None:
    report = check_deals(test_data / "deals" / "rep_without_team")
    warnings = [p for p in report.problems if p.code == "rep_without_team"]
    assert report.ok and report.counts["loaded"] == 5
    assert [(p.severity, p.value, p.row) for p in warnings] == [
        ("warning", "Nova Quinn", 4),
        ("warning", "Rae Stone", 6),
    ]
    assert "(2 deals)" in warnings[0].message
    assert set(report.data.reps["rep"]) == {"Dana Fox", "Lee Park", "Rae Stone"}


def test_currency_conversion_with_rates(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[deals]\ncurrency = "USD"\nrates = {EUR = 1.08}\n')
    report = check_deals(
        test_data / "deals" / "bad_mixed_currency.csv", preset="salesforce", settings=settings
    )
    opps = report.data.opportunities.set_index("id")
    assert report.ok
    assert opps.loc["006A3", "amount"] == pytest.approx(1500 * 1.08)
    assert set(opps["currency"]) == {"USD"}


def test_currency_without_a_rate_is_rejected(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[deals]\ncurrency = "GBP"\nrates = {USD = 0.79}\n')
    report = check_deals(
        test_data / "deals" / "bad_mixed_currency.csv", preset="salesforce", settings=settings
    )
    assert [(p.code, p.row) for p in report.problems if p.severity == "error"] == [
        ("mixed_currency", BAD_ROW)
    ]
    assert "no rate to GBP" in report.rejected["reason"].iloc[0]
    assert report.data.opportunities["amount"].iloc[0] == pytest.approx(1000 * 0.79)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text(
        "Opportunity ID,Opportunity Owner,Stage,Amount,Created Date\n"
        "1,Ann,Prospecting,-5,2026-01-01\n"
        ",,Nowhere,abc,yesterday\n"
        "3,Bo,Qualification,10,2026-01-02\n",
        encoding="utf-8",
    )
    report = check_deals(path, preset="salesforce")
    codes = sorted(p.code for p in report.problems if p.severity == "error")
    assert codes == [
        "bad_amount",
        "bad_date",
        "missing_required",
        "missing_required",
        "negative_amount",
        "unknown_stage",
    ]
    assert report.counts == {**report.counts, "rows": 3, "loaded": 1, "rejected": 2}
    reason = report.rejected.set_index("row").loc[3, "reason"]
    assert (
        "unknown stage 'Nowhere'" in reason and "amount 'abc'" in reason and "'yesterday'" in reason
    )


def test_to_dict_lists_all_problems(test_data: Path) -> None:
    report = check_deals(test_data / "deals" / "bad_date.csv", preset="salesforce")
    d = report.to_dict()
    assert d["ok"] is False and d["counts"]["rejected"] == 1
    assert d["rules"]["bad_date"]["count"] == 1
    assert d["problems"][0]["row"] == BAD_ROW


def test_first_five_examples_per_rule(tmp_path: Path) -> None:
    rows = "".join(f"{i},Ann,Prospecting,-{i},2026-01-01\n" for i in range(12))
    path = tmp_path / "neg.csv"
    path.write_text(
        "Opportunity ID,Opportunity Owner,Stage,Amount,Created Date\n" + rows, encoding="utf-8"
    )
    rule = check_deals(path, preset="salesforce").by_rule()["negative_amount"]
    assert rule["count"] == 11 and len(rule["examples"]) == 5  # id 0 has amount -0 = 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            ["1,234.50", "$ 1 234", "(500)", "EUR 3.5", "12"],
            [1234.5, 1234.0, -500.0, 3.5, 12.0],
            id="us",
        ),
        pytest.param(
            ["1.234,50", "1.234", "950,00", "€ 5,5"], [1234.5, 1234.0, 950.0, 5.5], id="european"
        ),
        pytest.param(["1\u00a0000", "2'500.75"], [1000.0, 2500.75], id="spaces-apostrophe"),
    ],
)
def test_parse_amounts(values: list[str], expected: list[float]) -> None:
    num, bad = parse_amounts(pd.Series(values, dtype="str"))
    assert num.tolist() == expected and not bad.any()


def test_parse_dates_formats_and_bad_values() -> None:
    got, bad = parse_dates(
        pd.Series(["2026-01-05", "2026-02-30", None, "2026-03-01 10:00:00"], dtype="str")
    )
    assert [str(d.date()) if not pd.isna(d) else None for d in got] == [
        "2026-01-05",
        None,
        None,
        "2026-03-01",
    ]
    assert bad.tolist() == [False, True, False, False]
    us, _ = parse_dates(pd.Series(["03/04/2026", "12/31/2026"], dtype="str"))
    assert str(us[0].date()) == "2026-03-04"
    eu, _ = parse_dates(pd.Series(["03/04/2026", "31/12/2026"], dtype="str"))
    assert str(eu[0].date()) == "2026-04-03"


def test_import_saves_and_writes_rejects(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    report = import_deals(
        test_data / "deals" / "bad_date.csv", preset="salesforce", settings=settings
    )
    assert report.saved_to == settings.deals_store
    assert report.rejects_path == settings.deals_store / "bad_date.rejects.csv"
    rejects = pd.read_csv(report.rejects_path, dtype=str)
    assert rejects["row"].tolist() == [str(BAD_ROW)] and "2026-13-45" in rejects["reason"][0]
    data = load_deal_data(settings)
    assert len(data.opportunities) == 3
    assert data.opportunities["created"].dtype == "datetime64[ns]"
    pd.testing.assert_frame_equal(data.opportunities, report.data.opportunities)


def test_import_replaces_previous_import(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    import_deals(test_data / "deals" / "bad_date.csv", preset="salesforce", settings=settings)
    import_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings)
    assert not list(settings.deals_store.glob("*.rejects.csv"))
    assert len(load_deal_data(settings).opportunities) == 7
    assert [p.name for p in settings.deals_store.parent.iterdir()] == [
        "deals"
    ]  # no temp folders left


def test_failed_import_keeps_the_previous_data(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    import_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings)
    with pytest.raises(DealDataError):
        import_deals(test_data / "deals" / "empty.csv", preset="hubspot", settings=settings)
    assert len(load_deal_data(settings).opportunities) == 7


def test_save_failure_restores_old_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = check_deals(Path(__file__).parents[1] / "data" / "deals" / "hubspot_deals.csv").data
    folder = tmp_path / "deals"
    save_deal_data(data, folder)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(DealDataError, match="cannot save deal data"):
        save_deal_data(data, folder)
    monkeypatch.undo()
    assert len(load_deal_data(Settings(), folder=folder).opportunities) == 7
    assert [p.name for p in tmp_path.iterdir()] == ["deals"]


def test_load_without_import_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DealDataError, match="no deal data imported yet") as err:
        load_deal_data(_settings(tmp_path))
    assert "spmkb deals import" in str(err.value)


def test_load_from_settings_deals_file(test_data: Path, tmp_path: Path) -> None:
    src = test_data / "deals" / "hubspot_deals.csv"
    settings = _settings(tmp_path, f'deals = "{src.as_posix()}"\n')
    assert len(load_deal_data(settings).opportunities) == 7


def test_docs_cover_schema_rules_and_presets(repo_root: Path) -> None:
    from spmkb.deals.presets import PRESET_NAMES
    from spmkb.deals.schema import TABLES

    doc = (repo_root / "docs" / "deal-data.md").read_text(encoding="utf-8")
    missing = [f"{t}.{c}" for t, cols in TABLES.items() for c in cols if f"| `{c}` |" not in doc]
    missing += [code for code in RULES if f"`{code}`" not in doc]
    missing += [name for name in PRESET_NAMES if f"`{name}`" not in doc]
    assert missing == []


def test_closed_stage_from_stage_history(tmp_path: Path) -> None:
    folder = tmp_path / "deals"
    folder.mkdir()
    (folder / "opportunities.csv").write_text(
        "id,rep,stage,status,amount,created\n"
        "A,Ann,,won,10,2026-01-01\n"
        "B,Ann,,lost,20,2026-01-01\n"
        "C,Ann,demo,open,30,2026-01-01\n",
        encoding="utf-8",
    )
    (folder / "stage_history.csv").write_text(
        "opportunity_id,stage,entered_at\n"
        "A,qualification,2026-01-02\nA,proposal,2026-01-09\nA,demo,2026-01-05\n",
        encoding="utf-8",
    )
    report = check_deals(folder)
    opps = report.data.opportunities.set_index("id")
    assert report.ok
    assert opps["stage"].to_dict() == {"A": "proposal", "B": "negotiation", "C": "demo"}
    assert len(report.data.stage_history) == 3


def test_parquet_export_row_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "rep": ["Ann", "Bo", "Cy"],
            "stage": ["demo", "proposal", "won"],
            "amount": [1.0, -2.0, 3.0],
            "created": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
        }
    )
    frame.to_parquet(tmp_path / "deals.parquet")
    report = check_deals(tmp_path / "deals.parquet")
    assert report.preset == "canonical"
    assert [(p.code, p.row) for p in report.problems if p.severity == "error"] == [
        ("negative_amount", 3)
    ]


def test_default_preset_from_spmkb_toml(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[deals]\npreset = "hubspot"\n')
    assert (
        check_deals(test_data / "deals" / "hubspot_deals.csv", settings=settings).preset
        == "hubspot"
    )
