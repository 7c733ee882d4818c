"""Vectorised parsers for deal columns: text, dates, money amounts, true/false flags.

Each parser takes a whole column and returns the parsed values plus a mask of the
non-empty values it could not read, so the validator can report them by row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spmkb.deals.schema import TABLES, empty_frame
from spmkb.errors import DealDataError

DATE_FORMATS: tuple[str, ...] = (
    "ISO8601",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%d-%b-%Y",
    "%Y%m%d",
)
_TRUE = {"true", "yes", "y", "1", "x", "won", "closed", "t", "1.0", "wahr", "vrai", "ja", "oui"}
_FALSE = {"false", "no", "n", "0", "", "f", "0.0", "falsch", "faux", "nein", "non"}


def clean_text(s: pd.Series) -> pd.Series:
    """Strip a column to text; blank becomes missing (whole floats such as Excel ids lose ``.0``)."""
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.dropna()
        if len(whole) and (whole == whole.round()).all() and whole.abs().max() < 2**53:
            s = s.astype("Int64")
    s = s if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object else s.astype("str")
    s = s.str.strip()
    return s.mask(s == "")


def parse_dates(
    s: pd.Series, *, dayfirst: bool = False, fmt: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a date column; return (datetime64[ns] series, mask of unparsable non-empty values)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        return out.astype("datetime64[ns]"), pd.Series(False, index=s.index)
    head = s.dropna().head(100)
    if s.dtype == object and len(head) and all(hasattr(v, "year") for v in head):
        out = pd.to_datetime(s, errors="coerce")
        return out.astype("datetime64[ns]"), s.notna() & out.isna()
    text = clean_text(s)
    codes, uniq = pd.factorize(text)  # parse each distinct value once
    u = pd.Series(np.asarray(uniq, dtype=object), dtype="str")
    parsed = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    todo = pd.Series(True, index=u.index)
    formats = [fmt] if fmt else list(DATE_FORMATS)
    if dayfirst and not fmt:
        formats.sort(key=lambda f: 0 if f.startswith("%d") else 1)
    if not fmt and len(u):
        sample = u.head(500)
        scores = {f: _to_dt(sample, f).notna().sum() for f in formats}
        formats.sort(key=lambda f: -scores[f])  # stable: ties keep the preference order
    kept: list[str] = []
    for f in formats:  # never read 03/04 both month-first and day-first in one column
        swapped = f.replace("%m", "%_").replace("%d", "%m").replace("%_", "%d")
        if swapped == f or swapped not in kept:
            kept.append(f)
    formats = kept
    for f in formats:
        if not todo.any():
            break
        got = _to_dt(u[todo], f)
        hit = got.index[got.notna()]
        parsed[hit] = got[hit]
        todo[hit] = False
    values = np.append(parsed.to_numpy(), np.datetime64("NaT", "ns"))[codes]
    bad = np.append(todo.to_numpy(), False)[codes]
    return pd.Series(values, index=s.index, dtype="datetime64[ns]"), pd.Series(bad, index=s.index)


def _to_dt(s: pd.Series, fmt: str) -> pd.Series:
    out = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
    return out.dt.tz_localize(None).astype("datetime64[ns]")


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money values (``1,234.50``, ``1.234,50``, ``$ 1 234``, ``(500)``); return (float, bad mask)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64"), pd.Series(False, index=s.index)
    text = clean_text(s)
    simple = text.str.fullmatch(r"-?\d+(?:\.\d+)?", na=False)
    rest = text.notna() & ~simple
    num = _to_float(text.where(simple))
    if rest.any():
        clean = text[rest].str.replace(r"[\s\u00a0\u202f'’]", "", regex=True)
        paren = clean.str.startswith("(") & clean.str.endswith(")")
        clean = clean.mask(paren, "-" + clean.str.strip("()"))
        neg = clean.str.startswith("-")
        clean = clean.str.replace(r"^-|^[A-Za-z$€£¥]{1,3}\.?|[A-Za-z$€£¥]{1,3}$", "", regex=True)
        clean = clean.str.replace(r"^-", "", regex=True)
        clean = clean.mask(neg, "-" + clean)
        comma_dec = clean.str.contains(r",\d{1,2}$", regex=True, na=False).any()
        dot_dec = clean.str.contains(r"\.\d{1,2}$", regex=True, na=False).any()
        mixed = clean.str.contains(r"\d\.\d{3},", regex=True, na=False).any()
        if (comma_dec and not dot_dec) or mixed:  # 1.234,50: comma is the decimal mark
            clean = clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            thousands = simple & text.str.contains(r"\.\d{3}$", regex=True, na=False)
            num[thousands] = _to_float(text[thousands].str.replace(".", "", regex=False))
        else:
            clean = clean.str.replace(",", "", regex=False)
        ok = clean.str.fullmatch(r"-?\d+(?:\.\d+)?|-?\.\d+", na=False)
        num[clean.index[ok]] = _to_float(clean[ok])
    return num, text.notna() & num.isna()


def _to_float(text: pd.Series) -> pd.Series:
    """Cast clean numeric strings (or missing) to float64 via Arrow (fast)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.cast(pa.array(text.astype("str"), from_pandas=True), pa.float64())
    return pd.Series(arr.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def parse_flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a true/false column; return (boolean with NA, bad mask)."""
    key = clean_text(s).str.lower()
    val = pd.Series(pd.NA, index=s.index, dtype="boolean")
    val[key.isin(_TRUE)] = True
    val[key.isin(_FALSE)] = False
    return val, key.notna() & val.isna()


def cast_table(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Return ``frame`` with exactly the canonical columns and dtypes of ``table``."""
    empty = empty_frame(table)
    out = {}
    for name in TABLES[table]:
        dtype = empty[name].dtype
        s = frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)
        if isinstance(dtype, pd.StringDtype) and not pd.api.types.is_string_dtype(s.dtype):
            if s.isna().all():  # an absent column: build the empty text column directly (fast)
                s = pd.Series(np.nan, index=frame.index, dtype="str")
            else:
                s = clean_text(s)
        if str(dtype).startswith("datetime"):
            s = parse_dates(s)[0] if not pd.api.types.is_datetime64_any_dtype(s.dtype) else s
        elif str(dtype) in {"float64", "Int64"} and not pd.api.types.is_numeric_dtype(s.dtype):
            s = pd.to_numeric(s, errors="coerce")
        out[name] = s.astype(dtype)
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def check_columns(frame: pd.DataFrame, table: str, path: Path | None = None) -> None:
    """Raise when ``frame`` lacks a required canonical column of ``table``."""
    missing = [c for c, (_k, req, _d) in TABLES[table].items() if req and c not in frame.columns]
    if missing:
        raise DealDataError(
            f"{table} table lacks required column(s): {', '.join(missing)}",
            path=path,
            hint="see docs/deal-data.md for the canonical columns",
        )


__all__ = [
    "DATE_FORMATS",
    "cast_table",
    "check_columns",
    "clean_text",
    "parse_amounts",
    "parse_dates",
    "parse_flags",
]
