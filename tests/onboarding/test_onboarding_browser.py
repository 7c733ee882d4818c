"""Real browser: Chromium (Playwright) opens notebooks/onboarding.ipynb in JupyterLab, runs
it, and picks another hire in the panel.

Same harness as tests/ui/test_browser.py (Debian Chromium, the playwright package, never
``playwright install``; skips without them unless SPMKB_REQUIRE_BROWSER=1). JupyterLab binds
127.0.0.1 on a free port, runs in its own process group and is stopped by PID in teardown.
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
    ARGS,
    CHROMIUM,
    SHOTS,
    WAIT_MS,
    free_port,
    jupyter_env,
    kernel_stacks,
    need_browser,
    open_in_lab,
    outside_requests,
    run_all,
    stop,
    wait_http,
    write_lab_settings,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = "onboarding.ipynb"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """JupyterLab over a root with the notebook, the playbooks and a sample workspace."""
    need_browser()
    from spmkb.deals.sample import write_sample

    base = tmp_path_factory.mktemp("onboarding-lab")
    root = base / "root"
    root.mkdir()
    import nbformat

    nb = nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4)
    for cell in nb.cells:  # "today" = the sample's last day, so several hires are current
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace("today = None", 'today = "2026-08-14"')
    nbformat.write(nb, root / NOTEBOOK)
    shutil.copytree(REPO / "playbooks", root / "playbooks")
    write_sample(base / "store" / "deals", csv=False)
    write_lab_settings(base / "settings")
    env = jupyter_env(base, SPMKB_STORE=str(base / "store"),
                      SPMKB_PLAYBOOKS=str(root / "playbooks"), PYTHONPATH=str(REPO))  # fmt: skip
    port, token = free_port(), uuid.uuid4().hex
    log = base / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
           f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={base / 'settings'}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=root)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/api/status", {"Authorization": f"token {token}"}, proc, log, 180)
        SHOTS.mkdir(parents=True, exist_ok=True)
        yield {"url": url, "token": token, "log": log, "root": root, "env": env, "base": base}
    finally:
        stop(proc)


def test_jupyterlab_runs_the_onboarding_notebook_and_switches_hire(lab) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_in_lab(page, lab["url"], lab["token"], NOTEBOOK)
            run_all(page)
            summary = page.locator("h4", has_text="status")
            summary.first.wait_for(timeout=WAIT_MS)
            assert "Next modules" in page.locator(".widget-html").all_inner_texts().__str__()
            page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS)
            select = page.locator(".widget-dropdown select").first
            options = select.locator("option").all_inner_texts()
            assert len(options) >= 2
            select.select_option(label=options[-1])
            page.locator("h4", has_text=options[-1]).first.wait_for(timeout=60_000)
            page.locator("td", has_text="predicts").first.wait_for(timeout=WAIT_MS)
            page.screenshot(path=str(SHOTS / "onboarding-lab.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(SHOTS / "onboarding-lab-failure.png"), full_page=True)
            print(lab["log"].read_text()[-3000:])
            raise
        finally:
            page.close()
            browser.close()


def test_voila_app_shows_the_onboarding_notebook_without_code(lab) -> None:
    """The same notebook served as a no-code app (``python -m spmkb.app``, as ``make app``)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    log = lab["base"] / "voila.log"
    cmd = [sys.executable, "-m", "spmkb.app", str(lab["root"] / NOTEBOOK), "--no-browser",
           f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=lab["env"], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=lab["root"])  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        # poll a static file: every GET of / starts a kernel
        wait_http(f"{url}/voila/static/voila.js", {}, proc, log, 180)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            outside = outside_requests(page)
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"[:400]))
            try:
                # Voila streams the page while the kernel runs the cells: wait for what shows
                page.goto(url + "/", timeout=WAIT_MS, wait_until="commit")
                status = page.locator("h4", has_text="status").first
                broken = page.get_by_text("Error displaying widget: model not found")
                status.or_(broken).first.wait_for(timeout=WAIT_MS)
                if broken.count():
                    # Seen on a first page load in 2 of 2 CI runs (0 of 31 runs here): the
                    # panel's widget model was missing on the page. Known and open (see
                    # docs/reliability.md, "Hosted app"); the reload must render it.
                    page.screenshot(path=str(SHOTS / "onboarding-voila-model-not-found.png"))
                    print("first load: model not found; console:\n" + "\n".join(console[-30:]))
                    page.reload(timeout=WAIT_MS, wait_until="commit")
                status.wait_for(timeout=WAIT_MS)
                page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS)
                assert page.locator(".cm-editor, .CodeMirror, .jp-CodeMirrorEditor").count() == 0
                assert "OnboardingPanel(" not in page.content()
                assert outside == [], f"the app asked outside hosts for {outside}"
                page.screenshot(path=str(SHOTS / "onboarding-voila.png"), full_page=True)
            except Exception:
                page.screenshot(path=str(SHOTS / "onboarding-voila-failure.png"), full_page=True)
                print(log.read_text()[-3000:])
                print("console:\n" + "\n".join(console[-30:]))
                print(kernel_stacks(lab["base"], proc))
                raise
            finally:
                page.close()
                browser.close()
    finally:
        stop(proc)
