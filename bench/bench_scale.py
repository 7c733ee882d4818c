"""How opening and querying the search index grow: 3 k, 30 k and 100 k sections.

For each size the bench writes an index exactly as ``spmkb index`` leaves it (a Chroma
collection behind the pointer, plus the lexical snapshot, progress file and hint of
:mod:`spmkb.search.lexstore`), for the embedded store and for a ``chroma run`` server, then
measures in a FRESH process (so nothing is cached):

- ``open_s``: ``Searcher.open`` (chromadb already imported; its import, ≈ 4-6 s here, is
  the same at every size and is reported once as ``chromadb_import_s``);
- ``rss_mb``: resident memory the open added (psutil, after - before);
- ``p50_ms`` / ``p95_ms``: warm hybrid queries (k = 10; 10 warm-up queries, then 40 distinct
  queries x 2 rounds), with a synthetic query encoder (a hash-seeded unit vector), so the
  figures are the index's share; the real model adds ≈ 20 ms per uncached query
  (see the search-latency table);
- ``old_open_s`` (``--old``): the previous design, reading every record back from Chroma and
  tokenizing it again (the snapshot is ignored).

Texts and metadata: the GitLab handbook's 2,268 sections (../shared/data/playbooks-gitlab),
copied as often as needed, each copy with its own path/asset id and two copy-specific words
per section so the vocabulary grows with the size. Vectors are synthetic (random unit vectors,
384-d, seeded): embedding 100 k sections with the model takes hours on this machine, and
random vectors are the hard case for HNSW (no clusters).

Run: ``.venv/bin/python bench/bench_scale.py [--sizes 3000,30000,100000] [--server]
[--old] [--out bench-scale.json] [--plot docs/img/search-scale.png]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / ".." / "shared" / "data" / "playbooks-gitlab"
DIM = 384
QUERIES = [
    "pricing objection", "MEDDPPICC qualification", "discovery call questions",
    "renewal risk", "champion building", "mutual action plan", "security review",
    "procurement process", "competitive displacement", "value selling",
    "quarterly business review", "SKO enablement", "onboarding new account executive",
    "forecast accuracy", "pipeline generation", "customer success handoff",
    "executive sponsor", "proof of value", "negotiation discount approval", "deal desk",
    "partner channel", "land and expand", "GitLab Ultimate upgrade", "CI/CD migration",
    "DevSecOps platform", "total cost of ownership", "ROI calculator", "legal redlines",
    "public sector buying", "command of the message", "territory planning", "account plan",
    "cold outreach email", "demo best practices", "objection handling price",
    "stakeholder mapping", "churn signals", "expansion opportunity", "sales compensation",
    "closing techniques",
]  # fmt: skip


class FakeEmbedder:
    """A query encoder that returns a hash-seeded unit vector (no model)."""

    dim = DIM
    name = "synthetic"

    def encode_query(self, text: str) -> Any:
        """A deterministic unit vector for ``text``."""
        import numpy as np

        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        vec = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return vec / np.linalg.norm(vec)

    def clear_query_cache(self) -> None:
        """Nothing cached."""


def base_records(playbooks: Path) -> list[Any]:
    """The handbook's section records (as the index stores them)."""
    from spmkb.config import load_settings
    from spmkb.content import load_library
    from spmkb.search.sync import section_records

    settings = load_settings(
        {"playbooks": str(playbooks), "store": tempfile.gettempdir()}, cwd=REPO, environ={}
    )
    library = load_library(playbooks.resolve(), settings)
    return [r for a in library.assets for r in section_records(a, settings)]


def scaled(base: list[Any], n: int) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """``n`` sections: copies of ``base`` with their own paths, ids and two extra words."""
    ids, docs, metas = [], [], []
    copy = 0
    while len(ids) < n:
        for rec in base:
            if len(ids) >= n:
                break
            path = f"copy{copy}/{rec.metadata['path']}" if copy else rec.metadata["path"]
            extra = f" c{copy}w{len(ids) % 211} c{copy}v{len(ids) % 53}" if copy else ""
            doc = rec.document + extra
            meta = dict(rec.metadata, path=path, asset_id=f"{rec.metadata['asset_id']}-{copy}")
            meta["hash"] = hashlib.sha256(doc.encode()).hexdigest()
            ids.append(f"{path}#{meta['index']}")
            docs.append(doc)
            metas.append(meta)
        copy += 1
    return ids, docs, metas


def settings_for(store: Path, url: str | None) -> Any:
    """Settings of a bench index (embedded under ``store``, or on the server at ``url``)."""
    from spmkb.config import load_settings

    given = {"playbooks": str(REPO / "playbooks"), "store": str(store)}
    settings = load_settings(given, cwd=REPO, environ={})
    if url:
        import dataclasses

        # a loaded machine can take more than the default 30 s for a 1,000-row write
        settings = dataclasses.replace(settings, chroma_url=url, chroma_timeout=600.0)
    return settings


def build(
    settings: Any, ids: list[str], docs: list[str], metas: list[dict[str, Any]], done: int = 0
) -> float:
    """Write the collection and the lexical files as ``spmkb index`` would; return seconds.

    The first ``done`` sections are already stored (the sizes grow one collection).
    """
    import numpy as np

    from spmkb.search import lexstore
    from spmkb.search.store import Store
    from spmkb.search.sync import expected_signature

    started = time.perf_counter()
    store = Store(settings)
    sig = {**expected_signature(settings, DIM), "updated": time.time()}
    if store.get() is None:
        store.create(sig)
    physical = str(store.physical)
    snap = lexstore.write_snapshot(settings, physical, sig, ids, docs, metas)
    step = 5000
    rng = np.random.default_rng(7 + done)
    for s in range(done, len(ids), step):
        vecs = rng.standard_normal((len(ids[s : s + step]), DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        batch = 1000 if settings.chroma_url else 5000
        store.upsert(ids[s : s + step], vecs, docs[s : s + step], metas[s : s + step], batch)
        print(f"  wrote {s + len(vecs)} of {len(ids)} after {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)  # fmt: skip
    store.set_metadata({**store.signature(), "complete": True, "lexical": snap.gen})
    lexstore.write_state(settings, physical, lexstore.IndexState(snap.gen, len(ids), 0, True))
    lexstore.write_hint(settings, physical)
    return time.perf_counter() - started


def measure(settings: Any, old: bool) -> dict[str, Any]:
    """Open a Searcher in this (fresh) process and time it and its queries."""
    import psutil

    t = time.perf_counter()
    import chromadb  # noqa: F401 - imported before the clock, reported separately

    from spmkb.search import lexstore
    from spmkb.search.query import Searcher

    chroma_import = time.perf_counter() - t
    if old:  # the previous design: every record read back from Chroma and tokenized again
        lexstore.read_snapshot = lambda *a, **k: None  # type: ignore[assignment]
        Searcher._cache_snapshot = lambda *a, **k: None  # type: ignore[assignment]
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t, c = time.perf_counter(), time.process_time()
    searcher = Searcher.open(settings, embedder=FakeEmbedder())  # type: ignore[arg-type]
    open_s, open_cpu = time.perf_counter() - t, time.process_time() - c
    rss = (proc.memory_info().rss - rss0) / 2**20
    for q in QUERIES[:10]:
        searcher.search(q, k=10)
    times, cpu = [], []
    for _ in range(2):
        for q in QUERIES:
            t, c = time.perf_counter(), time.process_time()
            searcher.search(q, k=10)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    times.sort()
    cpu.sort()
    return {
        "sections": len(searcher.ids),
        "open_s": round(open_s, 3),
        "open_cpu_s": round(open_cpu, 3),
        "rss_mb": round(rss, 1),
        "p50_ms": round(times[len(times) // 2], 2),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        "cpu_p95_ms": round(cpu[int(0.95 * (len(cpu) - 1))], 2),
        "queries": len(times),
        "chromadb_import_s": round(chroma_import, 2),
    }


def measure_in_child(store: Path, url: str | None, old: bool) -> dict[str, Any]:
    """Run :func:`measure` in a fresh Python process; return its JSON."""
    cmd = [sys.executable, __file__, "--measure", str(store)]
    cmd += ["--url", url] if url else []
    cmd += ["--old"] if old else []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    """A ``chroma run`` on a free loopback port (stopped by process group afterwards)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "chroma"
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=1):
                return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((data / "server.log").read_text()[-2000:]) from None
            time.sleep(0.3)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server's process group."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Open time, memory and p95 (wall and CPU) against sections, per store kind (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 5, figsize=(18, 3.6))
    panels = [("open_s", "open, wall (s)", 10.0), ("open_cpu_s", "open, CPU (s)", 10.0),
              ("rss_mb", "memory added (MB)", None), ("p95_ms", "warm p95, wall (ms)", 100.0),
              ("cpu_p95_ms", "warm p95, CPU (ms)", 100.0)]  # fmt: skip
    kinds = sorted({(r["kind"], r.get("design", "snapshot")) for r in rows})
    for ax, (key, label, target) in zip(axes, panels, strict=True):
        for kind, design in kinds:
            pts = sorted((r["size"], r[key]) for r in rows
                         if r["kind"] == kind and r.get("design", "snapshot") == design)  # fmt: skip
            if pts:
                style = "--" if design == "old" else "-"
                ax.plot(*zip(*pts, strict=True), style, marker="o", label=f"{kind} ({design})")
        if target:
            ax.axhline(target, color="red", linewidth=0.8, linestyle=":", label="target")
        ax.set_xscale("log")
        ax.set_xlabel("sections")
        ax.set_title(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> int:
    """Build each size, measure it in a fresh process, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playbooks", type=Path, default=DEFAULT)
    parser.add_argument("--sizes", default="3000,30000,100000")
    parser.add_argument("--server", action="store_true", help="also a `chroma run` server")
    parser.add_argument("--no-embedded", action="store_true", help="only the server")
    parser.add_argument("--old", action="store_true", help="also time the previous design")
    parser.add_argument("--out", type=Path, default=Path("bench-scale.json"))
    parser.add_argument("--plot", type=Path, default=None, help="write a PNG of the curves")
    parser.add_argument("--measure", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(settings_for(args.measure, args.url), args.old)))
        return 0
    if not args.playbooks.is_dir():
        print(f"{args.playbooks} is absent: nothing to benchmark", file=sys.stderr)
        return 2
    base = base_records(args.playbooks)
    rows: list[dict[str, Any]] = json.loads(args.out.read_text()) if args.out.exists() else []
    kinds = ([] if args.no_embedded else ["embedded"]) + (["server"] if args.server else [])
    for kind in kinds:  # one collection per kind, grown from the smallest size up
        tmp = Path(tempfile.mkdtemp(prefix=f"spmkb-scale-{kind}-"))
        server = None
        try:
            url = None
            if kind == "server":
                server, url = start_server(tmp)
            settings = settings_for(tmp / "store", url)
            done = 0
            for size in sorted(int(s) for s in args.sizes.split(",")):
                ids, docs, metas = scaled(base, size)
                build_s = build(settings, ids, docs, metas, done)
                done = size
                del ids, docs, metas
                for design in ["snapshot", "old"] if args.old else ["snapshot"]:
                    row = {"kind": kind, "size": size, "design": design,
                           "build_s": round(build_s, 1)}  # fmt: skip
                    row.update(measure_in_child(tmp / "store", url, design == "old"))
                    row["load_average_1m"] = round(os.getloadavg()[0], 2)
                    rows = [r for r in rows if (r["kind"], r["size"], r.get("design")) !=
                            (kind, size, design)] + [row]  # fmt: skip
                    args.out.write_text(json.dumps(rows, indent=2))
                    print(json.dumps(row), flush=True)
        finally:
            if server is not None:
                stop_server(server)
            shutil.rmtree(tmp, ignore_errors=True)
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
