"""Real browser: Chromium (Playwright) drives the search notebook in JupyterLab and in Voila.

Needs Debian's Chromium at /usr/lib/chromium/chromium (``apt-get install -y chromium``) and
the ``playwright`` Python package (never ``playwright install``). Without them the tests skip,
unless ``SPMKB_REQUIRE_BROWSER=1`` (CI), where that is a failure. Screenshots go to
``tests/output/ui/``. Servers run in their own process group and are killed in teardown.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    SHOTS,
    WAIT_MS,
    jupyter_env,
    kernel_stacks,
    open_in_lab,
    outside_requests,
    run_all,
    write_lab_settings,
)
from browser_harness import free_port as _free_port
from browser_harness import need_browser as _need_browser
from browser_harness import stop as _stop
from browser_harness import wait_http as _wait_http

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "find-an-asset.ipynb"
QUERY = "customer says the price is too high"


@pytest.fixture(scope="session")
def app_dir(built_index, tmp_path_factory: pytest.TempPathFactory):
    """A Jupyter root holding a copy of the notebook and of the playbooks, plus server env."""
    _need_browser()
    base = tmp_path_factory.mktemp("jupyter")
    root = base / "root"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    shutil.copytree(built_index.playbooks, root / "playbooks")
    settings_dir = write_lab_settings(base / "settings")
    env = jupyter_env(
        base,
        SPMKB_STORE=str(built_index.settings.store),
        SPMKB_PLAYBOOKS=str(root / "playbooks"),
    )
    env.pop("SPMKB_JUPYTER_ROOT", None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"root": root, "base": base, "settings": settings_dir, "env": env}


@pytest.fixture(scope="session")
def lab(app_dir) -> Iterator[dict]:
    """JupyterLab on a free loopback port, serving the temp root."""
    port, token = _free_port(), uuid.uuid4().hex
    base = app_dir["base"]
    log = base / "lab.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={app_dir['root']}",
        f"--LabApp.user_settings_dir={app_dir['settings']}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            env=app_dir["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=app_dir["root"],
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/api/status", {"Authorization": f"token {token}"}, proc, log)
        yield {"url": url, "token": token, "log": log}
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def voila(app_dir) -> Iterator[dict]:
    """The hosted app (``python -m spmkb.app``, what ``make app`` runs) serving the notebook."""
    port = _free_port()
    log = app_dir["base"] / "voila.log"
    cmd = [
        sys.executable,
        "-m",
        "spmkb.app",
        str(app_dir["root"] / NOTEBOOK),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            env=app_dir["env"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=app_dir["root"],
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/voila/static/voila.js", {}, proc, log)
        yield {"url": url, "log": log, "base": app_dir["base"], "proc": proc}
    finally:
        _stop(proc)


# the ``browser`` fixture lives in conftest.py: one Playwright instance for every browser test


def _search_and_open(page, name: str) -> None:
    """Type the query, wait for cards, open the first one and check the reader pane."""
    box = page.locator(".widget-text input").first
    box.wait_for(timeout=WAIT_MS)
    box.fill(QUERY)
    box.press("Enter")
    cards = page.locator(".spmkb-card")
    cards.first.wait_for(timeout=WAIT_MS)  # the first search waits for the model
    assert cards.count() >= 3
    assert "price" in page.locator(".spmkb-card mark").first.inner_text().lower()
    page.screenshot(path=str(SHOTS / f"{name}-results.png"), full_page=True)
    title = page.locator(".spmkb-card .spmkb-title").first.inner_text().split(". ", 1)[1]
    page.locator("button.jupyter-button", has_text="Open").first.click()
    reader = page.locator(".spmkb-reader")
    reader.wait_for(timeout=60_000)
    assert title in page.locator(".spmkb-reader-title").inner_text()
    assert len(reader.inner_text()) > 200
    page.screenshot(path=str(SHOTS / f"{name}-reader.png"), full_page=True)


def test_jupyterlab_run_all_then_search_and_open(lab, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_in_lab(page, lab["url"], lab["token"], NOTEBOOK)
        run_all(page)
        _search_and_open(page, "lab")
        link = page.locator(".spmkb-card a.spmkb-lab-link").first
        assert link.get_attribute("href").startswith("/lab/tree/playbooks/")
    except Exception:
        page.screenshot(path=str(SHOTS / "lab-failure.png"), full_page=True)
        print(lab["log"].read_text()[-3000:])
        raise
    finally:
        page.close()


def test_voila_app_shows_no_code_and_searches(voila, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside = outside_requests(page)
    try:
        page.goto(voila["url"] + "/", timeout=WAIT_MS)
        _search_and_open(page, "voila")
        assert outside == [], f"the app asked outside hosts for {outside}"
        content = page.content()
        assert "SearchPanel(" not in content and "playbooks = None" not in content
        assert page.locator(".cm-editor, .CodeMirror, .jp-CodeMirrorEditor").count() == 0
        assert page.locator(".spmkb-card a.spmkb-lab-link").count() == 0  # no /lab under Voila
    except Exception:
        page.screenshot(path=str(SHOTS / "voila-failure.png"), full_page=True)
        print(voila["log"].read_text()[-3000:])
        print(kernel_stacks(voila["base"], voila["proc"]))
        raise
    finally:
        page.close()
