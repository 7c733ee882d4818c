"""Real browser: pick a deal by account name in the before-the-call app, open an asset, and the
open is logged with that deal.

Chromium (Playwright) drives the hosted app (``python -m spmkb.app``, Voila) serving
``notebooks/before-the-call.ipynb`` over a copy of the shared index plus the six picker deals
(tests/data/deals/picker). Screenshots go to ``tests/output/ui/picker-*.png``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from browser_harness import (
    SHOTS,
    WAIT_MS,
    free_port,
    jupyter_env,
    need_browser,
    stop,
    wait_http,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "before-the-call.ipynb"
PICKER = REPO / "tests" / "data" / "deals" / "picker"


@pytest.fixture(scope="module")
def workspace(built_index, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the shared store (index) with the picker deals imported, and its settings."""
    from spmkb.deals.store import read_folder, save_deal_data

    need_browser()
    base = tmp_path_factory.mktemp("picker")
    store = base / "store"
    shutil.copytree(built_index.settings.store, store)
    settings = replace(built_index.settings, store=store)
    save_deal_data(read_folder(PICKER), settings.deals_store)
    return base, settings


@pytest.fixture(scope="module")
def app(workspace, built_index) -> Iterator[dict]:
    """The hosted app serving a copy of the before-the-call notebook on a free loopback port."""
    base, settings = workspace
    root = base / "root"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    env = jupyter_env(
        base,
        SPMKB_STORE=str(settings.store),
        SPMKB_PLAYBOOKS=str(built_index.playbooks),
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    )
    env.pop("SPMKB_DEALS", None)
    port = free_port()
    log = base / "voila.log"
    cmd = [sys.executable, "-m", "spmkb.app", str(root / NOTEBOOK), "--no-browser",
           f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=root)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/voila/static/voila.js", {}, proc, log)
        yield {"url": url, "log": log}
    finally:
        stop(proc)


def test_pick_a_deal_by_account_get_the_pack_open_an_asset_logged_with_the_deal(
    app, workspace, browser, searcher
) -> None:
    """Type 'muller' (the account is 'Müller GmbH'), pick its deal D-5, Recommend, Open the
    stage playbook: the reader shows it and the search log holds the open with D-5."""
    from spmkb.deals.lookup import context_of
    from spmkb.deals.store import read_folder
    from spmkb.search.log import read_deal_opens
    from spmkb.search.recommend import recommend

    _base, settings = workspace
    expected = recommend(searcher, deal=context_of(read_folder(PICKER), "D-5")).items[0].hit
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        page.goto(app["url"] + "/", timeout=WAIT_MS)
        box = page.locator(".spmkb-deal-query input")
        box.wait_for(timeout=WAIT_MS)
        results = page.locator(".spmkb-deal-results select")
        # the deals are listed once the panel's loader has read them (open deals first)
        page.locator(".spmkb-deal-results option", has_text="Acme Corp · D-2").wait_for(
            state="attached", timeout=WAIT_MS
        )
        box.fill("muller")
        label = "Müller GmbH · D-5 · negotiation, lost · Ben Okoro · closed 2026-07-31"
        message = page.locator(".spmkb-deal-message", has_text="1 deal matches “muller”")
        message.wait_for(timeout=60_000)  # the kernel has searched the typed text
        options = page.locator(".spmkb-deal-results option")
        shown = [t.replace("\xa0", " ") for t in options.all_inner_texts()]  # ipywidgets: nbsp
        assert shown == ["— no deal —", label]
        page.screenshot(path=str(SHOTS / "picker-typed.png"), full_page=True)
        results.select_option(index=1)
        page.locator("button.jupyter-button", has_text="Recommend").click()
        pack = page.locator(".spmkb-pack")
        pack.wait_for(timeout=WAIT_MS)  # the first pack waits for the model
        assert "deal D-5 is lost" in pack.inner_text()
        opener = page.locator("button.jupyter-button", has_text="Open stage playbook")
        opener.wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "picker-pack.png"), full_page=True)
        opener.click()
        reader = page.locator(".spmkb-reader")
        reader.wait_for(timeout=60_000)
        assert reader.inner_text().startswith(expected.title)
        page.screenshot(path=str(SHOTS / "picker-opened.png"), full_page=True)
        logged = read_deal_opens(settings)
        assert logged["asset_id"].tolist() == [expected.id]
        assert logged["deal_id"].tolist() == ["D-5"]
        assert logged["deal_stage"].tolist() == ["negotiation"]
        assert logged["source"].tolist() == ["recommend"]
    except Exception:
        page.screenshot(path=str(SHOTS / "picker-failure.png"), full_page=True)
        print(app["log"].read_text()[-3000:])
        raise
    finally:
        page.close()
