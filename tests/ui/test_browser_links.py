"""Real browser: links inside an asset in JupyterLab (heading, asset, external) stay on the page.

A small notebook in the served root opens the linked battlecard
(``tests/data/ui/linked-battlecard.md``) in a SearchPanel's reader; the test clicks its
"price is too high" linked-asset button and its in-body link text, and checks the reader,
the URL and the Back button.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from browser_harness import SHOTS, WAIT_MS, open_in_lab, run_all
from test_browser import app_dir, lab  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UI_DATA = Path(__file__).resolve().parents[1] / "data" / "ui"
NOTEBOOK = "reader-links.ipynb"
_IN_VIEW = (
    "h => { const r = h.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
)


@pytest.fixture
def links_notebook(app_dir) -> str:  # noqa: F811 - the fixture imported from test_browser
    """Put the linked battlecard under playbooks/reference/ and a notebook opening it."""
    root: Path = app_dir["root"]
    (root / "playbooks" / "reference").mkdir(exist_ok=True)
    shutil.copy(UI_DATA / "linked-battlecard.md", root / "playbooks" / "reference")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from spmkb.widgets import SearchPanel\n"
            "panel = SearchPanel()\n"
            "panel.open_path('reference/linked-battlecard.md')\n"
            "panel"
        )
    ]
    nbformat.write(nb, root / NOTEBOOK)
    return NOTEBOOK


def test_lab_reader_follows_an_asset_link_without_leaving_the_page(
    lab,  # noqa: F811
    browser,
    links_notebook: str,
) -> None:
    """Heading link scrolls; link button → the objection, same URL; in-body text inert; Back."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        open_in_lab(page, lab["url"], lab["token"], links_notebook)
        run_all(page)
        title = page.locator(".spmkb-reader-title")
        title.filter(has_text="Battlecard: Linked Co").wait_for(timeout=WAIT_MS)
        url = page.url
        heading = page.locator(".spmkb-reader h2", has_text="Trap questions")
        assert not heading.evaluate(_IN_VIEW)  # below the visible part of the page
        page.locator("a.spmkb-heading-link", has_text="the trap questions").click()
        page.wait_for_function(
            "() => { const h = [...document.querySelectorAll('.spmkb-reader h2')]"
            ".find(e => e.textContent.includes('Trap questions'));"
            " const r = h.getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }",
            timeout=10_000,
        )
        assert page.url.split("#")[0] == url.split("#")[0]
        assert page.get_by_text("Path Not Found").count() == 0
        page.screenshot(path=str(SHOTS / "lab-links-heading.png"))
        url = page.url
        page.locator(".spmkb-asset-link", has_text="price is too high").first.click()
        page.wait_for_timeout(500)
        assert page.url == url
        page.screenshot(path=str(SHOTS / "lab-links-battlecard.png"))
        page.locator("button.jupyter-button", has_text="price is too high").click()
        title.filter(has_text="Price is too high").wait_for(timeout=60_000)
        assert page.url == url
        assert page.get_by_text("Path Not Found").count() == 0
        page.screenshot(path=str(SHOTS / "lab-links-objection.png"))
        page.locator("button.jupyter-button", has_text="Back").click()
        title.filter(has_text="Battlecard: Linked Co").wait_for(timeout=60_000)
        assert page.url == url
        external = page.locator(".spmkb-reader a", has_text="linked.example")
        assert external.get_attribute("target") == "_blank"
        assert "noopener" in external.get_attribute("rel")
    except Exception:
        page.screenshot(path=str(SHOTS / "lab-links-failure.png"), full_page=True)
        print(lab["log"].read_text()[-3000:])
        raise
    finally:
        page.close()


@pytest.fixture
def links_voila(app_dir, links_notebook: str):  # noqa: F811 - the fixture imported from test_browser
    """A standalone Voila app serving the links notebook."""
    import subprocess
    import sys

    from browser_harness import free_port as _free_port
    from browser_harness import stop as _stop
    from browser_harness import wait_http as _wait_http

    port = _free_port()
    log = app_dir["base"] / "voila-links.log"
    cmd = [sys.executable, "-m", "voila", str(app_dir["root"] / links_notebook), "--no-browser",
           f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, env=app_dir["env"], stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=app_dir["root"])  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/voila/static/voila.js", {}, proc, log)
        yield {"url": url, "log": log}
    finally:
        _stop(proc)


def test_voila_reader_follows_an_asset_link_without_leaving_the_page(links_voila, browser) -> None:
    """In the Voila app the same link button opens the objection, the URL stays, Back returns."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(links_voila["url"] + "/", timeout=WAIT_MS)
        title = page.locator(".spmkb-reader-title")
        title.filter(has_text="Battlecard: Linked Co").wait_for(timeout=WAIT_MS)
        url = page.url
        page.locator(".spmkb-asset-link", has_text="price is too high").first.click()
        page.locator("button.jupyter-button", has_text="price is too high").click()
        title.filter(has_text="Price is too high").wait_for(timeout=60_000)
        page.locator(".spmkb-status", has_text="Opened “Price is too high”").wait_for(
            timeout=60_000
        )
        assert page.url == url
        assert "403" not in page.title()
        assert page.locator("button.jupyter-button", has_text="the secrets").count() == 0
        page.screenshot(path=str(SHOTS / "voila-links-objection.png"))
        page.locator("button.jupyter-button", has_text="Back").click()
        title.filter(has_text="Battlecard: Linked Co").wait_for(timeout=60_000)
        assert page.url == url
    except Exception:
        page.screenshot(path=str(SHOTS / "voila-links-failure.png"), full_page=True)
        print(links_voila["log"].read_text()[-3000:])
        raise
    finally:
        page.close()
