"""Helpers for tests that drive real ``spmkb`` processes (paused by test hooks, then killed)."""

from __future__ import annotations

import subprocess
import time


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 180) -> None:
    """Read ``proc``'s stderr until a line holds ``text``; kill it and fail with its stderr
    when it ends or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline() if proc.stderr else ""
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen += line
        if text in line:
            return
    proc.kill()
    raise AssertionError(f"{text!r} never printed; stderr:\n{seen[-2000:]}")
