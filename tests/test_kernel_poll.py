"""spmkb.kernel_poll: replies are awaited in one-second polls, and the product installs it.

The stall it prevents (a reply that arrived while ``zmq.asyncio``'s single long poll slept on)
is intermittent; ``tests/deals/test_dashboard.py::test_notebook_executes_on_a_small_sample``
times a real papermill run of the notebook where it showed (8 of 15 runs stalled before).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from queue import Empty

import pytest

from spmkb import kernel_poll


class _Socket:
    """A socket whose message is ready after ``ready_after`` polls; records each poll's timeout."""

    def __init__(self, ready_after: int) -> None:
        self.polls: list[int] = []
        self.ready_after = ready_after

    async def poll(self, timeout_ms: int) -> int:
        self.polls.append(timeout_ms)
        if len(self.polls) > self.ready_after:
            return 1
        await asyncio.sleep(timeout_ms / 1000 if timeout_ms < 1000 else 0)  # a real poll waits
        return 0


class _Channel:
    def __init__(self, socket: _Socket) -> None:
        self.socket = socket

    async def _recv(self) -> dict:
        return {"msg_type": "execute_reply"}


def test_a_long_wait_is_polled_in_one_second_slices() -> None:
    """Ready at the 4th poll of a 180 s wait: 4 polls of 1,000 ms each, then the message."""
    sock = _Socket(ready_after=3)
    msg = asyncio.run(kernel_poll.get_msg(_Channel(sock), timeout=180))
    assert msg == {"msg_type": "execute_reply"}
    assert sock.polls == [1000, 1000, 1000, 1000]


def test_a_timeout_still_ends_with_empty() -> None:
    """Nothing arrives in 0.25 s: one poll of 250 ms, then ``Empty`` (as jupyter_client does)."""
    sock = _Socket(ready_after=10**6)
    started = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(kernel_poll.get_msg(_Channel(sock), timeout=0.25))
    (waited,) = sock.polls
    assert 240 <= waited <= 250
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "code",
    [
        "import spmkb.notebooks as n, tempfile; n.stop_kernel(n.start_kernel(tempfile.gettempdir()))",
        "from spmkb.app import SpmkbApp; SpmkbApp().initialize(['tests/data/app/hello.ipynb'])",
    ],
    ids=["review-generation", "hosted-app"],
)
def test_the_product_installs_it_before_it_runs_notebooks(code: str) -> None:
    """In a fresh process (this one installed it in conftest): jupyter_client's get_msg is ours
    after the notebook runner starts a kernel and after the app initialises, not before."""
    check = (
        "from jupyter_client.channels import AsyncZMQSocketChannel as C; import spmkb.kernel_poll as k;"
        "before = C.get_msg is k.get_msg;" + code + "; print(before, C.get_msg is k.get_msg)"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["False", "True"]
