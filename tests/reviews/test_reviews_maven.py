"""A review generated for a rep of the Maven CRM data (third-party, ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from spmkb.deals import metrics as m
from spmkb.reviews.generate import new_review
from spmkb.reviews.notebook import DATA_MIME, DATA_TAG

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_maven_rep_review_matches_metrics(shared_data: Path, tmp_path: Path, make_ws) -> None:
    from spmkb.config import Settings
    from spmkb.deals.store import save_deal_data
    from spmkb.deals.workspace import load_deal_data
    from spmkb.deals.validate import check_deals

    report = check_deals(shared_data / "deals-maven-crm", preset="maven")
    folder = save_deal_data(report.data, tmp_path / "maven")
    data = load_deal_data(Settings(), folder=folder)
    settings = make_ws(tmp_path / "ws", folder)
    path = new_review(settings, "Darcel Schlecht", "2017-Q3")
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if DATA_TAG in c.metadata.get("tags", []))
    d = next(o for o in cell.outputs if DATA_MIME in o.get("data", {}))["data"][DATA_MIME]
    card = {(r["measure"], r["stage"]): r for r in d["scorecard"]}
    wr = m.win_rate(data, rep="Darcel Schlecht", period="2017-Q3")
    assert card[("win_rate", None)]["value"] == pytest.approx(
        float(wr["win_rate"].iloc[0]), rel=1e-12
    )
    assert card[("win_rate", None)]["n"] == int(wr["n"].iloc[0])
    size = m.deal_size(data, rep="Darcel Schlecht", period="2017-Q3")
    assert card[("avg_deal_size", None)]["value"] == pytest.approx(float(size["average"].iloc[0]))
    team = m.win_rate(data, team=d["team"], period="2017-Q3")
    assert card[("win_rate", None)]["standard"] == pytest.approx(float(team["win_rate"].median()))
    # Maven has no quotas: attainment has no figure and therefore no verdict
    assert card[("quota_attainment", None)]["value"] is None
    assert card[("quota_attainment", None)]["verdict"] is None
