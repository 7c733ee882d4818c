"""The real-browser test harness shared by every browser test (tests/ui, tests/onboarding).

Debian's Chromium driven by Python Playwright (never ``playwright install``); without them the
tests skip with the fix, unless ``SPMKB_REQUIRE_BROWSER=1`` (CI), where they fail. Servers
listen on 127.0.0.1 on a free port, in their own process group, and are stopped by PID.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/lib/chromium/chromium")
SHOTS = REPO / "tests" / "output" / "ui"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # no test may wait on an outside host (CI's resolver can be slow or absent): every name
    # but the loopback one fails at once
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
WAIT_MS = 240_000  # 2 cores shared with other work: kernels and the model load slowly
#: JupyterLab user settings for every Lab test: no news or update checks, kernels start by
#: themselves (no kernel dialog).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autoStartDefaultKernel": True},
}


def write_lab_settings(folder: Path, extra: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write :data:`LAB_SETTINGS` (and ``extra`` plugins' settings) as Lab user settings."""
    for plugin, values in {**LAB_SETTINGS, **(extra or {})}.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return folder


#: IPython startup file of every test kernel: SIGUSR1 writes all threads' Python stacks to
#: ``<base>/stacks/<pid>.txt`` (see :func:`kernel_stacks`), so a hung page can be explained.
_STACKS_STARTUP = """\
import faulthandler, os, signal
_spmkb_stacks = open(os.path.join({folder!r}, f"{{os.getpid()}}.txt"), "w")
faulthandler.register(signal.SIGUSR1, file=_spmkb_stacks, all_threads=True)
"""


def jupyter_env(base: Path, **extra: str) -> dict[str, str]:
    """This environment, offline, with Jupyter's and IPython's folders under ``base``.

    Kernels started with it dump their stacks on SIGUSR1 (:func:`kernel_stacks`).
    """
    startup = base / "ipython" / "profile_default" / "startup" / "00-stacks.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    (base / "stacks").mkdir(exist_ok=True)
    startup.write_text(_STACKS_STARTUP.format(folder=str(base / "stacks")), encoding="utf-8")
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        **extra,
    }


def kernel_stacks(base: Path, proc: subprocess.Popen) -> str:
    """The Python stacks of the kernels that server ``proc`` started (for a failure message)."""
    out = subprocess.run(["pgrep", "-P", str(proc.pid), "-f", "ipykernel_launcher"],
                         capture_output=True, text=True, check=False)  # fmt: skip
    pids = [int(x) for x in out.stdout.split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGUSR1)
    time.sleep(2)
    parts = []
    for pid in pids:
        dump = base / "stacks" / f"{pid}.txt"
        text = dump.read_text(errors="replace") if dump.exists() else "(no dump)"
        parts.append(f"--- kernel {pid} ---\n{text[-6000:]}")
    return "\n".join(parts) or "(no kernel running)"


def need_browser() -> None:
    """Skip (or, with SPMKB_REQUIRE_BROWSER=1, fail) when Chromium or Playwright is missing."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"Chromium not found at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed"
    if problem is None:
        return
    if os.environ.get("SPMKB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{problem} and SPMKB_REQUIRE_BROWSER=1")
    pytest.skip(
        f"{problem}: run `apt-get install -y chromium` and `pip install playwright` "
        "(never `playwright install`) to enable the browser tests"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(
    url: str, headers: dict[str, str], proc: subprocess.Popen, log: Path, timeout: float = 120
) -> None:
    """Wait until ``url`` answers; fail with the server's log when it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started with ``start_new_session=True``: SIGTERM its group, then SIGKILL."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


LOCAL = ("127.0.0.1", "localhost")


def outside_requests(page: Any) -> list[str]:
    """Record every request ``page`` makes to a host other than the loopback one.

    Returns the list the URLs are appended to; a test asserts it stays empty (the app must
    work offline: nothing may download at run time).
    """
    outside: list[str] = []

    def note(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL:
            outside.append(request.url)

    page.on("request", note)
    return outside


def open_in_lab(page: Any, url: str, token: str, path: str) -> None:
    """Open ``path`` in JupyterLab at ``url`` and wait until its kernel is idle."""
    page.goto(f"{url}/lab/tree/{path}?token={token}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=WAIT_MS)
    kernel = page.locator(".jp-StatusBar-TextItem[title^='Change kernel']")
    kernel.filter(has_text="Idle").wait_for(timeout=WAIT_MS)


def run_all(page: Any) -> None:
    """Lab's menu Run → Run All Cells on the open notebook."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator("li[data-command='runmenu:run-all']").click()
