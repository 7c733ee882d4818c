"""The hosted search app: Voila with idle-kernel culling and a cap on concurrent kernels.

Every page load of a Voila app starts a kernel (≈ 825 MB RSS once the search model is loaded)
that Voila never stops by itself. ``python -m spmkb.app NOTEBOOK [voila options]`` (what
``make app`` runs) is ``voila`` with two guards:

- **culling**: jupyter_server's ``MappingKernelManager`` stops kernels idle for
  ``cull_idle_timeout`` seconds (default here 900, checked every ``cull_interval`` = 60 s, even
  with a tab still connected: ``cull_connected``). Override on the command line, e.g.
  ``--MappingKernelManager.cull_idle_timeout=600``.
- **a cap**: at most ``app_max_kernels`` kernels (setting, ``SPMKB_APP_MAX_KERNELS``, default 4;
  or ``--CappedKernelManager.max_kernels=N``) run or start at once; one more page load gets
  HTTP 503 and a page saying "The app is busy: N people are using it; try again in a minute"
  instead of starting a kernel.

It also drops the page's links to outside hosts (Voila's Font Awesome CDN links: the app works
offline) and shows a cell that raised one of spmkb's own errors as "Error: <message>" (no deal
data yet, an unknown rep) where Voila would say only that a cell failed; other errors keep
Voila's generic text, and no traceback reaches the page. Cell replies are awaited in
one-second polls (:mod:`spmkb.kernel_poll`), so a missed wake-up cannot stall a page.

``GET /spmkb/status`` answers ``{"kernels": running, "starting": n, "max_kernels": cap}``
for health checks. This module imports Voila: it is a face, never imported by ``import spmkb``.
"""

from __future__ import annotations

import json
import re
import sys
from html import escape
from typing import Any

import tornado.web
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Integer
from voila.app import Voila
from voila.execute import VoilaExecutor
from voila.tornado.handler import TornadoVoilaHandler

from spmkb import errors, kernel_poll
from spmkb.config import load_settings
from spmkb.errors import AppBusyError, SpmkbError

#: Culling defaults, used unless the command line or a config file sets them.
CULL_DEFAULTS: dict[str, Any] = {
    "cull_idle_timeout": 900,
    "cull_interval": 60,
    "cull_connected": True,
}
RETRY_AFTER_S = 60
#: ``<link>`` tags to outside hosts. Voila's lab template links Font Awesome from
#: cdn.jsdelivr.net although its own bundle already carries the fonts; the app must work
#: offline, and a page's ``load`` must not wait for a host it cannot reach.
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=[\"']https?://[^>]*>[ \t]*\n?", re.IGNORECASE)

_BUSY_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{retry}">
<title>The app is busy</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;
color:#222}}h1{{font-size:1.4em}}</style></head>
<body><h1>{message}</h1>
<p>The search app serves at most {limit} people at once so that the server stays up.
This page tries again by itself in {retry} seconds.</p></body></html>
"""


#: Class names of spmkb's own errors: a cell that raises one failed for a reason the visitor can
#: act on (no deal data yet, an unknown rep), and its message says what to do.
USER_ERRORS: frozenset[str] = frozenset(
    name
    for name, obj in vars(errors).items()
    if isinstance(obj, type) and issubclass(obj, SpmkbError)
)


def show_cell_error(output: dict[str, Any], generic: str) -> dict[str, Any]:
    """An ``error`` output as the app shows it: spmkb's message, else Voila's ``generic`` text.

    Tracebacks never reach the page (they hold paths and code); an spmkb error's message is
    written for the reader, so it is shown as "Error: …".
    """
    if output.get("ename") in USER_ERRORS:
        return {**output, "traceback": [f"Error: {output.get('evalue', '')}"]}
    return {
        **output,
        "ename": "ExecutionError",
        "evalue": "Execution error",
        "traceback": [generic],
    }


def _strip_code_cell_errors(self: VoilaExecutor, cell: dict[str, Any]) -> dict[str, Any]:
    """Voila's ``strip_code_cell_errors``, keeping the message of spmkb's own errors."""
    if cell["cell_type"] != "code":
        return cell
    generic = (f"There was an error when executing cell [{cell['execution_count']}]. "
               "Ask whoever runs this app to look at its log.")  # fmt: skip
    cell["outputs"] = [
        show_cell_error(o, generic) if o["output_type"] == "error" else o for o in cell["outputs"]
    ]
    return cell


def render_busy_page(err: AppBusyError) -> str:
    """The HTML page sent with HTTP 503 when the kernel cap is reached."""
    return _BUSY_PAGE.format(message=escape(err.message), limit=err.limit, retry=RETRY_AFTER_S)


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager that refuses to start more than ``max_kernels``."""

    max_kernels = Integer(4, config=True, help="Most kernels running or starting at once.")
    _starting = 0

    def in_use(self) -> int:
        """Kernels running plus kernels being started."""
        return len(self) + self._starting

    async def start_kernel(self, *args: Any, kernel_id: str | None = None, **kwargs: Any) -> str:
        """Start a kernel, or raise :class:`AppBusyError` when ``max_kernels`` are in use."""
        # Counted before the first await, so simultaneous page loads cannot all slip in.
        new = kernel_id is None or kernel_id not in self
        if new and self.in_use() >= self.max_kernels:
            raise AppBusyError(self.in_use(), self.max_kernels)
        self._starting += 1
        try:
            return await super().start_kernel(*args, kernel_id=kernel_id, **kwargs)
        finally:
            self._starting -= 1  # the kernel is in len(self) by now (or failed to start)


def strip_remote_links(html: str) -> str:
    """``html`` without ``<link>`` tags to outside hosts (Voila's Font Awesome CDN links)."""
    return _REMOTE_LINK.sub("", html)


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler: no links to outside hosts, and 503 with a page when busy."""

    def write(self, chunk: str | bytes | dict) -> None:
        """Send ``chunk``, without the template's links to outside hosts."""
        super().write(strip_remote_links(chunk) if isinstance(chunk, str) else chunk)

    async def get(self, path: str | None = None) -> None:
        """Render the notebook, or the busy page when no kernel may start."""
        try:
            await super().get(path=path)
        except AppBusyError as err:
            self.log.warning("spmkb app busy: %s", err)
            self.clear()  # nothing was written yet: the kernel starts before any output
            self.set_status(503)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Retry-After", str(RETRY_AFTER_S))
            self.set_header("Cache-Control", "no-store")
            self.finish(render_busy_page(err))


class StatusHandler(tornado.web.RequestHandler):
    """``GET /spmkb/status``: running and starting kernels and the cap, as JSON."""

    def get(self) -> None:
        """Answer the kernel counts."""
        km = self.settings["kernel_manager"]
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        body = {"kernels": len(km), "starting": getattr(km, "_starting", 0)}
        self.finish(json.dumps({**body, "max_kernels": getattr(km, "max_kernels", None)}))


class SpmkbApp(Voila):
    """Voila with :class:`CappedKernelManager`, culling defaults and the busy page."""

    def initialize(self, argv: list[str] | None = None) -> None:
        """Parse Voila's options, then fill in the culling defaults and the cap."""
        super().initialize(argv)
        if self.voila_configuration.preheat_kernel:
            raise SpmkbError(
                "--preheat_kernel is not supported by the capped app",
                hint="drop it; the cap counts only kernels started by page loads",
            )
        mkm = self.config.MappingKernelManager
        for key, value in CULL_DEFAULTS.items():
            if key not in mkm:
                mkm[key] = value
        if "max_kernels" not in self.config.CappedKernelManager:
            limit = load_settings().app_max_kernels
            if limit < 1:
                raise SpmkbError("app_max_kernels must be 1 or more", field="app_max_kernels")
            self.config.CappedKernelManager.max_kernels = limit
        self.voila_configuration.multi_kernel_manager_class = CappedKernelManager
        # Voila builds its executor itself (no setting names the class), so the app's one
        # change to it, how a failed cell reads, is made on the class in this process.
        VoilaExecutor.strip_code_cell_errors = _strip_code_cell_errors
        # Voila waits for each cell's reply with no timeout: poll in 1 s slices (kernel_poll),
        # or a missed wake-up leaves the page at "Executing 2 of 8" for good.
        kernel_poll.install()

    def init_handlers(self) -> list:
        """Voila's handlers with the page handler swapped for the capped one, plus status."""
        handlers = [
            (h[0], CappedVoilaHandler, *h[2:]) if h[1] is TornadoVoilaHandler else h
            for h in super().init_handlers()
        ]
        status = (self.server_url.rstrip("/") + "/spmkb/status", StatusHandler)
        return [status, *handlers]  # before Voila's catch-all page route


def main(argv: list[str] | None = None) -> None:
    """Run the app: ``python -m spmkb.app NOTEBOOK [voila options]``."""
    try:
        SpmkbApp.launch_instance(argv)
    except SpmkbError as err:
        print(f"Error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
