"""The base of every notebook panel: background loading, the status line, errors and display.

A panel builds its widgets in ``__init__`` (calling :meth:`Panel.__init__` first), puts them in
``self.widget`` and wires one method per action. What the base gives it:

- ``self.status``: the status line, set with :meth:`Panel.set_status` (one renderer,
  :func:`spmkb.widgets.render.render_status`);
- :meth:`Panel.start_loader`: runs :meth:`Panel.background_load` in a background thread while the
  status says what is loading; its return value is the "ready" message. A failure is shown
  in the status line and kept: :meth:`Panel.wait_ready` returns False, :attr:`Panel.load_error`
  holds it and :meth:`Panel.ensure_ready` (called by every action) re-raises it;
- :func:`guarded`: wraps an action so any error ends up in the status line (ipywidgets'
  callback dispatcher would otherwise swallow it);
- :meth:`Panel.start_watching`: calls :meth:`Panel.poll` every few seconds in a daemon thread
  and puts what it returns in the status line, so a panel can say that something changed
  (the index was re-built) without waiting for the user's next click. The thread ends with
  :meth:`Panel.stop_watching` or when the status widget is closed;
- display in a notebook as ``self.widget``.

Nothing here imports torch or chromadb.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from spmkb.errors import SpmkbError
from spmkb.widgets.render import render_status

log = logging.getLogger(__name__)


def error_text(err: BaseException) -> str:
    """What the status line says about ``err``: its message, or a bug report prompt."""
    if isinstance(err, SpmkbError):
        return str(err)
    return f"unexpected {type(err).__name__}: {err} (please report this)"


def guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a panel action so any error is shown in ``self.status``, never lost (returns None)."""

    @functools.wraps(method)
    def wrapper(self: Panel, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:
            if not isinstance(err, SpmkbError):  # a bug: still tell the user, keep the traceback
                log.exception("unexpected error in %s", method.__name__)
            self.set_status(error_text(err), "error")
        return None

    return wrapper


class Panel:
    """Base class of the panels: status line, background loader, error guard, display."""

    #: Status shown while :meth:`background_load` runs.
    loading_message = "Loading…"

    def __init__(self, status: str = "") -> None:
        """Create the status line (``status``: its first message, ``info``)."""
        self.status = w.HTML(render_status(status, "info") if status else "")
        self.widget: w.Widget = w.VBox([self.status])
        self._loader: threading.Thread | None = None
        self._load_error: BaseException | None = None
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()

    # status ------------------------------------------------------------------------------
    def set_status(self, message: str, kind: str = "info") -> None:
        """Show ``message`` in the status line (``info``, ``loading``, ``ok`` or ``error``)."""
        self.status.value = render_status(message, kind)

    # loading -----------------------------------------------------------------------------
    def background_load(self) -> str:
        """Background work before the panel is usable; returns the "ready" message."""
        return "Ready."

    def start_loader(self) -> None:
        """Run :meth:`background_load` in a background thread; the status says it is loading meanwhile."""
        self.set_status(self.loading_message, "loading")
        name = f"spmkb-{type(self).__name__.lower()}-load"
        self._loader = threading.Thread(target=self._run_loader, name=name, daemon=True)
        self._loader.start()

    def _run_loader(self) -> None:
        try:
            ready = self.background_load()
        except BaseException as err:  # kept for wait_ready / ensure_ready, shown at once
            if not isinstance(err, SpmkbError):
                log.error("panel load failed", exc_info=err)
            self._load_error = err
            self.set_status(error_text(err), "error")
            return
        self.set_status(ready, "ok")

    @property
    def load_error(self) -> BaseException | None:
        """The error the background loader hit, if any."""
        return self._load_error

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait for the background load; True when it finished without an error."""
        if self._loader is not None:
            self._loader.join(timeout)
            if self._loader.is_alive():
                return False
        return self._load_error is None

    def ensure_ready(self) -> None:
        """Wait for the background load (saying so); re-raise the error it hit, if any."""
        if self._loader is not None and self._loader.is_alive():
            self.set_status(self.loading_message, "loading")
            self._loader.join()
        if self._load_error is not None:
            raise self._load_error

    # watching ----------------------------------------------------------------------------
    def poll(self) -> str | None:
        """One check by the watcher thread: a message for the status line, or None (no news)."""
        return None

    def start_watching(self, every: float) -> None:
        """Call :meth:`poll` every ``every`` seconds in a daemon thread until stopped."""
        self._stop_watching.clear()
        name = f"spmkb-{type(self).__name__.lower()}-watch"
        self._watcher = threading.Thread(target=self._watch, args=(every,), name=name, daemon=True)
        self._watcher.start()

    def stop_watching(self, timeout: float | None = None) -> None:
        """Stop the watcher thread and wait for it (at most ``timeout`` seconds)."""
        self._stop_watching.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout)

    @property
    def watching(self) -> bool:
        """Whether the watcher thread runs."""
        return self._watcher is not None and self._watcher.is_alive()

    def _watch(self, every: float) -> None:
        # A closed status widget (its comm is gone) means the panel is gone: stop.
        while not self._stop_watching.wait(every) and self.status.comm is not None:
            try:
                message = self.poll()
            except Exception as err:  # shown, and the next poll tries again
                if not isinstance(err, SpmkbError):
                    log.error("panel watcher failed", exc_info=err)
                self.set_status(error_text(err), "error")
                continue
            if message:
                self.set_status(message, "ok")

    # display -----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the panel's widget."""
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        """Display the panel in a notebook."""
        from IPython.display import display

        display(self.widget)


__all__ = ["Panel", "error_text", "guarded"]
