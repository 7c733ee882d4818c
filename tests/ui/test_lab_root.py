"""One JupyterLab for everything: `make lab` roots Lab at the project, notebooks stay clean.

The browser test starts JupyterLab with the exact arguments of the Makefile's ``lab`` recipe
(read from the Makefile, with ``$(CURDIR)`` pointing at a temp copy of the project) plus the
test-only port, token and settings, then opens a review notebook under ``reviews/`` and a
playbook file under ``playbooks/``.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from browser_harness import SHOTS, WAIT_MS, write_lab_settings
from browser_harness import free_port as _free_port
from browser_harness import need_browser as _need_browser
from browser_harness import stop as _stop
from browser_harness import wait_http as _wait_http

REPO = Path(__file__).resolve().parents[2]
REVIEW = "reviews/2026-Q3/alice-ng.ipynb"
PLAYBOOK = "playbooks/battlecards/procura.md"


def lab_recipe_args(curdir: Path) -> list[str]:
    """The arguments after ``jupyter lab`` in the Makefile's ``lab`` recipe, ``$(CURDIR)`` filled."""
    lines = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = lines.index("lab: sample")
    recipe = next(line for line in lines[start + 1 :] if "jupyter lab" in line)
    words = shlex.split(recipe.strip().replace("$(CURDIR)", str(curdir)))
    return words[words.index("lab") + 1 :]


def test_lab_recipe_roots_at_project_and_opens_the_search_notebook_first() -> None:
    """The recipe roots Lab at the project, opens find-an-asset first and loads the clean-save config."""
    args = lab_recipe_args(Path("/P"))
    assert "--ServerApp.root_dir=/P" in args
    assert "--LabApp.default_url=/lab/tree/notebooks/find-an-asset.ipynb" in args
    assert "--config=/P/jupyter_server_config.py" in args
    assert not any(a.startswith("--notebook-dir") for a in args)
    assert (REPO / "notebooks" / "find-an-asset.ipynb").exists()


def _notebook_with_outputs() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('hi')")
    cell.execution_count = 3
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_server_config_strips_outputs_of_shipped_notebooks_only(tmp_path: Path) -> None:
    """Saving through Lab's contents manager with the shipped config: notebooks/ clean, reviews/ kept.

    The same notebook (one code cell, execution count 3, one stdout output, saved widget state)
    is saved to notebooks/ and to reviews/: the first loses outputs, count and widget state;
    the second keeps all three.
    """
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(REPO)).load_config()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "reviews").mkdir()
    cm = AsyncLargeFileManager(config=config, root_dir=str(tmp_path))
    for path in ("notebooks/find-an-asset.ipynb", "reviews/alice.ipynb"):
        model = {"type": "notebook", "format": "json", "content": _notebook_with_outputs()}
        # its own loop in a thread: the session's Playwright may already run one in this thread
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, cm.save(model, path)).result()
    shipped = nbformat.read(tmp_path / "notebooks" / "find-an-asset.ipynb", as_version=4)
    review = nbformat.read(tmp_path / "reviews" / "alice.ipynb", as_version=4)
    assert shipped.cells[0].outputs == [] and shipped.cells[0].execution_count is None
    assert "widgets" not in shipped.metadata
    assert shipped.cells[0].source == "print('hi')"
    assert review.cells[0].outputs[0].text == "hi\n" and review.cells[0].execution_count == 3
    assert "widgets" in review.metadata


@pytest.fixture
def project_lab(tmp_path: Path):
    """JupyterLab started like `make lab` over a temp copy of the project with a review in it."""
    _need_browser()
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copytree(REPO / "playbooks", root / "playbooks")
    shutil.copy(REPO / "jupyter_server_config.py", root)
    review = root / REVIEW
    review.parent.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Review: Alice Ng, 2026-Q3")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, review)
    settings = write_lab_settings(tmp_path / "settings")
    port, token = _free_port(), uuid.uuid4().hex
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        *lab_recipe_args(root),
        "--no-browser",
        "--allow-root",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
    ]
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=root
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/api/status", {"Authorization": f"token {token}"}, proc, log)
        yield {"url": url, "token": token, "log": log}
    finally:
        _stop(proc)


@pytest.mark.browser
@pytest.mark.slow
def test_make_lab_opens_notebooks_first_and_reaches_reviews_and_playbooks(
    project_lab,
    browser,
) -> None:
    """The default page opens the search notebook; a review and a playbook open without errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    base, token = project_lab["url"], project_lab["token"]
    try:
        page.goto(f"{base}/?token={token}")
        page.locator(".jp-Notebook .jp-Cell", has_text="Find the right asset").first.wait_for(
            timeout=WAIT_MS
        )
        assert "/lab/tree/notebooks/find-an-asset.ipynb" in page.url

        page.goto(f"{base}/lab/tree/{REVIEW}?token={token}")
        page.locator(".jp-Notebook .jp-Cell", has_text="Review: Alice Ng").first.wait_for(
            timeout=WAIT_MS
        )
        page.screenshot(path=str(SHOTS / "lab-root-review.png"))

        page.goto(f"{base}/lab/tree/{PLAYBOOK}?token={token}")
        page.locator(".jp-FileEditor .cm-content", has_text="Procura").first.wait_for(
            timeout=WAIT_MS
        )
        page.screenshot(path=str(SHOTS / "lab-root-playbook.png"))
        assert page.get_by_text("Could not find path").count() == 0
        assert page.get_by_text("Path Not Found").count() == 0
    except Exception:
        page.screenshot(path=str(SHOTS / "lab-root-failure.png"), full_page=True)
        print(project_lab["log"].read_text()[-3000:])
        raise
    finally:
        page.close()
