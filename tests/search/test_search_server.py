"""The same code path against a real ``chroma run`` server, and a server that is down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from spmkb.errors import StoreError
from spmkb.search import Searcher, index_library
from spmkb.search.store import Store


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real ``chroma run`` on a free loopback port; stopped by process group at the end."""
    exe = Path(sys.executable).parent / "chroma"
    assert exe.exists(), f"{exe} is missing: chromadb (a dependency) installs it"
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma server did not start: {(data / 'server.log').read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@pytest.mark.server
@pytest.mark.slow
def test_index_and_search_on_a_server(chroma_server: str, workspace, embedder) -> None:
    import dataclasses

    settings = dataclasses.replace(workspace.settings, chroma_url=chroma_server)
    first = index_library(settings, embedder=embedder)
    assert first.embedded == first.sections > 0
    assert not settings.chroma_path.exists()  # nothing embedded locally
    again = index_library(settings, embedder=embedder)
    assert again.embedded == 0
    searcher = Searcher.open(settings, embedder)
    hits = searcher.search("pricing objection", stage="negotiation", k=5).hits
    assert hits and all("negotiation" in h.stages for h in hits)
    assert searcher.search("MEDDPPICC", k=1).hits[0].id == "qualification/meddppicc"
    assert Store(settings).count() == first.sections


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_server_down_is_a_clear_error_fast(workspace, kind: str) -> None:
    import dataclasses

    listener = None
    if kind == "silent":  # accepts connections (kernel backlog) but never answers
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)
        port = listener.getsockname()[1]
    else:
        port = free_port()
    settings = dataclasses.replace(workspace.settings, chroma_url=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    try:
        with pytest.raises(
            StoreError, match=r"Chroma server at http://127\.0\.0\.1:\d+ is not reachable"
        ):
            Store(settings)
    finally:
        if listener is not None:
            listener.close()
    assert time.monotonic() - started < 10
