"""Opens logged with the deal they were for (search log), and old databases gaining the columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from spmkb.config import load_settings
from spmkb.search.log import log_open, read_deal_opens, read_opens


def _plain(frame):  # type: ignore[no-untyped-def]
    """``frame`` with missing values as None (pandas reads SQL NULLs as NaN or None)."""
    return frame.astype(object).where(frame.notna(), None)


def _settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})


def test_open_carries_the_deal_id_and_stage(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    log_open(settings, "stages/negotiation", source="recommend", deal_id="D-1",
             deal_stage="negotiation")  # fmt: skip
    log_open(settings, "calls/cold-call", source="widget")
    log_open(settings, "demo/demo-script", source="widget", action="similar", deal_id="D-1")
    opens = _plain(read_opens(settings))
    assert list(opens["deal_id"]) == ["D-1", None, "D-1"]
    assert list(opens["deal_stage"]) == ["negotiation", None, None]
    deal_opens = read_deal_opens(settings)  # "More like this" is not reading the asset
    assert deal_opens[["deal_id", "asset_id", "deal_stage", "source"]].values.tolist() == [
        ["D-1", "stages/negotiation", "negotiation", "recommend"]
    ]


def test_nothing_logged_yet_is_an_empty_table(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert read_deal_opens(settings).empty
    assert not Path(settings.db_path).exists()  # asking creates no database


def test_a_database_from_before_the_deal_columns_gains_them(tmp_path: Path) -> None:
    """An spmkb.db whose search_open has no deal columns (as written before): nothing lost."""
    settings = _settings(tmp_path)
    Path(settings.db_path).parent.mkdir(parents=True)
    old = sqlite3.connect(settings.db_path)
    old.executescript(
        "CREATE TABLE search_open (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, "
        "session TEXT, source TEXT NOT NULL, search_id INTEGER, asset_id TEXT NOT NULL, "
        "rank INTEGER, action TEXT NOT NULL DEFAULT 'open');"
        "INSERT INTO search_open (ts, source, asset_id) VALUES ('2026-01-01', 'widget', 'a/b');"
    )
    old.close()
    log_open(settings, "c/d", deal_id="D-2", deal_stage="demo")
    opens = _plain(read_opens(settings))
    assert opens[["asset_id", "deal_id"]].values.tolist() == [["a/b", None], ["c/d", "D-2"]]
