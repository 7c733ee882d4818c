"""The outcome of checking or importing a deal export: counts, problems, rejected rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.schema import DealData
from spmkb.errors import Problem

#: Rules in report order: code -> (severity, what it means).
RULES: dict[str, tuple[str, str]] = {
    "missing_required": ("error", "a required field is empty"),
    "bad_date": ("error", "a date cannot be parsed"),
    "date_out_of_range": ("error", "a date is outside 1677-2262 (e.g. a 9999-12-31 placeholder)"),
    "bad_amount": ("error", "the amount is not a number"),
    "negative_amount": ("error", "the amount is negative"),
    "close_before_created": ("error", "the close date is before the created date"),
    "duplicate_id": ("error", "the id was already used by an earlier row"),
    "unknown_stage": ("error", "the stage label is not in the stage mapping"),
    "bad_flag": ("error", "a Won/Closed flag is not true/false"),
    "mixed_currency": ("error", "the amount is in another currency and cannot be converted"),
    "closed_without_close_date": ("warning", "a won or lost deal has no close date"),
    "bad_number": ("warning", "a numeric field is not a number (left empty)"),
    "rep_without_team": ("warning", "the rep has no team in the reps table (deals still load)"),
    "absent_field": ("info", "the source has no column for this field"),
    "note": ("info", "how this source was mapped"),
}
_EXAMPLES = 5


class Msg:
    """A message built lazily, only for the rows a rule hits: parts are text, Series or callables."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts

    def at(self, rows: pd.Index) -> pd.Series:
        """The message for each row in ``rows``."""
        out = pd.Series("", index=rows, dtype="str")
        for part in self.parts:
            if callable(part):
                part = part(rows)
            if isinstance(part, pd.Series):
                out = out + part.reindex(rows).astype("str").fillna("")
            else:
                out = out + str(part)
        return out


def quoted(prefix: str, values: pd.Series, *suffix: Any) -> Msg:
    """A message quoting each row's value: ``prefix'value'suffix``."""
    return Msg(prefix + "'", values, "'", *suffix)


class IssueCollector:
    """Collects rule hits as small frames and marks rejected rows."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.parts: list[pd.DataFrame] = []
        self.reject = pd.Series(False, index=index)

    def add(
        self,
        code: str,
        mask: pd.Series,
        field: str | None,
        value: pd.Series | None,
        message: Msg | str,
        severity: str | None = None,
    ) -> None:
        """Record rule ``code`` for the rows in ``mask`` (``severity`` overrides the rule's)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        rows = mask.index[mask]
        vals = value[mask].astype("str") if value is not None else pd.Series(np.nan, index=rows)
        msg = message.at(rows) if isinstance(message, Msg) else pd.Series(message, index=rows)
        sev = severity or RULES[code][0]
        self.parts.append(
            pd.DataFrame(
                {
                    "row": rows.to_numpy(),
                    "severity": sev,
                    "code": code,
                    "field": field,
                    "value": vals.to_numpy(),
                    "message": msg.astype("str").to_numpy(),
                }
            )
        )
        if sev == "error":
            self.reject |= mask

    def note(
        self,
        code: str,
        field: str | None,
        message: str,
        row: int | None = None,
        value: str | None = None,
    ) -> None:
        """Record one problem that is not tied to a row mask."""
        self.parts.append(
            pd.DataFrame(
                {
                    "row": [row],
                    "severity": [RULES[code][0]],
                    "code": [code],
                    "field": [field],
                    "value": [value],
                    "message": [message],
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """All issues, ordered by rule then row."""
        if not self.parts:
            return pd.DataFrame(columns=["row", "severity", "code", "field", "value", "message"])
        out = pd.concat(self.parts, ignore_index=True)
        out["row"] = out["row"].astype("Int64")
        return out


@dataclass
class ImportReport:
    """Outcome of checking (or importing) one deal export."""

    path: Path
    preset: str
    data: DealData
    issues: pd.DataFrame  # row, severity, code, field, value, message
    rejected: pd.DataFrame  # original columns + row + reason
    counts: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    rejects_path: Path | None = None
    saved_to: Path | None = None
    seconds: float = 0.0
    outcome: str = ""  # what an import did to the workspace (saved, or why nothing was)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejected.empty

    @property
    def problems(self) -> list[Problem]:
        """Every problem as a :class:`Problem` record (row numbers count the header as row 1)."""
        return _as_problems(self.issues, self.path)

    def by_rule(self) -> dict[str, dict[str, Any]]:
        """Per rule: severity, count and the first five problems."""
        out: dict[str, dict[str, Any]] = {}
        for code, group in self.issues.groupby("code", sort=False):
            out[str(code)] = {
                "severity": str(group["severity"].iloc[0]),
                "count": len(group),
                "examples": [str(p) for p in _as_problems(group.head(_EXAMPLES), None)],
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with every problem."""
        return {
            "path": str(self.path),
            "preset": self.preset,
            "ok": self.ok,
            "counts": self.counts,
            "notes": self.notes,
            "rules": self.by_rule(),
            "problems": [p.to_dict() for p in self.problems],
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "saved_to": str(self.saved_to) if self.saved_to else None,
            "outcome": self.outcome,
            "seconds": round(self.seconds, 3),
        }


def _as_problems(issues: pd.DataFrame, path: Path | None) -> list[Problem]:
    return [
        Problem(
            sev,
            code,
            msg,
            path=None if path is None else str(path),
            row=None if pd.isna(row) else int(row),
            field=None if pd.isna(fld) else str(fld),
            value=None if pd.isna(val) else str(val),
        )
        for row, sev, code, fld, val, msg in issues[
            ["row", "severity", "code", "field", "value", "message"]
        ].itertuples(index=False)
    ]


__all__ = ["RULES", "ImportReport", "IssueCollector", "Msg", "quoted"]
