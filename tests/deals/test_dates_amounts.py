"""Awkward values in real exports: out-of-range dates, UTC offsets, non-ASCII digits, closed deals without a close date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from spmkb.cli import app
from spmkb.config import load_settings
from spmkb.deals.validate import check_deals
from spmkb.errors import ConfigError

runner = CliRunner()


def _settings(tmp_path: Path, toml: str = ""):
    (tmp_path / "spmkb.toml").write_text(toml, encoding="utf-8")
    return load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})


def _problems(report, code: str) -> list[tuple[int, str, str]]:
    return [(p.row, p.severity, p.message) for p in report.problems if p.code == code]


def test_far_future_date_is_a_row_error(test_data: Path, tmp_path: Path) -> None:
    """far_future_date.csv: 4 rows; row 4 (006F3) closes 9999-12-31, past 2262-04-11.

    That row is rejected with a date_out_of_range error; the other 3 load.
    """
    report = check_deals(
        test_data / "deals" / "far_future_date.csv",
        preset="salesforce",
        settings=_settings(tmp_path),
    )
    assert (report.counts["loaded"], report.counts["rejected"]) == (3, 1)
    [(row, severity, message)] = _problems(report, "date_out_of_range")
    assert (row, severity) == (4, "error")
    assert message.startswith("date '9999-12-31' in 'Close Date' is outside 1677-09-22..2262-04-11")
    assert 'far_future_dates = "empty"' in message
    assert set(report.data.opportunities["id"]) == {"006F1", "006F2", "006F4"}


def test_far_future_date_as_empty_when_configured(test_data: Path, tmp_path: Path) -> None:
    """With far_future_dates = "empty", 006F3 loads with no close date and a warning."""
    settings = _settings(tmp_path, '[deals]\nfar_future_dates = "empty"\n')
    report = check_deals(
        test_data / "deals" / "far_future_date.csv", preset="salesforce", settings=settings
    )
    assert (report.counts["loaded"], report.counts["rejected"]) == (4, 0)
    [(row, severity, message)] = _problems(report, "date_out_of_range")
    assert (row, severity) == (4, "warning") and message.endswith(": read as no date")
    opps = report.data.opportunities.set_index("id")
    assert pd.isna(opps.loc["006F3", "close_date"])


def test_bad_policy_value_names_the_setting(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[deals]\nfar_future_dates = "drop"\n')
    with pytest.raises(ConfigError, match="far_future_dates = 'drop' is not one of: reject, empty"):
        check_deals(test_data / "deals" / "far_future_date.csv", settings=settings)


def test_cli_check_far_future_date_has_no_traceback(test_data: Path) -> None:
    result = runner.invoke(
        app, ["deals", "check", str(test_data / "deals" / "far_future_date.csv")]
    )
    assert result.exit_code == 1
    assert "date_out_of_range (error): 1" in result.output
    assert not isinstance(result.exception, Exception)  # exit 1 (SystemExit), not a crash


def test_non_ascii_digits_in_amounts(test_data: Path, tmp_path: Path) -> None:
    """non_ascii_digits.csv amounts: ١٢٣ (Arabic-Indic) = 123, १२ (Devanagari) = 12, "1,500" = 1500,
    and ١٢ألف ("12 thousand" in words) is not a number: row 5 is rejected with bad_amount."""
    report = check_deals(
        test_data / "deals" / "non_ascii_digits.csv",
        preset="salesforce",
        settings=_settings(tmp_path),
    )
    amounts = report.data.opportunities.set_index("id")["amount"].to_dict()
    assert amounts == {"006N1": 123.0, "006N2": 12.0, "006N3": 1500.0}
    [(row, severity, message)] = _problems(report, "bad_amount")
    assert (row, severity) == (5, "error") and message == "amount '١٢ألف' is not a number"


def test_utc_offsets_keep_the_local_date(test_data: Path, tmp_path: Path) -> None:
    """utc_offset_dates.csv: 006T1 closes 2026-03-31T23:30-05:00 — in UTC that is 1 April
    04:30 (Q2), but the deal closed on 31 March where it was recorded, so it stays in Q1.
    006T3 closes 2026-06-30T18:00+02:00: 30 June 18:00 as written."""
    report = check_deals(
        test_data / "deals" / "utc_offset_dates.csv",
        preset="salesforce",
        settings=_settings(tmp_path),
    )
    opps = report.data.opportunities.set_index("id")
    assert str(opps.loc["006T1", "close_date"]) == "2026-03-31 23:30:00"
    assert opps.loc["006T1", "close_date"].quarter == 1
    assert str(opps.loc["006T2", "close_date"]) == "2026-03-31 23:30:00"
    assert str(opps.loc["006T3", "close_date"]) == "2026-06-30 18:00:00"
    assert str(opps.loc["006T1", "created"]) == "2026-01-05 09:00:00"


def test_utc_offsets_convert_to_the_company_time_zone(test_data: Path, tmp_path: Path) -> None:
    """With timezone = "Europe/Berlin" (UTC+2 from 29 March 2026):
    23:30-05:00 on 31 March = 04:30 UTC on 1 April = 06:30 in Berlin (Q2);
    23:30Z on 31 March = 01:30 on 1 April in Berlin; 18:00+02:00 on 30 June stays 18:00."""
    settings = _settings(tmp_path, '[deals]\ntimezone = "Europe/Berlin"\n')
    report = check_deals(
        test_data / "deals" / "utc_offset_dates.csv", preset="salesforce", settings=settings
    )
    opps = report.data.opportunities.set_index("id")
    assert str(opps.loc["006T1", "close_date"]) == "2026-04-01 06:30:00"
    assert str(opps.loc["006T2", "close_date"]) == "2026-04-01 01:30:00"
    assert str(opps.loc["006T3", "close_date"]) == "2026-06-30 18:00:00"


def test_unknown_time_zone_is_a_config_error(test_data: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[deals]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not a known time zone"):
        check_deals(test_data / "deals" / "utc_offset_dates.csv", settings=settings)


def test_closed_without_close_date_warns_per_row(test_data: Path, tmp_path: Path) -> None:
    """closed_without_close_date.csv: 006C1 won with a date; 006C2 won and 006C3 lost with no
    close date (rows 3 and 4: warnings); 006C4 is open (no close date needed).
    All 4 load; the two keep status won and lost — they never become open."""
    report = check_deals(
        test_data / "deals" / "closed_without_close_date.csv",
        preset="salesforce",
        settings=_settings(tmp_path),
    )
    assert (report.counts["loaded"], report.counts["rejected"]) == (4, 0)
    assert (report.counts["won"], report.counts["lost"], report.counts["open"]) == (2, 1, 1)
    got = _problems(report, "closed_without_close_date")
    assert [(row, sev) for row, sev, _ in got] == [(3, "warning"), (4, "warning")]
    assert got[0][2].startswith("closed (won) deal has no close date in 'Close Date'")
    assert got[1][2].startswith("closed (lost) deal has no close date")
    status = report.data.opportunities.set_index("id")["status"].to_dict()
    assert (status["006C2"], status["006C3"], status["006C4"]) == ("won", "lost", "open")


def test_closed_without_close_date_rejected_when_configured(
    test_data: Path, tmp_path: Path
) -> None:
    """With closed_without_close_date = "reject", rows 3 and 4 are rejected; 006C1 and 006C4 load."""
    settings = _settings(tmp_path, '[deals]\nclosed_without_close_date = "reject"\n')
    report = check_deals(
        test_data / "deals" / "closed_without_close_date.csv",
        preset="salesforce",
        settings=settings,
    )
    assert (report.counts["loaded"], report.counts["rejected"]) == (2, 2)
    assert report.rejected["Opportunity ID"].tolist() == ["006C2", "006C3"]
    assert report.by_rule()["closed_without_close_date"]["severity"] == "error"
    assert set(report.data.opportunities["id"]) == {"006C1", "006C4"}
