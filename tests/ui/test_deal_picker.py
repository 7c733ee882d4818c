"""The deal picker driven headlessly: type an account, filter by rep, pick, empty state.

Data: tests/data/deals/picker (six deals; the table and the expected order are in
tests/deals/test_lookup.py's docstring).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from _uitext import text_of

from spmkb.config import load_settings
from spmkb.deals.store import read_folder, save_deal_data
from spmkb.errors import NotFoundError
from spmkb.widgets.deal_picker import NO_DEAL, NO_DEAL_DATA, DealPicker

PICKER = Path(__file__).resolve().parents[1] / "data" / "deals" / "picker"


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    """The six picker deals."""
    return read_folder(PICKER)


def listed(picker: DealPicker) -> list[str]:
    """Deal ids in the list, in order (the "no deal" entry left out)."""
    return [v for _label, v in picker.results.options if v]


def test_typing_an_account_lists_its_deals_open_first(data) -> None:
    picker = DealPicker(data=data)
    assert listed(picker) == ["D-2", "D-1", "D-4", "D-5", "D-3", "D-6"]
    assert picker.query.placeholder == "account name or deal id"  # the data has no deal names
    assert picker.results.options[0] == (NO_DEAL, "")
    assert picker.value is None
    picker.query.value = "acme"
    assert listed(picker) == ["D-2", "D-3", "D-6"]
    assert text_of(picker.message.value) == (
        "3 deals match “acme” — open deals first, then the most recently closed. Pick one below."
    )
    picker.query.value = "sao paulo"  # São Paulo Imports and Sao Paulo Imports
    assert listed(picker) == ["D-1", "D-4"]
    assert picker.results.options[1][0] == (
        "São Paulo Imports · D-1 · negotiation · Ana Lima · closes 2026-10-15"
    )


def test_rep_filter_and_no_match(data) -> None:
    picker = DealPicker(data=data)
    assert [v for _l, v in picker.rep.options] == ["", "Ana Lima", "Ben Okoro", "José García"]
    picker.rep.value = "Ben Okoro"
    assert listed(picker) == ["D-2", "D-5"]
    picker.query.value = "sao"
    assert listed(picker) == []
    assert text_of(picker.message.value) == (
        "No deal of Ben Okoro matches “sao”: try part of the account name."
    )


def test_picking_sets_the_value_and_survives_more_typing(data) -> None:
    """The chosen deal stays in the list (and chosen) when the text no longer matches it;
    the change callback hears the pick once and never the list being rebuilt."""
    picker = DealPicker(data=data)
    heard: list[str | None] = []
    picker.on_change(heard.append)
    picker.query.value = "muller"
    picker.results.value = "D-5"
    assert picker.value == "D-5"
    assert picker.context()["competitor"] == "Acme CRM"
    picker.query.value = "acme"
    assert picker.value == "D-5"
    assert listed(picker) == ["D-5", "D-2", "D-3", "D-6"]
    assert heard == ["D-5"]
    picker.value = None
    assert heard == ["D-5", None] and picker.value is None and picker.context() is None


def test_value_can_be_set_by_id_and_unknown_ids_suggest(data) -> None:
    picker = DealPicker(data=data)
    picker.query.value = "acme"
    picker.value = "D-4"
    assert picker.value == "D-4" and listed(picker)[0] == "D-4"
    with pytest.raises(NotFoundError):
        picker.value = "D-44"


def test_start_rep_unknown_is_a_message(data) -> None:
    picker = DealPicker(data=data, rep="Ana Lma")
    assert text_of(picker.message.value) == (
        "Error: no rep named 'Ana Lma' in the deal data — did you mean 'Ana Lima'?"
    )
    assert DealPicker(data=data, rep="ana lima").rep.value == "Ana Lima"


def test_no_deal_data_says_where_deals_come_from(tmp_path: Path) -> None:
    """An empty workspace: a plain sentence, no command-line wording, an empty list."""
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    picker = DealPicker(settings)
    assert text_of(picker.message.value) == NO_DEAL_DATA
    assert "spmkb" not in NO_DEAL_DATA and "--" not in NO_DEAL_DATA
    assert listed(picker) == [] and picker.value is None
    assert picker.controls.layout.display == "none"  # only the sentence, no empty list


def test_controls_show_when_there_are_deals(data) -> None:
    assert DealPicker(data=data).controls.layout.display == ""


def test_loads_the_workspace_deals(data, tmp_path: Path) -> None:
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    save_deal_data(data, settings.deals_store)
    picker = DealPicker(replace(settings))
    assert listed(picker)[:2] == ["D-2", "D-1"]


def test_a_reimport_is_listed_without_reopening_the_panel(data, tmp_path: Path) -> None:
    """The picker was opened on an empty workspace ("No deal data …"); deals are then imported
    (the six picker deals), and the next keystroke lists them. A second import with D-1..D-3
    only drops D-4..D-6 from the list at the next keystroke."""
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    picker = DealPicker(settings)
    assert text_of(picker.message.value) == NO_DEAL_DATA
    save_deal_data(data, settings.deals_store)
    picker.query.value = "a"
    picker.query.value = ""
    assert listed(picker) == ["D-2", "D-1", "D-4", "D-5", "D-3", "D-6"]
    fewer = replace(data, opportunities=data.opportunities[data.opportunities["id"] <= "D-3"])
    save_deal_data(fewer, settings.deals_store)
    picker.query.value = "x"
    picker.query.value = ""
    assert listed(picker) == ["D-2", "D-1", "D-3"]


def test_a_failure_in_the_loading_thread_reaches_the_caller(data, monkeypatch) -> None:
    """start_loading runs load() in a thread; an unexpected error there is re-raised by
    wait_loaded (a panel's loader then shows it), never lost."""
    picker = DealPicker(data=data)

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(picker, "load", broken)
    picker.start_loading()
    with pytest.raises(RuntimeError, match="disk on fire"):
        picker.wait_loaded()


def test_loading_in_the_background_lists_the_deals(data, tmp_path: Path) -> None:
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    save_deal_data(data, settings.deals_store)
    picker = DealPicker(settings, load=False)
    assert listed(picker) == []
    picker.start_loading()
    picker.wait_loaded()
    assert listed(picker) == ["D-2", "D-1", "D-4", "D-5", "D-3", "D-6"]


def test_unreadable_deal_data_is_a_message_not_a_crash(tmp_path: Path) -> None:
    """A damaged opportunities.parquet: the picker says the deal data could not be read."""
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    settings.deals_store.mkdir(parents=True)
    (settings.deals_store / "opportunities.parquet").write_bytes(b"not parquet")
    picker = DealPicker(settings)
    assert text_of(picker.message.value).startswith(
        "Error: The deal data could not be read: cannot read the parquet file"
    )
    assert picker.controls.layout.display == "none" and picker.value is None
