"""Read deal tables from CSV (delimiter and encoding sniffed), Parquet and Excel files.

:func:`read_table` returns every column as text (``str`` dtype) for CSV files so the
validator sees exactly what the file holds; Parquet and Excel keep their native types.
Every failure to open a file is a :class:`~spmkb.errors.DealDataError` that names the
file and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from spmkb.errors import DealDataError

#: Values read as missing in CSV files (besides the empty string).
NA_VALUES: tuple[str, ...] = ("", "NULL", "null", "N/A", "n/a", "#N/A", "NaN", "nan", "None")
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024
_FIX = "export it again as CSV (UTF-8), .xlsx or Parquet"


def detect_encoding(raw: bytes) -> str:
    """Return the text encoding of ``raw``: utf-8-sig, utf-16, utf-8, cp1252 or latin-1."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for enc in ("utf-8", "cp1252"):
        try:
            raw.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"  # decodes any byte sequence


def detect_delimiter(text: str) -> str:
    """Return the delimiter of CSV ``text`` (one of ``, ; TAB |``), quote-aware."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last sampled line may be cut in the middle
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delim, score
    return best


def _kind(path: Path, head: bytes) -> str:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary"
    return "csv"


def read_csv_bytes(raw: bytes, *, source: str | Path = "<data>") -> pd.DataFrame:
    """Parse CSV ``raw`` bytes (encoding and delimiter sniffed) into an all-text DataFrame."""
    if not raw or raw.isspace():
        raise DealDataError(
            "the file is empty", path=source, hint="export the deals again with a header row"
        )
    encoding = detect_encoding(
        raw[:_SNIFF_BYTES].rsplit(b"\n", 1)[0] if len(raw) > _SNIFF_BYTES else raw
    )
    if encoding == "utf-8" and len(raw) > _SNIFF_BYTES:
        sample = raw[:_SNIFF_BYTES].decode("utf-8", errors="ignore")
    else:
        if encoding == "utf-8":
            encoding = detect_encoding(raw)
        text = raw.decode(encoding)
        sample = text[:_SNIFF_BYTES]
        if encoding != "utf-8":
            raw = text.encode("utf-8")
    delim = detect_delimiter(sample)
    opts = {
        "sep": delim,
        "dtype": "str",
        "keep_default_na": False,
        "na_values": list(NA_VALUES),
    }
    try:  # pyarrow also checks that the text is valid UTF-8
        frame = pd.read_csv(io.BytesIO(raw), engine="pyarrow", **opts)
    except (
        Exception
    ):  # quoted newlines, ragged rows or non-UTF-8 bytes: sniff all, use the C parser
        encoding = detect_encoding(raw)
        try:
            frame = pd.read_csv(
                io.BytesIO(raw), engine="c", encoding=encoding, skip_blank_lines=True, **opts
            )
        except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
            raise DealDataError(
                f"not a readable CSV table: {exc}", path=source, hint=_FIX
            ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read_table(path: Path | str, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read one CSV, TSV, Parquet or Excel (.xlsx) file into a DataFrame.

    CSV delimiter (``, ; TAB |``) and encoding (UTF-8 with or without BOM, UTF-16,
    cp1252, latin-1) are sniffed; quoted fields may hold delimiters and newlines.
    Raises :class:`DealDataError` when the file is missing, unreadable, empty or not a table.
    """
    path = Path(path)
    if not path.exists():
        raise DealDataError(
            "file not found", path=path, hint="check the path (relative to the current folder)"
        )
    if path.is_dir():
        raise DealDataError(
            "is a folder, not a file", path=path, hint="give one CSV, Parquet or .xlsx file"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DealDataError(
            f"cannot read the file: {exc.strerror}", path=path, hint="check its permissions"
        ) from None
    if not raw or raw.isspace():
        raise DealDataError(
            "the file is empty", path=path, hint="export the deals again with a header row"
        )
    kind = _kind(path, raw[:512])
    if kind == "xls":
        raise DealDataError(
            "old Excel .xls files are not supported",
            path=path,
            hint="save it as .xlsx or CSV in Excel",
        )
    if kind == "binary":
        raise DealDataError("is not a CSV, Parquet or Excel table", path=path, hint=_FIX)
    try:
        if kind == "parquet":
            frame = pd.read_parquet(io.BytesIO(raw))
        elif kind == "xlsx":
            frame = pd.read_excel(
                io.BytesIO(raw), sheet_name=0 if sheet is None else sheet, engine="openpyxl"
            )
        else:
            frame = read_csv_bytes(raw, source=path)
    except DealDataError:
        raise
    except Exception as exc:  # pyarrow / openpyxl raise many kinds of errors on corrupt files
        raise DealDataError(f"cannot read the {kind} file: {exc}", path=path, hint=_FIX) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.columns.empty or (len(frame.columns) == 1 and frame.empty):
        raise DealDataError(
            "no table found (no columns or no rows)",
            path=path,
            hint="export the deals again with a header row",
        )
    return frame


def read_header(path: Path | str) -> list[str]:
    """Return the column names of a table file, reading only the start of a CSV."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return list(read_table(path).columns)  # raises the right DealDataError
    if _kind(path, head[:512]) != "csv" or len(head) < _SNIFF_BYTES:
        return list(read_table(path).columns)
    cut = head.rsplit(b"\n", 1)[0]
    try:
        return list(read_csv_bytes(cut, source=path).columns)
    except DealDataError:
        return list(read_table(path).columns)


def table_files(folder: Path) -> dict[str, Path]:
    """Map lower-case file stems in ``folder`` to readable table files (csv, tsv, parquet, xlsx)."""
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in {".csv", ".tsv", ".txt", ".parquet", ".xlsx"}:
            out.setdefault(p.stem.lower(), p)
    return out


__all__ = [
    "NA_VALUES",
    "detect_delimiter",
    "detect_encoding",
    "read_csv_bytes",
    "read_header",
    "read_table",
    "table_files",
]
