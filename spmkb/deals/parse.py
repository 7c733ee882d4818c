"""Vectorised parsers for deal columns: text, dates, money amounts, true/false flags.

Each parser takes a whole column and returns the parsed values plus a mask of the
non-empty values it could not read, so the validator can report them by row.
"""

from __future__ import annotations

import unicodedata
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


#: A time followed by a UTC offset (``23:30-05:00``, ``10:00:00Z``), and the offset alone.
#: (No ``\s``: pandas would fall back from Arrow's regex engine to Python's, 10x slower.)
_WITH_OFFSET_RE = (
    r"[0-9]:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)? *(?:Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)$"
)
_OFFSET_RE = r" *(?:Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_LOW, _HIGH = pd.Timestamp.min, pd.Timestamp.max  # what datetime64[ns] can hold


_SEPARATORS = {0x066B: ".", 0x066C: ",", 0x060C: ","}  # Arabic decimal/thousands marks


class _DigitMap(dict):
    """``str.translate`` table: any Unicode decimal digit to ASCII (``١٢٣`` and ``१२`` too)."""

    def __missing__(self, code: int) -> str:
        """Translate a non-ASCII digit or separator; leave anything else as it is."""
        digit = unicodedata.decimal(chr(code), None) if code > 127 else None
        out = str(digit) if digit is not None else _SEPARATORS.get(code)
        if out is None:
            raise LookupError(code)
        self[code] = out
        return out


_DIGITS = _DigitMap()


def ascii_digits(text: pd.Series) -> pd.Series:
    """Rewrite non-ASCII digits (Arabic-Indic ``١٢٣``, Devanagari ``१२`` ...) as ASCII ``0-9``.

    Only values holding non-ASCII characters are touched, each distinct value once.
    """
    other = text.str.contains(r"[^\x00-\x7f]", regex=True, na=False)
    if not other.any():
        return text
    codes, uniques = pd.factorize(text[other])
    fixed = np.array([str(u).translate(_DIGITS) for u in uniques], dtype=object)
    return text.mask(other, pd.Series(fixed[codes], index=text.index[other], dtype="str"))


def _in_range(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cast parsed dates to datetime64[ns]; dates it cannot hold (``9999-12-31``) become NaT."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    if values.dtype == "datetime64[ns]":
        return values, pd.Series(False, index=values.index)
    oor = values.notna() & ((values < _LOW) | (values > _HIGH))
    return values.mask(oor).astype("datetime64[ns]"), oor


def parse_dates_checked(
    s: pd.Series, *, dayfirst: bool = False, fmt: str | None = None, timezone: str | None = None
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse a date column; return (datetime64[ns], unparsable mask, out-of-range mask).

    A time with a UTC offset keeps its local date and time as written
    (``2026-03-31T23:30-05:00`` is 31 March 23:30), unless ``timezone`` names the company's
    time zone: then it is converted there. Dates a ``datetime64[ns]`` cannot hold
    (before 1677-09-22 or after 2262-04-11, e.g. the ``9999-12-31`` placeholder) are NaT
    and flagged out of range.
    """
    none = pd.Series(False, index=s.index)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if timezone and getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(timezone)
        out, oor = _in_range(s)
        return out, none, oor
    head = s.dropna().head(100)
    if s.dtype == object and len(head) and all(hasattr(v, "year") for v in head):
        got = pd.to_datetime(s, errors="coerce")
        out, oor = _in_range(got.astype("datetime64[us]") if got.dtype.kind == "M" else got)
        return out, s.notna() & got.isna(), oor
    text = clean_text(s)
    codes, uniq = pd.factorize(text)  # parse each distinct value once
    u = ascii_digits(pd.Series(np.asarray(uniq, dtype=object), dtype="str"))
    parsed = pd.Series(pd.NaT, index=u.index, dtype="datetime64[us]")
    todo = pd.Series(True, index=u.index)
    offset = u.str.contains(_WITH_OFFSET_RE, regex=True, na=False)  # Arrow regex: fast
    if offset.any():
        if timezone:
            got = pd.to_datetime(u[offset], format="ISO8601", errors="coerce", utc=True)
            got = got.dt.tz_convert(timezone).dt.tz_localize(None).astype("datetime64[us]")
            hit = got.index[got.notna()]
            parsed[hit], todo[hit] = got[hit], False
        local = u[offset & todo].str.replace(_OFFSET_RE, "", regex=True)
        u = u.mask(offset & todo, local)  # the local time as written
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
    for f in kept:
        if not todo.any():
            break
        got = _to_dt(u[todo], f)
        hit = got.index[got.notna()]
        parsed[hit] = got[hit]
        todo[hit] = False
    parsed, far = _in_range(parsed)
    values = np.append(parsed.to_numpy(), np.datetime64("NaT", "ns"))[codes]
    bad = np.append(todo.to_numpy(), False)[codes]
    oor = np.append(far.to_numpy(), False)[codes]
    return (
        pd.Series(values, index=s.index, dtype="datetime64[ns]"),
        pd.Series(bad, index=s.index),
        pd.Series(oor, index=s.index),
    )


def parse_dates(
    s: pd.Series, *, dayfirst: bool = False, fmt: str | None = None, timezone: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse a date column; return (datetime64[ns] series, mask of unreadable or out-of-range values)."""
    parsed, bad, oor = parse_dates_checked(s, dayfirst=dayfirst, fmt=fmt, timezone=timezone)
    return parsed, bad | oor


def _to_dt(s: pd.Series, fmt: str) -> pd.Series:
    """Parse with one format (offsets already stripped); microsecond resolution, naive."""
    out = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
    return out.dt.tz_localize(None).astype("datetime64[us]")


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money values (``1,234.50``, ``1.234,50``, ``$ 1 234``, ``(500)``, ``١٢٣``); return (float, bad mask)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64"), pd.Series(False, index=s.index)
    text = clean_text(s)
    simple = text.str.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", na=False)
    rest = text.notna() & ~simple
    num = _to_float(text.where(simple))
    if rest.any():
        clean = ascii_digits(text[rest]).str.replace(r"[\s\u00a0\u202f'’]", "", regex=True)
        paren = clean.str.startswith("(") & clean.str.endswith(")")
        clean = clean.mask(paren, "-" + clean.str.strip("()"))
        neg = clean.str.startswith("-")
        clean = clean.str.replace(r"^-|^[A-Za-z$€£¥]{1,3}\.?|[A-Za-z$€£¥]{1,3}$", "", regex=True)
        clean = clean.str.replace(r"^-", "", regex=True)
        clean = clean.mask(neg, "-" + clean)
        comma_dec = clean.str.contains(r",[0-9]{1,2}$", regex=True, na=False).any()
        dot_dec = clean.str.contains(r"\.[0-9]{1,2}$", regex=True, na=False).any()
        mixed = clean.str.contains(r"[0-9]\.[0-9]{3},", regex=True, na=False).any()
        if (comma_dec and not dot_dec) or mixed:  # 1.234,50: comma is the decimal mark
            clean = clean.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            thousands = simple & text.str.contains(r"\.[0-9]{3}$", regex=True, na=False)
            num[thousands] = _to_float(text[thousands].str.replace(".", "", regex=False))
        else:
            clean = clean.str.replace(",", "", regex=False)
        ok = clean.str.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?|-?\.[0-9]+", na=False)
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
    "ascii_digits",
    "cast_table",
    "check_columns",
    "clean_text",
    "parse_amounts",
    "parse_dates",
    "parse_dates_checked",
    "parse_flags",
]
