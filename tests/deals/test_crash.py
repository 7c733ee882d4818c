"""Killing `spmkb deals import` at each step of the save never strands or mixes deal data.

A real ``python -m spmkb deals import`` process is paused at a step of
:func:`spmkb.deals.store.save_deal_data` (``SPMKB_TEST_PAUSE_AT``) and killed with SIGKILL.
The workspace held hubspot_deals.csv (7 deals); the killed import was bad_date.csv
(3 valid deals, accounts 006A1, 006A2, 006A9). Until the new folder is renamed into place
the next reader sees the 7 old deals; after that, the 3 new ones; never a mix, never nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spmkb.config import load_settings
from spmkb.deals.store import PAUSE_STEPS
from spmkb.deals.workspace import import_deals, load_deal_data

REPO = Path(__file__).resolve().parents[2]
OLD, NEW = "hubspot_deals.csv", "bad_date.csv"
#: step -> which data a reader sees after the kill
EXPECTED = {"writing": 7, "written": 7, "moved-old": 7, "swapped": 3}


def _kill_import_at(step: str, store: Path, export: Path, tmp_path: Path) -> None:
    """Run `spmkb deals import` until it reaches ``step``, then SIGKILL it."""
    marker = tmp_path / f"paused-{step}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "SPMKB_TEST_PAUSE_AT": step,
        "SPMKB_TEST_PAUSE_FILE": str(marker),
    }
    env.pop("SPMKB_CONFIG", None)
    cmd = [sys.executable, "-m", "spmkb", "deals", "import", str(export), "--store", str(store)]
    proc = subprocess.Popen(
        [*cmd, "--preset", "salesforce"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, f"the import never reached step {step}"
            time.sleep(0.05)
        assert marker.read_text(encoding="utf-8") == step
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def test_every_pause_step_is_tested() -> None:
    """The steps tested below are all the steps save_deal_data can pause at."""
    assert set(EXPECTED) == set(PAUSE_STEPS)


@pytest.mark.parametrize(
    ("step", "then"),
    [*((step, "load") for step in EXPECTED), ("writing", "import"), ("moved-old", "import")],
)
def test_kill_during_import(step: str, then: str, test_data: Path, tmp_path: Path) -> None:
    """After a kill at ``step``, the next load sees complete old (7) or new (3) deals.

    ``moved-old`` is the dangerous one: the process dies between the two renames, so
    ``deals/`` is missing and the 7 old deals sit in ``.deals.old-…``; the next load
    (or import) renames them back. The next import then leaves no hidden folder behind.
    """
    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    import_deals(test_data / "deals" / OLD, settings=settings)
    _kill_import_at(step, settings.store, test_data / "deals" / NEW, tmp_path)
    if step == "moved-old":
        assert not settings.deals_store.exists()
        assert [p.name[:11] for p in settings.store.glob(".deals.old-*")] == [".deals.old-"]
    if then == "load":
        opps = load_deal_data(settings).opportunities
        assert len(opps) == EXPECTED[step]
        expected_ids = (
            {"006A1", "006A2", "006A9"} if EXPECTED[step] == 3 else set(map(str, range(9101, 9108)))
        )
        assert set(opps["id"]) == expected_ids
    report = import_deals(test_data / "deals" / NEW, settings=settings, preset="salesforce")
    if then == "import" and step == "moved-old":
        assert any(n.startswith("restored the previous deal data") for n in report.notes)
    assert report.saved_to == settings.deals_store
    assert len(load_deal_data(settings).opportunities) == 3
    assert sorted(p.name for p in settings.store.iterdir()) == ["deals"]  # no leftovers


def test_reader_waits_for_a_save_in_progress_then_recovers(test_data: Path, tmp_path: Path) -> None:
    """A load that starts while an import sits between its two renames (``deals/`` missing)
    waits for the importer's lock instead of failing; once the importer is killed it puts
    the 7 old deals back and returns them."""
    import threading

    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    import_deals(test_data / "deals" / OLD, settings=settings)
    marker = tmp_path / "paused-moved-old"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "SPMKB_TEST_PAUSE_AT": "moved-old",
        "SPMKB_TEST_PAUSE_FILE": str(marker),
    }
    cmd = [sys.executable, "-m", "spmkb", "deals", "import", str(test_data / "deals" / NEW)]
    proc = subprocess.Popen(
        [*cmd, "--store", str(settings.store), "--preset", "salesforce"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    result: dict[str, object] = {}

    def read() -> None:
        try:
            result["n"] = len(load_deal_data(settings).opportunities)
        except Exception as exc:  # reaches the assertion below
            result["error"] = exc

    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        assert not settings.deals_store.exists()
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=1.0)
        assert reader.is_alive()  # waiting for the importer, not failing
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    reader.join(timeout=60)
    assert not reader.is_alive()
    assert result == {"n": 7}


def test_read_restarts_when_an_import_swaps_the_folder_mid_read(
    test_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import that replaces the deal folder after the reader has read opportunities but
    before it reads the other tables: the reader notices (the folder's inode changed) and
    reads again, returning the new import's 3 deals — never the 7 old opportunities mixed
    with the new import's other tables."""
    import spmkb.deals.store as store

    settings = load_settings({"store": str(tmp_path / "store")}, cwd=tmp_path, environ={})
    import_deals(test_data / "deals" / OLD, settings=settings)
    real_read = store.read_table
    calls: list[str] = []

    def read_then_import(path: Path, **kwargs: object):
        calls.append(Path(path).name)
        frame = real_read(path, **kwargs)
        if calls == ["opportunities.parquet"]:  # first table read: an import swaps the folder
            import_deals(test_data / "deals" / NEW, settings=settings, preset="salesforce")
        return frame

    monkeypatch.setattr(store, "read_table", read_then_import)
    data = load_deal_data(settings)
    assert calls.count("opportunities.parquet") == 2  # read again after the swap
    assert set(data.opportunities["id"]) == {"006A1", "006A2", "006A9"}
