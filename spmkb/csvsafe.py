"""CSV files that are safe to open in a spreadsheet (no formula injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a
formula by Excel, LibreOffice and Google Sheets. Every CSV spmkb writes goes through
:func:`write_csv`, which prefixes such text cells with ``'`` so they show as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_RE = r"^[=+\-@\t\r]"
_PLAIN_NUMBER_RE = r"^[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)$"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells that a spreadsheet would run as a formula start with ``'``.

    Cells starting with ``= + - @``, tab or CR are prefixed with an apostrophe (the
    spreadsheet then shows them as text); plain numbers such as ``-500`` are left alone.
    Numeric and date columns are never changed. Vectorised: one regex per text column.
    """
    out = frame.copy()
    for name in out.columns:
        s = out[name]
        if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
            continue
        text = s.astype("str")  # missing values stay missing
        risky = text.str.contains(_FORMULA_RE, regex=True, na=False) & ~text.str.contains(
            _PLAIN_NUMBER_RE, regex=True, na=False
        )
        if risky.any():
            out[name] = s.where(~risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: Path | str, **kwargs: object) -> Path:
    """Write ``frame`` as CSV (no index) with formula cells neutralised; return the path."""
    path = Path(path)
    neutralise_formulas(frame).to_csv(path, index=False, **kwargs)  # type: ignore[call-overload]
    return path


__all__ = ["FORMULA_START", "neutralise_formulas", "write_csv"]
