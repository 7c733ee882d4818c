"""The search log: every search and every opened result, kept in the workspace SQLite database.

Faces call :func:`log_search` after a search and :func:`log_open` when a rep opens a result;
:func:`content_gaps` turns the log (plus the playbook library) into the tables an enablement
team acts on: the most frequent questions, questions with no or poor answers, and stages or
asset types with few assets. Logging never blocks a search: faces catch ``StorageError``.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spmkb.errors import StorageError
from spmkb.storage import connect, register_schema, transaction

if TYPE_CHECKING:
    import pandas as pd

    from spmkb.config import Settings
    from spmkb.search.model import SearchResult

register_schema(
    "search_log",
    """
CREATE TABLE IF NOT EXISTS search_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    session TEXT,
    source TEXT NOT NULL,
    query TEXT NOT NULL,
    norm_query TEXT NOT NULL,
    filters TEXT NOT NULL,
    mode TEXT,
    results INTEGER NOT NULL,
    took_ms REAL,
    top_ids TEXT NOT NULL,
    k INTEGER
);
CREATE INDEX IF NOT EXISTS search_log_norm ON search_log (norm_query);
CREATE TABLE IF NOT EXISTS search_open (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    session TEXT,
    source TEXT NOT NULL,
    search_id INTEGER REFERENCES search_log (id) ON DELETE SET NULL,
    asset_id TEXT NOT NULL,
    rank INTEGER,
    action TEXT NOT NULL DEFAULT 'open',
    deal_id TEXT,
    deal_stage TEXT
);
""",
)

#: Columns added after the tables' first release (older databases gain them).
_ADDED_COLUMNS = {
    "search_open": (("deal_id", "TEXT"), ("deal_stage", "TEXT")),
    "search_log": (("k", "INTEGER"),),
}

#: Searches with fewer results than this count as "poor".
POOR_RESULTS = 3  # or than they asked for (k), when that is fewer
#: Faces that cannot record an open: their searches are never "poor" for not being opened.
NO_OPENS = ("cli", "api")
#: Stages/types with fewer assets than this are listed as thin coverage.
FEW_ASSETS = 2


_CONNECTIONS: dict[tuple[str, int], sqlite3.Connection] = {}


def _upgrade(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Add the columns a database made by an older spmkb lacks (opens: deal id and stage;
    searches: the k they asked for)."""
    for table, added in _ADDED_COLUMNS.items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        missing = [(n, t) for n, t in added if n not in have]
        if missing:
            with transaction(conn):
                have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                for name, kind in missing:
                    if name not in have:  # another process may have added it meanwhile
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    return conn


def _connect(settings: Settings) -> sqlite3.Connection:
    """A connection to the workspace database, opened (and checked) once per thread."""
    key = (str(Path(settings.db_path).resolve()), threading.get_ident())
    conn = _CONNECTIONS.get(key)
    if conn is None or not Path(key[0]).exists():
        conn = _CONNECTIONS[key] = _upgrade(connect(settings.db_path))
    return conn


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def local_time(ts: str | None) -> str:
    """A logged UTC timestamp as readable local time, ``2026-11-30 16:02`` ('' when missing)."""
    if not ts:
        return ""
    return datetime.fromisoformat(ts).astimezone().strftime("%Y-%m-%d %H:%M")


def normalise_query(query: str) -> str:
    """Lower-case, trim and collapse whitespace so repeated questions group together."""
    return re.sub(r"\s+", " ", query.strip().lower())


def log_search(
    settings: Settings, result: SearchResult, source: str = "api", *, session: str | None = None
) -> int:
    """Record one search (query, filters, result count, took_ms, time, session); return its id."""
    filters = {k: v for k, v in (result.filters or {}).items() if v not in (None, "", [])}
    row = (
        _now(),
        session,
        source,
        result.query,
        normalise_query(result.query),
        json.dumps(filters, sort_keys=True),
        result.mode,
        len(result.hits),
        float(result.took_ms),
        json.dumps([h.id for h in result.hits]),
        getattr(result, "k", None),
    )
    conn = _connect(settings)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO search_log (ts, session, source, query, norm_query, filters, mode, "
            "results, took_ms, top_ids, k) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )
    return int(cur.lastrowid or 0)


def try_log_search(
    settings: Settings, result: SearchResult, source: str = "api", *, session: str | None = None
) -> int | None:
    """:func:`log_search` that never fails a search: storage errors are logged and swallowed."""
    try:
        return log_search(settings, result, source, session=session)
    except (StorageError, OSError) as err:  # one line, no traceback: the search itself worked
        logging.getLogger(__name__).warning("search not logged: %s", err)
        return None


def log_open(
    settings: Settings,
    asset_id: str,
    *,
    search_id: int | None = None,
    rank: int | None = None,
    source: str = "api",
    session: str | None = None,
    action: str = "open",
    deal_id: str | None = None,
    deal_stage: str | None = None,
) -> int:
    """Record that a result was opened (``action``: open, similar, lab); return the row id.

    ``deal_id`` and ``deal_stage``: the deal the rep was reading for (plain values from the
    face's deal picker) and its stage at that moment; the outcomes report reads them.
    """
    conn = _connect(settings)
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO search_open (ts, session, source, search_id, asset_id, rank, action, "
            "deal_id, deal_stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_now(), session, source, search_id, asset_id, rank, action, deal_id, deal_stage),
        )
    return int(cur.lastrowid or 0)


def read_searches(settings: Settings) -> pd.DataFrame:
    """Every logged search as a DataFrame (newest last), with ``filters`` decoded to dicts."""
    import pandas as pd

    conn = _upgrade(connect(settings.db_path))  # an older log gains k (unknown: NULL)
    try:
        frame = pd.read_sql_query("SELECT * FROM search_log ORDER BY id", conn)
    finally:
        conn.close()
    frame["filters"] = frame["filters"].map(json.loads)
    frame["top_ids"] = frame["top_ids"].map(json.loads)
    frame["k"] = frame["k"].astype("float64")  # NULL (not logged) reads as NaN
    return frame


def read_opens(settings: Settings) -> pd.DataFrame:
    """Every logged open as a DataFrame (newest last)."""
    import pandas as pd

    conn = _upgrade(connect(settings.db_path))
    try:
        return pd.read_sql_query("SELECT * FROM search_open ORDER BY id", conn)
    finally:
        conn.close()


def read_deal_opens(settings: Settings) -> pd.DataFrame:
    """Logged opens made for a deal: ``deal_id``, ``asset_id``, ``deal_stage``, ``ts``, ``source``.

    Only real reading counts (``open`` and followed ``link`` actions, not "More like this").
    An empty frame when nothing was logged yet (no database is created for the asking).
    """
    import pandas as pd

    cols = ["deal_id", "asset_id", "deal_stage", "ts", "source"]
    if not Path(settings.db_path).exists():
        return pd.DataFrame(columns=cols)
    opens = read_opens(settings)
    mask = opens["deal_id"].notna() & opens["action"].isin(["open", "link"])
    return opens.loc[mask, cols].reset_index(drop=True)


def _asset_counts(settings: Settings, library: Any | None) -> tuple[list[Any], Any]:
    """Assets of the playbook library (content layer) for coverage counts."""
    if library is None:
        from spmkb.content import load_library

        library = load_library(settings.playbooks, settings)
    return list(library.assets), library


def content_gaps(
    settings: Settings,
    *,
    top: int = 20,
    poor: int = POOR_RESULTS,
    few: int = FEW_ASSETS,
    library: Any | None = None,
) -> dict[str, pd.DataFrame]:
    """Tables of content gaps from the search log and the library.

    Keys: ``top_queries`` (most frequent questions), ``zero_results`` (never answered),
    ``poor_results`` (answered, but with fewer results than asked for — at most ``poor`` are
    expected, so a search for 3 that got 3 is fine — or never opened in a face that records
    opens; ``why`` says which), ``stages`` and ``types`` (assets per stage/type, thin ones
    first: fewer than ``few`` assets is a gap). ``last_searched`` is local time to the minute.
    """
    import pandas as pd

    searches = read_searches(settings)
    opens = read_opens(settings)
    columns = ["query", "searches", "avg_results", "min_results", "opened", "last_searched"]
    if searches.empty:
        grouped = pd.DataFrame(columns=[*columns, "wanted", "openable"])
    else:
        opened = opens.dropna(subset=["search_id"]).merge(
            searches[["id", "norm_query"]], left_on="search_id", right_on="id"
        )
        open_counts = opened.groupby("norm_query").size()
        # results a search could be expected to show: what it asked for, at most ``poor``
        searches["wanted"] = searches["k"].clip(upper=poor).fillna(poor)
        searches["openable"] = ~searches["source"].isin(NO_OPENS) & (searches["results"] > 0)
        grouped = (
            searches.groupby("norm_query")
            .agg(
                searches=("id", "size"),
                avg_results=("results", "mean"),
                min_results=("results", "min"),
                last_searched=("ts", "max"),
                wanted=("wanted", "mean"),
                openable=("openable", "sum"),
            )
            .reset_index()
            .rename(columns={"norm_query": "query"})
        )
        grouped["opened"] = grouped["query"].map(open_counts).fillna(0).astype(int)
        grouped = grouped.sort_values(
            ["searches", "last_searched"], ascending=[False, False], kind="stable"
        )
        grouped["last_searched"] = grouped["last_searched"].map(local_time)
    few_results = (grouped["avg_results"] > 0) & (grouped["avg_results"] < grouped["wanted"])
    unopened = (grouped["openable"] > 0) & (grouped["opened"] == 0)
    grouped["why"] = [
        "; ".join(
            ([f"{r.avg_results:.1f} results on average, {r.wanted:g} wanted"] if short else [])
            + ([f"never opened ({r.openable:g} searches with results)"] if never else [])
        )
        for r, short, never in zip(grouped.itertuples(), few_results, unopened, strict=True)
    ]
    grouped["avg_results"] = grouped["avg_results"].astype(float).round(1)
    top_queries = grouped[columns].head(top).reset_index(drop=True)
    zero = grouped.loc[grouped["avg_results"] == 0, columns].reset_index(drop=True)
    poor_mask = (grouped["avg_results"] > 0) & (few_results | unopened)
    poor_results = grouped.loc[poor_mask, [*columns, "why"]].reset_index(drop=True)

    assets, _lib = _asset_counts(settings, library)
    tables: dict[str, pd.DataFrame] = {
        "top_queries": top_queries,
        "zero_results": zero,
        "poor_results": poor_results,
    }
    for facet, vocab, attr in (
        ("stage", settings.stages, "stages"),
        ("type", settings.types, "type"),
    ):
        counts: dict[str, int] = dict.fromkeys(vocab, 0)
        for asset in assets:
            values = getattr(asset, attr)
            for v in [values] if isinstance(values, str) else values:
                counts[v] = counts.get(v, 0) + 1
        frame = pd.DataFrame({facet: list(counts), "assets": list(counts.values())})
        frame["gap"] = frame["assets"] < few
        frame = frame.sort_values(["assets", facet], kind="stable").reset_index(drop=True)
        frame.attrs.update(assets=len(assets), few=few)  # the n and threshold, for the charts
        tables[f"{facet}s"] = frame
    return tables
