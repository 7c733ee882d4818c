"""Reading deal tables: encoding and delimiter sniffing, Parquet, Excel, and file errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmkb.deals.io import detect_delimiter, detect_encoding, read_csv_bytes, read_table
from spmkb.errors import DealDataError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("a,b\n1,é\n".encode(), "utf-8", id="utf8"),
        pytest.param(b"\xef\xbb\xbfa,b\n1,2\n", "utf-8-sig", id="utf8-bom"),
        pytest.param("a;b\n1;€ é\n".encode("cp1252"), "cp1252", id="cp1252"),
        pytest.param(b"a;b\n1;\x81\x8d\xe9\n", "latin-1", id="latin1"),
        pytest.param("a,b\n1,2\n".encode("utf-16"), "utf-16", id="utf16"),
    ],
)
def test_detect_encoding(raw: bytes, expected: str) -> None:
    assert detect_encoding(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a,b,c\n1,2,3\n", ",", id="comma"),
        pytest.param('"a";"b";"c"\n"1,5";"x, y";"3"\n', ";", id="semicolon-quoted-commas"),
        pytest.param("a\tb\n1\t2\n", "\t", id="tab"),
        pytest.param("a|b|c\n1|2|3\n", "|", id="pipe"),
        pytest.param('name,note\n"Smith; Jones","a;b;c"\n', ",", id="comma-quoted-semicolons"),
    ],
)
def test_detect_delimiter(text: str, expected: str) -> None:
    assert detect_delimiter(text) == expected


def test_cp1252_semicolon_quoted_file(test_data: Path) -> None:
    frame = read_table(test_data / "deals" / "salesforce_cp1252_semicolon.csv")
    assert list(frame.columns)[:3] == ["Opportunity Name", "Opportunity ID", "Opportunity Owner"]
    assert frame.loc[0, "Opportunity Name"] == "Société Générale; renouvellement"
    assert frame.loc[1, "Opportunity Owner"] == "Jürgen Weiß"
    assert frame.loc[3, "Account Name"] == "Œuvre SA"
    assert frame.loc[0, "Amount"] == "12.500,00"  # text: the validator parses it


def test_quoted_newline_falls_back_to_c_parser() -> None:
    frame = read_csv_bytes(b'id,note\n1,"two\nlines"\n2,plain\n')
    assert frame["note"].tolist() == ["two\nlines", "plain"]


def test_missing_values_become_na() -> None:
    frame = read_csv_bytes(b"id,amount\n1,\n2,NULL\n3,7\n")
    assert frame["amount"].isna().tolist() == [True, True, False]


def test_parquet_and_excel(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "id": ["a", "b"],
            "amount": [1.5, 2.0],
            "created": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        }
    )
    df.to_parquet(tmp_path / "deals.parquet")
    df.to_excel(tmp_path / "deals.xlsx", index=False)
    for name in ("deals.parquet", "deals.xlsx"):
        got = read_table(tmp_path / name)
        assert got["id"].tolist() == ["a", "b"], name
        assert got["amount"].tolist() == [1.5, 2.0], name
        assert pd.api.types.is_datetime64_any_dtype(got["created"]), name


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("missing.csv", None, "file not found", id="missing"),
        pytest.param("empty.csv", b"", "the file is empty", id="empty"),
        pytest.param("blank.csv", b"\n \n", "the file is empty", id="blank"),
        pytest.param(
            "bin.csv",
            b"\x00\x01\x02binary\x00",
            "is not a CSV, Parquet or Excel table",
            id="binary",
        ),
        pytest.param(
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20,
            "old Excel .xls",
            id="xls",
        ),
        pytest.param(
            "broken.parquet",
            b"PAR1 not really",
            "cannot read the parquet file",
            id="corrupt-parquet",
        ),
        pytest.param(
            "broken.xlsx", b"PK\x03\x04 not a zip", "cannot read the xlsx file", id="corrupt-xlsx"
        ),
    ],
)
def test_read_errors_name_the_file(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DealDataError) as err:
        read_table(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert err.value.hint


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DealDataError, match="is a folder"):
        read_table(tmp_path)


def test_neutralise_formulas_prefixes_risky_text_only() -> None:
    """Text starting with = + - @ TAB CR gets a leading '; plain numbers and other columns do not."""
    from spmkb.csvsafe import neutralise_formulas

    frame = pd.DataFrame(
        {
            "text": pd.Series(
                [
                    "=1+1",
                    "+41 79",
                    "-500",
                    "-2+3+cmd|' /C calc'!A0",
                    "@SUM(A1)",
                    "\tx",
                    "\rx",
                    "ok",
                ],
                dtype="str",
            ),
            "num": [-1.0, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].tolist() == [
        "'=1+1",
        "'+41 79",
        "-500",
        "'-2+3+cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
    ]
    assert out["num"].tolist() == frame["num"].tolist()
    assert frame["text"][0] == "=1+1"  # the input is not changed


def test_rejects_file_has_no_live_formulas(test_data: Path, tmp_path: Path) -> None:
    """formula_cells.csv row 4 (006X3) has a negative amount, owner '@SUM(1+1)' and account
    "+cmd|' /C calc'!A0": it is rejected and its cells are written as text ('-prefixed);
    the amount -500 is a plain number and stays as it is."""
    import csv

    from spmkb.config import load_settings
    from spmkb.deals.workspace import import_deals

    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    report = import_deals(
        test_data / "deals" / "formula_cells.csv", preset="salesforce", settings=settings
    )
    assert report.rejects_path is not None
    with report.rejects_path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["Opportunity ID"] for r in rows] == ["006X3"]
    assert rows[0]["Opportunity Owner"] == "'@SUM(1+1)"
    assert rows[0]["Account Name"] == "'+cmd|' /C calc'!A0"
    assert rows[0]["Amount"] == "-500"
    assert rows[0]["reason"] == "amount '-500' is negative"
    risky = ("=", "+", "-", "@", "\t", "\r")
    cells = [v for r in rows for k, v in r.items() if k != "Amount"]
    assert not [v for v in cells if v.startswith(risky)]
