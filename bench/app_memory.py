"""Memory per user of the hosted search app (``python -m spmkb.app``, what ``make app`` runs).

    .venv/bin/spmkb index --store /tmp/appstore --playbooks playbooks   # once
    .venv/bin/python bench/app_memory.py --store /tmp/appstore --users 2

Starts the app on a free loopback port with the cap set to ``--users``, opens that many pages in
headless Debian Chromium (Playwright), runs one search on each, then prints every kernel's RSS,
PSS and USS (psutil) and the drop in the machine's available memory; finally opens one page more
and prints its status (503 and the busy text are expected). Not part of ``make bench``: it needs
Chromium (``/usr/lib/chromium/chromium``), the ``playwright`` package and a built index.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
QUERY = "customer says the price is too high"
WAIT_MS = 240_000
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def _kernels(server: subprocess.Popen) -> list[psutil.Process]:
    children = psutil.Process(server.pid).children(recursive=True)
    return [c for c in children if "ipykernel_launcher" in " ".join(c.cmdline())]


def main() -> None:
    """Run the measurement and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="store holding a built index")
    ap.add_argument("--users", type=int, default=2, help="pages (kernels) to open")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SPMKB_STORE": str(Path(args.store).resolve()),
        "SPMKB_PLAYBOOKS": str(REPO / "playbooks"),
        "SPMKB_APP_MAX_KERNELS": str(args.users),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    nb = str(REPO / "notebooks" / "find-an-asset.ipynb")
    cmd = [sys.executable, "-m", "spmkb.app", nb, "--no-browser", f"--port={port}"]
    cmd += ["--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]
    server = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/voila/static/voila.js", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/lib/chromium/chromium", headless=True, args=ARGS
            )
            available = psutil.virtual_memory().available
            for i in range(args.users):
                page = browser.new_page()
                start = time.monotonic()
                page.goto(url + "/", timeout=WAIT_MS)
                box = page.locator(".widget-text input").first
                box.wait_for(timeout=WAIT_MS)
                box.fill(QUERY)
                box.press("Enter")
                page.locator(".spmkb-card").first.wait_for(timeout=WAIT_MS)
                print(f"page {i + 1}: first results {time.monotonic() - start:.1f} s after load")
            time.sleep(3)
            for k in _kernels(server):
                m = k.memory_full_info()
                print(
                    f"kernel {k.pid}: RSS {m.rss / 2**20:.0f} MB, PSS {m.pss / 2**20:.0f} MB, "
                    f"USS {m.uss / 2**20:.0f} MB"
                )
            drop = (available - psutil.virtual_memory().available) / 2**20
            print(f"available memory dropped by {drop:.0f} MB for {args.users} users (noisy)")
            extra = browser.new_page()
            status = extra.goto(url + "/").status
            print(f"page {args.users + 1}: HTTP {status}: {extra.locator('h1').inner_text()}")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
