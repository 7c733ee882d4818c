"""Cold start: a fresh ``spmkb search`` and the hosted app's first answer, baseline vs today.

    .venv/bin/python bench/bench_cold.py [--rounds 5] [--app-rounds 2] [--no-app] [--json]

Both paths run in the same run, interleaved (the order alternates per round), against one
index of this repository's ``playbooks/`` (built once under ``--work`` by ``spmkb index``,
which also exports and checks the ONNX query encoder):

- **baseline**: the code of ``--baseline-rev`` (default ``af6a9f2``, the last commit before the
  ONNX query encoder), extracted with ``git archive`` and put first on ``PYTHONPATH``: a search
  loads torch and the model, and imports chromadb with jsonschema's full format checkers;
- **new**: this checkout: the checked ONNX export embeds the query, torch is never imported.

CLI: ``python -m spmkb search QUERY --json`` in a new process per query (distinct query
strings; each query runs once per path in the same round), timed wall-clock around the
process, plus the children's CPU time; the top 10 of both paths must be the same assets in
the same order. Target: new median ≤ 0.3 × baseline median.

App: ``python -m spmkb.app notebooks/find-an-asset.ipynb`` started per page (each page is a
new kernel), opened in headless Debian Chromium (Playwright). Timed from the page's load
event (``page.goto`` returns) to the first result card after typing a query and pressing
Enter at once; also from navigation start. Target: ≤ 3 s after load, same top 10 (card ids).
The operating system's file cache is warm for both paths after the first process: "cold"
means a new process, not a cold disk.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/lib/chromium/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
WAIT_MS = 240_000
QUERIES = [
    "customer says the price is too high",
    "how to qualify a deal with MEDDPPICC",
    "discovery questions for the CFO",
    "competitor is cheaper",
    "send me some information",
    "mutual close plan",
    "renewal at risk",
    "security review slowing the deal",
    "no budget this year",
    "follow-up email after a demo",
    "champion left the company",
    "discount approval process",
]


def baseline_tree(rev: str, work: Path) -> Path:
    """``spmkb/`` of ``rev`` extracted under ``work/baseline-<rev>`` (once)."""
    root = work / f"baseline-{rev}"
    if not (root / "spmkb" / "__init__.py").is_file():
        data = subprocess.run(
            ["git", "archive", "--format=tar", rev, "spmkb"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(root, filter="data")
    return root


def env_for(src: Path) -> dict[str, str]:
    """The environment of a process running the spmkb found in ``src``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("SPMKB_")}
    return {
        **keep,
        "PYTHONPATH": str(src),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run ``cmd`` in ``cwd``; wall seconds, the child's CPU seconds and its stdout.

    ``cwd`` must not be a checkout: ``python -m`` puts it first on ``sys.path``, before
    ``PYTHONPATH``, so in the repository the baseline would run this checkout's code.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed:\n{out.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def cli(paths: dict[str, Path], store: Path, rounds: int, cwd: Path) -> dict:
    """Cold ``spmkb search`` per path, interleaved; medians, ratio and top-10 agreement."""
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    same = 0
    for r in range(rounds):
        query = QUERIES[r % len(QUERIES)] + ("" if r < len(QUERIES) else f" {r}")
        tops = {}
        order = list(paths) if r % 2 == 0 else list(paths)[::-1]
        for name in order:
            cmd = [sys.executable, "-m", "spmkb", "search", query, "--store", str(store)]
            cmd += ["--playbooks", str(REPO / "playbooks"), "--json"]
            w, c, out = timed(cmd, env_for(paths[name]), cwd)
            print(f"cli {name}: {w:.2f} s wall, {c:.2f} s CPU", file=sys.stderr)
            wall[name].append(w)
            cpu[name].append(c)
            tops[name] = [h["path"] for h in json.loads(out)["hits"][:10]]
        same += int(tops["baseline"] == tops["new"])
        if tops["baseline"] != tops["new"]:
            print(f"top 10 differ for {query!r}: {tops}", file=sys.stderr)
    med = {name: statistics.median(v) for name, v in wall.items()}
    return {
        "n_per_path": rounds,
        "wall_s": {name: [round(x, 2) for x in v] for name, v in wall.items()},
        "median_wall_s": {name: round(v, 2) for name, v in med.items()},
        "median_cpu_s": {name: round(statistics.median(v), 2) for name, v in cpu.items()},
        "ratio_new_to_baseline": round(med["new"] / med["baseline"], 3),
        "same_top10": f"{same} of {rounds}",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_answer(
    src: Path, store: Path, query: str, browser, cwd: Path
) -> tuple[float, float, list[str]]:
    """Start the app, open one page, type ``query`` at load: (after load, after navigation, ids)."""
    port = _free_port()
    env = {
        **env_for(src),
        "SPMKB_STORE": str(store),
        "SPMKB_PLAYBOOKS": str(REPO / "playbooks"),
        "SPMKB_APP_MAX_KERNELS": "2",
    }
    nb = str(REPO / "notebooks" / "find-an-asset.ipynb")
    cmd = [sys.executable, "-m", "spmkb.app", nb, "--no-browser", f"--port={port}"]
    cmd += ["--Voila.ip=127.0.0.1", "--Voila.port_retries=0"]
    server = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(480):
            try:
                urllib.request.urlopen(url + "/voila/static/voila.js", timeout=5)
                break
            except OSError:
                time.sleep(0.25)
        page = browser.new_page()
        start = time.monotonic()
        page.goto(url + "/", timeout=WAIT_MS, wait_until="load")
        loaded = time.monotonic()
        box = page.locator(".widget-text input").first
        box.wait_for(timeout=WAIT_MS)
        box.fill(query)
        box.press("Enter")
        page.locator(".spmkb-card").first.wait_for(timeout=WAIT_MS)
        done = time.monotonic()
        ids = page.eval_on_selector_all(
            ".spmkb-card", "cards => cards.map(c => c.getAttribute('data-id'))"
        )
        page.close()
        return done - loaded, done - start, ids[:10]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def app(paths: dict[str, Path], store: Path, rounds: int, cwd: Path) -> dict:
    """The app's first answer per path, interleaved; medians and top-10 agreement."""
    from playwright.sync_api import sync_playwright

    after: dict[str, list[float]] = {name: [] for name in paths}
    nav: dict[str, list[float]] = {name: [] for name in paths}
    same = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for r in range(rounds):
            query = QUERIES[r % len(QUERIES)]
            tops = {}
            for name in list(paths) if r % 2 == 0 else list(paths)[::-1]:
                a, n, ids = first_answer(paths[name], store, query, browser, cwd)
                print(f"app {name}: {a:.2f} s after load", file=sys.stderr)
                after[name].append(a)
                nav[name].append(n)
                tops[name] = ids
            same += int(tops["baseline"] == tops["new"])
        browser.close()
    return {
        "n_per_path": rounds,
        "after_load_s": {name: [round(x, 2) for x in v] for name, v in after.items()},
        "after_navigation_s": {name: [round(x, 2) for x in v] for name, v in nav.items()},
        "median_after_load_s": {n: round(statistics.median(v), 2) for n, v in after.items()},
        "same_top10": f"{same} of {rounds}",
    }


def main() -> int:
    """Index once, then time both paths and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/spmkb-bench-cold"))
    ap.add_argument("--baseline-rev", default="af6a9f2")
    ap.add_argument("--rounds", type=int, default=5, help="cold CLI searches per path (0: none)")
    ap.add_argument("--app-rounds", type=int, default=2, help="app page loads per path")
    ap.add_argument("--no-app", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    store = (args.work / "store").resolve()
    paths = {"baseline": baseline_tree(args.baseline_rev, args.work), "new": REPO}
    index = [sys.executable, "-m", "spmkb", "index", "--store", str(store)]
    index += ["--playbooks", str(REPO / "playbooks")]
    work = args.work.resolve()
    for name, src in paths.items():  # each path must import its own code
        where = "import spmkb; print(spmkb.__file__)"
        _, _, found = timed([sys.executable, "-c", where], env_for(src), work)
        if not found.strip().startswith(str(src)):
            raise SystemExit(f"the {name} path imports {found.strip()}, not {src}")
    _, _, out = timed(index, env_for(REPO), work)
    figures: dict[str, object] = {
        "index": next((ln for ln in out.splitlines() if ln.startswith("Queries")), out.strip()),
        "load_average_before": os.getloadavg(),
    }
    if args.rounds:
        figures["cli"] = cli(paths, store, args.rounds, work)
    if not args.no_app:
        figures["app"] = app(paths, store, args.app_rounds, work)
    figures["load_average_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {json.dumps(value)}")
        print("targets: cli ratio <= 0.3; app first answer <= 3 s after load; same top 10")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
