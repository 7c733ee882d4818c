"""The hosted app (``python -m spmkb.app``, what ``make app`` runs) cannot be exhausted by page loads.

Each test starts the real launcher (real Voila, real kernels) on a free loopback port in its own
process group and stops it by that group. Every plain ``GET /`` starts a kernel and runs the
notebook, like a browser's first request. The notebook served is ``tests/data/app/hello.ipynb``
(one print cell): the guards do not depend on the notebook, and four search kernels would take
~3 GB on this shared 2-core machine.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from browser_harness import free_port

pytestmark = [pytest.mark.server, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "tests" / "data" / "app" / "hello.ipynb"
ERROR_NOTEBOOK = REPO / "tests" / "data" / "app" / "no-playbooks.ipynb"
#: Text outputs (an error's traceback lines among them) as Voila renders them in the page.
PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
BUSY = "The app is busy: {n} using it; try again in a minute"
HELLO = "hello from the app kernel"


def _get(url: str, timeout: float = 120) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of one GET (a 503 is an answer, not an exception)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def _kernel_processes(server: subprocess.Popen) -> list[psutil.Process]:
    """The ipykernel processes the app server started (its children)."""
    out = []
    for child in psutil.Process(server.pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


@contextmanager
def _app(
    tmp_path: Path, *, max_kernels: int, cull_after_s: int, notebook: Path = NOTEBOOK
) -> Iterator[dict]:
    """Start ``python -m spmkb.app`` on ``notebook``; yield its url, process and log."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    env = {
        **os.environ,
        "SPMKB_APP_MAX_KERNELS": str(max_kernels),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "spmkb.app",
        str(root / notebook.name),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        f"--MappingKernelManager.cull_idle_timeout={cull_after_s}",
        "--MappingKernelManager.cull_interval=1",
    ]
    log = tmp_path / "app.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=root, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # ready: a static file answers (never poll "/": it starts a kernel)
            assert proc.poll() is None, f"app exited {proc.returncode}:\n{log.read_text()}"
            try:
                if _get(f"{url}/voila/static/voila.js", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"app not ready in 120 s:\n{log.read_text()}"
            time.sleep(0.5)
        yield {"url": url, "proc": proc, "log": log}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _status(url: str) -> dict:
    code, _, body = _get(f"{url}/spmkb/status", timeout=10)
    assert code == 200, body
    return json.loads(body)


def test_page_loads_beyond_the_cap_get_the_busy_page(tmp_path: Path) -> None:
    """Cap 2, four page loads at once: exactly two render the notebook (two kernels), two get
    HTTP 503 with the busy text; the server still answers and runs exactly two kernels."""
    with _app(tmp_path, max_kernels=2, cull_after_s=600) as app:
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: _get(app["url"] + "/"), range(4)))
        codes = sorted(code for code, _, _ in answers)
        assert codes == [200, 200, 503, 503], app["log"].read_text()[-3000:]
        for code, headers, body in answers:
            if code == 200:
                assert HELLO in body
            else:
                assert BUSY.format(n="2 people are") in body
                assert "at most 2 people at once" in body
                assert headers["Retry-After"] == "60"
                assert headers["Content-Type"].startswith("text/html")
        # one more, after the others: still refused, answered quickly, not a hung server
        start = time.monotonic()
        code, _, body = _get(app["url"] + "/", timeout=30)
        assert (code, BUSY.format(n="2 people are") in body) == (503, True)
        assert time.monotonic() - start < 10
        assert _status(app["url"]) == {"kernels": 2, "starting": 0, "max_kernels": 2}
        assert len(_kernel_processes(app["proc"])) == 2


def test_an_idle_kernel_is_culled_and_a_new_page_loads(tmp_path: Path) -> None:
    """Cap 1, culled after 3 idle seconds: page 1 renders, page 2 is refused (1 person); the
    idle kernel is culled (status and the kernel process both gone), then page 3 renders."""
    with _app(tmp_path, max_kernels=1, cull_after_s=3) as app:
        code, _, body = _get(app["url"] + "/")
        assert (code, HELLO in body) == (200, True), app["log"].read_text()[-3000:]
        # asked within a second of page 1: its kernel has not been idle for 3 s yet
        code, _, body = _get(app["url"] + "/", timeout=30)
        assert (code, BUSY.format(n="1 person is") in body) == (503, True)
        deadline = time.monotonic() + 60
        while _status(app["url"])["kernels"] or _kernel_processes(app["proc"]):
            assert time.monotonic() < deadline, app["log"].read_text()[-3000:]
            time.sleep(0.5)
        assert "Culling 'idle' kernel" in app["log"].read_text()
        code, _, body = _get(app["url"] + "/")
        assert (code, HELLO in body) == (200, True), app["log"].read_text()[-3000:]
        assert _status(app["url"])["kernels"] == 1


@pytest.mark.browser
def test_an_open_but_idle_tab_is_culled_too(tmp_path: Path) -> None:
    """A page left open in Chromium keeps a WebSocket to its kernel; with ``cull_connected``
    (the app's default) that kernel is still culled after 3 idle seconds, so an abandoned tab
    does not hold a slot forever (cap 1: the next visitor gets a page)."""
    chromium = Path("/usr/lib/chromium/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not chromium.exists():
        problem = "needs Chromium at /usr/lib/chromium/chromium and the playwright package"
        if os.environ.get("SPMKB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem} (SPMKB_REQUIRE_BROWSER=1)")
        pytest.skip(f"{problem}: see tests/ui/test_browser.py")

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    with _app(tmp_path, max_kernels=1, cull_after_s=3) as app, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), headless=True, args=args)
        try:
            page = browser.new_page()
            page.goto(app["url"] + "/", timeout=120_000)
            page.get_by_text(HELLO).wait_for(timeout=120_000)
            deadline = time.monotonic() + 60
            while _status(app["url"])["kernels"]:
                assert time.monotonic() < deadline, app["log"].read_text()[-3000:]
                time.sleep(0.5)
            assert "with 1 connections due to" in app["log"].read_text()  # culled while open
            code, _, body = _get(app["url"] + "/")
            assert (code, HELLO in body) == (200, True)
        finally:
            browser.close()


def test_a_cell_that_raises_an_spmkb_error_shows_its_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    """``tests/data/app/no-playbooks.ipynb`` opens a workspace whose playbook folder is missing:
    the page says "Error: …playbook folder not found — …" (the ContentError's own text), not
    Voila's "There was an error when executing cell", and carries no traceback; the cells after
    it do not run.
    """
    with _app(tmp_path, max_kernels=1, cull_after_s=60, notebook=ERROR_NOTEBOOK) as app:
        status, _headers, body = _get(app["url"] + "/")
    assert status == 200
    shown = [html.unescape(t).strip() for t in PRE.findall(body)]
    assert shown == [
        f"Error: {tmp_path / 'root' / 'no-such-folder'}: playbook folder not found — pass "
        "--playbooks DIR or set playbooks in spmkb.toml"
    ]
    assert "There was an error when executing cell" not in body
    assert "Traceback" not in body and 'File "' not in body
    assert "not reached" not in body  # Voila stops at the failed cell


@pytest.mark.parametrize(
    ("ename", "shown"),
    [
        ("DealDataError", "Error: no deal data imported yet"),
        ("ValueError", "There was an error when executing cell [3]. Ask whoever runs this app"),
        ("NotFoundError", "Error: no deal data imported yet"),
    ],
)
def test_the_app_shows_the_message_of_spmkb_errors_only(ename: str, shown: str) -> None:
    """spmkb's own errors (any ``SpmkbError`` subclass) keep their message; a ValueError (a bug,
    or a library's error with paths in it) gets the generic text and its traceback goes."""
    from spmkb.app import show_cell_error

    out = {"output_type": "error", "ename": ename, "evalue": "no deal data imported yet",
           "traceback": ["Traceback (most recent call last)", 'File "/srv/x.py"']}  # fmt: skip
    generic = "There was an error when executing cell [3]. Ask whoever runs this app to look"
    shown_out = show_cell_error(out, generic)
    assert shown_out["traceback"] == [shown if shown.startswith("Error") else generic]
    assert shown_out["traceback"][0].startswith(shown)
