"""Finding a deal by account or deal name: order, accents, the rep filter, unknown reps.

The picker data (tests/data/deals/picker/opportunities.csv):

| id  | rep         | status | close date | account           |
| --- | ----------- | ------ | ---------- | ----------------- |
| D-1 | Ana Lima    | open   | 2026-10-15 | São Paulo Imports |
| D-2 | Ben Okoro   | open   | 2026-09-30 | Acme Corp         |
| D-3 | Ana Lima    | won    | 2026-06-20 | Acme Corp         |
| D-4 | José García | open   | (none)     | Sao Paulo Imports |
| D-5 | Ben Okoro   | lost   | 2026-07-31 | Müller GmbH       |
| D-6 | Ana Lima    | lost   | 2026-03-01 | Acme Holdings     |

Expected order with no text: open deals by expected close, soonest first, no date last
(D-2 09-30, D-1 10-15, D-4 none), then closed ones latest close first (D-5 07-31,
D-3 06-20, D-6 03-01).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmkb.deals.lookup import DealIndex, context_of, find_deals, fold
from spmkb.deals.schema import DealData
from spmkb.deals.store import read_folder
from spmkb.errors import NotFoundError

PICKER = Path(__file__).resolve().parents[1] / "data" / "deals" / "picker"


@pytest.fixture(scope="module")
def data() -> DealData:
    """The six picker deals."""
    return read_folder(PICKER)


def ids(matches) -> list[str]:  # type: ignore[no-untyped-def]
    """The ids of a search's choices, in order."""
    return [c.id for c in matches.choices]


def test_open_deals_first_then_most_recently_closed(data) -> None:
    matches = find_deals(data)
    assert ids(matches) == ["D-2", "D-1", "D-4", "D-5", "D-3", "D-6"]
    assert matches.total == 6


def test_account_search_ignores_case_and_accents(data) -> None:
    """'sao paulo' finds São Paulo Imports (D-1) and Sao Paulo Imports (D-4); 'MÜLLER' and
    'muller' both find Müller GmbH."""
    assert ids(find_deals(data, "sao paulo")) == ["D-1", "D-4"]
    assert ids(find_deals(data, "SÃO PAULO")) == ["D-1", "D-4"]
    assert ids(find_deals(data, "muller")) == ids(find_deals(data, "MÜLLER")) == ["D-5"]
    assert fold("  São   PAULO ") == "sao paulo"


def test_every_word_must_match_and_prefix_matches_lead(data) -> None:
    """'acme' matches D-2, D-3, D-6 (open D-2 first, then closed by date); 'acme corp'
    drops Acme Holdings; 'corp' still finds both Acme Corp deals."""
    assert ids(find_deals(data, "acme")) == ["D-2", "D-3", "D-6"]
    assert ids(find_deals(data, "acme corp")) == ["D-2", "D-3"]
    assert ids(find_deals(data, "corp")) == ["D-2", "D-3"]
    assert ids(find_deals(data, "d-5")) == ["D-5"]
    assert find_deals(data, "nobody").total == 0


def test_limit_keeps_the_total(data) -> None:
    matches = find_deals(data, limit=2)
    assert ids(matches) == ["D-2", "D-1"]
    assert matches.total == 6


def test_rep_filter_goes_through_the_roster(data) -> None:
    """'ana lima' (any case) keeps Ana's deals: open D-1, then D-3 (06-20), D-6 (03-01)."""
    matches = find_deals(data, rep="ana lima")
    assert ids(matches) == ["D-1", "D-3", "D-6"]
    assert matches.rep == "Ana Lima"
    assert ids(find_deals(data, "acme", rep="Ben Okoro")) == ["D-2"]


def test_unknown_rep_suggests_close_names(data) -> None:
    with pytest.raises(NotFoundError) as err:
        find_deals(data, rep="Ana Lma")
    assert str(err.value) == "no rep named 'Ana Lma' in the deal data — did you mean 'Ana Lima'?"


def test_labels_and_unknown_id(data) -> None:
    index = DealIndex(data)
    assert index.get("D-1").label() == (
        "São Paulo Imports · D-1 · negotiation · Ana Lima · closes 2026-10-15"
    )
    assert index.get("D-5").label() == (
        "Müller GmbH · D-5 · negotiation, lost · Ben Okoro · closed 2026-07-31"
    )
    assert index.get("D-4").label() == "Sao Paulo Imports · D-4 · discovery · José García"
    with pytest.raises(NotFoundError) as err:
        index.get("D-9")
    assert str(err.value).startswith("no deal 'D-9' in the deal data — did you mean ")


def test_context_is_plain_values(data) -> None:
    assert context_of(data, "D-4") == {
        "id": "D-4",
        "stage": "discovery",
        "industry": "Retail",
        "competitor": None,
        "status": "open",
        "account": "Sao Paulo Imports",
    }


def test_deal_name_column_is_searched_when_present() -> None:
    """A ``name`` column (a deal name) is searched like the account."""
    o = read_folder(PICKER).opportunities.assign(name=["", "Platform renewal", "", "", "", ""])
    matches = find_deals(DealData(opportunities=o), "renewal")
    assert ids(matches) == ["D-2"]
    assert matches.choices[0].label().startswith("Acme Corp — Platform renewal · D-2")


def test_no_deals_finds_nothing() -> None:
    empty = DealData(opportunities=read_folder(PICKER).opportunities.iloc[0:0])
    assert find_deals(empty, "acme").total == 0
    assert len(DealIndex(empty)) == 0
    assert isinstance(DealIndex(empty).frame, pd.DataFrame)
