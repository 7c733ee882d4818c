"""Content and outcomes: an asset opened more on won deals is found; an outcome-blind one is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from coaching_data import make_team

from spmkb.coaching.outcomes import NOTE, asset_outcomes, load_asset_opens
from spmkb.errors import DealDataError


def _with_history_and_opens(seed: int = 3):  # type: ignore[no-untyped-def]
    """Every deal reached negotiation. 'linked' is opened on 60 % of won and 20 % of lost deals
    (planted association); 'blind' on 40 % of every deal, whatever the outcome."""
    data = make_team()
    o = data.opportunities
    data.stage_history = pd.DataFrame({"opportunity_id": o["id"], "stage": "negotiation",
                                       "entered_at": o["created"]})  # fmt: skip
    rng = np.random.default_rng(seed)
    won = (o["status"] == "won").to_numpy()
    linked = rng.random(len(o)) < np.where(won, 0.6, 0.2)
    blind = rng.random(len(o)) < 0.4
    opens = pd.concat([
        pd.DataFrame({"opportunity_id": o["id"][linked], "asset_id": "linked", "stage": "negotiation"}),
        pd.DataFrame({"opportunity_id": o["id"][blind], "asset_id": "blind", "stage": "negotiation"}),
    ])  # fmt: skip
    return data, opens


def test_planted_association_found_and_outcome_blind_asset_not():
    """3,600 closed deals: 'linked' is associated with winning, 'blind' is not; the note says
    association, not cause, and each side carries its n."""
    data, opens = _with_history_and_opens()
    out = asset_outcomes(data, opens).set_index("asset")
    assert bool(out.loc["linked", "associated"]) and out.loc["linked", "difference"] > 0.25
    assert not bool(out.loc["blind", "associated"])
    assert out.loc["linked", "n_opened"] + out.loc["linked", "n_not_opened"] == 3600
    assert out.loc["linked", "note"] == NOTE


def test_missing_file_is_a_clear_message(tmp_path):
    """No asset_opens.csv in the folder."""
    with pytest.raises(DealDataError, match="no asset opens recorded"):
        load_asset_opens(tmp_path)


def test_no_stage_history_is_a_clear_message():
    """Without stage history nobody knows which deals reached a stage."""
    with pytest.raises(DealDataError, match="need stage history"):
        asset_outcomes(make_team(), pd.DataFrame(columns=["opportunity_id", "asset_id", "stage"]))


# -- opens from both sources: asset_opens.csv and the panels' search log ----------------------


def _small_deals():  # type: ignore[no-untyped-def]
    """W1-W4 won, L1-L4 lost (all closed 2026-06-30, all reached negotiation), O1 open."""
    from spmkb.deals.schema import DealData

    ids = ["W1", "W2", "W3", "W4", "L1", "L2", "L3", "L4", "O1"]
    status = ["won"] * 4 + ["lost"] * 4 + ["open"]
    opps = pd.DataFrame({"id": ids, "rep": "Ana", "stage": "negotiation", "status": status,
                         "amount": 1000.0, "created": pd.Timestamp("2026-01-05"),
                         "close_date": pd.Timestamp("2026-06-30")})  # fmt: skip
    hist = pd.DataFrame({"opportunity_id": ids, "stage": "negotiation",
                         "entered_at": pd.Timestamp("2026-03-01")})  # fmt: skip
    return DealData(opportunities=opps, stage_history=hist)


@pytest.fixture
def two_sources(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A deal folder with asset_opens.csv and a store whose search log holds panel opens.

    CSV: (W1, a), (L1, a), (W2, a opened 2026-07-15, after W2 closed).
    Log (all on 2026-05-10): (W1, a) again, (W3, a), (L2, b, stage "Negotiation"),
    (W4, a) with no stage, and one open with no deal.
    """
    from spmkb.config import load_settings
    from spmkb.deals.store import save_deal_data
    from spmkb.search import log

    data = _small_deals()
    folder = tmp_path / "deals"
    save_deal_data(data, folder)
    pd.DataFrame({"rep": "Ana", "opportunity_id": ["W1", "L1", "W2"], "asset_id": "a",
                  "stage": "negotiation", "opened_at": ["2026-05-01", "2026-05-02", "2026-07-15"]}
                 ).to_csv(folder / "asset_opens.csv", index=False)  # fmt: skip
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    monkeypatch.setattr(log, "_now", lambda: "2026-05-10T09:00:00.000+00:00")
    for deal, asset, stage in [("W1", "a", "negotiation"), ("W3", "a", "negotiation"),
                               ("L2", "b", "Negotiation"), ("W4", "a", None)]:  # fmt: skip
        log.log_open(settings, asset, source="recommend", deal_id=deal, deal_stage=stage)
    log.log_open(settings, "a", source="widget")
    return data, folder, settings


def test_opens_from_the_csv_and_the_panels_are_combined_once_each(two_sources) -> None:
    """Counted: CSV 3 rows, panels 4 (the open with no deal is not a deal open). Left out: W2's
    open after its close, W4's logged open without a stage. (W1, a) is in both: once.
    Asset a at negotiation: opened on W1, L1, W3 -> 2 of 3 won; not opened: W2, W4, L2, L3,
    L4 -> 2 of 5 won. Asset b: opened on L2 -> 0 of 1; not opened: 4 of 7 won."""
    from spmkb.coaching.outcomes import gather_asset_opens

    data, folder, settings = two_sources
    opens = gather_asset_opens(data, folder=folder, settings=settings)
    assert opens.counts == {"asset_opens.csv": 3, "panels": 4}
    assert (opens.both, opens.after_close, opens.no_stage) == (1, 1, 1)
    rows = sorted(map(tuple, opens.frame[["opportunity_id", "asset_id", "source"]].values))
    assert rows == [("L1", "a", "asset_opens.csv"), ("L2", "b", "panels"),
                    ("W1", "a", "asset_opens.csv + panels"), ("W3", "a", "panels")]  # fmt: skip
    assert opens.summary() == (
        "Opens: 3 from asset_opens.csv, 4 from panels (1 in both, counted once); 1 opened after "
        "the deal closed, not counted; 1 without a stage, not counted."
    )
    out = asset_outcomes(data, opens.frame).set_index("asset")
    assert (out.loc["a", "n_opened"], out.loc["a", "n_not_opened"]) == (3, 5)
    assert out.loc["a", "win_rate_opened"] == pytest.approx(2 / 3)
    assert out.loc["a", "win_rate_not_opened"] == pytest.approx(2 / 5)
    assert out.loc["a", "source"] == "asset_opens.csv + panels"
    assert (out.loc["b", "n_opened"], out.loc["b", "win_rate_not_opened"]) == (
        1,
        pytest.approx(4 / 7),
    )
    assert out.loc["b", "source"] == "panels"
    assert out.loc["a", "note"] == "not enough data (fewer than 20 deals on a side)"


def test_panel_opens_alone_are_enough(two_sources, tmp_path) -> None:
    """No asset_opens.csv in the folder: the report runs on what the panels logged."""
    from spmkb.coaching.outcomes import gather_asset_opens

    data, folder, settings = two_sources
    (folder / "asset_opens.csv").unlink()
    opens = gather_asset_opens(data, folder=folder, settings=settings)
    assert opens.counts == {"panels": 4}
    assert set(opens.frame["source"]) == {"panels"}


def test_no_opens_anywhere_says_how_to_get_some(tmp_path) -> None:
    from spmkb.coaching.outcomes import gather_asset_opens
    from spmkb.config import load_settings

    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    with pytest.raises(DealDataError) as err:
        gather_asset_opens(_small_deals(), folder=tmp_path, settings=settings)
    assert str(err.value).startswith(
        f"{tmp_path / 'asset_opens.csv'}: no asset opens recorded — open assets for a deal in "
        "the before-the-call or search notebooks (pick the deal first)"
    )


def test_cli_report_names_the_sources(two_sources) -> None:
    import json

    from typer.testing import CliRunner

    from spmkb.cli import app

    _data, folder, settings = two_sources
    args = ["report", "asset-outcomes", "--data", str(folder), "--store", str(settings.store)]
    env = {"SPMKB_STORE": "", "SPMKB_DEALS": ""}
    out = CliRunner().invoke(app, args, env=env)
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Opens: 3 from asset_opens.csv, 4 from panels (1 in both")
    assert "[asset_opens.csv + panels]" in lines[1] and "(n = 3)" in lines[1]
    data = json.loads(CliRunner().invoke(app, [*args, "--json"], env=env).stdout)
    assert data["opens"] == {"sources": {"asset_opens.csv": 3, "panels": 4}, "in_both": 1,
                             "after_close": 1, "no_stage": 1}  # fmt: skip
