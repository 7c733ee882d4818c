"""Find deals and one deal's context, as plain values for the faces.

:class:`DealIndex` searches a workspace's deals by account, deal name (when the data has a
``name`` column) or id, ignoring case and accents (``sao paulo`` finds ``São Paulo Imports``),
open deals first and then closed ones, most recently closed first; the rep filter goes
through the roster (:mod:`spmkb.deals.roster`), so an unknown rep gets "did you mean".

``search`` and ``deals`` are engines and do not import each other: the CLI and the widgets
look a deal up here and hand the plain values to :func:`spmkb.search.recommend.recommend`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from spmkb.deals.roster import rep_key, roster
from spmkb.deals.schema import OPEN, DealData
from spmkb.errors import NotFoundError, suggest

#: Columns of a deal that describe its situation (what a rep should read depends on them).
CONTEXT_COLUMNS = ("stage", "industry", "competitor", "status", "account")
#: How many deals a search returns unless told otherwise.
LIMIT = 50


def _plain(value: Any) -> str | None:
    """``value`` as text, or None when it is missing (None, NaN, NaT, NA, blank)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def fold(text: str) -> str:
    """``text`` for matching: accents dropped, case folded, whitespace collapsed (``São`` -> ``sao``)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _fold_column(values: pd.Series) -> pd.Series:
    """:func:`fold` over a text column (missing -> empty), computed once per distinct value."""
    text = values.astype("object").where(values.notna(), "")
    uniques = {v: fold(v) for v in pd.unique(text)}
    return text.map(uniques).astype(str)


@dataclass(frozen=True)
class DealChoice:
    """One deal as a picker shows it: id, account, name, rep, stage, status and its date."""

    id: str
    account: str | None
    name: str | None
    rep: str | None
    stage: str | None
    status: str | None
    close_date: date | None

    @property
    def is_open(self) -> bool:
        """Whether the deal is still open."""
        return (self.status or "").lower() == OPEN

    def label(self) -> str:
        """One line for a list: ``Acme — Renewal · D-1 · negotiation · Ana · closes 2026-09-30``."""
        who = self.account or "(no account)"
        if self.name and self.name != self.account:
            who += f" — {self.name}"
        stage = self.stage or "no stage"
        if not self.is_open and self.status:
            stage += f", {self.status}"
        parts = [who, self.id, stage, self.rep or "no rep"]
        if self.close_date is not None:
            parts.append(("closes " if self.is_open else "closed ") + self.close_date.isoformat())
        return " · ".join(parts)


@dataclass(frozen=True)
class DealMatches:
    """The deals a search found: the first ``limit`` of them, how many in all, and the search."""

    choices: list[DealChoice]
    total: int
    text: str
    rep: str | None


class DealIndex:
    """The deals of one :class:`DealData`, ready to search as a rep types."""

    def __init__(self, data: DealData) -> None:
        """Fold the searchable columns once (account, name, id) and keep the sort keys."""
        self.data = data
        o = data.opportunities
        frame = pd.DataFrame(index=o.index)
        frame["id"] = o["id"].astype(str)
        frame["account"] = _fold_column(o["account"]) if "account" in o else ""
        frame["name"] = _fold_column(o["name"]) if "name" in o else ""
        frame["fid"] = frame["id"].map(fold)
        frame["hay"] = frame["account"] + " | " + frame["name"] + " | " + frame["fid"]
        is_open = o["status"].astype(str).str.lower().eq(OPEN).to_numpy()
        frame["closed"] = ~is_open
        close = pd.Series(
            pd.to_datetime(o["close_date"]) if "close_date" in o else pd.NaT, index=o.index
        )
        # Open deals first, soonest expected close first; then closed ones, latest close first;
        # no date last; then account and id. Computed once (a search only adds the text match).
        when = _when_key(close, pd.Series(is_open, index=o.index)).to_numpy()
        base = np.lexsort((frame["id"].to_numpy(), frame["account"].to_numpy(), when, ~is_open))
        frame["base_rank"] = np.empty(len(frame), dtype=int)
        frame.iloc[base, frame.columns.get_loc("base_rank")] = np.arange(len(frame))
        frame["rep"] = (
            o["rep"].astype("object").map(lambda r: rep_key(r) if isinstance(r, str) else None)
        )
        self.frame = frame

    def __len__(self) -> int:
        """How many deals there are."""
        return len(self.frame)

    def reps(self) -> list[str]:
        """Names of the reps who own deals, sorted (the rep filter's choices)."""
        return roster(self.data).names(with_deals=True)

    def search(self, text: str = "", *, rep: str | None = None, limit: int = LIMIT) -> DealMatches:
        """Deals whose account, name or id holds every word of ``text`` (case and accents ignored).

        Open deals come first (soonest expected close first), then closed ones (most recently
        closed first); within each, deals whose account or name starts with ``text`` lead.
        ``rep`` keeps one rep's deals (NotFoundError with suggestions for an unknown rep).
        """
        f = self.frame
        keep = np.ones(len(f), dtype=bool)
        rep_name = None
        if rep:
            rep_name = roster(self.data).find_name(rep)
            keep &= (f["rep"] == rep_name).to_numpy()
        query = fold(text)
        for word in query.split():
            keep &= f["hay"].str.contains(word, regex=False).to_numpy()
        hits = f[keep]
        match = np.zeros(len(hits), dtype=int)
        if query:  # 0: account or name starts with the text, 1: the id does, 2: elsewhere
            starts = hits["account"].str.startswith(query) | hits["name"].str.startswith(query)
            id_starts = hits["fid"].str.startswith(query)
            match = (~starts).to_numpy(int) + (~(starts | id_starts)).to_numpy(int)
        # base_rank already orders open before closed, then by date, account and id
        order = np.lexsort((hits["base_rank"].to_numpy(), match, hits["closed"].to_numpy()))
        chosen = hits.index[order[: max(limit, 0)]]
        return DealMatches(self._choices(chosen), len(hits), text.strip(), rep_name)

    def _choices(self, index: Any) -> list[DealChoice]:
        """The :class:`DealChoice` of each opportunity at ``index`` (labels, in that order)."""
        o = self.data.opportunities
        cols = ["id", "account", "name", "rep", "stage", "status", "close_date"]
        rows = o.loc[index].reindex(columns=cols).astype(object)
        out = []
        for r in rows.itertuples(index=False):
            close = r.close_date
            out.append(
                DealChoice(
                    id=str(r.id),
                    account=_plain(r.account),
                    name=_plain(r.name),
                    rep=_plain(r.rep),
                    stage=_plain(r.stage),
                    status=_plain(r.status),
                    close_date=None
                    if close is None or pd.isna(close)
                    else pd.Timestamp(close).date(),
                )
            )
        return out

    def get(self, deal_id: str) -> DealChoice:
        """The deal with id ``deal_id``; NotFoundError with the closest ids when there is none."""
        hit = self.frame.index[self.frame["id"] == str(deal_id)]
        if not len(hit):
            raise NotFoundError(
                f"no deal '{deal_id}' in the deal data",
                suggestions=suggest(str(deal_id), list(self.frame["id"])),
            )
        return self._choices(hit[:1])[0]

    def context(self, deal_id: str) -> dict[str, str | None]:
        """``id``, stage, industry, competitor, status and account of one deal, as plain text."""
        return context_of(self.data, deal_id)


def _when_key(close: pd.Series, is_open: pd.Series) -> pd.Series:
    """Sort key by date: open deals soonest close first, closed ones latest first, no date last."""
    days = close.to_numpy(dtype="datetime64[D]").astype("float64")
    days[pd.isna(close).to_numpy()] = float("inf")
    key = pd.Series(days, index=close.index)
    closed = ~is_open & key.ne(float("inf"))
    key[closed] = -key[closed]
    return key


_CACHE: dict[int, tuple[Any, DealIndex]] = {}


def deal_index(data: DealData) -> DealIndex:
    """The :class:`DealIndex` of ``data`` (cached while its opportunities are the same object)."""
    hit = _CACHE.get(id(data))
    if hit is not None and hit[0] is data.opportunities:
        return hit[1]
    index = DealIndex(data)
    if len(_CACHE) >= 4:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(data)] = (data.opportunities, index)
    return index


def find_deals(
    data: DealData, text: str = "", *, rep: str | None = None, limit: int = LIMIT
) -> DealMatches:
    """Search ``data``'s deals (see :meth:`DealIndex.search`)."""
    return deal_index(data).search(text, rep=rep, limit=limit)


def context_of(data: DealData, deal_id: str) -> dict[str, str | None]:
    """``id``, stage, industry, competitor, status and account of a deal in ``data``, as plain text.

    NotFoundError with the closest ids when there is no such deal. Missing values are None,
    never empty strings.
    """
    opps = data.opportunities
    ids = opps["id"].astype(str)
    match = opps[ids == str(deal_id)]
    if match.empty:
        raise NotFoundError(
            f"no deal '{deal_id}' in the deal data", suggestions=suggest(str(deal_id), list(ids))
        )
    row = match.iloc[0]
    return {"id": str(deal_id), **{c: _plain(row.get(c)) for c in CONTEXT_COLUMNS}}


def deal_context(settings: Any, deal_id: str) -> dict[str, str | None]:
    """``id``, stage, industry, competitor, status and account of one deal of the workspace.

    Reads the workspace's deal data (see :func:`context_of`).
    """
    from spmkb.deals.workspace import load_deal_data

    return context_of(load_deal_data(settings), deal_id)


__all__ = [
    "CONTEXT_COLUMNS",
    "DealChoice",
    "DealIndex",
    "DealMatches",
    "context_of",
    "deal_context",
    "deal_index",
    "find_deals",
    "fold",
]
