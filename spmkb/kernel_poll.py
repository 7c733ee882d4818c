"""Wait for kernel messages in slices of a second, so a missed wake-up cannot stall a notebook.

papermill and Voila run notebooks through nbclient, which waits for each cell's reply with
``AsyncZMQSocketChannel.get_msg(timeout)``: one ``zmq.asyncio`` poll for the whole timeout.
``zmq.asyncio`` learns of new messages from the socket's edge-triggered file descriptor; when
that edge is consumed elsewhere, the poll sleeps although the reply has arrived, and only looks
again when its timeout ends. Seen here: the dashboard notebook's third cell finished in the
kernel (its "idle" status arrived) while papermill waited for the reply: 3 minutes with the
tests' 180 s timeout, forever without one (the Voila app has none). With the same notebook,
kernel and machine, 8 of 15 runs stalled with one poll for the whole wait and 0 of 6 with
:func:`install`; a blocking client never stalled (6 of 6), so the kernel did reply.

:func:`install` replaces ``get_msg`` with a loop of polls of at most :data:`SLICE_S`: a missed
wake-up then costs at most a second. Called by :mod:`spmkb.notebooks` (review generation)
and :mod:`spmkb.app` (the hosted app) before they start a kernel.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

#: Longest single poll, in seconds: the most a missed wake-up can delay a message.
SLICE_S = 1.0

_installed = False


async def get_msg(self: Any, timeout: float | None = None) -> dict[str, Any]:
    """The next message on the channel, waiting at most ``timeout`` seconds (``Empty`` after)."""
    assert self.socket is not None
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE_S if deadline is None else max(0.0, deadline - time.monotonic())
        if await self.socket.poll(round(min(SLICE_S, left) * 1000)):
            return await self._recv()
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


def install() -> None:
    """Make jupyter_client's async channels wait in slices (idempotent)."""
    global _installed
    if _installed:
        return
    from jupyter_client.channels import AsyncZMQSocketChannel

    AsyncZMQSocketChannel.get_msg = get_msg  # type: ignore[method-assign]
    _installed = True


__all__ = ["SLICE_S", "get_msg", "install"]
