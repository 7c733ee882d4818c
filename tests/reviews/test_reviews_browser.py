"""Real browser: a generated review opened in JupyterLab (rooted like ``make lab``) looks finished.

Before any cell runs the form cell shows the saved answers and "Run all cells to fill in the
form", not the widget's ``VBox(children=…`` text; after Run All the live form shows the saved
answers, saving it unchanged adds no version and says so beside the Save button, and a change
saves version 2, which the version history under the form lists.

Same harness as the other browser tests (tests/browser_harness.py: Debian Chromium and the
playwright package; skips without them unless SPMKB_REQUIRE_BROWSER=1). JupyterLab binds
127.0.0.1 on a free port, runs in its own process group and is stopped by PID in teardown.
Screenshots: tests/output/ui/review-*.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import run_all
from browser_harness import (
    ARGS,
    CHROMIUM,
    SHOTS,
    WAIT_MS,
    free_port,
    jupyter_env,
    need_browser,
    stop,
    wait_http,
    write_lab_settings,
)

from spmkb.reviews import store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
REVIEW = "reviews/2026-Q2/priya-nair.ipynb"
SAVED = "Asks <script>alert(1)</script> sharp questions"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, sample_deals: Path, make_ws) -> Iterator[dict]:
    """JupyterLab like ``make lab`` over a project holding a generated, once-saved review."""
    need_browser()
    from spmkb.reviews.generate import new_review

    base = tmp_path_factory.mktemp("review-lab")
    root = base / "project"
    settings = make_ws(root, sample_deals)
    store.save_review(
        store.open_db(settings.db_path), "Priya Nair", "2026-Q2",
        {"ratings": {"discovery": 4}, "strengths": SAVED,
         "goals": [{"text": "Demo to proposal above 60%", "due": "2026-09-30"}]},
        author="Grace Okafor", expected_version=0,
    )  # fmt: skip
    path = new_review(settings, "Priya Nair", "2026-Q2")  # (re)generated after a save
    assert path == root / REVIEW
    # every cell in the DOM (no windowing), so the test can read the last cell
    user = write_lab_settings(
        base / "settings", {"@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}
    )
    env = jupyter_env(base, PYTHONPATH=str(REPO), HOME=str(base), JUPYTER_DATA_DIR=str(base / "data"))
    port, token = free_port(), uuid.uuid4().hex
    log = base / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", f"--config={REPO / 'jupyter_server_config.py'}",
           f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1", "--no-browser",
           "--allow-root", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--LabApp.user_settings_dir={user}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=root)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/api/status", {"Authorization": f"token {token}"}, proc, log, 180)
        SHOTS.mkdir(parents=True, exist_ok=True)
        yield {"url": url, "token": token, "log": log, "settings": settings, "path": path}
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def page(lab) -> Iterator:
    """One Chromium page on the generated review, its kernel connected and idle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            pg.goto(f"{lab['url']}/lab/tree/{REVIEW}?token={lab['token']}")
            pg.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=WAIT_MS)
            kernel = pg.locator(".jp-StatusBar-TextItem[title^='Change kernel']")
            kernel.filter(has_text="Idle").wait_for(timeout=WAIT_MS)
            yield pg
        finally:
            pg.close()
            browser.close()


def _shoot(page, name: str, lab: dict) -> None:
    """Screenshot of the form cell (scrolled into view) into tests/output/ui/."""
    page.locator(".jp-Notebook .jp-Cell").last.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / name))


def test_generated_review_shows_saved_answers_and_run_all_prompt_not_widget_text(page, lab) -> None:
    """Opened as generated: the form cell's output is the HTML fallback with the saved answers
    (typed ``<script>`` shown as text) and the run-all prompt; no ``VBox(`` anywhere; the only
    parameters shown are the injected ones."""
    try:
        fallback = page.locator(".jp-OutputArea-output .spmkb-form-fallback")
        fallback.wait_for(timeout=WAIT_MS)
        text = fallback.inner_text()
        assert "Run all cells to fill in the form" in text
        assert SAVED in text  # the <script> the manager typed is visible text
        assert "Demo to proposal above 60%" in text
        assert "Version 1 · draft · saved by Grace Okafor" in text
        assert "Version history" in text
        notebook = page.locator(".jp-Notebook").inner_text()
        assert "VBox(" not in notebook
        assert notebook.count('rep = "Priya Nair"') == 1
        assert "papermill" not in notebook
        assert "without encryption" not in notebook
        # opening it changed nothing: no unsaved-changes mark on the tab
        assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0
        _shoot(page, "review-generated.png", lab)
    except Exception:
        page.screenshot(path=str(SHOTS / "review-generated-failure.png"), full_page=True)
        print(lab["log"].read_text()[-3000:])
        raise


def test_run_all_gives_the_live_form_and_an_unchanged_save_adds_no_version(page, lab) -> None:
    """Run All: the live form holds the saved strengths. Save unchanged: the status beside the
    button says nothing was saved and the database still has one version. Change, Save:
    version 2, listed first in the history under the form."""
    conn = store.open_db(lab["settings"].db_path)
    try:
        run_all(page)
        strengths = page.locator(".jp-OutputArea-output .widget-textarea textarea").first
        strengths.wait_for(timeout=WAIT_MS)
        assert strengths.input_value() == SAVED
        assert page.locator(".jp-Notebook").inner_text().count("VBox(") == 0
        author = page.locator(".jp-OutputArea-output .widget-text input[placeholder='your name']")
        author.fill("Grace Okafor")
        save = page.locator(".jp-OutputArea-output button.jupyter-button", has_text="Save")
        row = page.locator(".jp-OutputArea-output .widget-hbox").filter(
            has=page.locator("button.jupyter-button", has_text="Save")
        )
        status = page.locator(".jp-OutputArea-output .widget-dropdown select").last
        status.select_option("submitted")  # Closing is not rated: refused, said beside Save
        save.click()
        row.get_by_text("competencies not rated: closing").wait_for(timeout=60_000)
        _shoot(page, "review-refused-save.png", lab)
        status.select_option("draft")
        save.click()
        row.get_by_text("No changes since version 1: nothing saved.").wait_for(timeout=60_000)
        assert [v.version for v in store.versions(conn, "Priya Nair", "2026-Q2")] == [1]
        _shoot(page, "review-unchanged-save.png", lab)

        strengths.fill("Sharper discovery questions")
        save.click()
        row.get_by_text("Saved version 2 (draft) by Grace Okafor").wait_for(timeout=60_000)
        assert [v.version for v in store.versions(conn, "Priya Nair", "2026-Q2")] == [1, 2]
        history = page.locator(".jp-OutputArea-output table.spmkb-history").last
        cells = history.locator("tbody tr td:first-child").all_inner_texts()
        assert cells == ["2", "1"]
        _shoot(page, "review-saved-v2.png", lab)
    except Exception:
        page.screenshot(path=str(SHOTS / "review-run-all-failure.png"), full_page=True)
        print(lab["log"].read_text()[-3000:])
        raise


def test_saved_notebook_reopens_with_the_answers_not_a_missing_widget(page, lab) -> None:
    """Lab saves the notebook (the project's pre-save hook keeps the form's HTML fallback, which
    the form refreshed after version 2); reopened, the page shows version 2's answers and the
    run-all prompt, not "Error displaying widget"."""
    import nbformat

    try:
        page.locator(".jp-Notebook").click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        page.locator(".jp-mod-dirty").first.wait_for(state="detached", timeout=60_000)
        nb = nbformat.read(lab["path"], as_version=4)
        (form,) = [
            c
            for c in nb.cells
            if c.cell_type == "code" and "review-form" in c.metadata.get("tags", [])
        ]
        (out,) = form.outputs
        assert "application/vnd.jupyter.widget-view+json" not in out["data"]
        assert "Sharper discovery questions" in out["data"]["text/html"]
        page.goto(f"{lab['url']}/lab/tree/{REVIEW}?token={lab['token']}")
        fallback = page.locator(".jp-OutputArea-output .spmkb-form-fallback")
        fallback.wait_for(timeout=WAIT_MS)
        text = fallback.inner_text()
        assert "Version 2 · draft · saved by Grace Okafor" in text
        assert "Sharper discovery questions" in text
        assert "Run all cells to fill in the form" in text
        assert "Error displaying widget" not in page.locator(".jp-Notebook").inner_text()
        _shoot(page, "review-reopened.png", lab)
    except Exception:
        page.screenshot(path=str(SHOTS / "review-reopen-failure.png"), full_page=True)
        print(lab["log"].read_text()[-3000:])
        raise
