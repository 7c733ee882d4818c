"""The panel base: background loading, errors that reach the status line and the waiter, display."""

from __future__ import annotations

import threading

import ipywidgets as w
import pytest
from _uitext import text_of

from spmkb.errors import SearchError
from spmkb.widgets._panel import Panel, guarded


class Demo(Panel):
    """A panel whose background load does what the test asks, and one guarded action."""

    loading_message = "Loading the demo…"

    def __init__(self, load) -> None:
        super().__init__()
        self._load = load
        self.button = w.Button(description="Go")
        self.widget = w.VBox([self.button, self.status])
        self.button.on_click(lambda _b: self.go())
        self.start_loader()

    def background_load(self) -> str:
        return self._load()

    @guarded
    def go(self) -> str:
        self.ensure_ready()
        self.set_status("went", "ok")
        return "went"


def test_ready_message_after_a_good_load() -> None:
    gate = threading.Event()

    def load() -> str:
        gate.wait(30)
        return "All set."

    p = Demo(load)
    assert text_of(p.status.value) == "⏳ Loading the demo…"
    assert not p.wait_ready(0.05)  # still loading: not ready, no error
    assert p.load_error is None
    gate.set()
    assert p.wait_ready(30)
    assert text_of(p.status.value) == "All set."
    p.button.click()
    assert text_of(p.status.value) == "went"


def test_a_failed_load_is_shown_kept_and_re_raised() -> None:
    err = SearchError("no search index yet", hint="run `spmkb index`")

    def load() -> str:
        raise err

    p = Demo(load)
    assert not p.wait_ready(30)
    assert p.load_error is err
    assert text_of(p.status.value) == f"Error: {err}"
    with pytest.raises(SearchError) as raised:
        p.ensure_ready()
    assert raised.value is err
    p.set_status("something else")
    p.button.click()  # the click dispatcher would swallow it: the guard shows it instead
    assert text_of(p.status.value) == f"Error: {err}"


def test_an_unexpected_load_failure_asks_for_a_report() -> None:
    def load() -> str:
        raise ValueError("boom")

    p = Demo(load)
    assert not p.wait_ready(30)
    assert isinstance(p.load_error, ValueError)
    assert text_of(p.status.value) == "Error: unexpected ValueError: boom (please report this)"


def test_panel_displays_as_its_widget() -> None:
    p = Demo(lambda: "ok")
    assert p.wait_ready(30)
    bundle = p._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == p.widget.model_id


def test_the_watcher_puts_news_and_errors_in_the_status_line() -> None:
    """poll() answers, in turn: nothing, an error, news. The status line shows the error, then
    the news replaces it (the watcher keeps going after an error); None changes nothing."""
    answers = iter([None, SearchError("index busy"), "Index refreshed 16:02:11 — 62 assets."])
    seen: list[str] = []
    done = threading.Event()

    class Watched(Demo):
        def poll(self) -> str | None:
            answer = next(answers, None)
            if answer is None and seen:
                done.set()
            seen.append(text_of(self.status.value))
            if isinstance(answer, Exception):
                raise answer
            return answer

    p = Watched(lambda: "ok")
    assert p.wait_ready(30)
    p.start_watching(0.01)
    assert done.wait(30)
    p.stop_watching(5)
    assert not p.watching
    assert seen[:4] == ["ok", "ok", "Error: index busy", "Index refreshed 16:02:11 — 62 assets."]
