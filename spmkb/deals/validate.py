"""Validate deal exports against the canonical schema, vectorised over the whole table.

:func:`check_deals` reads a file or folder with a preset, parses and checks every row
and returns an :class:`ImportReport`: the valid rows as :class:`DealData`, every problem
(row, column, value), and the rejected rows with a ``reason``. Saving into the workspace is
:func:`spmkb.deals.workspace.import_deals`; this module never writes. No per-row Python
loops: each rule is a boolean mask over the frame, so a million rows check in seconds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.mapping import LAST_OPEN_STAGE, Mapping, Source, stage_key
from spmkb.deals.parse import (
    cast_table,
    clean_text,
    parse_amounts,
    parse_dates_checked,
    parse_flags,
)
from spmkb.deals.presets import load_source
from spmkb.deals.report import RULES, ImportReport, IssueCollector, Msg, quoted
from spmkb.deals.schema import (
    OPPORTUNITY_COLUMNS,
    PIPELINE_STAGES,
    REP_COLUMNS,
    DealData,
    empty_frame,
)
from spmkb.errors import ConfigError, suggest


def _map_labels(labels: pd.Series, stages: dict[str, str]) -> pd.Series:
    """Map stage labels through ``stages`` (by :func:`stage_key`); unknown labels become ``?``.

    Each distinct label is looked up once; the result is spread back with an Arrow take.
    """
    import pyarrow as pa

    codes, uniques = pd.factorize(labels)
    mapped = [stages.get(stage_key(u), "?") for u in uniques] + [None]
    taken = pa.array(mapped, pa.large_string()).take(
        pa.array(np.where(codes < 0, len(mapped) - 1, codes))
    )
    dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    values = taken.to_pandas(types_mapper={pa.large_string(): dtype}.get).array
    return pd.Series(values, index=labels.index)


def validate_source(src: Source, settings: Any = None) -> ImportReport:
    """Map, parse and check a :class:`Source`; valid rows become :class:`DealData`."""
    t0 = time.perf_counter()
    raw, m = src.frame, src.mapping
    cfg = settings.table("deals") if settings is not None else {}
    out = pd.DataFrame(index=raw.index)
    c = IssueCollector(raw.index)
    for note in src.notes:
        c.note("note", None, note)
    for canon in ("id", "rep"):
        if canon in m.columns:
            out[canon] = clean_text(raw[m.columns[canon]])
            _required(c, m, canon, out[canon].isna())
        else:
            out[canon] = pd.Series(np.nan, index=raw.index, dtype="str")
            c.note("absent_field", canon, f"no column for {canon}: left empty")
    policy = _policies(cfg, settings)
    stage, status = _stage_and_status(raw, m, c)
    out["stage"] = _fill_closed_stage(stage, status, out["id"], src.tables.get("stage_history"))
    out["status"] = status
    _amount(raw, m, c, out)
    _dates(raw, m, c, out, policy)
    _closed_without_date(m, c, out, policy)
    _duplicates(m, c, out)
    for canon, (kind, _req, _d) in OPPORTUNITY_COLUMNS.items():
        if canon in out.columns:
            continue
        if canon not in m.columns:
            out[canon] = pd.Series(
                np.nan, index=raw.index, dtype="str" if kind == "str" else "float64"
            )
        elif kind == "float":
            values = raw[m.columns[canon]]
            num, bad = parse_amounts(values)
            c.add("bad_number", bad, m.columns[canon], values, quoted("not a number: ", values))
            out[canon] = num
        else:
            out[canon] = clean_text(raw[m.columns[canon]])
    _currency(out, m.columns, cfg, c)
    if src.finish is not None:
        out = src.finish(out, raw)
    rejected_mask = c.reject
    good = out[~rejected_mask]
    reps = _reps(src, good, c)
    issues = c.frame()
    opps = cast_table(good, "opportunities")
    data = DealData(opps, reps=reps, **{k: cast_table(v, k) for k, v in src.tables.items()})
    counts = {
        "rows": len(raw),
        "loaded": len(opps),
        "rejected": int(rejected_mask.sum()),
        **{s: int((opps["status"] == s).sum()) for s in ("won", "lost", "open")},
        "reps": len(reps),
        "errors": int((issues["severity"] == "error").sum()),
        "warnings": int((issues["severity"] == "warning").sum()),
    }
    rejected = _rejected(raw, rejected_mask, issues)
    return ImportReport(
        src.path,
        m.name,
        data,
        issues,
        rejected,
        counts,
        notes=list(src.notes),
        seconds=time.perf_counter() - t0,
    )


def _required(c: IssueCollector, m: Mapping, canon: str, missing: pd.Series) -> None:
    """Reject rows whose required field ``canon`` is empty (unless the source may leave it empty)."""
    if canon in m.allow_missing:
        return
    where = m.columns.get(canon, canon)
    c.add("missing_required", missing, where, None, f"{canon} is required but '{where}' is empty")


def _stage_and_status(
    raw: pd.DataFrame, m: Mapping, c: IssueCollector
) -> tuple[pd.Series, pd.Series]:
    """Derive (stage, status) from the stage label, a status column and Won/Closed flags."""
    col = m.columns
    status = pd.Series(np.nan, index=raw.index, dtype="str")
    stage = pd.Series(np.nan, index=raw.index, dtype="str")
    if "stage" in col:
        labels = clean_text(raw[col["stage"]])
        mapped = _map_labels(labels, m.stages)
        unknown = mapped == "?"
        if unknown.any():
            known = sorted(set(m.labels.values()))
            hints = {}
            for label in pd.unique(labels[unknown]):
                close = suggest(str(label), known)
                hints[label] = f" (did you mean '{close[0]}'?)" if close else ""
            msg = quoted(
                "unknown stage ",
                labels,
                lambda r: labels[r].map(hints),
                "; map it in spmkb.toml under [deals.stages]",
            )
            c.add("unknown_stage", unknown, col["stage"], labels, msg)
            mapped = mapped.mask(unknown)
        closed = mapped.isin(["won", "lost"])
        status = status.mask(closed, mapped)
        stage = mapped.mask(closed | (mapped == "open"))
    if "status" in col:
        labels = clean_text(raw[col["status"]])
        st = _map_labels(labels, m.stages)
        bad = st.notna() & ~st.isin(["won", "lost", "open"])
        c.add(
            "unknown_stage",
            bad,
            col["status"],
            labels,
            quoted("unknown status ", labels, "; use won, lost or open"),
        )
        status = status.fillna(st.mask(bad | (st == "open")))

    def flag(name: str, label: str) -> pd.Series:
        values, bad = parse_flags(raw[col[name]])
        msg = quoted(f"{label} flag ", raw[col[name]], " is not true/false")
        c.add("bad_flag", bad, col[name], raw[col[name]], msg)
        return values

    if "won" in col:
        won = flag("won", "Won")
        won_t = won.fillna(False).astype(bool)
        if "closed" in col:
            closed_f = flag("closed", "Closed")
            closed_t = closed_f.fillna(False).astype(bool)
            by_flag = pd.Series(np.nan, index=raw.index, dtype="str")
            by_flag = by_flag.mask(closed_t & won_t, "won").mask(
                closed_t & ~won.fillna(True).astype(bool), "lost"
            )
        else:
            by_flag = pd.Series(np.nan, index=raw.index, dtype="str").mask(won_t, "won")
        status = status.fillna(by_flag)
    where = col.get("stage") or col.get("status")
    if where is not None:
        c.add(
            "missing_required",
            stage.isna() & status.isna() & ~c.reject,
            where,
            None,
            f"stage is required but '{where}' is empty",
        )
    return stage, status.fillna("open")


def _amount(raw: pd.DataFrame, m: Mapping, c: IssueCollector, out: pd.DataFrame) -> None:
    """Parse the amount: not a number, negative and missing values are errors."""
    if "amount" not in m.columns:
        out["amount"] = np.nan
        c.note("absent_field", "amount", "no amount column: amounts are empty")
        return
    where = m.columns["amount"]
    values = raw[where]
    amount, bad = parse_amounts(values)
    c.add("bad_amount", bad, where, values, quoted("amount ", values, " is not a number"))
    c.add("negative_amount", amount < 0, where, values, quoted("amount ", values, " is negative"))
    _required(c, m, "amount", amount.isna() & ~bad)
    out["amount"] = amount


def _policies(cfg: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Check the ``[deals]`` options that change validation; return them with defaults."""
    where = getattr(settings, "config_file", None)
    out: dict[str, Any] = {}
    for key, allowed in _POLICIES.items():
        value = str(cfg.get(key, allowed[0])).strip().lower()
        if value not in allowed:
            raise ConfigError(
                f"[deals] {key} = {cfg.get(key)!r} is not one of: " + ", ".join(allowed),
                path=where,
                field=f"deals.{key}",
                hint=f'e.g. {key} = "{allowed[-1]}"',
            )
        out[key] = value
    tz = cfg.get("timezone") or None
    if tz is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"[deals] timezone = {tz!r} is not a known time zone",
                path=where,
                field="deals.timezone",
                hint='use an IANA name such as "Europe/Berlin" or "America/New_York"',
            ) from None
    out["timezone"] = tz
    return out


#: ``[deals]`` options that change validation: allowed values, default first.
_POLICIES: dict[str, tuple[str, ...]] = {
    "far_future_dates": ("reject", "empty"),
    "closed_without_close_date": ("warn", "reject"),
}


def _dates(
    raw: pd.DataFrame, m: Mapping, c: IssueCollector, out: pd.DataFrame, policy: dict[str, Any]
) -> None:
    """Parse created and close dates; unparsable dates and close before created are errors.

    Dates outside 1677-09-22..2262-04-11 (``9999-12-31`` placeholders) are rejected, or
    read as empty with a warning under ``[deals] far_future_dates = "empty"``.
    """
    empty_far = policy["far_future_dates"] == "empty"
    for canon in ("created", "close_date"):
        where = m.columns.get(canon)
        if where is None:
            out[canon] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
            if canon == "created":
                c.note("absent_field", canon, "no created-date column: created is empty")
            continue
        parsed, bad, far = parse_dates_checked(
            raw[where], dayfirst=m.dayfirst, fmt=m.date_format, timezone=policy["timezone"]
        )
        c.add(
            "bad_date",
            bad,
            where,
            raw[where],
            quoted("cannot read date ", raw[where], f" in '{where}'"),
        )
        c.add(
            "date_out_of_range",
            far,
            where,
            raw[where],
            quoted(
                "date ",
                raw[where],
                f" in '{where}' is outside 1677-09-22..2262-04-11"
                + (
                    ": read as no date"
                    if empty_far
                    else '; leave the cell empty for "no date", or set [deals] '
                    'far_future_dates = "empty" to read such dates as empty'
                ),
            ),
            severity="warning" if empty_far else "error",
        )
        if canon == "created":
            _required(c, m, "created", parsed.isna() & ~bad & ~(far & ~empty_far))
        out[canon] = parsed
    before = out["close_date"] < out["created"]
    if before.any():
        day = "%Y-%m-%d"
        msg = Msg(
            "close date ",
            lambda r: out["close_date"][r].dt.strftime(day),
            " is before created date ",
            lambda r: out["created"][r].dt.strftime(day),
        )
        c.add(
            "close_before_created",
            before,
            m.columns["close_date"],
            raw[m.columns["close_date"]],
            msg,
        )


def _closed_without_date(
    m: Mapping, c: IssueCollector, out: pd.DataFrame, policy: dict[str, Any]
) -> None:
    """Flag won/lost deals without a close date (a warning, or an error when configured).

    They keep their status; reports by close period cannot place them. A source with no
    close-date column at all gets one note instead of a problem per row.
    """
    closed = out["status"].isin(["won", "lost"])
    where = m.columns.get("close_date")
    if where is None:
        if closed.any():
            c.note(
                "absent_field",
                "close_date",
                f"no close-date column: {int(closed.sum()):,} closed deals have no close date",
            )
        return
    reject = policy["closed_without_close_date"] == "reject"
    c.add(
        "closed_without_close_date",
        closed & out["close_date"].isna() & ~c.reject,
        where,
        None,
        Msg(
            "closed (",
            out["status"],
            f") deal has no close date in '{where}'; reports by close period leave it out"
            + ("" if reject else '; set [deals] closed_without_close_date = "reject" to reject'),
        ),
        severity="error" if reject else "warning",
    )


def _duplicates(m: Mapping, c: IssueCollector, out: pd.DataFrame) -> None:
    """Reject every row whose id an earlier row already used (the first one loads)."""
    ids = out["id"]
    dup = ids.notna() & ids.duplicated(keep="first")
    if not dup.any():
        return
    firsts = ids.notna() & ~dup & ids.isin(ids[dup])
    first_row = pd.Series(out.index[firsts], index=ids[firsts])
    where = ids[dup].map(first_row).astype("str")
    c.add(
        "duplicate_id",
        dup,
        m.columns.get("id"),
        ids,
        quoted("duplicate id ", ids, " (first used on row ", where, ")"),
    )


def _fill_closed_stage(
    stage: pd.Series, status: pd.Series, ids: pd.Series, history: pd.DataFrame | None
) -> pd.Series:
    """Closed deals without a stage get the furthest stage in their history, else the last open stage."""
    need = stage.isna() & status.isin(["won", "lost"])
    if not need.any():
        return stage
    if (
        history is not None
        and not history.empty
        and {"opportunity_id", "stage"} <= set(history.columns)
    ):
        order = {s: i for i, s in enumerate(PIPELINE_STAGES)}
        h = history.assign(o=history["stage"].astype("str").str.lower().map(order)).dropna(
            subset=["o"]
        )
        furthest = (
            h.groupby(h["opportunity_id"].astype("str"))["o"]
            .max()
            .map(lambda i: PIPELINE_STAGES[int(i)])
        )
        stage = stage.mask(need, ids.map(furthest))
        need = stage.isna() & status.isin(["won", "lost"])
    return stage.mask(need, LAST_OPEN_STAGE)


def _currency(
    out: pd.DataFrame, col: dict[str, str], cfg: dict[str, Any], c: IssueCollector
) -> None:
    """Convert amounts to ``[deals] currency`` with ``rates``, or reject minority currencies."""
    target = str(cfg.get("currency") or "").upper() or None
    rates = {str(k).upper(): float(v) for k, v in (cfg.get("rates") or {}).items()}
    if "currency" not in col:
        if target:
            out["currency"] = target
        return
    cur = out["currency"].str.upper()

    def reject(bad: pd.Series, why: str, fix: str, example: str) -> None:
        c.add("mixed_currency", bad, col["currency"], cur,
              quoted("amount in ", cur, f" {why}; {fix}", cur, example))  # fmt: skip

    if target:
        factor = cur.map({**rates, target: 1.0}).astype("float64")
        bad = cur.notna() & factor.isna()
        reject(
            bad, f"and no rate to {target}", "add it to [deals] rates, e.g. rates = {", " = 1.1}"
        )
        out["amount"] = out["amount"] * factor.fillna(1.0)
        out["currency"] = cur.mask(cur.notna() & ~bad, target).fillna(target)
        return
    if len(cur.dropna().unique()) > 1:
        majority = cur.value_counts().idxmax()
        reject(cur.notna() & (cur != majority), f"but most deals are in {majority}",
               f'set [deals] currency = "{majority}" and rates = {{',
               " = <rate>} in spmkb.toml to convert")  # fmt: skip
    out["currency"] = cur


def _reps(src: Source, good: pd.DataFrame, c: IssueCollector) -> pd.DataFrame:
    """Canonical reps table; reps with deals but no team are reported (their deals still load)."""
    if src.reps is None:
        return empty_frame("reps")
    reps = src.reps.copy()
    for name in REP_COLUMNS:
        if name not in reps.columns:
            reps[name] = np.nan
    reps["rep"] = clean_text(reps["rep"])
    reps["team"] = clean_text(reps["team"])
    reps = reps.dropna(subset=["rep"]).drop_duplicates("rep")
    team = reps.set_index("rep")["team"]
    deal_reps = good["rep"].dropna()
    no_team = deal_reps[deal_reps.map(team).isna()]
    if not no_team.empty:
        sizes = no_team.value_counts()
        first = no_team.reset_index().drop_duplicates("rep").set_index("rep")["row"]
        where = src.reps_path.name if src.reps_path else "the reps table"
        for rep, n in sizes.items():
            c.note(
                "rep_without_team",
                "rep",
                f"rep '{rep}' ({n} deal{'s' if n != 1 else ''}) has no team in {where}; "
                "the deals load but team reports leave them out",
                row=int(first[rep]),
                value=str(rep),
            )
    return cast_table(reps[list(REP_COLUMNS)], "reps")


def _rejected(raw: pd.DataFrame, mask: pd.Series, issues: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows: original columns, then ``row`` and ``reason`` (all error messages)."""
    if not mask.any():
        return pd.DataFrame(columns=[*raw.columns, "row", "reason"])
    errs = issues[issues["severity"] == "error"]
    several = errs["row"].duplicated(keep=False)
    reason = pd.concat(
        [
            errs[~several].set_index("row")["message"],
            errs[several].groupby("row", sort=False)["message"].agg("; ".join),
        ]
    )
    rej = raw[mask].copy()
    rej["row"] = rej.index
    rej["reason"] = rej.index.map(reason)
    return rej.reset_index(drop=True)


def check_deals(
    path: Path | str, *, preset: str | None = None, settings: Any = None
) -> ImportReport:
    """Read and validate a deal export without saving anything."""
    t0 = time.perf_counter()
    cfg = settings.table("deals") if settings is not None else {}
    src = load_source(Path(path), preset, cfg)
    report = validate_source(src, settings)
    report.seconds = time.perf_counter() - t0
    return report


__all__ = ["RULES", "ImportReport", "check_deals", "validate_source"]
