"""Per-deal arrays derived once from :class:`DealData` and shared by every metric.

Metric functions are groupbys over these arrays: a deal's rep/team codes, status, amount,
created/close day numbers, which stages it reached (stage history, else the furthest stage
recorded), and behaviour features from activities. The derivation is cached per DealData
(while its tables are the same objects), so a dashboard computing ten metrics pays it once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.periods import Period, Window, parse_scope
from spmkb.deals.schema import LOST, OPEN, PIPELINE_STAGES, WON, DealData
from spmkb.errors import DealDataError, NotFoundError

#: Rows with fewer closed deals than this carry a ``warning``.
MIN_CLOSED = 30
NO_DAY = np.int64(-(2**62))  # day number standing for a missing date
NO_TEAM = "(no team)"
N_STAGES = len(PIPELINE_STAGES)


def days(values: Any) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of a datetime Series/array; missing -> ``NO_DAY``."""
    arr = pd.to_datetime(pd.Series(values), errors="coerce")
    out = arr.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    out[arr.isna().to_numpy()] = NO_DAY
    return out


def day_of(d: date) -> int:
    """The day number of a date."""
    return int(np.datetime64(d, "D").astype(np.int64))


def date_of(day: int) -> date:
    """The date of a day number."""
    return np.datetime64(int(day), "D").astype(date)


@dataclass
class DealFrame:
    """Aligned per-deal arrays (index = row of ``data.opportunities``)."""

    n: int
    rep: np.ndarray  # int codes into rep_names
    rep_names: np.ndarray
    team: np.ndarray  # int codes into team_names
    team_names: np.ndarray
    rep_team: dict[str, str]
    status: np.ndarray  # "won"/"lost"/"open" as object
    won: np.ndarray
    lost: np.ndarray
    open: np.ndarray
    amount: np.ndarray  # float, missing -> NaN (sum known amounts with np.nansum / nan_to_num)
    has_amount: bool  # at least one deal carries an amount
    created: np.ndarray
    close: np.ndarray
    reached: np.ndarray  # bool (n, N_STAGES)
    entered: (
        np.ndarray
    )  # int day (n, N_STAGES) a stage was entered (stage history), NO_DAY = unknown
    furthest: np.ndarray  # int index of the last stage reached
    passed: np.ndarray  # bool (n, N_STAGES): known to have moved beyond stage k (last: won)
    resolved: np.ndarray  # bool (n, N_STAGES): known to have passed or been lost at stage k
    hist_deal: np.ndarray  # bool (n,): the deal has stage history (its path is known)
    last_stage_known: bool  # deals without history still show last stage -> won (see _build)
    contacts: np.ndarray  # float, NaN = no activity
    disc_before_demo: np.ndarray  # float 1/0, NaN = no demo
    first_response: np.ndarray  # float hours, NaN = unknown
    has_history: bool
    has_activities: bool
    rep_start: np.ndarray = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )  # per rep code

    @property
    def closed(self) -> np.ndarray:
        """Won or lost."""
        return self.won | self.lost


_CACHE: dict[int, tuple[tuple[Any, ...], DealFrame]] = {}


def deal_frame(data: DealData) -> DealFrame:
    """Return the cached :class:`DealFrame` of ``data`` (rebuilt when a table object changes)."""
    tables = (data.opportunities, data.stage_history, data.activities, data.reps)
    hit = _CACHE.get(id(data))
    if hit is not None and all(a is b for a, b in zip(hit[0], tables, strict=True)):
        return hit[1]
    frame = _build(data)
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(data)] = (tables, frame)
    return frame


def _arrow_strings(values: Any) -> Any:
    """A pyarrow large_string Array of a Series/array (zero-copy for Arrow-backed strings)."""
    import pyarrow as pa

    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"):
        s = s.astype("string[pyarrow]")
    arr = pa.array(s.array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.large_string())


def lookup(values: Any, choices: Any, *, lower: bool = False) -> np.ndarray:
    """Index of each value in ``choices`` (-1 when absent or missing), hashed in Arrow.

    ``lower`` also matches the Title and UPPER case spellings of ``choices`` (cheaper than
    lower-casing millions of values).
    """
    import pyarrow.compute as pc

    arr = (
        values
        if not isinstance(values, (pd.Series, pd.api.extensions.ExtensionArray))
        else _arrow_strings(values)
    )
    if isinstance(choices, (list, tuple)):
        base = [str(c) for c in choices]
        variants = (
            [*base, *(c.title() for c in base), *(c.upper() for c in base)] if lower else base
        )
        idx = pc.index_in(arr, value_set=_arrow_strings(pd.Series(variants)))
        out = idx.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return np.where(out >= 0, out % len(base), -1)
    idx = pc.index_in(arr, value_set=choices)
    return idx.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _runs(arr: Any) -> tuple[Any, np.ndarray | None]:
    """(values to hash, run lengths) — one value per run when records are grouped, else all."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(arr) < 2:
        return arr, None
    change = pc.not_equal(arr.slice(1), arr.slice(0, len(arr) - 1))
    starts = np.flatnonzero(np.r_[True, change.fill_null(True).to_numpy(zero_copy_only=False)])
    if len(starts) > len(arr) // 2:  # not grouped by deal
        return arr, None
    return pc.take(arr, pa.array(starts)), np.diff(np.r_[starts, len(arr)])


def _deal_positions(data: DealData, ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """Row of each stage-history and activity record's opportunity (-1 = unknown).

    Both tables are looked up in one Arrow hash pass; a table grouped by opportunity (as
    stage history usually is) hashes one value per run.
    """
    import pyarrow as pa

    hist, acts = data.stage_history, data.activities
    parts = []
    for frame in (hist, acts):
        if len(frame) and "opportunity_id" in frame:
            parts.append(_runs(_arrow_strings(frame["opportunity_id"])))
        else:
            parts.append((pa.array([], pa.large_string()), None))
    pos = (
        lookup(pa.concat_arrays([p[0] for p in parts]), ids)
        if any(len(p[0]) for p in parts)
        else None
    )
    out = []
    offset = 0
    for values, lengths in parts:
        chunk = pos[offset : offset + len(values)] if pos is not None else np.zeros(0, np.int64)
        offset += len(values)
        out.append(chunk if lengths is None else np.repeat(chunk, lengths))
    return out[0], out[1]


def _history_part(hist: pd.DataFrame, hidx: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(reached, entered) matrices from the stage history."""
    reached = np.zeros((n, N_STAGES), dtype=bool)
    entered = np.full((n, N_STAGES), NO_DAY)
    if len(hist):
        hst = lookup(hist["stage"], PIPELINE_STAGES, lower=True)
        ok = (hidx >= 0) & (hst >= 0)
        reached[hidx[ok], hst[ok]] = True
        entered[hidx[ok], hst[ok]] = days(hist["entered_at"])[ok]
    return reached, entered


def _activity_part(
    acts: pd.DataFrame, aidx: np.ndarray, n: int, close: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(max contacts up to the close date, first discovery day, first demo day) per deal.

    Contacts count only activities dated on or before the deal's close date (the decision),
    so a long-lived deal does not look engaged for activities after it was decided; an
    activity or deal without a date counts (its order is unknown).
    """
    contacts = np.full(n, np.nan)
    disc_day = np.full(n, NO_DAY)
    demo_day = np.full(n, NO_DAY)
    if not len(acts) or not len(aidx):
        return contacts, disc_day, demo_day
    ok = aidx >= 0
    aday = days(acts["date"]) if "date" in acts else np.full(len(acts), NO_DAY)
    if "contacts" in acts:
        c = pd.to_numeric(acts["contacts"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        cday = np.where(ok, close[np.where(ok, aidx, 0)], NO_DAY)
        before = (aday == NO_DAY) | (cday == NO_DAY) | (aday <= cday)
        sel = ok & before
        np.fmax.at(contacts, aidx[sel], c[sel])
    codes = lookup(acts["type"], ("discovery", "demo"), lower=True)
    if (codes >= 0).any():
        big = np.iinfo(np.int64).max
        for code, out in ((0, disc_day), (1, demo_day)):
            sel = ok & (codes == code) & (aday != NO_DAY)
            first = np.full(n, big)
            np.minimum.at(first, aidx[sel], aday[sel])
            out[first != big] = first[first != big]
    return contacts, disc_day, demo_day


def _build(data: DealData) -> DealFrame:
    from concurrent.futures import ThreadPoolExecutor

    opps = data.opportunities
    n = len(opps)
    ids = _arrow_strings(opps["id"])
    hist, acts = data.stage_history, data.activities
    hidx, aidx = _deal_positions(data, ids)
    created, close = days(opps["created"]), days(opps["close_date"])
    # Arrow and ufunc.at release the GIL: derive history and activity features side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        hist_job = pool.submit(_history_part, hist, hidx, n)
        acts_job = pool.submit(_activity_part, acts, aidx, n, close)
        rep_codes, rep_names = pd.factorize(opps["rep"].astype("string").fillna("(no rep)"))
        status_code = lookup(opps["status"], (WON, LOST, OPEN), lower=True)
        stage_idx = lookup(opps["stage"], PIPELINE_STAGES, lower=True)
        amount = pd.to_numeric(opps["amount"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        reached, entered = hist_job.result()
        contacts, disc_day, act_demo = acts_job.result()
    rep_names = np.asarray(rep_names, dtype=object)
    reps = data.reps
    rep_team: dict[str, str] = {}
    rep_start = np.full(len(rep_names), NO_DAY)
    if len(reps):
        rep_team = dict(zip(reps["rep"].astype(str), reps["team"].astype(str), strict=True))
        if "start_date" in reps:
            starts = dict(zip(reps["rep"].astype(str), days(reps["start_date"]), strict=True))
            rep_start = np.array([starts.get(str(r), NO_DAY) for r in rep_names], dtype=np.int64)
    teams_of_reps = np.array([rep_team.get(r, NO_TEAM) for r in rep_names], dtype=object)
    team_codes_of_reps, team_names = pd.factorize(teams_of_reps)
    team = team_codes_of_reps[rep_codes] if n else np.zeros(0, dtype=np.int64)
    won, lost = status_code == 0, status_code == 1
    status = np.array([WON, LOST, OPEN], dtype=object)[np.where(status_code < 0, 2, status_code)]
    has_history = len(hist) > 0
    demo_day = entered[:, PIPELINE_STAGES.index("demo")]
    hist_deal = reached.any(axis=1)
    fallback = np.where(stage_idx >= 0, stage_idx, np.where(won, N_STAGES - 1, 0))
    # ``reached`` (funnel, forecast) assumes a deal without history went through every stage
    # up to its recorded one; ``passed``/``resolved`` (conversions) use only what is known.
    reached |= ~hist_deal[:, None] & (np.arange(N_STAGES)[None, :] <= fallback[:, None])
    known = stage_idx >= 0
    reached[np.nonzero(known)[0], stage_idx[known]] = True
    furthest = N_STAGES - 1 - np.argmax(reached[:, ::-1], axis=1)
    beyond = (furthest[:, None] > np.arange(N_STAGES)[None, :]) | won[:, None]
    passed = reached & beyond & hist_deal[:, None]
    lost_here = lost[:, None] & (furthest[:, None] == np.arange(N_STAGES)[None, :])
    resolved = passed | (reached & lost_here & hist_deal[:, None])
    # Without history only last stage -> won is knowable: from closed deals recorded at the
    # last stage (won deals passed it). Not when every lost deal carries one and the same
    # earlier stage: that is a placeholder an export fills in (Olist: qualification), and
    # the conversion would be 100 % by construction.
    lost_nh = np.unique(stage_idx[lost & ~hist_deal & known])
    last_stage_known = not (len(lost_nh) == 1 and lost_nh[0] != N_STAGES - 1)
    if last_stage_known:
        last = N_STAGES - 1
        passed[:, last] |= ~hist_deal & won
        resolved[:, last] |= ~hist_deal & (won | (lost & known & (stage_idx == last)))

    has_acts = len(acts) > 0
    disc_before_demo = np.full(n, np.nan)
    demo = np.where(
        (act_demo != NO_DAY) & ((demo_day == NO_DAY) | (act_demo < demo_day)), act_demo, demo_day
    )
    if has_acts:  # only judged when activities were logged
        has_demo = demo != NO_DAY
        disc_before_demo[has_demo] = ((disc_day != NO_DAY) & (disc_day <= demo))[has_demo]
    frh = np.full(n, np.nan)
    if "first_response_hours" in opps:
        frh = pd.to_numeric(opps["first_response_hours"], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
    return DealFrame(
        n=n, rep=rep_codes, rep_names=rep_names, team=team,
        team_names=np.asarray(team_names, dtype=object), rep_team=rep_team, status=status,
        won=won, lost=lost, open=~(won | lost), amount=amount,
        has_amount=bool(np.isfinite(amount).any()), created=created, close=close,
        reached=reached, entered=entered, furthest=furthest, passed=passed, resolved=resolved,
        hist_deal=hist_deal, last_stage_known=last_stage_known, contacts=contacts,
        disc_before_demo=disc_before_demo, first_response=frh, has_history=has_history,
        has_activities=has_acts, rep_start=rep_start,
    )  # fmt: skip


def parse_period(period: str | Period | Window | None) -> Period | Window | None:
    """Parse an optional period label or tenure window (``days 0-90``)."""
    return None if period is None else parse_scope(period)


def _in_window(f: DealFrame, day: np.ndarray, w: Window) -> np.ndarray:
    """Deals whose ``day`` lies in window ``w`` of their rep's tenure (reps without a start: none)."""
    start = f.rep_start[f.rep] if f.n else np.zeros(0, dtype=np.int64)
    known = (start != NO_DAY) & (day != NO_DAY)
    return known & (day >= start + w.start) & (day <= start + w.end)


def select(
    f: DealFrame,
    *,
    rep: str | None = None,
    team: str | None = None,
    period: str | Period | Window | None = None,
    by: str = "close",
) -> np.ndarray:
    """Boolean mask of deals of ``rep``/``team`` whose close date (``by="created"``: created
    date) lies in ``period`` — a calendar period, or a tenure window of each deal's rep."""
    from spmkb.deals.roster import match_name

    mask = np.ones(f.n, dtype=bool)
    if rep is not None:
        name = match_name(rep, f.rep_names, "rep")
        mask &= f.rep == int(np.nonzero(f.rep_names == name)[0][0])
    if team is not None:
        if not f.rep_team:
            raise NotFoundError(
                f"no team named {team!r}: the deal data has no reps table with teams",
                hint="import a reps file (rep, team) with the deals",
            )
        name = match_name(team, f.team_names, "team")
        mask &= f.team == int(np.nonzero(f.team_names == name)[0][0])
    p = parse_period(period)
    day = f.created if by == "created" else f.close
    if isinstance(p, Window):
        mask &= _in_window(f, day, p)
    elif p is not None:
        mask &= (day >= day_of(p.start)) & (day <= day_of(p.end))
    return mask


def data_today(data: DealData) -> date:
    """The latest date in the data (its "today"): last creation, close or activity date."""
    f = deal_frame(data)
    candidates = [f.created.max() if f.n else NO_DAY]
    closed = f.closed
    if closed.any():
        candidates.append(f.close[closed].max())
    best = max(int(c) for c in candidates)
    if best == NO_DAY:
        raise DealDataError(
            "the deal data has no dates", hint="import opportunities with created dates"
        )
    return date_of(best)


def latest_period(data: DealData, kind: str = "quarter") -> Period:
    """The period of ``kind`` containing the data's latest date (the "current" period)."""
    from spmkb.deals.periods import period_of

    return period_of(data_today(data), kind)


def period_or_latest(data: DealData, period: str | Period | None, what: str) -> Period:
    """``period`` as a calendar period (a tenure window is refused for ``what``), else the
    data's current quarter."""
    from spmkb.deals.periods import calendar_period

    return calendar_period(period, what) if period is not None else latest_period(data)


def warning_for(
    n: np.ndarray | pd.Series, threshold: int = MIN_CLOSED, what: str = "closed deals"
) -> np.ndarray:
    """A ``warning`` column: text where ``n`` is below ``threshold``, else empty."""
    arr = np.asarray(n, dtype=float)
    out = np.full(arr.shape, "", dtype=object)
    low = arr < threshold
    out[low] = [
        f"small sample: {int(x)} {what} (< {threshold}); treat with caution" for x in arr[low]
    ]
    return out


def two_proportion_p(x1: Any, n1: Any, x2: Any, n2: Any) -> np.ndarray:
    """Two-sided p-values of the two-proportion z-test (pooled), element-wise; NaN when undefined."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    erfc = np.vectorize(lambda v: math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else np.nan)
    p = erfc(z) if z.size else z
    return np.asarray(p, dtype=float)


def ratio(a: Any, b: Any) -> np.ndarray:
    """Element-wise a / b with NaN where b is 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / b, np.nan)
